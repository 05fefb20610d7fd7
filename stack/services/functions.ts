// Real Deno serving the functions of supabase/functions as Supabase's edge runtime does: one host
// process (stack/deno/functions-host.ts), each function in its own isolated worker, started on its
// first request. The gateway verifies JWTs before forwarding (see gateway.ts).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { once } from "node:events";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { anonKey, apiUrl, binDir, cacheDir, dbUrl, functionConfig, jwtSecret, ports, publishableKey, root, secretKey, serviceRoleKey, stateDir, supabaseDir, toml, tomlValue, type FunctionConfig } from "../core/config.ts";
import { runAsync } from "../core/run-async.ts";
import { httpOk, portOpen, preparation, spawnLogged, StackError, stopChild, waitFor, type Service } from "../core/service.ts";
import { stripeFunctionEnv } from "./stripe.ts";
import { localSecrets } from "../../supabase/functions/_shared/local-secrets.ts";

export const functionsDir = join(supabaseDir, "functions");

/** Function folders: every directory with an index.ts, except _shared and the like. */
export function functionNames(dir = functionsDir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("_") && !d.name.startsWith(".") && existsSync(join(dir, d.name, "index.ts")))
    .map((d) => d.name)
    .sort();
}

/** The function's config (verify_jwt) when `name` is a function folder now; new folders count at once. */
export function findFunction(name: string): FunctionConfig | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name) || !existsSync(join(functionsDir, name, "index.ts"))) return undefined;
  return functionConfig(name);
}

/** The functions' SMTP timeout on this stack (SMTP_TIMEOUT_MS; 15 s when unset, as on hosted). */
export const localSmtpTimeoutMs = 5000;

/** supabase/functions/.env, as the CLI passes it to the edge runtime. */
function dotEnv(): Record<string, string> {
  const file = join(functionsDir, ".env");
  if (!existsSync(file)) return {};
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) env[m[1]] = m[2].replace(/^(['"])(.*)\1$/, "$2");
  }
  return env;
}

/** The one place a function's environment is assembled: what the edge runtime gives every function
 * (URL, keys, database), our local service endpoints, then supabase/functions/.env, which wins. */
export function functionEnv(): Record<string, string> {
  return {
    SUPABASE_URL: apiUrl,
    SUPABASE_ANON_KEY: anonKey,
    SUPABASE_SERVICE_ROLE_KEY: serviceRoleKey,
    // The new API keys, as JSON objects of named keys (the edge runtime's names and shape).
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: publishableKey }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: secretKey }),
    SUPABASE_DB_URL: dbUrl,
    // The key set functions verify access tokens with (_shared/jwt.ts), as the edge runtime provides
    // it: the CLI gives the legacy JWT secret as an `oct` JWK.
    SUPABASE_JWKS: JSON.stringify({ keys: [{ kty: "oct", k: Buffer.from(jwtSecret).toString("base64url") }] }),
    ...stripeFunctionEnv(), // Stripe keys and API location: the one place, see stack/services/stripe.ts
    // --- send-notifications: SMTP to this stack's MailDev, and a local signing secret for its
    // unsubscribe links (hosted: `supabase secrets set SMTP_HOST=... SMTP_PORT=465 NOTIFICATIONS_SIGNING_SECRET=... SITE_URL=...`).
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: String(ports.smtp),
    // MailDev is on this machine: a reply later than this is a stall (tests stall it on purpose).
    SMTP_TIMEOUT_MS: String(localSmtpTimeoutMs),
    NOTIFICATIONS_SIGNING_SECRET: localSecrets.NOTIFICATIONS_SIGNING_SECRET, // refused by a deployed function
    // The app, where an unsubscribe link's GET lands (config.toml's [auth] site_url, as for Auth's mails).
    SITE_URL: tomlValue(toml.auth?.site_url) ?? "http://127.0.0.1:3000",
    // ---
    ...dotEnv(),
  };
}

