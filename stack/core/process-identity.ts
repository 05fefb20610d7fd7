// A process named by pid and start time, read from /proc (Linux): a pid alone may have been reused
// by another process since it was recorded, so nothing is signalled unless both still match.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { basename } from "node:path";

export interface ProcessId {
  pid: number;
  /** /proc/<pid>/stat's starttime (clock ticks after boot). */
  start: string;
}

/** Every pid in /proc now. */
export function livePids(): number[] {
  return readdirSync("/proc").filter((e) => /^\d+$/.test(e)).map(Number);
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses):
 * fields[0] is the state, [1] the parent's pid, [11] and [12] user and system ticks, [19] the start. */
export function statFields(pid: number): { comm: string; fields: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    return { comm: stat.slice(stat.indexOf("(") + 1, close), fields: stat.slice(close + 2).split(" ") };
  } catch {
    return undefined;
  }
}

/** The running process with this pid, or undefined (gone, or a zombie that only waits to be reaped). */
export function identify(pid: number): (ProcessId & { comm: string; ppid: number }) | undefined {
  const s = statFields(pid);
  if (!s || s.fields[0] === "Z" || s.fields[0] === "X") return undefined;
  return { pid, start: s.fields[19], comm: s.comm, ppid: Number(s.fields[1]) };
}

/** Parent of every live process, read once. */
export function parentsOfAll(): Map<number, number> {
  const map = new Map<number, number>();
  for (const pid of livePids()) {
    const s = statFields(pid);
    if (s) map.set(pid, Number(s.fields[1]));
  }
  return map;
}

/** `root` and every process below it, by the parents read once (parentsOfAll). */
export function withDescendants(root: number, ppids: Map<number, number>): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of ppids) if (ppid === out[i]) out.push(pid);
  return out;
}

/** The name of the program a process runs (its executable's file name): /proc's comm is not it
 * for Node 24, which names its main thread "MainThread" there. */
export function executableName(pid: number): string | undefined {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return statFields(pid)?.comm; // not ours to read, or gone
  }
}

/** True while the very process recorded (same pid, same start time) runs. */
export function isAlive(id: ProcessId): boolean {
  return identify(id.pid)?.start === id.start;
}

export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until none of these processes runs; false if some still do after timeoutMs. */
export async function gone(ids: ProcessId[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (ids.some(isAlive)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

function signal(id: ProcessId, sig: NodeJS.Signals): void {
  if (!isAlive(id)) return;
  try {
    process.kill(id.pid, sig);
  } catch {
    // exited meanwhile
  }
}

/** Asks each process to end (`first`, SIGTERM unless said), then kills what still runs after graceMs. */
export async function terminate(ids: ProcessId[], graceMs = 5000, first: NodeJS.Signals = "SIGTERM"): Promise<void> {
  const live = ids.filter(isAlive);
  for (const id of live) signal(id, first);
  if (await gone(live, graceMs)) return;
  for (const id of live) signal(id, "SIGKILL");
  await gone(live, 5000);
}
