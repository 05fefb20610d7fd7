// stripe-mock: Stripe's own mock of its API (Go), installed once with `go install` into the cache
// dir and started on ports.stripe. It is stateless (answers from the OpenAPI fixtures), so billing
// state lives in our tables and tests move it with signed webhook events. Without Go the service
// says so on its progress line and the Stripe-dependent tests report themselves skipped.
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, ports, toml, tomlValue } from "../core/config.ts";
import { runAsync, runs } from "../core/run-async.ts";
import { portOpen, preparation, spawnLogged, stopChild, waitFor, type Service } from "../core/service.ts";
import { localSecrets } from "../../supabase/functions/_shared/local-secrets.ts";

export const stripeMockVersion = "v0.203.0";
const installDir = join(cacheDir, `stripe-mock-${stripeMockVersion}`);
const binary = join(installDir, "stripe-mock");

/** Test values for the function secrets when neither the environment nor supabase/functions/.env sets them. */
export const stripeTestSecrets = {
  STRIPE_SECRET_KEY: "sk_test_memberbaseLocalKey",
  STRIPE_WEBHOOK_SECRET: localSecrets.STRIPE_WEBHOOK_SECRET, // refused by a deployed function
};

export interface StripeAvailability {
  mock: boolean;
  reason?: string;
  /** True when this start had to `go install` it. */
  installed?: boolean;
}
export const stripeAvailability: StripeAvailability = { mock: false };

/** Installs stripe-mock once, as a child process (the stack's event loop keeps running); returns why it could not. */
export async function installStripeMock(note: (line: string) => void = () => {}): Promise<StripeAvailability> {
  if (existsSync(binary)) return { mock: true };
  if (!(await runs("go", ["version"]))) return { mock: false, reason: "Go is not installed (needed once to `go install` stripe-mock)" };
  note(`building stripe-mock ${stripeMockVersion} once into ${installDir} (~40 s)…`);
  mkdirSync(installDir, { recursive: true });
  const r = await runAsync("go", ["install", `github.com/stripe/stripe-mock@${stripeMockVersion}`], {
    env: { ...process.env, GOBIN: installDir, GOTOOLCHAIN: "local", CGO_ENABLED: "0" },
  });
  if (r.status !== 0 || !existsSync(binary)) return { mock: false, reason: `go install stripe-mock@${stripeMockVersion}: ${(r.stderr || r.stdout).trim().split("\n").pop()}` };
  return { mock: true, installed: true };
}

/**
 * The Stripe part of the functions' environment — the one place to change when functions are
 * hosted differently: config.toml's [edge_runtime.secrets] (env() resolved, test values as the
 * fallback) and where the SDK finds the API (stripe-mock here; unset on hosted Supabase, so the
 * SDK talks to api.stripe.com).
 */
export function stripeFunctionEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(toml.edge_runtime?.secrets ?? {})) {
    const resolved = tomlValue(value) ?? stripeTestSecrets[name as keyof typeof stripeTestSecrets];
    if (resolved !== undefined) env[name] = resolved;
  }
  return { ...env, STRIPE_API_HOST: "127.0.0.1", STRIPE_API_PORT: String(ports.stripe), STRIPE_API_PROTOCOL: "http" };
}

let child: ChildProcess | undefined;
const install = preparation(async (note) => void Object.assign(stripeAvailability, await installStripeMock(note)));

export const stripeService: Service = {
  name: "stripe",
  url: `http://127.0.0.1:${ports.stripe}`,
  prepare: (note) => install.run(note),
  async start() {
    await install.run();
    if (!stripeAvailability.mock) {
      this.detail = `stripe-mock off: ${stripeAvailability.reason}; billing functions answer 503 stripe_unavailable`;
      return;
    }
    // Its HTTPS listener (unused here) would otherwise take :12112 on every interface: a second stack
    // could not start, and the mock would be reachable from off the machine. Loopback, any free port.
    child = spawnLogged("stripe-mock", binary, ["-http-addr", `127.0.0.1:${ports.stripe}`, "-https-addr", "127.0.0.1:"]);
    await waitFor("stripe-mock", () => portOpen(ports.stripe), undefined, child);
    this.detail = `stripe-mock ${stripeMockVersion}${stripeAvailability.installed ? `, just built with go install into ${installDir}` : ""}`;
  },
  async stop() {
    await stopChild(child);
    child = undefined;
    install.reset();
  },
};
