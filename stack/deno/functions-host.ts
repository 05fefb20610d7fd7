// One Deno process for every edge function of a directory, as Supabase's edge runtime runs them:
// each function in its own Web Worker (own isolate, globals, module graph and env copy), started
// on its first request, dropped when it crashes, exits or hangs, and started afresh on the next.
// Requests arrive as /<name>/<rest>; the worker sees that same path.
//   deno run --allow-net --allow-env --allow-read --allow-write=S functions-host.ts --dir D --port P --sockets S [--watch]
// Workers listen on Unix sockets in S, one per worker, so no function holds a TCP port.
// MEMBERBASE_FUNCTION_TIMEOUT_MS bounds a worker's boot and each response's headers (a hang).
// Every answer the host itself gives (404, 5xx) is `{ error: { code, message } }`.

import type { BootData, HostMessage } from "./worker-boot.ts";

const args = Deno.args;
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const dir = new URL(`${Deno.realPathSync(flag("--dir") ?? ".")}/`, "file:///");
const port = Number(flag("--port") ?? 0);
const watch = args.includes("--watch");
const socketDir = flag("--sockets") ?? Deno.makeTempDirSync({ prefix: "functions-host-" });
let boots = 0;
const timeoutMs = Number(Deno.env.get("MEMBERBASE_FUNCTION_TIMEOUT_MS") ?? 150_000);
// Starting a worker (loading and compiling its module graph, cold on a fresh clone) is bounded on
// its own, never by the per-request limit: a slow first load is not a hung function.
const bootTimeoutMs = Math.max(timeoutMs, Number(Deno.env.get("MEMBERBASE_FUNCTION_BOOT_TIMEOUT_MS") ?? 60_000));
const bootModule = new URL("./worker-boot.ts", import.meta.url).href;
// Idle keep-alive connections kept per worker for reuse; the rest are closed when their answer ends.
// Connections in use are one per request in flight to that worker: a client that goes away ends its
// request (and so frees its connection) at once.
const idleConnectionsPerWorker = 16;
const idleConnectionMs = 30_000;

interface Slot {
  worker: Worker;
  /** Resolves once the worker's Deno.serve listens on its socket. */
  ready: Promise<void>;
  /** An HTTP client bound to that socket: its pool holds this worker's reusable connections. */
  client: Deno.HttpClient;
  /** Fails a boot still under way (a crash, a timeout, a reload). */
  abandon: (why: string) => void;
}

const slots = new Map<string, Slot>();

function log(line: string): void {
  console.error(`[functions-host] ${line}`);
}

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status, headers: { "access-control-allow-origin": "*" } });
}

/** A function is a folder with an index.ts whose name does not start with _ or . (like _shared). */
function entryOf(name: string): URL | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) return undefined;
  const entry = new URL(`${name}/index.ts`, dir);
  try {
    return Deno.statSync(entry).isFile ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** Ends this slot's worker, if it is still the one serving `name` (a newer one is left alone). */
function stop(name: string, slot: Slot | undefined, why: string): void {
  if (!slot || slots.get(name) !== slot) return;
  slots.delete(name);
  slot.abandon(why);
  slot.worker.terminate();
  slot.client.close();
  log(`${name}: stopped (${why})`);
}

function start(name: string, entry: URL): Slot {
  const started = performance.now();
  const worker = new Worker(bootModule, { type: "module", name });
  const socket = `${socketDir}/${++boots}.sock`;
  let settle: { resolve: () => void; reject: (e: Error) => void };
  const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  ready.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection here
  const client = Deno.createHttpClient({
    proxy: { transport: "unix", path: socket },
    poolMaxIdlePerHost: idleConnectionsPerWorker,
    poolIdleTimeout: idleConnectionMs,
  });
  const slot: Slot = { worker, ready, client, abandon: (why) => settle.reject(new Error(why)) };
  const fail = (why: string) => {
    settle.reject(new Error(why));
    stop(name, slot, why);
  };
  worker.onmessage = (e: MessageEvent<HostMessage>) => {
    if (e.data.type === "listening") {
      log(`${name}: started in ${Math.round(performance.now() - started)} ms`);
      settle.resolve();
    } else if (e.data.type === "exit") fail(`Deno.exit(${e.data.code})`);
  };
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault(); // an uncaught error ends this worker only, never the host
    fail(`uncaught error: ${e.message}`);
  };
  worker.onmessageerror = () => fail("unreadable message");
  const boot: BootData = { entry: entry.href, env: Deno.env.toObject(), socket };
  worker.postMessage(boot);
  const timer = setTimeout(() => fail(`not serving after ${bootTimeoutMs} ms`), bootTimeoutMs);
  ready.then(() => clearTimeout(timer), () => clearTimeout(timer));
  slots.set(name, slot);
  return slot;
}

