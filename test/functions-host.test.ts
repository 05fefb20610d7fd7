// The functions host (stack/deno/functions-host.ts) as the stack runs it, over fixture functions
// made to misbehave (test/fixtures/functions): each function in its own isolated worker, started on
// first request, and a function that throws, hangs or exits answers 5xx for its own requests only.
// The host runs with a name server that never answers (where root can arrange it): it must reach
// its workers without any name lookup, so a lost DNS reply never delays or fails a request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeSync, constants, cpSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync, type ChildProcess } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FunctionsHttpError } from "@supabase/supabase-js";
import { FunctionsSupervisor, startFunctionsHost } from "../stack/services/functions.ts";
import { freePort, stopChild } from "../stack/core/service.ts";
import { deadResolverSkipReason, startDeadResolver, type DeadResolver } from "./helpers/dead-resolver.ts";
import { errorBody } from "./helpers/error-shape.ts";
import { anonClient } from "./helpers/stack.ts";
import { skipNote } from "./helpers/skip.ts";

const fixtures = join(import.meta.dirname, "fixtures", "functions");
// Ports from the OS: a fixed one can be held by some client connection's ephemeral port.
let base = "";
const timeoutMs = 1500;
let host: ChildProcess;
let resolver: DeadResolver | undefined;

interface Probe {
  name: string;
  bootedAt: string;
  requests: number;
  global: string | null;
  env: string | null;
  given: string | null;
  path: string;
}

async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* a plain-text answer */
  }
  return { status: res.status, body };
}

async function running(): Promise<string[]> {
  return (await get("/_internal/health")).body.running;
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  if (!deadResolverSkipReason) resolver = await startDeadResolver();
  else console.warn(`functions host test: the host keeps this machine's resolver (${deadResolverSkipReason})`);
  host = await startFunctionsHost({ dir: fixtures, port, env: { PROBE_GIVEN: "from the stack" }, timeoutMs, logName: "functions-host-test", resolvConf: resolver?.resolvConf });
});

afterAll(async () => {
  await stopChild(host);
  await resolver?.close();
});

