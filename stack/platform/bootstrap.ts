// The platform bootstrap: Supabase's roles once per cluster, then its schemas, grants, default
// privileges and extensions per database (roles.sql, database.sql beside this file).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { adminDbUrl, root } from "../core/config.ts";
import type { Service } from "../core/service.ts";

/** roles.sql once per cluster; database.sql and the supautils stand-in (supautils.sql) per database. */
type Part = "roles" | "database" | "supautils";
const platformSql = (part: Part) => readFileSync(join(root, "stack", "platform", `${part}.sql`), "utf8");

/** Runs the platform's parts in order, each in one transaction, as a superuser. */
async function runPlatform(superuserUrl: string, parts: Part[]): Promise<void> {
  const sql = postgres(superuserUrl, { max: 1, onnotice: () => {} });
  try {
    for (const part of parts) await sql.begin((tx) => tx.unsafe(platformSql(part)));
  } finally {
    await sql.end();
  }
}

/** Sets up one database as a new hosted project's (the cluster's roles must exist). */
export const bootstrapDatabase = (superuserUrl: string) => runPlatform(superuserUrl, ["database", "supautils"]);

/** Sets up a new cluster as a new hosted project's: Supabase's roles, then its postgres database. */
export const bootstrapCluster = (superuserUrl: string) => runPlatform(superuserUrl, ["roles", "database", "supautils"]);

export const platformService: Service = {
  name: "platform",
  url: "roles, schemas, extensions",
  async start() {
    const sql = postgres(adminDbUrl, { max: 1, onnotice: () => {} });
    try {
      const [{ done }] = await sql`select exists (select 1 from pg_roles where rolname = 'authenticator') as done`;
      if (done) {
        this.detail = "already bootstrapped";
        return;
      }
    } finally {
      await sql.end();
    }
    await bootstrapCluster(adminDbUrl);
    this.detail = "bootstrapped as a new hosted project";
  },
  async stop() {},
};
