// Starts the stack's services in dependency order, one progress line each; stops them in reverse.
import { anonKey, apiUrl, dbUrl, ports, serviceRoleKey } from "./core/config.ts";
import { postgresService } from "./services/postgres.ts";
import { platformService } from "./platform/bootstrap.ts";
import { authService, availability } from "./services/auth.ts";
import { migrationsService } from "./services/migrations.ts";
import { mailService } from "./services/mail.ts";
import { oidcService } from "./services/oidc.ts";
import { functionsService } from "./services/functions.ts";
import { gatewayService } from "./services/gateway.ts";
import { pgNetWorkerService } from "./platform/pg-net-worker.ts";
import { postgrestService } from "./services/postgrest.ts";
import { formatFootprint, measureFootprint } from "./core/footprint.ts";
import { ensurePrerequisites, optionalNotes } from "./core/prerequisites.ts";
import type { Service } from "./core/service.ts";
import { stripeAvailability, stripeFunctionEnv, stripeService } from "./services/stripe.ts";
import { claimDataDir, releaseDataDir } from "./lifecycle.ts";

/** Dependency order: mail and the OIDC provider before Auth (it sends mail and calls the provider). */
export const services: Service[] = [postgresService, platformService, mailService, oidcService, authService, migrationsService, postgrestService, stripeService, functionsService, gatewayService, pgNetWorkerService];
/** Services that need nothing from the others to start: they start alongside the rest, which
 * shortens a cold start; every one is up before the gateway opens the stack to clients. */
const independent = new Set<Service>([mailService, oidcService, stripeService, functionsService]);
const started: Service[] = [];

export interface StackInfo {
  apiUrl: string;
  dbUrl: string;
  mailUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  authServer: boolean;
  authUnavailableReason?: string;
  /** stripe-mock's URL and the webhook signing secret the functions verify with; reason when stripe-mock is off. */
  stripe: { apiUrl: string; webhookSecret: string; available: boolean; unavailableReason?: string };
  /** Auth limits requests per client IP (the Docker-free stack's gateway passes it in X-Forwarded-For). */
  authRateLimitsPerIp?: boolean;
}

/** `tests`: the test suite's run, which also needs what only the tests use (prerequisites.ts). */
export async function startStack(opts: { log?: (line: string) => void; tests?: boolean } = {}): Promise<StackInfo> {
  const log = opts.log ?? (() => {});
  // Installs missing Debian packages where it may, else stops with what to run, before anything of
  // the stack exists (no data dir, no lock); it touches nothing a running stack owns.
  await ensurePrerequisites({ log, tests: opts.tests });
  // Then: a second start from this data dir stops here, having touched nothing of the running one.
  await claimDataDir((line) => log(`  ${line}`));
  const t0 = performance.now();
  for (const note of optionalNotes()) log(`  note: ${note}`);
  // One-time builds and downloads (stripe-mock, Auth, Deno's modules) begin now, all at once, as
  // child processes; each service's start() awaits its own, and its readiness clock starts after.
  const note = (line: string) => log(`  ${"".padEnd(10)} ${line}`);
  const preparing = new Map(services.map((s) => [s, (s.prepare?.(note) ?? Promise.resolve()).catch((e: unknown) => e)]));
  const startOne = async (s: Service) => {
    const prepared = await preparing.get(s);
    if (prepared instanceof Error) throw prepared;
    const t = performance.now();
    try {
      await s.start();
    } catch (e) {
      await s.stop().catch(() => {}); // a half-started service (say, a cluster that came up on the wrong port) must not outlive us
      throw e;
    }
    started.push(s);
    const ms = Math.round(performance.now() - t);
    log(`  ${s.name.padEnd(10)} ${s.url.padEnd(44)} ${String(ms).padStart(6)} ms${s.detail ? `  (${s.detail})` : ""}`);
  };
  // Settled from the start: one that fails while the chain still runs is no unhandled rejection.
  const alongside = Promise.allSettled(services.filter((s) => independent.has(s)).map(startOne));
  // The gateway opens the stack to clients, and pg_net's stand-in worker posts the scheduled calls through it: both last.
  const last = [gatewayService, pgNetWorkerService];
  const chain = services.filter((s) => !independent.has(s) && !last.includes(s));
  let failure: unknown;
  try {
    for (const s of chain) await startOne(s);
  } catch (e) {
    failure = e;
  }
  // Whatever happened, wait for the others: a failed start is stopped by the caller (stopStack).
  const others = await alongside;
  if (failure) throw failure;
  for (const r of others) if (r.status === "rejected") throw r.reason;
  for (const s of last) await startOne(s);
  log(`  ${"ready".padEnd(10)} ${"".padEnd(44)} ${String(Math.round(performance.now() - t0)).padStart(6)} ms  (${formatFootprint(measureFootprint())})`);
  return info();
}

/** Stops every started service at once: a parent that gives us only a moment (an npm or timeout
 * wrapper passing on Ctrl-C) must not leave the Postgres cluster, which lives on its own, behind.
 * Then frees the data dir (a no-op for a start that was refused: the dir is the running stack's). */
export async function stopStack(): Promise<void> {
  const stopping = started.splice(0).reverse();
  await Promise.all(
    stopping.map((s) =>
      s.stop().catch((e) => console.error(`stopping ${s.name}: ${(e as Error).message}`)),
    ),
  );
  releaseDataDir();
}

export function info(): StackInfo {
  return {
    apiUrl,
    dbUrl,
    mailUrl: `http://127.0.0.1:${ports.mail}`,
    anonKey,
    serviceRoleKey,
    authServer: availability.server,
    authUnavailableReason: availability.reason,
    stripe: {
      apiUrl: `http://127.0.0.1:${ports.stripe}`,
      webhookSecret: stripeFunctionEnv().STRIPE_WEBHOOK_SECRET,
      available: stripeAvailability.mock,
      unavailableReason: stripeAvailability.reason,
    },
    authRateLimitsPerIp: availability.server,
  };
}

export function summary(): string {
  const i = info();
  return [
    "",
    `         API URL: ${i.apiUrl}`,
    `          DB URL: ${i.dbUrl}`,
    `  Mail (maildev): ${i.mailUrl}`,
    `        anon key: ${i.anonKey}`,
    `service_role key: ${i.serviceRoleKey}`,
    i.authServer ? "" : `\n  Auth API unavailable: ${i.authUnavailableReason?.split("\n")[0]}`,
    "Press Ctrl-C to stop.",
  ].join("\n");
}
