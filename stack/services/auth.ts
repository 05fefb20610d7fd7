// Supabase Auth: the real Go server, built once from the Go module proxy into a cache dir outside
// the repo. It runs its own migrations. Where it cannot be built (the proxy refuses the module on
// some machines), the auth schema comes from the Supabase CLI's snapshot and the Auth API answers
// 503 at the gateway, so the database, RLS and functions still run and Auth-flow tests say why they skip.
import { cp } from "node:fs/promises";
import { existsSync, mkdirSync, mkdtempSync, rmSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminDbUrl, apiUrl, cacheDir, jwtSecret, ports, stateDir, toml, tomlValue } from "../core/config.ts";
import { applyAuthSchemaSnapshot } from "./auth-schema.ts";
import { runAsync, runs } from "../core/run-async.ts";
import { httpOk, preparation, spawnLogged, stopChild, waitFor, type Service } from "../core/service.ts";
import { testsSkippedWithout } from "../core/skips.ts";
import type { ChildProcess } from "node:child_process";

/** Release v2.196.0 of github.com/supabase/auth (its path has no /v2, so the proxy serves it by commit). */
export const authCommit = "0204331ca41a5b49f076b6fa3dc6c0d20b996590";
export const authBinary = process.env.MEMBERBASE_AUTH_BIN ?? join(cacheDir, `auth-${authCommit.slice(0, 12)}`);

export interface AuthAvailability {
  server: boolean;
  reason?: string;
}

/** Builds the Auth server once (see RESEARCH.md for why go install cannot), as child processes (the
 * stack's event loop keeps running). Returns why it could not. */