async function forward(name: string, slot: Slot, req: Request, path: string): Promise<Response> {
  try {
    await slot.ready;
  } catch (e) {
    return jsonError(503, "function_boot_error", `Function ${name} failed to start: ${(e as Error).message}`);
  }
  // The bound is on the answer's headers; a long streamed body (data-export) is not cut.
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, timeoutMs);
  // A client gone before the answer ends the request to the worker and frees its connection; once
  // the answer streams, Deno.serve cancels the body it can no longer deliver. (Listening only until
  // the headers: Deno.serve also aborts the signal of every request it answered.)
  const clientGone = () => abort.abort();
  req.signal.addEventListener("abort", clientGone);
  try {
    // The URL's host is an IP literal: the connection goes to the worker's socket whatever it says,
    // but a name here would be looked up in DNS for every new connection (5 s per lost reply).
    const res = await fetch(`http://127.0.0.1${path}`, {
      client: slot.client,
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: "manual",
      signal: abort.signal,
    });
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers: res.headers });
  } catch (e) {
    if (timedOut) {
      // A hang may be a busy loop: only ending the isolate frees it; a timeout that comes after the
      // slot has a new worker (the old one ended meanwhile) must not end that one.
      stop(name, slot, `no response within ${timeoutMs} ms`);
      return jsonError(504, "function_timeout", `Function ${name} did not answer within ${timeoutMs} ms`);
    }
    // Nobody reads this answer; the worker did nothing wrong.
    if (req.signal.aborted) return jsonError(499, "client_closed", "The client closed the request before the answer");
    stop(name, slot, `unreachable: ${(e as Error).message}`);
    return jsonError(502, "function_crashed", `Function ${name} ended while answering: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
    req.signal.removeEventListener("abort", clientGone);
  }
}

function handle(req: Request): Promise<Response> | Response {
  const url = new URL(req.url);
  if (url.pathname === "/_internal/health") {
    return Response.json({ running: [...slots.keys()].sort() });
  }
  const name = url.pathname.split("/")[1] ?? "";
  const entry = entryOf(name);
  if (!entry) return jsonError(404, "NOT_FOUND", "Requested function was not found");
  const slot = slots.get(name) ?? start(name, entry);
  return forward(name, slot, req, url.pathname + url.search);
}

/** During development: a change in a running function's folder restarts that function; a change to
 * what all functions share (_shared, deno.json, its lock file), every running one. */
async function reloadOnChange(): Promise<void> {
  const pending = new Set<string>();
  let all = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  for await (const event of Deno.watchFs(dir.pathname, { recursive: true })) {
    for (const path of event.paths) {
      const top = path.slice(dir.pathname.length).split("/")[0];
      if (slots.has(top)) pending.add(top);
      else if (top.startsWith("_") || top.startsWith("deno.")) all = true;
    }
    clearTimeout(timer);
    timer = setTimeout(() => {
      const names = all ? [...slots.keys()] : [...pending];
      pending.clear();
      all = false;
      for (const n of names) stop(n, slots.get(n), "source changed");
    }, 100);
  }
}

Deno.addSignalListener("SIGTERM", () => {
  try {
    for (const entry of Deno.readDirSync(socketDir)) if (entry.name.endsWith(".sock")) Deno.removeSync(`${socketDir}/${entry.name}`);
  } catch {
    /* already gone */
  }
  Deno.exit(0);
});
Deno.serve({ hostname: "127.0.0.1", port, onListen: ({ port }) => log(`listening on 127.0.0.1:${port}, functions in ${dir.pathname}${watch ? ", reloading on change" : ""}`) }, handle);
if (watch) reloadOnChange().catch((e) => log(`watching stopped: ${(e as Error).message}`));