describe("functions host", () => {
  it("starts a function's worker on its first request only", async () => {
    expect(await running()).not.toContain("probe");
    const first = await get("/probe/some/path?x=1");
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ name: "probe", path: "/probe/some/path", given: "from the stack" });
    expect(await running()).toContain("probe");
    expect(await running()).not.toContain("probe-twin");
    const second = await get("/probe");
    expect(second.body.bootedAt).toBe(first.body.bootedAt);
    expect(second.body.requests).toBe(first.body.requests + 1);
  });

  it("answers 404 for a folder that is not a function", async () => {
    for (const path of ["/no-such-function", "/_shared", "/..%2Fprobe", "/"]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.body).toEqual({ error: { code: "NOT_FOUND", message: "Requested function was not found" } });
    }
  });

  it("keeps each function's globals, env and module instances to itself", async () => {
    const set = await get("/probe?set=secret-of-probe");
    expect(set.body).toMatchObject({ global: "secret-of-probe", env: "secret-of-probe" });
    const twin = (await get("/probe-twin")).body as Probe;
    // Same _shared module source, yet its own instance: its own counter and boot id, none of probe's state.
    expect(twin).toMatchObject({ name: "probe-twin", global: null, env: null, given: "from the stack", requests: 1 });
    expect(twin.bootedAt).not.toBe(set.body.bootedAt);
    expect((await get("/probe")).body).toMatchObject({ global: "secret-of-probe", env: "secret-of-probe" });
  });

  it("answers 503 for a function that throws while loading, and tries it afresh next time", async () => {
    for (let i = 0; i < 2; i++) {
      const res = await get("/throws-at-top");
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: "function_boot_error" });
      expect(res.body.error.message).toContain("broken at import");
    }
    expect((await get("/probe")).status).toBe(200);
  });

  it("answers 500 for a handler that throws or rejects, and the function keeps serving", async () => {
    const before = (await get("/throws-in-handler")).body.bootedAt;
    expect((await get("/throws-in-handler?kind=sync")).status).toBe(500);
    expect((await get("/throws-in-handler?kind=async")).status).toBe(500);
    expect((await get("/throws-in-handler")).body.bootedAt).toBe(before);
  });

  it("restarts a function whose worker died of an uncaught error", async () => {
    const before = (await get("/throws-in-handler")).body.bootedAt;
    await get("/throws-in-handler?kind=uncaught");
    await new Promise((r) => setTimeout(r, 200));
    const after = await get("/throws-in-handler");
    expect(after.status).toBe(200);
    expect(after.body.bootedAt).not.toBe(before);
    expect((await get("/probe")).status).toBe(200);
  });

  it("answers 504 for a hang, busy or idle, while other functions answer meanwhile", async () => {
    for (const kind of ["await", "busy"]) {
      const before = (await get("/hangs")).body.bootedAt;
      const hanging = get(`/hangs?kind=${kind}`);
      const t = performance.now();
      expect((await get("/probe")).status).toBe(200);
      expect(performance.now() - t).toBeLessThan(timeoutMs);
      const res = await hanging;
      expect(res.status, kind).toBe(504);
      expect(res.body.error).toMatchObject({ code: "function_timeout" });
      const after = await get("/hangs");
      expect(after.status).toBe(200);
      expect(after.body.bootedAt).not.toBe(before); // a fresh worker: the hung isolate was ended
    }
  });

  it("lets Deno.exit end only that function, then restarts it", async () => {
    const before = (await get("/exits")).body.bootedAt;
    const res = await get("/exits?exit=1");
    expect(res.status).toBe(502);
    const again = await get("/exits");
    expect(again.status).toBe(200);
    expect(again.body.bootedAt).not.toBe(before);
    const atTop = await get("/exits-at-top");
    expect(atTop.status).toBe(503);
    expect(atTop.body.error.message).toContain("Deno.exit(0)");
    expect((await get("/probe")).status).toBe(200);
    expect((await get("/_internal/health")).status).toBe(200);
  });

  it("leaves a newer worker alone when a request to the one it replaced times out", async () => {
    // A worker blocked in a system call outlives its termination, and so does a request queued on
    // it: that request's limit passes after the function already has its next worker.
    const fifo = join(tmpdir(), `memberbase-fifo-${process.pid}`);
    execFileSync("mkfifo", [fifo]);
    try {
      expect((await get("/hangs")).status).toBe(200);
      const blocked = get(`/hangs?kind=blocked&fifo=${encodeURIComponent(fifo)}`);
      await new Promise((r) => setTimeout(r, timeoutMs / 3));
      const queued = get("/hangs?kind=await");
      expect((await blocked).status).toBe(504); // ends the blocked worker; its thread stays stuck
      const fresh = await get("/hangs");
      expect(fresh.status).toBe(200);
      expect((await queued).status).toBe(504);
      expect((await get("/hangs")).body.bootedAt).toBe(fresh.body.bootedAt);
    } finally {
      // Lets the stuck thread finish its read (and so end); no reader left is fine too.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        /* ENXIO: nobody has it open */
      }
      rmSync(fifo);
    }
  });

  it("answers every error of its own as { error: { code, message } }", async () => {
    const cases = [
      ["/no-such-function", 404, "NOT_FOUND"],
      ["/throws-at-top", 503, "function_boot_error"],
      ["/throws-in-handler?kind=sync", 500, "function_error"],
      ["/throws-in-handler?kind=async", 500, "function_error"],
      ["/exits?exit=1", 502, "function_crashed"],
      ["/hangs?kind=await", 504, "function_timeout"],
    ] as const;
    for (const [path, status, code] of cases) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(status);
      expect(res.headers.get("content-type"), path).toContain("application/json");
      const body = errorBody.safeParse(await res.json());
      expect(body.error?.issues, path).toBeUndefined();
      expect(body.data?.error.code, path).toBe(code);
    }
  });

  it("gives supabase-js an unknown function's 404 as a FunctionsHttpError with the response, through the gateway", async () => {
    const { data, error } = await anonClient().functions.invoke("no-such-function", { body: {} });
    expect(data).toBeNull();
    expect(error).toBeInstanceOf(FunctionsHttpError);
    const res = (error as FunctionsHttpError).context as Response;
    expect(res.status).toBe(404);
    expect(errorBody.parse(await res.json())).toEqual({ error: { code: "NOT_FOUND", message: "Requested function was not found" } });
  });

  it.skipIf(deadResolverSkipReason)(`reaches its workers without asking a name server${skipNote(deadResolverSkipReason)}`, () => {
    // Every test above started workers and opened connections to them; a lookup would show here
    // (and would have cost each first request 10 s: two unanswered tries of 5 s).
    expect(resolver!.queries()).toBe(0);
  });
});

