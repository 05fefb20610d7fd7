// Starts a fresh Docker-free stack for the suite and stops it afterwards; or, when SUPABASE_URL,
// SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY and SUPABASE_DB_URL are set (e.g. from
// `supabase status -o env`), runs against that stack instead (such as `supabase start`).
import type { TestProject } from "vitest/node";
import type { StackInfo } from "../stack/index.ts";

declare module "vitest" {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export default async function setup(project: TestProject) {
  const e = process.env;
  if (e.SUPABASE_URL && e.SUPABASE_ANON_KEY && e.SUPABASE_SERVICE_ROLE_KEY && e.SUPABASE_DB_URL) {
    project.provide("stack", {
      apiUrl: e.SUPABASE_URL,
      dbUrl: e.SUPABASE_DB_URL,
      mailUrl: e.SUPABASE_MAIL_URL ?? "http://127.0.0.1:54324",
      anonKey: e.SUPABASE_ANON_KEY,
      serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY,
      authServer: true,
      // supabase start has no stripe-mock: run one (`stripe-mock -http-port 12111`) and pass its URL and the functions' secret.
      stripe: {
        apiUrl: e.STRIPE_MOCK_URL ?? "http://127.0.0.1:12111",
        webhookSecret: e.STRIPE_WEBHOOK_SECRET ?? "",
        available: Boolean(e.STRIPE_MOCK_URL),
        unavailableReason: e.STRIPE_MOCK_URL ? undefined : "STRIPE_MOCK_URL is not set for this external stack",
      },
      // `supabase start` does not set GOTRUE_RATE_LIMIT_HEADER, so its Auth applies no per-IP limits.
      authRateLimitsPerIp: e.SUPABASE_AUTH_RATE_LIMITS_PER_IP === "1",
    });
    return;
  }
  const { rmSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  // A fresh data dir per run, apart from a developer's `npm run dev` state.
  const dir = join(tmpdir(), `memberbase-test-${process.pid}`);
  process.env.MEMBERBASE_STACK_DIR = dir;
  const { startStack, stopStack } = await import("../stack/index.ts");
  const { formatFootprint, measureFootprint } = await import("../stack/core/footprint.ts");
  const lines: string[] = [];
  // Line by line as it happens: a first start builds and downloads for a while, and says so.
  console.log("starting the stack:");
  try {
    project.provide("stack", await startStack({ tests: true, log: (l) => (lines.push(l), console.log(l)) }));
  } catch (err) {
    await stopStack();
    throw new Error(`${(err as Error).message}\n${lines.join("\n")}`);
  }
  return async () => {
    // "node" here is the vitest process itself, which hosts the gateway and the OIDC provider.
    console.log(`stack footprint after the suite: ${formatFootprint(measureFootprint())}`);
    await stopStack();
    rmSync(dir, { recursive: true, force: true });
  };
}
