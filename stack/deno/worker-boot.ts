// The first module of every function's worker (see functions-host.ts). It gives the function its
// own copy of the environment, turns the function's Deno.serve into a server on a Unix socket the
// host forwards to (no TCP port of its own: functions are reached only through the host), and tells the host when the function ends itself (Deno.exit), then imports the
// function. Each worker is its own V8 isolate: globals and module graph are never shared.

export type HostMessage =
  | { type: "listening" }
  | { type: "exit"; code: number };

export interface BootData {
  entry: string;
  /** Where this worker's Deno.serve listens. */
  socket: string;
  env: Record<string, string>;
}

type ServeHandler = (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Response | Promise<Response>;

const scope = globalThis as unknown as { postMessage(message: HostMessage): void; onmessage: ((e: MessageEvent<BootData>) => void) | null };

function post(message: HostMessage): void {
  scope.postMessage(message);
}

/** Deno.env (and node:process env, which reads through it) over this function's own copy. */
function ownEnv(initial: Record<string, string>): Deno.Env {
  const vars = new Map(Object.entries(initial));
  return {
    get: (key: string) => vars.get(key),
    set: (key: string, value: string) => void vars.set(key, String(value)),
    delete: (key: string) => void vars.delete(key),
    has: (key: string) => vars.has(key),
    toObject: () => Object.fromEntries(vars),
  };
}

function unhandled(error: unknown): Response {
  console.error(error);
  const name = (globalThis as unknown as { name: string }).name;
  const body = { error: { code: "function_error", message: `Function ${name} threw while answering (see the functions host's log)` } };
  return Response.json(body, { status: 500, headers: { "access-control-allow-origin": "*" } });
}

/** Deno.serve in any of its call shapes; the host decides where it listens. */
function hostedServe(realServe: typeof Deno.serve, socket: string): (...args: unknown[]) => Deno.HttpServer {
  let served = false;
  return (...args: unknown[]) => {
    const handler = (typeof args[0] === "function" ? args[0] : typeof args[1] === "function" ? args[1] : (args[0] as { handler?: ServeHandler })?.handler) as ServeHandler | undefined;
    const options = (typeof args[0] === "object" && args[0] !== null ? args[0] : {}) as Record<string, unknown> & { onError?: (error: unknown) => Response | Promise<Response> };
    if (!handler) throw new TypeError("Deno.serve needs a handler");
    if (served) throw new Error("Deno.serve was already called: an edge function serves once");
    served = true;
    const { port: _p, hostname: _h, onListen: _l, handler: _x, onError, ...rest } = options;
    return realServe({
      ...rest,
      transport: "unix",
      path: socket,
      onListen: () => post({ type: "listening" }),
      // A handler that throws: 500 in the host's one error shape (Deno.serve's own is plain text),
      // unless the function handles its errors itself.
      onError: onError ?? unhandled,
    } as Deno.ServeUnixOptions, handler as unknown as Deno.ServeHandler<Deno.UnixAddr>);
  };
}

scope.onmessage = async (event: MessageEvent<BootData>) => {
  scope.onmessage = null;
  const { entry, env, socket } = event.data;
  const realExit = Deno.exit;
  Object.defineProperty(Deno, "env", { value: ownEnv(env), writable: false, configurable: false });
  Object.defineProperty(Deno, "serve", { value: hostedServe(Deno.serve.bind(Deno), socket), writable: false, configurable: false });
  Object.defineProperty(Deno, "exit", {
    // The function's "process" is this worker: exiting ends it alone, and the host restarts it.
    value: (code = 0) => {
      post({ type: "exit", code });
      return realExit(code);
    },
    writable: false,
    configurable: false,
  });
  // A top-level throw rejects here and reaches the host as the worker's error event.
  await import(entry);
};
