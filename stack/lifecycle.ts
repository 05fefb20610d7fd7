// The stack's hold on its data dir, and what ends with it.
//
// - One stack per data dir: startStack() takes <data dir>/stack.lock first (core/stack-lock.ts); a
//   second start while the first runs is refused before it touches anything.
// - Children die with the stack: spawnLogged's children get SIGTERM from the kernel when the stack's
//   process dies (parent-death signal). Postgres is no child of ours (pg_ctl daemonises it), so a
//   watchdog — a bash process in its own session, blocked reading a pipe only the stack's process
//   holds — wakes on that pipe's end-of-file, however the stack died, and runs this file to stop it.
// - What still survives (the watchdog killed too, a machine that froze) is cleaned by the next start:
//   the lock names the dead stack and its children, postmaster.pid names the cluster; each is
//   checked to be that very process (pid and start time) before it is signalled.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { binDir, root, stateDir } from "./core/config.ts";
import { isAlive, terminate, type ProcessId } from "./core/process-identity.ts";
import { acquireLock, lockFile, readLock, releaseLock, underGuard, type StackLock } from "./core/stack-lock.ts";
import { stopLeftoverCluster } from "./services/postgres.ts";

let watchdog: ChildProcess | undefined;

/** Stops what a dead stack left: its recorded children, then the cluster running from the data dir. */
async function cleanUpAfter(dead: StackLock, log: (line: string) => void): Promise<void> {
  const children = Object.entries(dead.children).filter(([, id]) => isAlive(id));
  if (dead.owner.pid) log(`the stack pid ${dead.owner.pid} (${dead.owner.command}) ended without stopping; cleaning up what it left`);
  for (const [name, id] of children) log(`stopping its ${name} (pid ${id.pid})`);
  await terminate(children.map(([, id]) => id));
  await stopLeftoverCluster(log);
}

/** Makes this process the data dir's stack (cleaning up after a dead one), and starts the watchdog. */
export async function claimDataDir(log: (line: string) => void): Promise<void> {
  await acquireLock((dead) => cleanUpAfter(dead, log));
  // A cluster running here now is nobody's: no live stack holds the dir (say, one from before locks).
  await stopLeftoverCluster(log);
  watchdog ??= startWatchdog();
}

/** After every service stopped: the dir is free, and the watchdog has nothing left to watch. */
export function releaseDataDir(): void {
  releaseLock();
  watchdog?.kill("SIGKILL");
  watchdog = undefined;
}

function startWatchdog(): ChildProcess {
  const logs = join(stateDir, "logs");
  mkdirSync(logs, { recursive: true });
  const out = openSync(join(logs, "watchdog.log"), "a");
  const self = readLock()!.owner;
  // `read` returns only at end-of-file: when this process is gone, whatever ended it.
  const child = spawn("bash", ["-c", 'read -r _; exec "$@"', "memberbase-watchdog", join(binDir, "tsx"), fileURLToPath(import.meta.url), "after", String(self.pid), self.start], {
    cwd: root,
    detached: true, // its own session: a signal to the stack's process group does not reach it
    stdio: ["pipe", out, out],
    env: { ...process.env, MEMBERBASE_STACK_DIR: stateDir },
  });
  closeSync(out);
  child.unref();
  (child.stdin as unknown as { unref(): void }).unref(); // the pipe must not keep this process alive
  return child;
}

/** The watchdog's work: if the lock still names the stack that died, clean up after it and free the dir. */
async function afterDeath(owner: ProcessId): Promise<void> {
  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  if (isAlive(owner)) return log(`pid ${owner.pid} still runs: nothing to do`);
  await underGuard(async () => {
    const lock = readLock();
    // Gone, or a new stack's: that start already cleaned up (under this same guard).
    if (!lock || lock.owner.pid !== owner.pid || lock.owner.start !== owner.start) return;
    await cleanUpAfter(lock, log);
    rmSync(lockFile, { force: true }); // still the dead stack's: nobody else takes it while the guard is held
  });
}

if (process.argv[2] === "after" && process.argv[1] === fileURLToPath(import.meta.url)) {
  await afterDeath({ pid: Number(process.argv[3]), start: process.argv[4] });
}
