// Migrations and seed, applied by the real Supabase CLI so the migration history is the CLI's own
// (supabase_migrations.schema_migrations). `db push` only applies what is new, so restarts are quick.
import { join } from "node:path";
import { binDir, cliDbUrl, root } from "../core/config.ts";
import { requireContinuableMigrationHistory } from "./migration-history.ts";
import { runAsync } from "../core/run-async.ts";
import { StackError, type Service } from "../core/service.ts";

/** Runs the Supabase CLI from the project root (a child process: `db push` takes seconds, and the
 * stack's event loop keeps running); returns stdout (progress goes to stderr), throws with its output on failure. */
export async function supabaseCli(args: string[], opts: { progress?: (text: string) => void } = {}): Promise<string> {
  const r = await runAsync(join(binDir, "supabase"), args, {
    cwd: root,
    env: { ...process.env, PGSSLMODE: "disable", DO_NOT_TRACK: "1", SUPABASE_TELEMETRY_DISABLED: "1" },
  });
  if (r.status !== 0) throw new StackError(`supabase ${args.join(" ")} failed:\n${r.error?.message ?? ""}${r.stderr}${r.stdout}`);
  opts.progress?.(r.stderr);
  return r.stdout;
}

export const migrationsService: Service = {
  name: "migrations",
  url: "supabase/migrations + seed.sql",
  async start() {
    await requireContinuableMigrationHistory(); // a history db push cannot continue: say that --reset is needed
    let applied = 0;
    await supabaseCli(["db", "push", `--remote=${cliDbUrl}`, "--include-seed", "--yes"], { progress: (t) => (applied = (t.match(/Applying migration/g) ?? []).length) });
    this.detail = `supabase db push: ${applied} migration(s) applied`;
  },
  async stop() {},
};
