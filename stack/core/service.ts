// The small surface every stack service has; the CLI only orders them.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { connect, createServer, type AddressInfo } from "node:net";
import { availableParallelism, loadavg } from "node:os";
import { stateDir } from "./config.ts";
import { recordChildren } from "./stack-lock.ts";

export interface Service {
  name: string;
  /** Where clients reach it, for the progress line. */
  url: string;
  /** One-time work before start() — builds and downloads, as child processes (runAsync) — begun when
   * the stack starts, beside everything else, so it never eats a readiness budget. note() prints a
   * progress line (e.g. "building stripe-mock once (~40 s)…"). */
  prepare?(note: (line: string) => void): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A word or two shown after the progress line (e.g. "real server" or why something is off). */
  detail?: string;
}

export class StackError extends Error {}

/** A service's one-time work, run once however often it is asked for: the stack begins it early
 * (prepare), start() awaits the same run, or begins it when the service is started on its own. */
export function preparation(work: (note: (line: string) => void) => Promise<void>) {
  let running: Promise<void> | undefined;
  return {
    run: (note: (line: string) => void = () => {}) => (running ??= work(note)),
    /** After stop(): the next start looks again (say, for a binary built meanwhile). */
    reset: () => void (running = undefined),
  };
}

/** The long-running children of this stack by log name, for the footprint (footprint.ts). */
export const spawnedPids = new Map<string, number>();

/** util-linux's setpriv (Debian: in util-linux, always installed) sets a parent-death signal and
 * then execs the command, so the child keeps its pid. Without it, a start cleans up instead. */
const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

/**
 * Spawns a long-running child whose output goes to .stack/logs/<name>.log. It gets SIGTERM from the
 * kernel the moment this process dies, however it dies (kill -9 included), and the stack's lock
 * records it (stack-lock.ts) for a start that finds this process gone without that having worked.
 */
export function spawnLogged(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const logs = join(stateDir, "logs");
  mkdirSync(logs, { recursive: true });
  const log = createWriteStream(join(logs, `${name}.log`), { flags: "a" });
  const [c, a] = setpriv ? [setpriv, ["--pdeathsig", "TERM", "--", cmd, ...args]] : [cmd, args];
  const child = spawn(c, a, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  if (child.pid) spawnedPids.set(name, child.pid);
  recordChildren(spawnedPids);
  child.once("exit", () => {
    if (spawnedPids.get(name) !== child.pid) return;
    spawnedPids.delete(name);
    recordChildren(spawnedPids);
  });
  return child;
}

/** Stops a child politely, then firmly. */
export async function stopChild(child: ChildProcess | undefined, graceMs = 3000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** How much longer than on a quiet machine a start may take now: the 1-minute load average per
 * core (at least 1, at most 4), so a cold start beside a busy compiler or another stack is not a failure. */
export function loadFactor(): number {
  return Math.min(4, Math.max(1, loadavg()[0] / availableParallelism()));
}

/** A poll's wall time beyond this is a stall of this process (a synchronous call, a paused machine), not the service's time. */
const maxStepMs = 2000;

/**
 * Polls until check() resolves true. The budget measures the service, not the machine: its clock
 * starts here, right after the spawn (one-time builds and downloads happen before, in the
 * service's prepare()), it counts only while this process's event loop runs, and it stretches
 * with the machine's load (loadFactor). A child that exits fails at once, whatever the budget.
 */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60000, child?: ChildProcess): Promise<void> {
  let used = 0;
  let last = performance.now();
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null))
      throw new StackError(`${what}: process exited with ${child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode} (see .stack/logs)`);
    try {
      if (await check()) return;
    } catch {
      /* not up yet */
    }
    const now = performance.now();
    used += Math.min(now - last, maxStepMs);
    last = now;
    const budget = timeoutMs * loadFactor();
    if (used > budget) throw new StackError(`${what}: not ready after ${Math.round(used)} ms of its own time (budget ${Math.round(budget)} ms at load ${loadavg()[0].toFixed(1)}; see .stack/logs)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await res.body?.cancel();
  return res.status < 500;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), res(true)));
    s.once("error", () => res(false));
  });
}

/** A loopback port nothing listens on now, chosen by the OS (for throwaway servers in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
