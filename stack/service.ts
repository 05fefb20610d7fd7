// The small surface every stack service has; the CLI only orders them.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { connect, createServer, type AddressInfo } from "node:net";
import { stateDir } from "./config.ts";

export interface Service {
  name: string;
  /** Where clients reach it, for the progress line. */
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A word or two shown after the progress line (e.g. "real server" or why something is off). */
  detail?: string;
}

export class StackError extends Error {}

/** The long-running children of this stack by log name, for the footprint (footprint.ts). */
export const spawnedPids = new Map<string, number>();

/** Spawns a long-running child whose output goes to .stack/logs/<name>.log. */
export function spawnLogged(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const logs = join(stateDir, "logs");
  mkdirSync(logs, { recursive: true });
  const log = createWriteStream(join(logs, `${name}.log`), { flags: "a" });
  const child = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  if (child.pid) spawnedPids.set(name, child.pid);
  child.once("exit", () => spawnedPids.get(name) === child.pid && spawnedPids.delete(name));
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

/** Polls until check() resolves true, or fails with the message after timeoutMs. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new StackError(`${what}: process exited with code ${child.exitCode} (see .stack/logs)`);
    try {
      if (await check()) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new StackError(`${what}: not ready after ${timeoutMs} ms (see .stack/logs)`);
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
