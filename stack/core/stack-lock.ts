// One running stack per data dir. The stack that starts writes <data dir>/stack.lock naming itself
// (pid and start time) and, as it spawns them, its children; a second start finds a live owner there
// and refuses, touching nothing. A lock whose owner is gone (kill -9, a crash) is reclaimed: what it
// names is cleaned up first. Reclaiming runs under a guard directory (mkdir is atomic), so a new
// start and the dead stack's watchdog never clean and start at the same time.
import { linkSync, mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stateDir } from "./config.ts";
import { commandLine, identify, isAlive, type ProcessId } from "./process-identity.ts";
import { StackError } from "./service.ts";

export const lockFile = join(stateDir, "stack.lock");
const guardDir = join(stateDir, "stack.lock.cleaning");

export interface StackLock {
  owner: ProcessId & { command: string };
  /** The owner's long-running children by log name (spawnLogged), as last recorded. */
  children: Record<string, ProcessId>;
}

let held: StackLock | undefined;

export function readLock(): StackLock | undefined {
  try {
    return JSON.parse(readFileSync(lockFile, "utf8")) as StackLock;
  } catch {
    return undefined;
  }
}

const sameOwner = (a: StackLock | undefined, b: StackLock | undefined) => !!a && !!b && a.owner.pid === b.owner.pid && a.owner.start === b.owner.start;

/** Runs fn while holding the guard; a guard older than a minute was left by a process that died holding it. */
export async function underGuard<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(stateDir, { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(guardDir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      try {
        if (Date.now() - statSync(guardDir).mtimeMs > 60_000) rmdirSync(guardDir);
      } catch {
        // released meanwhile
      }
      if (Date.now() > deadline) throw new StackError(`${guardDir} stays in place: another process is cleaning up this data dir`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(guardDir, { recursive: true, force: true });
  }
}

/**
 * Makes this process the data dir's one stack. A live owner: StackError naming it. A dead owner:
 * cleanUp(its lock) runs under the guard, then the lock is taken. Idempotent for the holder.
 */
export async function acquireLock(cleanUp: (dead: StackLock) => Promise<void>): Promise<void> {
  if (held) return;
  mkdirSync(stateDir, { recursive: true });
  const self = identify(process.pid);
  const mine: StackLock = { owner: { pid: process.pid, start: self?.start ?? "", command: commandLine(process.pid).join(" ") }, children: {} };
  for (let attempt = 0; attempt < 50; attempt++) {
    // Written whole, then linked into place: link fails if the lock exists, and a reader never sees half a file.
    const tmp = `${lockFile}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify(mine));
    try {
      linkSync(tmp, lockFile);
      held = mine;
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      rmSync(tmp, { force: true });
    }
    const other = readLock();
    if (other && isAlive(other.owner))
      throw new StackError(
        `a stack is already running from this data dir, pid ${other.owner.pid}: ${other.owner.command} (data dir ${stateDir}). ` +
          `Stop it first (Ctrl-C where it runs, or kill ${other.owner.pid}), or start this one with another MEMBERBASE_STACK_DIR and MEMBERBASE_PORT_OFFSET.`,
      );
    await underGuard(async () => {
      const now = readLock();
      if (other ? !sameOwner(now, other) : now !== undefined) return; // someone else reclaimed it meanwhile: look again
      await cleanUp(other ?? { owner: { pid: 0, start: "", command: "(unreadable lock)" }, children: {} });
      rmSync(lockFile, { force: true });
    });
  }
  throw new StackError(`could not take ${lockFile}: other starts keep taking it`);
}

/** Rewrites the lock with this process's children (a no-op unless this process holds the lock). */
export function recordChildren(pids: Map<string, number>): void {
  if (!held) return;
  const children: Record<string, ProcessId> = {};
  for (const [name, pid] of pids) {
    const id = identify(pid);
    if (id) children[name] = { pid, start: id.start };
  }
  held = { ...held, children };
  const tmp = `${lockFile}.${process.pid}`;
  try {
    writeFileSync(tmp, JSON.stringify(held));
    renameSync(tmp, lockFile); // atomic: a second start reads the old or the new list, whole
  } catch {
    // the data dir went away (a test run's temp dir removed at its end)
  }
}

export function holdsLock(): boolean {
  return held !== undefined;
}

/** Gives the data dir up (after every service stopped). */
export function releaseLock(): void {
  if (!held) return;
  if (sameOwner(readLock(), held)) rmSync(lockFile, { force: true });
  held = undefined;
}
