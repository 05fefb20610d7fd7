// The stack's memory as the machine pays for it: the proportional set size (Pss) of every process
// it runs, so pages shared between processes (Postgres' shared buffers, one binary mapped by many
// backends) are counted once in the sum. Linux only; elsewhere the figure is absent.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { stateDir } from "./config.ts";
import { spawnedPids } from "./service.ts";
import { parentsOfAll, withDescendants } from "./process-identity.ts";

export interface Footprint {
  totalMb: number;
  /** The plain sum of Rss, which counts shared pages once per process (what `ps` adds up to). */
  rssSumMb: number;
  /** Pss per part of the stack, in MB. */
  parts: Record<string, number>;
  processes: number;
}

function memoryKb(pid: number): { pss: number; rss: number } {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
    return { pss: field("Pss"), rss: field("Rss") };
  } catch {
    return { pss: 0, rss: 0 }; // gone meanwhile
  }
}

function postmasterPid(): number | undefined {
  const file = join(stateDir, "db", "postmaster.pid");
  if (!existsSync(file)) return undefined;
  return Number(readFileSync(file, "utf8").split("\n")[0]) || undefined;
}

/** Pss of Postgres (postmaster and backends), each spawned service and this process (gateway, OIDC provider). */
export function measureFootprint(): Footprint | undefined {
  if (!existsSync("/proc/self/smaps_rollup")) return undefined;
  const ppids = parentsOfAll();
  const groups = new Map<string, number[]>();
  const pm = postmasterPid();
  if (pm && ppids.has(pm)) groups.set("postgres", withDescendants(pm, ppids));
  for (const [name, pid] of spawnedPids) if (ppids.has(pid)) groups.set(name, withDescendants(pid, ppids));
  groups.set("node", [process.pid]);
  const seen = new Set<number>();
  const parts: Record<string, number> = {};
  let total = 0;
  let rss = 0;
  for (const [name, pids] of groups) {
    let kb = 0;
    for (const pid of pids) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      const m = memoryKb(pid);
      kb += m.pss;
      rss += m.rss;
    }
    parts[name] = Math.round(kb / 1024);
    total += kb;
  }
  return { totalMb: Math.round(total / 1024), rssSumMb: Math.round(rss / 1024), parts, processes: seen.size };
}

export function formatFootprint(f: Footprint | undefined): string {
  if (!f) return "footprint: n/a (no /proc)";
  const parts = Object.entries(f.parts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ");
  return `${f.totalMb} MB Pss in ${f.processes} processes (${parts}; Rss sum ${f.rssSumMb} MB)`;
}
