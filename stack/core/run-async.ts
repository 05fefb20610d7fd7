// Runs a command to completion as a child process without blocking this one: the stack's Node
// process also hosts the gateway and the OIDC provider and polls every service's readiness, so a
// 40-second `go install` or a `supabase db push` must never stop its event loop (spawnSync would).
import { spawn, type SpawnOptions } from "node:child_process";

export interface RunResult {
  /** The exit code; null when the command could not be started or was killed by a signal. */
  status: number | null;
  stdout: string;
  stderr: string;
  /** Why it could not be started (e.g. ENOENT: not installed), when it could not. */
  error?: Error;
}

export function runAsync(cmd: string, args: string[], opts: Omit<SpawnOptions, "stdio"> = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (d: Buffer) => out.push(d));
    child.stderr?.on("data", (d: Buffer) => err.push(d));
    const result = (status: number | null, error?: Error): RunResult => ({ status, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), error });
    child.once("error", (error) => resolve(result(null, error)));
    child.once("close", (code) => resolve(result(code)));
  });
}

/** True when `cmd args` runs and exits 0 (a version probe: is the tool there?). */
export async function runs(cmd: string, args: string[]): Promise<boolean> {
  return (await runAsync(cmd, args)).status === 0;
}