describe("functions host with hot reload", () => {
  const dir = join(tmpdir(), `memberbase-hot-reload-${process.pid}`);
  let watching: ChildProcess;
  let url = "";

  beforeAll(async () => {
    mkdirSync(join(dir, "greet"), { recursive: true });
    cpSync(join(fixtures, "_shared"), join(dir, "_shared"), { recursive: true });
    writeFileSync(join(dir, "greet", "index.ts"), `Deno.serve(() => new Response("v1"));\n`);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    watching = await startFunctionsHost({ dir, port, env: {}, watch: true, logName: "functions-host-reload-test" });
  });

  afterAll(async () => {
    await stopChild(watching);
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves a changed function's new code, and a new function folder, without a restart", async () => {
    expect(await (await fetch(`${url}/greet`)).text()).toBe("v1");
    writeFileSync(join(dir, "greet", "index.ts"), `Deno.serve(() => new Response("v2"));\n`);
    let text = "";
    for (let i = 0; i < 50 && text !== "v2"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = await (await fetch(`${url}/greet`)).text();
    }
    expect(text).toBe("v2");
    mkdirSync(join(dir, "added"));
    writeFileSync(join(dir, "added", "index.ts"), `Deno.serve(() => new Response("new"));\n`);
    expect(await (await fetch(`${url}/added`)).text()).toBe("new");
  });
});

describe("supervised functions host", () => {
  const lines: string[] = [];
  let supervisor: FunctionsSupervisor;
  let url = "";

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    supervisor = new FunctionsSupervisor({ dir: fixtures, port, env: {}, logName: "functions-host-supervised-test" }, { log: (l) => lines.push(l) });
    await supervisor.start();
  });

  afterAll(async () => {
    await supervisor.stop();
  });

  const probe = async () => {
    const res = await fetch(`${url}/probe`, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: (await res.json()) as Probe };
  };

  /** Until the probe answers 200 again (a bound on a hang: the restart itself is quick). */
  async function answersAgain(): Promise<boolean> {
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      if ((await probe().catch(() => undefined))?.status === 200) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  it("restarts a host killed with SIGKILL, says so with its backoff, and the functions answer again", async () => {
    const first = await probe();
    expect(first.status).toBe(200);
    const pid = supervisor.pid!;
    process.kill(pid, "SIGKILL");
    expect(await answersAgain()).toBe(true);
    expect(supervisor.pid).not.toBe(pid);
    expect((await probe()).body.bootedAt).not.toBe(first.body.bootedAt); // a new host, so a new worker
    expect(lines).toContainEqual("functions host exited (signal SIGKILL), restarting in 250 ms");
    expect(lines.some((l) => /^functions host restarted \(pid \d+, restart 1\)$/.test(l))).toBe(true);
  }, 90000);

  it("waits longer after each death of a host that keeps dying young", async () => {
    process.kill(supervisor.pid!, "SIGKILL");
    expect(await answersAgain()).toBe(true);
    expect(lines).toContainEqual("functions host exited (signal SIGKILL), restarting in 500 ms");
    expect(supervisor.restarts).toBe(2);
  }, 90000);

  it("does not restart a host it was asked to stop", async () => {
    const pid = supervisor.pid!;
    await supervisor.stop();
    await new Promise((r) => setTimeout(r, 1500));
    expect(supervisor.pid).toBeUndefined();
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(probe()).rejects.toThrow();
    expect(lines.filter((l) => l.startsWith("functions host exited"))).toHaveLength(2);
  });
});
