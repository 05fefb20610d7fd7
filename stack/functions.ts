// Real Deno serving each function of supabase/functions, one process per function as the edge
// runtime isolates them. The gateway verifies JWTs before forwarding (see gateway.ts).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { anonKey, apiUrl, binDir, cacheDir, dbUrl, functionConfig, jwtSecret, ports, serviceRoleKey, supabaseDir, type FunctionConfig } from "./config.ts";
import { portOpen, spawnLogged, stopChild, waitFor, type Service } from "./service.ts";
import { stripeFunctionEnv } from "./stripe.ts";

const functionsDir = join(supabaseDir, "functions");

export interface RunningFunction extends FunctionConfig {
  port: number;
}

/** Function folders: every directory with an index.ts, except _shared and the like. */
export function functionNames(): string[] {
  return readdirSync(functionsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("_") && !d.name.startsWith(".") && existsSync(join(functionsDir, d.name, "index.ts")))
    .map((d) => d.name)
    .sort();
}

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

export const running = new Map<string, RunningFunction>();
const children: ChildProcess[] = [];

export const functionsService: Service = {
  name: "functions",
  url: `${apiUrl}/functions/v1/<name>`,
  async start() {
    const names = functionNames();
    const env = {
      ...process.env, // proxies and CA bundles of this machine reach Deno's npm fetches
      DENO_DIR: join(cacheDir, "deno"),
      DENO_NO_UPDATE_CHECK: "1",
      SUPABASE_URL: apiUrl,
      SUPABASE_ANON_KEY: anonKey,
      SUPABASE_SERVICE_ROLE_KEY: serviceRoleKey,
      SUPABASE_DB_URL: dbUrl,
      // The key set functions verify access tokens with (_shared/jwt.ts), as the edge runtime provides
      // it: the CLI gives the legacy JWT secret as an `oct` JWK.
      SUPABASE_JWKS: JSON.stringify({ keys: [{ kty: "oct", k: Buffer.from(jwtSecret).toString("base64url") }] }),
      ...stripeFunctionEnv(), // Stripe keys and API location: the one place, see stack/stripe.ts
      ...dotEnv(),
    };
    await Promise.all(
      names.map(async (name, i) => {
        const fn: RunningFunction = { ...functionConfig(name), port: ports.functionsBase + i };
        const args = ["run", "--allow-net", "--allow-env", "--allow-read", "--no-prompt", "--config", join(functionsDir, "deno.json"), join(functionsDir, name, "index.ts")];
        const child = spawnLogged(`fn-${name}`, join(binDir, "deno"), args, { env: { ...env, DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${fn.port}` } });
        children.push(child);
        await waitFor(`function ${name}`, () => portOpen(fn.port), 60000, child);
        running.set(name, fn);
      }),
    );
    this.detail = `deno: ${names.join(", ") || "none"}`;
  },
  async stop() {
    await Promise.all(children.splice(0).map((c) => stopChild(c)));
    running.clear();
  },
};
