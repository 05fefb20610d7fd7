// The pinned Supabase CLI (node_modules/.bin/supabase) as a child process: `db push` takes seconds,
// and the stack's event loop keeps running meanwhile.
import { join } from "node:path";
import { binDir, root } from "./config.ts";
import { runAsync } from "./run-async.ts";
import { StackError } from "./service.ts";

/** Runs the CLI in `cwd` (the project root unless told: the CLI reads supabase/ there); returns
 * stdout, hands stderr (its progress) to `progress`, throws with its output on failure. */
export async function supabaseCli(args: string[], opts: { cwd?: string; progress?: (text: string) => void } = {}): Promise<string> {
  const r = await runAsync(join(binDir, "supabase"), args, {
    cwd: opts.cwd ?? root,
    env: { ...process.env, PGSSLMODE: "disable", DO_NOT_TRACK: "1", SUPABASE_TELEMETRY_DISABLED: "1" },
  });
  if (r.status !== 0) throw new StackError(`supabase ${args.join(" ")} failed:\n${r.error?.message ?? ""}${r.stderr}${r.stdout}`);
  opts.progress?.(r.stderr);
  return r.stdout;
}
