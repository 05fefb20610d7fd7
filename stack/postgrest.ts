// PostgREST, when a `postgrest` binary is on PATH (no registry here serves one): connects as
// authenticator and switches role per request from the JWT, as on Supabase.
import { spawnSync, type ChildProcess } from "node:child_process";
import { jwtSecret, ports, toml } from "./config.ts";
import { httpOk, spawnLogged, stopChild, waitFor, type Service } from "./service.ts";

let child: ChildProcess | undefined;
export const postgrest = { available: false };

export const postgrestService: Service = {
  name: "postgrest",
  url: `http://127.0.0.1:${ports.rest}`,
  async start() {
    postgrest.available = spawnSync("postgrest", ["--version"]).status === 0;
    if (!postgrest.available) {
      this.detail = "OFF, no postgrest binary on PATH: /rest/v1 answers 503; no test skips (table access is tested in SQL as PostgREST runs it)";
      return;
    }
    const env = {
      PGRST_DB_URI: `postgresql://authenticator:postgres@127.0.0.1:${ports.db}/postgres`,
      PGRST_DB_SCHEMAS: (toml.api?.schemas ?? ["public"]).join(","),
      PGRST_DB_EXTRA_SEARCH_PATH: (toml.api?.extra_search_path ?? ["public", "extensions"]).join(","),
      PGRST_DB_ANON_ROLE: "anon",
      PGRST_DB_MAX_ROWS: String(toml.api?.max_rows ?? 1000),
      PGRST_JWT_SECRET: jwtSecret,
      PGRST_SERVER_HOST: "127.0.0.1",
      PGRST_SERVER_PORT: String(ports.rest),
      PGRST_ADMIN_SERVER_PORT: String(ports.rest + 1),
    };
    child = spawnLogged("postgrest", "postgrest", [], { env: { PATH: process.env.PATH ?? "", ...env } });
    await waitFor("postgrest", () => httpOk(`http://127.0.0.1:${ports.rest + 1}/ready`), 15000, child);
    this.detail = `PostgREST from PATH (${spawnSync("sh", ["-c", "command -v postgrest"], { encoding: "utf8" }).stdout.trim()})`;
  },
  async stop() {
    await stopChild(child);
    child = undefined;
  },
};
