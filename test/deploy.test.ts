// The deploy check: a cluster of its own built by the one builder (stack/services/fresh-database.ts)
// as a new hosted Supabase project has it (its own cluster because pg_cron lives in the one database
// named postgres, as on hosted, and the schedule's migration creates it there): the platform
// bootstrap, Auth's own schema first, then every migration and the seed pushed by the real CLI as
// `postgres` over TCP, one transaction per file (as `supabase db push` does to a hosted project),
// with docs/deploy.md's flags; then pgTAP. Any statement that needs more than hosted privileges (a
// superuser, membership in supabase_auth_admin, CREATE on schema auth, an extension no migration
// creates) fails it.
import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { buildFreshDatabase, clusterUrl, guidePushFlags } from "../stack/services/fresh-database.ts";
import { stopCluster, type Cluster } from "../stack/services/postgres.ts";
import { freePort } from "../stack/core/service.ts";
import { stack } from "./helpers/stack.ts";
import { guideCommands } from "./helpers/deploy-guide.ts";
import { pgProve, pgProveFailures, pgTapFiles, prepareForPgTap } from "./helpers/pgtap.ts";

const scratch = mkdtempSync(join(tmpdir(), "mb-deploy-"));
chmodSync(scratch, 0o755); // the postgres OS user runs the cluster inside it
const cluster: Cluster = { dataDir: join(scratch, "db"), socketDir: join(scratch, "run"), port: 0 };

describe("deploy to a database set up as a new hosted project", () => {
  afterAll(async () => {
    await stopCluster(cluster);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("takes Auth's schema, then every migration and the seed as postgres, then passes pgTAP", async () => {
    // The builder pushes with the guide's own flags (docs/deploy.md, step 2, the demo line with the
    // seed), its --remote aimed at this cluster: the pinned CLI takes a database URL there.
    const push = guideCommands().find((c) => c.words.join(" ") === "db push" && c.flags.includes("--include-seed"));
    expect(push?.flags).toEqual([...guidePushFlags]);
    cluster.port = await freePort();
    const { auth } = await buildFreshDatabase(cluster, { authServer: stack.authServer });

    const url = clusterUrl(cluster, "postgres");
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const files = readdirSync("supabase/migrations").filter((f) => f.endsWith(".sql")).map((f) => f.split("_")[0]).sort();
      const applied = await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by version`;
      expect(applied.map((r) => r.version), `after ${auth}`).toEqual(files);
      const [{ owners }] = await sql<{ owners: string[] }[]>`
        select array_agg(distinct pg_get_userbyid(c.relowner)) as owners
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('public', 'private')`;
      expect(owners).toEqual(["postgres"]);
    } finally {
      await sql.end();
    }

    await prepareForPgTap(url);
    const r = await pgProve(url, pgTapFiles);
    expect(r.status, `${pgProveFailures(r)}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^All tests successful\./m);
  }, 420_000); // a cluster's initdb, bootstrap and every migration, then pgTAP, on a shared machine
});
