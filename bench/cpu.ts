// CPU time by process, from /proc (Linux): the stack's parts, this load generator and the rest of
// the machine, sampled around each phase of `npm run bench:load`. Figures are in % of one core.
import { existsSync, readFileSync } from "node:fs";
import { executableName, livePids, statFields, withDescendants } from "../stack/core/process-identity.ts";
import { join } from "node:path";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  ticks: number;
}

function processes(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  for (const pid of livePids()) {
    const s = statFields(pid);
    const name = s && executableName(pid);
    if (s && name) out.set(pid, { pid, ppid: Number(s.fields[1]), comm: name, ticks: Number(s.fields[11]) + Number(s.fields[12]) });
  }
  return out;
}

/** `root` and the processes below it that are still there. */
function descendants(root: number, procs: Map<number, Proc>): Proc[] {
  const ppids = new Map([...procs.values()].map((p) => [p.pid, p.ppid]));
  return withDescendants(root, ppids).flatMap((pid) => procs.get(pid) ?? []);
}

/** busy ticks of the whole machine (all CPUs). */
function machineTicks(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = line;
  return user + nice + system + irq + softirq + (steal ?? 0);
}

// The stack's own Node process runs the gateway, the mail catcher and the OIDC provider; the
// launchers above it (npm, sh, tsx, esbuild) and stripe-mock are "other stack processes".
const label = (comm: string) =>
  comm === "postgrest" ? "PostgREST" : comm === "deno" ? "Deno (functions host)" : comm === "node" ? "Node (stack: gateway, mail, OIDC)" : "other stack processes";

export interface CpuSample {
  at: number;
  groups: Map<string, number>;
  machine: number;
  self: number;
}

/** Ticks per group now: Postgres (postmaster and backends), each kind of process under the stack's process, this process. */
export function sampleCpu(stateDir: string, stackPid: number | undefined): CpuSample | undefined {
  if (!existsSync("/proc/stat")) return undefined;
  const procs = processes();
  const groups = new Map<string, number>();
  const add = (name: string, ticks: number) => groups.set(name, (groups.get(name) ?? 0) + ticks);
  const pidFile = join(stateDir, "db", "postmaster.pid");
  const postmaster = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").split("\n")[0]) : 0;
  if (postmaster) for (const p of descendants(postmaster, procs)) add("Postgres", p.ticks);
  if (stackPid) for (const p of descendants(stackPid, procs)) add(label(p.comm), p.ticks);
  const self = process.cpuUsage();
  return { at: performance.now(), groups, machine: machineTicks(), self: ((self.user + self.system) / 1e6) * TICKS_PER_SECOND };
}

/** % of one core per group between two samples, with the load generator and the rest of the machine. */
export function cpuBetween(a: CpuSample | undefined, b: CpuSample | undefined): Record<string, number> {
  if (!a || !b) return {};
  const seconds = (b.at - a.at) / 1000;
  const pct = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / seconds) * 100);
  const out: Record<string, number> = {};
  let ours = 0;
  for (const [name, ticks] of b.groups) {
    const d = Math.max(0, ticks - (a.groups.get(name) ?? 0)); // a process that exited takes its ticks with it
    ours += d;
    out[name] = pct(d);
  }
  const self = b.self - a.self;
  out["load generator (this process)"] = pct(self);
  out["everything else on the machine"] = pct(Math.max(0, b.machine - a.machine - ours - self));
  return out;
}
