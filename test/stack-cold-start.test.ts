// A newcomer's first start: a second stack with empty caches (stack cache dir — so stripe-mock is
// built and Deno's npm modules downloaded — and Go's build cache) and a fresh data dir, started by
// `npm run dev`'s own entry point while busy loops hold every core. It must come up with every
// service and serve a function: a one-time build must not stop the stack's event loop or eat the
// other services' readiness budgets, and a slow start on a loaded machine is not a failure.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { authBinary } from "../stack/services/auth.ts";
import { binDir, ports, root } from "../stack/core/config.ts";
import { services } from "../stack/index.ts";
import { runs } from "../stack/core/run-async.ts";
import { portOpen } from "../stack/core/service.ts";
import { stack } from "./helpers/stack.ts";

const mainOffset = Number(process.env.MEMBERBASE_PORT_OFFSET ?? 0);

/** An offset whose ports nothing holds now: beside this suite's stack (and, on a shared machine, others). */
async function freeOffset(): Promise<number> {
  if (process.env.MEMBERBASE_COLD_START_PORT_OFFSET) return Number(process.env.MEMBERBASE_COLD_START_PORT_OFFSET);
  const used = [...Object.values(ports), ports.rest + 1].map((p) => p - mainOffset);
  for (const offset of [60, 660, 1260].map((d) => mainOffset + d)) {
    const open = await Promise.all(used.map((p) => portOpen(p + offset)));
    if (!open.some(Boolean)) return offset;
  }
  throw new Error("no free port range for a second stack");
}

const dir = join(tmpdir(), `memberbase-cold-start-${process.pid}`); // not mkdtemp: its 0700 would shut out the postgres user
const children: ChildProcess[] = [];

function stop(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 20000);
  return exited.finally(() => clearTimeout(timer));
}

afterAll(async () => {
  await Promise.all(children.map(stop));
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}, 60000);

describe("a first start on a new, busy machine", () => {
  it("comes up with every service and serves a function, with empty caches beside a CPU hog", async () => {
    const offset = await freeOffset();
    mkdirSync(dir, { recursive: true });
    const hogs = Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
    children.push(...hogs);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MEMBERBASE_PORT_OFFSET: String(offset),
      MEMBERBASE_STACK_DIR: join(dir, "stack"),
      MEMBERBASE_CACHE_DIR: join(dir, "cache"),
      GOCACHE: join(dir, "go-build"), // stripe-mock compiles from scratch (~40 s on a quiet machine)
    };
    // Auth's build (minutes, where the Go proxy serves it) is not what this is about: reuse this suite's.
    if (!process.env.MEMBERBASE_AUTH_BIN && existsSync(authBinary)) env.MEMBERBASE_AUTH_BIN = authBinary;
    const dev = spawn(join(binDir, "tsx"), [join(root, "stack", "cli.ts")], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(dev);
    let output = "";
    dev.stdout.on("data", (d) => (output += d));
    dev.stderr.on("data", (d) => (output += d));
    // Bounded here, inside the test's own limit, so a start that never finishes fails with its output.
    const ready = await new Promise<boolean>((resolve) => {
      dev.stdout.on("data", () => output.includes("Press Ctrl-C to stop.") && resolve(true));
      dev.once("exit", () => resolve(false));
      setTimeout(() => resolve(false), 540000);
    });
    expect(ready, output).toBe(true);
    expect(hogs.every((h) => h.exitCode === null), "the CPU hog ran throughout").toBe(true);
    await Promise.all(hogs.map(stop));

    for (const s of services) expect(output, `a started line for ${s.name}`).toMatch(new RegExp(`^  ${s.name} +\\S`, "m"));
    expect(output).toMatch(/^ {2}ready +\d+ ms/m);
    expect(output).toContain("downloading the functions' npm modules once");
    if (await runs("go", ["version"])) {
      expect(output).toContain("building stripe-mock");
      expect(output).toMatch(/^ {2}stripe .*just built with go install/m);
    }

    // A function through the gateway, its npm modules from the cache filled on this start.
    const apiUrl = /API URL: (\S+)/.exec(output)?.[1];
    expect(apiUrl).toBe(`http://127.0.0.1:${ports.api - mainOffset + offset}`);
    const res = await fetch(`${apiUrl}/functions/v1/health`, { headers: { apikey: stack.anonKey, authorization: `Bearer ${stack.serviceRoleKey}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", database: "ok" });

    await stop(dev);
    expect(dev.exitCode, output).toBe(0);
    console.log(`cold start beside ${hogs.length} busy loops:\n${output}`);
  }, 600000);
});
