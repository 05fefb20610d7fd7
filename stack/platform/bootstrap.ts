// The platform bootstrap: Supabase's roles once per cluster, then its schemas, grants, default
// privileges and extensions per database (roles.sql, database.sql beside this file) with the
// supautils stand-in (supautils.sql), then the stand-ins for hosted extensions this server lacks
// (pg-net.sql, vault.sql).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { adminDbUrl, root } from "../core/config.ts";
import type { Service } from "../core/service.ts";

/** roles.sql once per cluster; database.sql and the supautils stand-in (supautils.sql) per database. */
type Part = "roles" | "database" | "supautils" | "pg-net" | "vault";
const platformSql = (part: Part) => readFileSync(join(root, "stack", "platform", `${part}.sql`), "utf8");

/** Hosted extensions that have a stand-in here, by the extension's name. */
const standIns: Record<string, Part> = { pg_net: "pg-net", supabase_vault: "vault" };

/** The stand-ins this server needs: one per hosted extension it cannot create (idempotent SQL). */
async function missingExtensions(sql: postgres.Sql): Promise<Part[]> {
  const rows = await sql<{ name: string }[]>`select name from pg_available_extensions where name in ${sql(Object.keys(standIns))}`;
  return Object.keys(standIns).filter((name) => !rows.some((r) => r.name === name)).map((name) => standIns[name]);
}

/** Runs the platform's parts in order, each in one transaction, as a superuser, then the stand-ins. */
async function runPlatform(superuserUrl: string, parts: Part[]): Promise<Part[]> {
  const sql = postgres(superuserUrl, { max: 1, onnotice: () => {} });
  try {
    const all = [...parts, ...(await missingExtensions(sql))];
    for (const part of all) await sql.begin((tx) => tx.unsafe(platformSql(part)));
    return all.filter((p) => !parts.includes(p));
  } finally {
    await sql.end();
  }
}

/** Sets up a new cluster as a new hosted project's: Supabase's roles, then its postgres database. */
export const bootstrapCluster = async (superuserUrl: string) => void (await runPlatform(superuserUrl, ["roles", "database", "supautils"]));

export const platformService: Service = {
  name: "platform",
  url: "roles, schemas, extensions",
  async start() {
    const sql = postgres(adminDbUrl, { max: 1, onnotice: () => {} });
    try {
      const [{ done }] = await sql`select exists (select 1 from pg_roles where rolname = 'authenticator') as done`;
      if (done) {
        // The stand-ins are applied at every start (idempotent): a data dir from an older stack gets them too.
        const added = await runPlatform(adminDbUrl, []);
        this.detail = `already bootstrapped${added.length ? `; stand-ins: ${added.join(", ")}` : ""}`;
        return;
      }
    } finally {
      await sql.end();
    }
    const added = await runPlatform(adminDbUrl, ["roles", "database", "supautils"]);
    this.detail = `bootstrapped as a new hosted project${added.length ? `; stand-ins: ${added.join(", ")}` : ""}`;
  },
  async stop() {},
};
