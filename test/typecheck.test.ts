// Strict TypeScript everywhere: the stack and tests under tsc, the functions under Deno's checker.
import { describe, expect, it } from "vitest";
import { readdirSync, existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { runAsync } from "../stack/core/run-async.ts";

const fnDir = "supabase/functions";
const entrypoints = readdirSync(fnDir).filter((d) => !d.startsWith("_") && existsSync(join(fnDir, d, "index.ts"))).map((d) => join(fnDir, d, "index.ts"));
// The functions host runs under Deno too (tsc leaves stack/deno out).
entrypoints.push("stack/deno/functions-host.ts", "stack/deno/worker-boot.ts");

describe("type checks", () => {
  // Child processes awaited, never spawnSync: a worker blocked for a minute on a busy machine misses
  // vitest's own calls ("Timeout calling onTaskUpdate") and fails the run.
  it("stack, tests and benchmarks pass tsc --strict", async () => {
    const r = await runAsync("node_modules/.bin/tsc", ["--noEmit"]);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, 300000); // a busy machine: tsc alone took over 2 min at load ~20

  it("every edge function and the functions host pass deno check", async () => {
    const r = await runAsync("node_modules/.bin/deno", ["check", "--config", join(fnDir, "deno.json"), ...entrypoints], {
      env: { ...process.env, DENO_DIR: process.env.DENO_DIR ?? join(process.env.MEMBERBASE_CACHE_DIR ?? join(homedir(), ".cache", "memberbase"), "deno"), NO_COLOR: "1" },
    });
    expect(r.status, r.stderr).toBe(0);
  }, 300000); // a busy machine: tsc alone took over 2 min at load ~20
});
