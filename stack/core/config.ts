// Everything the stack needs to know, derived from supabase/config.toml so one file configures
// both `supabase start` and this stack. Ports and demo keys are the ones `supabase start` uses.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const stateDir = resolve(process.env.MEMBERBASE_STACK_DIR ?? join(root, ".stack"));
export const cacheDir = process.env.MEMBERBASE_CACHE_DIR ?? join(homedir(), ".cache", "memberbase");
export const supabaseDir = join(root, "supabase");
export const binDir = join(root, "node_modules", ".bin");
/** Debian keeps each PostgreSQL major apart; the stack wants 15's server and extensions. */
export const pgBinDir = process.env.MEMBERBASE_PG_BIN_DIR ?? "/usr/lib/postgresql/15/bin";
export const pgExtensionDir = process.env.MEMBERBASE_PG_EXTENSION_DIR ?? "/usr/share/postgresql/15/extension";
/** Where the extensions' shared libraries are (PostgreSQL's $libdir). */
export const pgLibDir = process.env.MEMBERBASE_PG_LIB_DIR ?? "/usr/lib/postgresql/15/lib";

/** The local demo JWT secret and keys printed by `supabase start` (HS256, expire in 2032). */
export const jwtSecret = "super-secret-jwt-token-with-at-least-32-characters-long";
export const anonKey =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";
export const serviceRoleKey =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU";

/** The new-style keys the pinned CLI (3.1.0) prints for a local project: opaque, not JWTs. */
export const publishableKey = "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH";
export const secretKey = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz";

/**
 * config.toml takes what differs between this machine and a hosted project from env(...), so
 * `supabase config push` sends a hosted project nothing local (docs/deploy.md, step 4). These are
 * the local values; the stack sets each one not already set, before the CLI or Auth reads them.
 */
export const localConfigEnv: Record<string, string> = {
  SITE_URL: "http://127.0.0.1:3000",
  AUTH_REDIRECT_URLS: "http://127.0.0.1:3000/**,http://localhost:3000/**",
  OIDC_ISSUER_URL: "http://127.0.0.1:54330",
  OIDC_CLIENT_ID: "memberbase-local",
  OIDC_REDIRECT_URI: "http://127.0.0.1:54321/auth/v1/callback",
};
for (const [name, value] of Object.entries(localConfigEnv)) process.env[name] ??= value;

type Toml = Record<string, any>;
export const toml: Toml = parse(readFileSync(join(supabaseDir, "config.toml"), "utf8")) as Toml;

/** Resolves config.toml's `env(NAME)` indirection the way the CLI does. */
export function tomlValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value);
  const m = /^env\((\w+)\)$/.exec(text);
  return m ? process.env[m[1]] : text;
}

/** MEMBERBASE_PORT_OFFSET shifts every port, so a second stack (say, a second work tree) can run beside the first. */
const offset = Number(process.env.MEMBERBASE_PORT_OFFSET ?? 0);
export const ports = {
  api: Number(toml.api?.port ?? 54321) + offset,
  db: Number(toml.db?.port ?? 54322) + offset,
  mail: Number(toml.local_smtp?.port ?? 54324) + offset,
  smtp: Number(toml.local_smtp?.smtp_port ?? 54325) + offset,
  // Internal ports (behind the gateway); supabase start keeps these inside Docker.
  auth: 54329 + offset,
  oidc: Number(new URL(tomlValue(toml.auth?.external?.keycloak?.url) ?? "http://127.0.0.1:54330").port) + offset,
  functions: 54340 + offset,
  stripe: 54360 + offset,
  rest: 54370 + offset,
};

export const apiUrl = `http://127.0.0.1:${ports.api}`;
/** Superuser URL (supabase_admin is the image's bootstrap superuser). */
export const adminDbUrl = `postgresql://supabase_admin:postgres@127.0.0.1:${ports.db}/postgres`;
/** What developers and the CLI use: role postgres, as on Supabase. */
export const dbUrl = `postgresql://postgres:postgres@127.0.0.1:${ports.db}/postgres`;
/** The CLI treats 127.0.0.1:<db.port> as its Docker database; 127.0.0.2 is the same server to it as a remote. */
export const cliDbUrl = `postgresql://postgres:postgres@127.0.0.2:${ports.db}/postgres`;

export interface FunctionConfig {
  name: string;
  verifyJwt: boolean;
}

/** Every function folder under supabase/functions, with verify_jwt from config.toml (default true). */
export function functionConfig(name: string): FunctionConfig {
  const section = toml.functions?.[name] ?? {};
  return { name, verifyJwt: section.verify_jwt !== false };
}
