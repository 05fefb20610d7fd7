// The stack's lifecycle through real processes (issue 33): stacks started by `npm run dev`'s own entry
// point on a data dir and ports of their own. A second start from the same data dir is refused and
// leaves the first serving; kill -9 of the stack's process takes every child and Postgres with it; a
// start after the stack and its watchdog were both killed cleans up what they left, then starts; and
// a stack whose `npm run dev` wrapper was killed stops by itself.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { anonKey, binDir, ports, root } from "../stack/core/config.ts";
import { portOpen } from "../stack/core/service.ts";
import { executableName, gone, identify, isAlive, livePids, terminate, type ProcessId } from "../stack/core/process-identity.ts";
import { runningPostmaster } from "../stack/services/postgres.ts";

const mainOffset = Number(process.env.MEMBERBASE_PORT_OFFSET ?? 0);
// 43 above this suite's stack: none of its ports (54321…54371 shifted) lands on one of the suite's.
const offset = mainOffset + 43;
const shift = (p: number) => p - mainOffset + offset;
const theirPorts = [...Object.values(ports), ports.rest + 1].map(shift);
const apiUrl = `http://127.0.0.1:${shift(ports.api)}`;
const dir = join(tmpdir(), `memberbase-lifecycle-${process.pid}`); // not mkdtemp: its 0700 would shut out the postgres user
const stackDir = join(dir, "stack");
const children: ChildProcess[] = [];

interface Dev {
  child: ChildProcess;
  output: () => string;
  /** Resolves true when the stack printed its summary, false when the process exited first. */
  ready: Promise<boolean>;
  exited: Promise<number | null>;
}

/** `npm run dev` (tsx stack/cli.ts) on this test's data dir and ports. */
function dev(): Dev {
  const child = spawn(join(binDir, "tsx"), [join(root, "stack", "cli.ts")], {
    cwd: root,
    env: { ...process.env, MEMBERBASE_PORT_OFFSET: String(offset), MEMBERBASE_STACK_DIR: stackDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const ready = new Promise<boolean>((resolve) => {
    const seen = (d: Buffer) => ((output += d), output.includes("Press Ctrl-C to stop.") && resolve(true));
    child.stdout!.on("data", seen);
    child.stderr!.on("data", seen);
    void exited.then(() => resolve(false));
  });
  return { child, output: () => output, ready, exited };
}

async function restStatus(): Promise<number> {
  const res = await fetch(`${apiUrl}/rest/v1/`, { headers: { apikey: anonKey }, signal: AbortSignal.timeout(10000) });
  await res.body?.cancel();
  return res.status;
}

function postmaster(): ProcessId {
  const pid = Number(readFileSync(join(stackDir, "db", "postmaster.pid"), "utf8").split("\n")[0]);
  return { pid, start: identify(pid)!.start };
}

/** Running processes whose parent is `pid`, by the name of their executable (not /proc's comm,
 * which Node 24 sets to its main thread's name, "MainThread"). */
function childrenOf(pid: number): (ProcessId & { comm: string })[] {
  const found: (ProcessId & { comm: string })[] = [];
  for (const child of livePids()) {
    const id = identify(child);
    if (id?.ppid === pid) found.push({ ...id, comm: executableName(child) ?? id.comm });
  }
  return found;
}

/** The stack's own process: tsx's child (`npm run dev` runs tsx, which runs the CLI in a child node). */
const stackProcess = (d: Dev) => childrenOf(d.child.pid!).find((p) => p.comm === "node")!;

/** The bash watchdog that waits on the stack process's pipe (lifecycle.ts), if there is one. */
function watchdogOf(owner: number): ProcessId | undefined {
  return childrenOf(owner).find((p) => p.comm === "bash" && readFileSync(`/proc/${p.pid}/cmdline`, "utf8").includes("memberbase-watchdog"));
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, "exit") : undefined)));
  // A test that failed may have left a stack (or its cluster) running: stop it before its dir goes.
  const owner = existsSync(join(stackDir, "stack.lock")) ? (JSON.parse(readFileSync(join(stackDir, "stack.lock"), "utf8")) as { owner: ProcessId }).owner : undefined;
  if (owner) await terminate([owner], 30000);
  const cluster = runningPostmaster(join(stackDir, "db"));
  if (cluster) await terminate([cluster], 30000, "SIGINT");
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}, 120000);

