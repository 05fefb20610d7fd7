// Migrations and seed, applied by the real Supabase CLI so the migration history is the CLI's own
// (supabase_migrations.schema_migrations). `db push` only applies what is new, so restarts are quick.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { binDir, cliDbUrl, root } from "./config.ts";
import { requireKnownMigrationHistory } from "./migration-history.ts";
import { StackError, type Service } from "./service.ts";

/** Runs the Supabase CLI from the project root; returns stdout (progress goes to stderr), throws with its output on failure. */
export function supabaseCli(args: string[], opts: { progress?: (text: string) => void } = {}): string {
  const r = spawnSync(join(binDir, "supabase"), args, {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, PGSSLMODE: "disable", DO_NOT_TRACK: "1", SUPABASE_TELEMETRY_DISABLED: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new StackError(`supabase ${args.join(" ")} failed:\n${r.stderr}${r.stdout}`);
  opts.progress?.(r.stderr);
  return r.stdout;
}

export const migrationsService: Service = {
  name: "migrations",
  url: "supabase/migrations + seed.sql",
  async start() {
    await requireKnownMigrationHistory(); // an old layout's history: say that --reset is needed
    let applied = 0;
    supabaseCli(["db", "push", `--remote=${cliDbUrl}`, "--include-seed", "--yes"], { progress: (t) => (applied = (t.match(/Applying migration/g) ?? []).length) });
    this.detail = `supabase db push: ${applied} migration(s) applied`;
  },
  async stop() {},
};