export async function buildAuth(note: (line: string) => void = () => {}): Promise<AuthAvailability> {
  if (existsSync(authBinary)) return { server: true };
  if (!(await runs("go", ["version"]))) return { server: false, reason: "Go is not installed (need Go >= 1.26 to build Supabase Auth)" };
  const work = mkdtempSync(join(tmpdir(), "auth-build-"));
  const go = (args: string[], cwd = work) => runAsync("go", args, { cwd, env: { ...process.env, GOTOOLCHAIN: "local", CGO_ENABLED: "0", GOFLAGS: "-mod=mod" } });
  try {
    const dl = await go(["mod", "download", "-json", `github.com/supabase/auth@${authCommit}`]);
    const info = JSON.parse(dl.stdout || "{}");
    if (!info.Dir) {
      const error = String(info.Error ?? dl.stderr);
      const refused = /(\d{3} [A-Za-z ]+)\s+server response: (.*)/.exec(error);
      return { server: false, reason: `go mod download github.com/supabase/auth@${authCommit.slice(0, 12)}: ${refused ? `${refused[1]} (${refused[2].trim()})` : error.trim()}` };
    }
    note(`building Supabase Auth ${authCommit.slice(0, 12)} once into ${cacheDir} (a few minutes)…`);
    const src = join(work, "auth");
    await cp(info.Dir, src, { recursive: true });
    await runAsync("chmod", ["-R", "u+w", src]);
    for (const args of [["mod", "edit", "-dropreplace", "github.com/joho/godotenv"], ["get", "github.com/joho/godotenv@v1.5.1"]]) {
      const r = await go(args, src);
      if (r.status !== 0) return { server: false, reason: `go ${args.join(" ")}: ${r.stderr}` };
    }
    mkdirSync(cacheDir, { recursive: true });
    const b = await go(["build", "-trimpath", "-o", authBinary, "."], src);
    if (b.status !== 0) return { server: false, reason: `go build: ${b.stderr}` };
    chmodSync(authBinary, 0o755);
    return { server: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** config.toml's password_requirements as Auth's character sets (the Supabase CLI's mapping). */
function requiredCharacters(requirement: unknown): string {
  const lower = "abcdefghijklmnopqrstuvwxyz";
  const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const digits = "0123456789";
  switch (requirement ?? "") {
    case "":
      return "";
    case "letters_digits":
      return `${lower}${upper}:${digits}`;
    case "lower_upper_letters_digits":
      return `${lower}:${upper}:${digits}`;
    case "lower_upper_letters_digits_symbols":
      return `${lower}:${upper}:${digits}:!@#$%^&*()_+-=[]{};'"|<>?,./~`;
    default:
      throw new Error(`config.toml: unknown auth.password_requirements ${JSON.stringify(requirement)}`);
  }
}

/** The Auth server's environment, translated from config.toml. */
export function authEnv(): Record<string, string> {
  const a = toml.auth ?? {};
  const email = a.email ?? {};
  const totp = a.mfa?.totp ?? {};
  const kc = a.external?.keycloak ?? {};
  const hook = a.hook?.custom_access_token ?? {};
  const rl = a.rate_limit ?? {};
  const env: Record<string, string> = {
    GOTRUE_DB_DRIVER: "postgres",
    GOTRUE_DB_DATABASE_URL: `postgresql://supabase_auth_admin:postgres@127.0.0.1:${ports.db}/postgres`,
    GOTRUE_API_HOST: "127.0.0.1",
    GOTRUE_API_PORT: String(ports.auth),
    API_EXTERNAL_URL: `${apiUrl}/auth/v1`,
    GOTRUE_SITE_URL: tomlValue(a.site_url) ?? "",
    GOTRUE_URI_ALLOW_LIST: ((a.additional_redirect_urls ?? []) as unknown[]).map((u) => tomlValue(u) ?? "").join(","),
    GOTRUE_DISABLE_SIGNUP: String(a.enable_signup === false),
    GOTRUE_JWT_SECRET: jwtSecret,
    GOTRUE_JWT_EXP: String(a.jwt_expiry ?? 3600),
    GOTRUE_JWT_AUD: "authenticated",
    GOTRUE_JWT_DEFAULT_GROUP_NAME: "authenticated",
    GOTRUE_JWT_ADMIN_ROLES: "service_role",
    GOTRUE_JWT_ISSUER: `${apiUrl}/auth/v1`,
    GOTRUE_PASSWORD_MIN_LENGTH: String(a.minimum_password_length ?? 6),
    GOTRUE_PASSWORD_REQUIRED_CHARACTERS: requiredCharacters(a.password_requirements),
    GOTRUE_SECURITY_REFRESH_TOKEN_ROTATION_ENABLED: String(a.enable_refresh_token_rotation !== false),
    GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL: String(a.refresh_token_reuse_interval ?? 10),
    GOTRUE_SECURITY_MANUAL_LINKING_ENABLED: String(a.enable_manual_linking === true),
    GOTRUE_EXTERNAL_EMAIL_ENABLED: String(email.enable_signup !== false && email.enabled !== false),
    GOTRUE_MAILER_AUTOCONFIRM: String(email.enable_confirmations === false),
    GOTRUE_MAILER_SECURE_EMAIL_CHANGE_ENABLED: String(email.double_confirm_changes !== false),
    GOTRUE_SECURITY_UPDATE_PASSWORD_REQUIRE_REAUTHENTICATION: String(email.secure_password_change === true),
    GOTRUE_MAILER_OTP_LENGTH: String(email.otp_length ?? 6),
    GOTRUE_MAILER_OTP_EXP: String(email.otp_expiry ?? 3600),
    GOTRUE_SMTP_HOST: "127.0.0.1",
    GOTRUE_SMTP_PORT: String(ports.smtp),
    GOTRUE_SMTP_ADMIN_EMAIL: "admin@memberbase.local",
    // How soon the same address may get another confirmation / recovery / reauthentication mail.
    GOTRUE_SMTP_MAX_FREQUENCY: String(email.max_frequency ?? "1m"),
    GOTRUE_MAILER_URLPATHS_CONFIRMATION: "/auth/v1/verify",
    GOTRUE_MAILER_URLPATHS_RECOVERY: "/auth/v1/verify",
    GOTRUE_MAILER_URLPATHS_INVITE: "/auth/v1/verify",
    GOTRUE_MAILER_URLPATHS_EMAIL_CHANGE: "/auth/v1/verify",
    // As `supabase start`: [auth.rate_limit] email_sent binds only a real SMTP server ([auth.email.smtp]);
    // the local mail catcher takes everything.
    GOTRUE_RATE_LIMIT_EMAIL_SENT: String(email.smtp?.enabled ? (rl.email_sent ?? 30) : 360000),
    // Per client IP, which Auth reads from this header; the gateway sets it from the socket (stack/services/gateway.ts).
    GOTRUE_RATE_LIMIT_HEADER: "X-Forwarded-For",
    GOTRUE_RATE_LIMIT_OTP: String(rl.sign_in_sign_ups ?? 30), // sign-ups, recover, resend, OTP, user updates
    GOTRUE_RATE_LIMIT_TOKEN_REFRESH: String(rl.token_refresh ?? 150), // every POST /token: password sign-in and refresh
    GOTRUE_RATE_LIMIT_VERIFY: String(rl.token_verifications ?? 30),
    GOTRUE_RATE_LIMIT_ANONYMOUS_USERS: String(rl.anonymous_users ?? 30),
    GOTRUE_MFA_MAX_ENROLLED_FACTORS: String(a.mfa?.max_enrolled_factors ?? 10),
    GOTRUE_MFA_TOTP_ENROLL_ENABLED: String(totp.enroll_enabled === true),
    GOTRUE_MFA_TOTP_VERIFY_ENABLED: String(totp.verify_enabled === true),
    GOTRUE_EXTERNAL_ANONYMOUS_USERS_ENABLED: String(a.enable_anonymous_sign_ins === true),
    GOTRUE_EXTERNAL_KEYCLOAK_ENABLED: String(kc.enabled === true),
    GOTRUE_EXTERNAL_KEYCLOAK_CLIENT_ID: tomlValue(kc.client_id) ?? "",
    // The local provider takes any client secret; Auth needs one to enable the provider.
    GOTRUE_EXTERNAL_KEYCLOAK_SECRET: tomlValue(kc.secret) || "memberbase-local-oidc-secret",
    GOTRUE_EXTERNAL_KEYCLOAK_URL: `http://127.0.0.1:${ports.oidc}`, // config.toml's url, moved by any port offset
    GOTRUE_EXTERNAL_KEYCLOAK_REDIRECT_URI: `${apiUrl}/auth/v1/callback`,
  };
  if (hook.enabled) {
    env.GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_ENABLED = "true";
    env.GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI = String(hook.uri);
  }
  return env;
}

/** Auth's own migrations (`auth migrate`) into the database at `authAdminUrl` (as
 * supabase_auth_admin, as hosted Auth connects), without starting the server. */
export async function migrateAuthSchema(authAdminUrl: string): Promise<void> {
  const cwd = mkdtempSync(join(tmpdir(), "auth-migrate-")); // a directory without a .env: Auth would read one
  try {
    const r = await runAsync(authBinary, ["migrate"], { cwd, env: { PATH: process.env.PATH ?? "", ...authEnv(), GOTRUE_DB_DATABASE_URL: authAdminUrl } });
    if (r.status !== 0) throw new Error(`auth migrate exited with ${r.status}: ${r.error?.message ?? ""}${r.stderr}`);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

let child: ChildProcess | undefined;
export const availability: AuthAvailability = { server: false };
const build = preparation(async (note) => void Object.assign(availability, await buildAuth(note)));

export const authService: Service = {
  name: "auth",
  url: `http://127.0.0.1:${ports.auth}`,
  prepare: (note) => build.run(note),
  async start() {
    await build.run();
    if (!availability.server) {
      this.detail = `OFF, no Auth binary: ${availability.reason?.split("\n")[0]}; auth schema from the Supabase CLI snapshot; tests that skip: ${testsSkippedWithout("authSkipReason")}`;
      await applyAuthSchemaSnapshot(adminDbUrl);
      return;
    }
    this.detail = `Supabase Auth (Go) from ${process.env.MEMBERBASE_AUTH_BIN ? `MEMBERBASE_AUTH_BIN=${authBinary}` : `the cache, ${authBinary} (built from github.com/supabase/auth@${authCommit.slice(0, 12)})`}`;
    const cwd = join(stateDir, "auth"); // a directory without a .env: the server would read one
    mkdirSync(cwd, { recursive: true });
    child = spawnLogged("auth", authBinary, [], { cwd, env: { PATH: process.env.PATH ?? "", ...authEnv() } });
    await waitFor("auth", () => httpOk(`${this.url}/health`), 30000, child);
  },
  async stop() {
    await stopChild(child);
    child = undefined;
    build.reset();
  },
};
