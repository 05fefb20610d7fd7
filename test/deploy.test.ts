// The deploy check: a cluster of its own, its postgres database set up as a new hosted Supabase
// project has it (stack/platform-*.sql; its own cluster because pg_cron lives in the one database
// named postgres, as on hosted, and the schedule's migration creates it there),
// Auth's own schema first, then every migration and the seed pushed by the real CLI as `postgres`
// over TCP, one transaction per file (as `supabase db push` does to a hosted project), then pgTAP.
// Any statement that needs more than hosted privileges (a superuser, membership in
// supabase_auth_admin, CREATE on schema auth, an extension no migration creates) fails it.
import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authBinary, authEnv } from "../stack/services/auth.ts";
import { authSchemaFromCli } from "../stack/services/auth-schema.ts";
import { supabaseCli } from "../stack/services/migrations.ts";
import { bootstrapCluster } from "../stack/platform/bootstrap.ts";
import { initCluster, startCluster, stopCluster, type Cluster } from "../stack/services/postgres.ts";
import { freePort } from "../stack/core/service.ts";
import { runAsync } from "../stack/core/run-async.ts";
import { stack } from "./helpers/stack.ts";
import { guideCommands } from "./helpers/deploy-guide.ts";

const scratch = mkdtempSync(join(tmpdir(), "mb-deploy-"));
chmodSync(scratch, 0o755); // the postgres OS user runs the cluster inside it
const cluster: Cluster = { dataDir: join(scratch, "db"), socketDir: join(scratch, "run"), port: 0 };
const as = (user: string, host?: string) => {
  const url = new URL(stack.dbUrl);
  url.username = user;
  url.port = String(cluster.port);
  url.pathname = "/postgres";
  if (host) url.hostname = host;
  return url.toString();
};

/** Auth's own migrations when a real Auth server is at hand, else the CLI's snapshot of its schema. */
async function authSchema(): Promise<string> {
  if (stack.authServer) {
    const cwd = mkdtempSync(join(tmpdir(), "deploy-auth-"));
    try {
      const env = { PATH: process.env.PATH ?? "", ...authEnv(), GOTRUE_DB_DATABASE_URL: as("supabase_auth_admin") };
      const r = await runAsync(authBinary, ["migrate"], { cwd, env });
      if (r.status !== 0) throw new Error(`auth migrate exited with ${r.status}: ${r.stderr}`);
      return "Supabase Auth's own migrations";
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }
  const sql = postgres(as("supabase_admin"), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(await authSchemaFromCli());
  } finally {
    await sql.end();
  }
  return "the CLI's snapshot of the auth schema";
}

describe("deploy to a database set up as a new hosted project", () => {
  beforeAll(async () => {
    cluster.port = await freePort();
    await initCluster(cluster);
    await startCluster(cluster);
    await bootstrapCluster(as("supabase_admin"));
  }, 180_000);
  afterAll(async () => {
    await stopCluster(cluster);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("takes Auth's schema, then every migration and the seed as postgres, then passes pgTAP", async () => {
    const auth = await authSchema();
    // The guide's own push (docs/deploy.md, step 2, the demo line with the seed), its --remote aimed at
    // this cluster: the pinned CLI takes a database URL there (`--remote=<ref|branch|url>`). --yes
    // because a hosted change takes no prompt answer from a test. The CLI treats 127.0.0.1:<db.port>
    // as its Docker database; 127.0.0.2 is the same server to it as a remote.
    const push = guideCommands().find((c) => c.words.join(" ") === "db push" && c.flags.includes("--include-seed"));
    expect(push?.flags).toEqual(["--remote", "--include-seed"]);
    const flags = push!.flags.map((f) => (f === "--remote" ? `--remote=${as("postgres", "127.0.0.2")}` : f));
    await supabaseCli(["db", "push", ...flags, "--yes"]);

    const sql = postgres(as("postgres"), { max: 1, onnotice: () => {} });
    try {
      const files = readdirSync("supabase/migrations").filter((f) => f.endsWith(".sql")).map((f) => f.split("_")[0]).sort();
      const applied = await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by version`;
      expect(applied.map((r) => r.version), `after ${auth}`).toEqual(files);
      const [{ owners }] = await sql<{ owners: string[] }[]>`
        select array_agg(distinct pg_get_userbyid(c.relowner)) as owners
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('public', 'private')`;
      expect(owners).toEqual(["postgres"]);
      // pgTAP is a test tool: created as postgres, as `supabase test db` does.
      await sql`create extension if not exists pgtap with schema extensions`;
    } finally {
      await sql.end();
    }

    const dir = "supabase/tests/database";
    const tests = readdirSync(dir).filter((f) => f.endsWith(".test.sql")).sort().map((f) => `${dir}/${f}`);
    const r = await runAsync("pg_prove", ["--dbname", as("postgres"), "--failures", ...tests], { env: { ...process.env, PGOPTIONS: "--client-min-messages=warning" } });
    expect(r.status, `${r.stdout.split("\n").filter((l) => /^not ok|^#|Failed/.test(l)).join("\n")}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^All tests successful\./m);
  }, 240_000);
});