/** Where the host answers /<name>/...; the gateway's /functions/v1/<name> forwards here. */
export function functionUrl(name: string): string {
  return `http://127.0.0.1:${ports.functions}/${name}`;
}

export interface HostOptions {
  dir: string;
  port: number;
  /** Restart a function's worker when its files change (`npm run dev`). */
  watch?: boolean;
  /** Each function's environment (on top of this process's, as the CLI passes its own). */
  env: Record<string, string>;
  /** Bound on a worker's boot and on each response's headers; the edge runtime's wall clock is 150 s. */
  timeoutMs?: number;
  logName?: string;
  /** Tests: run the host with this file as its /etc/resolv.conf, in a mount namespace of its own
   * (`unshare`; root only), e.g. naming a name server that never answers. */
  resolvConf?: string;
}

/** Where the functions' Deno keeps its module cache (npm packages of deno.json's imports). */
const denoDir = join(cacheDir, "deno");

/** Fills Deno's module cache with every function's imports, as a child process, so the first request
 * to a function on a new machine loads from disk instead of downloading inside its boot. */
async function cacheFunctionModules(note: (line: string) => void): Promise<void> {
  if (!existsSync(denoDir)) note(`downloading the functions' npm modules once into ${denoDir}…`);
  const entries = functionNames().map((name) => join(functionsDir, name, "index.ts"));
  const r = await runAsync(join(binDir, "deno"), ["install", "--config", join(functionsDir, "deno.json"), "--entrypoint", ...entries, ...["functions-host.ts", "worker-boot.ts"].map((f) => join(root, "stack", "deno", f))], {
    env: { ...process.env, DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  });
  // Not fatal: the host still loads (and downloads) what a worker needs on its first request.
  if (r.status !== 0) note(`could not fill Deno's module cache (functions download on first request): ${(r.error?.message ?? r.stderr).trim().split("\n").pop()}`);
}

/** Starts a functions host and waits until it answers. */
export async function startFunctionsHost(opts: HostOptions): Promise<ChildProcess> {
  // Another process answering there would pass for this host's health check.
  if (await portOpen(opts.port)) throw new StackError(`port ${opts.port} (functions host) is already in use; stop what holds it`);
  // Workers listen on Unix sockets here (short: a socket path has ~100 bytes at most).
  const sockets = mkdtempSync(join(tmpdir(), "memberbase-fn-"));
  const args = ["run", "--allow-net", "--allow-env", "--allow-read", `--allow-write=${sockets}`, "--no-prompt", "--config", join(functionsDir, "deno.json"), join(root, "stack", "deno", "functions-host.ts"), "--dir", opts.dir, "--port", String(opts.port), "--sockets", sockets];
  if (opts.watch) args.push("--watch");
  const deno = join(binDir, "deno");
  // The resolver file only for this process: a private mount namespace, the file bound over
  // /etc/resolv.conf, then exec (unshare and sh exec too, so the child's pid is Deno's).
  const [cmd, cmdArgs] = opts.resolvConf
    ? ["unshare", ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"', opts.resolvConf, deno, ...args]]
    : [deno, args];
  const child = spawnLogged(opts.logName ?? "functions", cmd, cmdArgs, {
    env: {
      ...process.env, // proxies and CA bundles of this machine reach Deno's npm fetches
      DENO_DIR: denoDir,
      DENO_NO_UPDATE_CHECK: "1",
      NO_COLOR: "1", // plain text in the log
      ...(opts.timeoutMs ? { MEMBERBASE_FUNCTION_TIMEOUT_MS: String(opts.timeoutMs) } : {}),
      ...opts.env,
    },
  });
  child.once("exit", () => rmSync(sockets, { recursive: true, force: true }));
  try {
    await waitFor("functions host", () => httpOk(`http://127.0.0.1:${opts.port}/_internal/health`), 60000, child);
  } catch (e) {
    await stopChild(child);
    // Say why here: a test run's log directory is gone by the time anyone reads the error.
    await Promise.race([once(child, "close"), new Promise((r) => setTimeout(r, 1000))]);
    await new Promise((r) => setTimeout(r, 100)); // the log file's write stream flushes after the pipe closes
    const log = join(stateDir, "logs", `${opts.logName ?? "functions"}.log`);
    const tail = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").slice(-5).join("\n") : "";
    throw new StackError(`${(e as Error).message}${tail ? `\n${tail}` : ""}`);
  }
  return child;
}

/** How the stack's functions host is kept up: restarted when it dies, after a growing pause. */
export interface SupervisorOptions {
  /** Where "functions host exited ..., restarting in N ms" goes (`npm run dev` prints it). */
  log?: (line: string) => void;
  /** First pause before a restart; doubled for each death that follows a short life, up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A host that ran this long before dying starts the pauses afresh. */
  stableMs?: number;
}

/**
 * One supervised functions host: a death this side did not ask for (a crash, an OOM kill, kill -9)
 * is logged and followed by a restart after a backoff (250 ms, 500 ms, ... up to 30 s while it keeps
 * dying young), so every function answers again without anyone noticing the stack is half down.
 */
export class FunctionsSupervisor {
  private child: ChildProcess | undefined;
  private stopping = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private starting: Promise<void> | undefined;
  private failures = 0;
  /** Restarts so far (for the progress line and tests). */
  restarts = 0;

  constructor(private readonly host: HostOptions, private readonly opts: SupervisorOptions = {}) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.launch();
  }

  private async launch(): Promise<void> {
    const child = await startFunctionsHost(this.host);
    if (this.stopping) return void (await stopChild(child));
    this.child = child;
    const startedAt = Date.now();
    child.once("exit", (code, signal) => {
      if (this.stopping || this.child !== child) return; // asked to stop: no restart
      this.child = undefined;
      if (Date.now() - startedAt >= (this.opts.stableMs ?? 60_000)) this.failures = 0;
      this.scheduleRestart(signal ? `signal ${signal}` : `code ${code}`);
    });
  }

  private scheduleRestart(why: string): void {
    const min = this.opts.minBackoffMs ?? 250;
    const delay = Math.min(this.opts.maxBackoffMs ?? 30_000, min * 2 ** this.failures++);
    this.log(`functions host exited (${why}), restarting in ${delay} ms`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.starting = this.launch().then(
        () => {
          this.restarts++;
          if (this.child) this.log(`functions host restarted (pid ${this.child.pid}, restart ${this.restarts})`);
        },
        (e) => {
          if (!this.stopping) this.scheduleRestart(`failed to start again: ${(e as Error).message.split("\n")[0]}`);
        },
      );
    }, delay);
    this.timer.unref?.();
  }

  private log(line: string): void {
    (this.opts.log ?? ((l: string) => console.error(l)))(line);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.starting?.catch(() => {});
    await stopChild(this.child);
    this.child = undefined;
  }
}

/** Set by `npm run dev` before the stack starts: hot reload of changed functions. */
export const functionsOptions: { watch: boolean; log?: (line: string) => void } = { watch: false };
let supervisor: FunctionsSupervisor | undefined;
const modules = preparation(cacheFunctionModules);

export const functionsService: Service = {
  name: "functions",
  url: `${apiUrl}/functions/v1/<name>`,
  prepare: (note) => modules.run(note),
  async start() {
    await modules.run();
    const log = functionsOptions.log ?? ((line: string) => console.log(`  functions  ${line}`));
    supervisor = new FunctionsSupervisor({ dir: functionsDir, port: ports.functions, watch: functionsOptions.watch, env: functionEnv() }, { log });
    await supervisor.start();
    const names = functionNames();
    this.detail = `one Deno host, supervised (restarted when it dies), a worker per function on first request${functionsOptions.watch ? ", reloaded on change" : ""}: ${names.join(", ") || "none"}`;
  },
  async stop() {
    await supervisor?.stop();
    supervisor = undefined;
    modules.reset();
  },
};