describe("the stack's lifecycle", () => {
  let first: Dev | undefined;

  /** The stack the test acts on: the one running from this test's data dir, started if none is. */
  async function running(): Promise<Dev> {
    if (first && first.child.exitCode === null && first.child.signalCode === null) return first;
    const busy = (await Promise.all(theirPorts.map(portOpen))).some(Boolean);
    expect(busy, `ports ${theirPorts.join(", ")} must be free for this test's stacks`).toBe(false);
    mkdirSync(dir, { recursive: true });
    const started = dev();
    expect(await started.ready, started.output()).toBe(true);
    return (first = started);
  }

  it("refuses a second start from a running stack's data dir, touching nothing of the first", async () => {
    const stack = await running();
    expect(await restStatus()).toBe(200);
    const owner = stackProcess(stack).pid;
    const cluster = postmaster();

    const second = dev();
    const code = await second.exited;
    expect(second.output()).toContain(`a stack is already running from this data dir, pid ${owner}: `);
    expect(code).not.toBe(0);
    // The first still serves, on the same cluster, and still holds the data dir.
    expect(await restStatus()).toBe(200);
    expect(isAlive(cluster)).toBe(true);
    expect(stackProcess(stack).pid).toBe(owner);
  }, 300000);

  it("takes every child and Postgres with it when its process is killed (-9), and starts again", async () => {
    const killed = await running();
    const owner = stackProcess(killed);
    // Everything it runs: its children (MailDev, the functions host, PostgREST, stripe-mock; Auth where
    // it runs) and the cluster pg_ctl started for it.
    const left: [string, ProcessId][] = [...childrenOf(owner.pid).map((c): [string, ProcessId] => [c.comm, c]), ["postgres", postmaster()]];
    expect(left.map(([name]) => name)).toEqual(expect.arrayContaining(["node", "deno", "postgrest", "postgres"]));
    process.kill(owner.pid, "SIGKILL");
    await killed.exited;
    // A bound on a hang, not a speed target: Postgres' fast shutdown writes a checkpoint.
    expect(await gone(left.map(([, id]) => id), 60000), `still running: ${left.filter(([, id]) => isAlive(id)).map(([n]) => n).join(", ")}`).toBe(true);
    expect((await Promise.all(theirPorts.map(portOpen))).some(Boolean)).toBe(false);

    const again = dev();
    expect(await again.ready, again.output()).toBe(true);
    expect(await restStatus()).toBe(200);
    first = again;
  }, 300000);

  it("cleans up what a stack killed together with its watchdog left, then starts", async () => {
    const killed = await running();
    const owner = stackProcess(killed);
    const cluster = postmaster();
    // The watchdog first: then nothing stops Postgres (pg_ctl daemonised it: it is no child of the stack).
    const watchdog = watchdogOf(owner.pid);
    if (watchdog) process.kill(watchdog.pid, "SIGKILL");
    process.kill(owner.pid, "SIGKILL");
    await killed.exited;
    expect(isAlive(cluster), "the cluster outlived its stack (what this test is about)").toBe(true);

    const next = dev();
    expect(await next.ready, next.output()).toBe(true);
    expect(next.output()).toContain(`the stack pid ${owner.pid} `);
    expect(next.output()).toContain(`stopping the Postgres left running from ${join(stackDir, "db")} (postmaster pid ${cluster.pid})`);
    expect(isAlive(cluster)).toBe(false);
    expect(await restStatus()).toBe(200);
    first = next;
  }, 300000);

  it("stops as on Ctrl-C when `npm run dev`'s wrapper process is killed (-9)", async () => {
    const stack = await running();
    const owner = stackProcess(stack); // tsx runs the CLI in a child: that child is the stack
    const cluster = postmaster();
    stack.child.kill("SIGKILL");
    // A bound on a hang: the stack notices within a second, then stops every service.
    expect(await gone([owner, cluster], 60000), "the stack and its cluster stopped").toBe(true);
    expect((await Promise.all(theirPorts.map(portOpen))).some(Boolean)).toBe(false);
    expect(existsSync(join(stackDir, "stack.lock")), "the data dir was given up").toBe(false);
    expect(readFileSync(join(stackDir, "logs", "watchdog.log"), "utf8"), "a clean stop, not the watchdog's cleanup").not.toContain(`the stack pid ${owner.pid} `);
  }, 300000);
});
