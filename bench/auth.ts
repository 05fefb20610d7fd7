// The Auth group of `npm run bench` (when a real Auth server runs): what our database hooks cost
// Auth's own requests, each pair measured side by side in one measure() call.
// - sign-up with our sign-up triggers on auth.users ÷ the same with them disabled (one Auth server;
//   the triggers are switched between requests, outside the timed part);
// - password sign-in and token refresh with the custom access token hook ÷ without: the stack's
//   Auth server (hook on) and a second Auth server on the same database with the hook off, called
//   alternately, both directly on their ports (no gateway, so no per-IP rate limit, for both alike);
// - 1,000 sign-ups with random hostile metadata through the gateway, each from its own client
//   address as app users would: every one must succeed and get its member rows.
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { adminDbUrl, anonKey, apiUrl, ports, serviceRoleKey } from "../stack/core/config.ts";
import { authBinary, authEnv } from "../stack/services/auth.ts";
import { fetchFrom, newClientAddress } from "../stack/test-kit/client-address.ts";
import { httpOk, spawnLogged, stopChild, waitFor } from "../stack/core/service.ts";
import { budgetFromEnv, measure, prng, type Summary } from "./measure.ts";
import type { Row } from "./report.ts";

const ms = (x: number) => `${x.toFixed(2)} ms`;
const times = (x: number) => `${x.toFixed(2)}×`;
const pp = (s: Summary) => `${ms(s.p50)} / ${ms(s.p95)} (n=${s.n})`;
const password = "bench-Pass-2026";
const domain = "authbench.memberbase.test";

/** Whether the stack's Auth API answers (the group is skipped, and says so, when not). */
export async function authRunning(): Promise<boolean> {
  // Without an Auth binary nothing listens on its port: a refused connection means "not running".
  return httpOk(`http://127.0.0.1:${ports.auth}/health`).catch(() => false);
}

async function post(base: string, path: string, body: unknown, extra: Record<string, string> = {}, send: typeof fetch = fetch) {
  const res = await send(`${base}${path}`, {
    method: "POST",
    headers: { apikey: anonKey, "content-type": "application/json", ...extra },
    body: JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json).slice(0, 200)}`);
  return json;
}

export async function authGroup(log: (line: string) => void, seed: number): Promise<Row[]> {
  const rows: Row[] = [];
  const admin = postgres(adminDbUrl, { max: 1, onnotice: () => {} });
  const withHook = `http://127.0.0.1:${ports.auth}`;
  const noHookPort = ports.auth + 2;
  const withoutHook = `http://127.0.0.1:${noHookPort}`;
  const env: Record<string, string> = { ...authEnv(), GOTRUE_API_PORT: String(noHookPort) };
  delete env.GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_ENABLED;
  delete env.GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI;
  const second = spawnLogged("auth-bench-nohook", authBinary, ["serve"], { env: { PATH: process.env.PATH ?? "", ...env } });
  const triggers = (
    await admin<{ name: string }[]>`select tgname::text as name from pg_trigger
      where tgrelid = 'auth.users'::regclass and not tgisinternal and tgtype & 4 = 4` // INSERT triggers: our sign-up triggers
  ).map((t) => t.name);
  let enabled = true;
  const setTriggers = async (on: boolean) => {
    if (on === enabled) return;
    for (const t of triggers) await admin.unsafe(`alter table auth.users ${on ? "enable" : "disable"} trigger ${t}`);
    enabled = on;
  };
  try {
    await waitFor("auth (no hook)", () => httpOk(`${withoutHook}/health`), 30000, second);

    // --- Sign-up with and without our triggers ----------------------------------------------
    log(`bench: Auth sign-up with our sign-up triggers (${triggers.join(", ")}) vs without`);
    let n = 0;
    const signUp = (on: boolean) => async () => {
      await setTriggers(on);
      const t = performance.now();
      await post(withHook, "/signup", { email: `signup-${Date.now()}-${n++}@${domain}`, password, data: { first_name: "Bench", last_name: "Member", terms_accepted: true, terms_version: "2026-01" } });
      return performance.now() - t;
    };
    const signUps = await measure({ trigger: signUp(true), "no trigger": signUp(false) }, budgetFromEnv({ warmup: 5, iterations: 150, seconds: 40 }));
    await setTriggers(true);
    rows.push({ metric: "Auth sign-up p50 / p95 with our sign-up triggers", value: pp(signUps.trigger), target: "" });
    rows.push({ metric: "Auth sign-up p50 / p95 with them disabled", value: pp(signUps["no trigger"]), target: "" });
    const signUpRatio = signUps.trigger.p50 / signUps["no trigger"].p50;
    rows.push({ metric: "sign-up: with triggers ÷ without (p50)", value: times(signUpRatio), target: "≤ 1.3×", pass: signUpRatio <= 1.3 });

    // --- Password sign-in and refresh with and without the access token hook -----------------
    const users = Array.from({ length: 20 }, (_, i) => `signin-${Date.now()}-${i}@${domain}`);
    for (const email of users) await post(withHook, "/admin/users", { email, password, email_confirm: true }, { authorization: `Bearer ${serviceRoleKey}`, apikey: serviceRoleKey });
    const refreshTokens: Record<string, string[]> = { hook: [], "no hook": [] };
    const signIn = (base: string, key: string) => async (i: number) => {
      const email = users[Math.abs(i) % users.length];
      const t = performance.now();
      const session = await post(base, "/token?grant_type=password", { email, password });
      const took = performance.now() - t;
      refreshTokens[key][Math.abs(i) % users.length] = String(session.refresh_token);
      return took;
    };
    log("bench: Auth password sign-in with the access token hook vs without (two servers, one database)");
    const signIns = await measure({ hook: signIn(withHook, "hook"), "no hook": signIn(withoutHook, "no hook") }, budgetFromEnv({ warmup: 5, iterations: 150, seconds: 40 }));
    // Every user needs a session on each server before refreshing (the sign-in loop may have stopped early).
    for (const [key, base] of [["hook", withHook], ["no hook", withoutHook]] as const) {
      for (let k = 0; k < users.length; k++) refreshTokens[key][k] ??= String((await post(base, "/token?grant_type=password", { email: users[k], password })).refresh_token);
    }
    const refresh = (base: string, key: string) => async (i: number) => {
      const k = Math.abs(i) % users.length;
      const t = performance.now();
      const session = await post(base, "/token?grant_type=refresh_token", { refresh_token: refreshTokens[key][k] });
      const took = performance.now() - t;
      refreshTokens[key][k] = String(session.refresh_token); // rotation: the next refresh uses the new one
      return took;
    };
    log("bench: Auth token refresh with the access token hook vs without");
    const refreshes = await measure({ hook: refresh(withHook, "hook"), "no hook": refresh(withoutHook, "no hook") }, budgetFromEnv({ warmup: 10, iterations: 400, seconds: 30 }));
    for (const [name, r] of [["password sign-in", signIns], ["token refresh", refreshes]] as const) {
      rows.push({ metric: `Auth ${name} p50 / p95 with the access token hook`, value: pp(r.hook), target: "" });
      rows.push({ metric: `Auth ${name} p50 / p95 without it`, value: pp(r["no hook"]), target: "" });
      const ratio = r.hook.p50 / r["no hook"].p50;
      rows.push({ metric: `${name}: with hook ÷ without (p50)`, value: times(ratio), target: "≤ 1.2×", pass: ratio <= 1.2 });
    }

    // --- 1,000 sign-ups with random hostile metadata, through the gateway ---------------------
    const total = Math.max(1, Math.floor(Number(process.env.BENCH_HOSTILE_SIGNUPS ?? 1000)));
    log(`bench: ${total} sign-ups with random hostile metadata through the gateway`);
    const rand = prng(seed ^ 0x5eed);
    const failures: string[] = [];
    const ids: string[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = next++; i < total; i = next++) {
          const email = `hostile-${Date.now()}-${i}@${domain}`;
          try {
            const user = await post(apiUrl, "/auth/v1/signup", { email, password, data: hostileMetadata(rand) }, {}, fetchFrom(newClientAddress()));
            ids.push(String(user.id));
          } catch (e) {
            failures.push(`${email}: ${(e as Error).message}`);
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const [{ missing }] = await admin<{ missing: number }[]>`
      select count(*)::int as missing from unnest(${ids}::uuid[]) u(id) where not exists (select 1 from public.profiles p where p.id = u.id)`;
    rows.push({
      metric: `${total} sign-ups with random hostile metadata: failures`,
      value: `${failures.length} (and ${missing} without member rows)`,
      target: "0",
      pass: failures.length === 0 && missing === 0 && ids.length === total,
      note: `${seconds.toFixed(1)} s, 4 at a time, each from its own client address${failures[0] ? `; first failure: ${failures[0]}` : ""}`,
    });
    // Not in the mix above: a NUL character (\u0000) anywhere in the metadata. Postgres' jsonb refuses
    // it, so Auth's own insert into auth.users fails (500) before any trigger of ours runs. Reported as is.
    const nul = await fetchFrom(newClientAddress())(`${apiUrl}/auth/v1/signup`, {
      method: "POST",
      headers: { apikey: anonKey, "content-type": "application/json" },
      body: JSON.stringify({ email: `nul-${Date.now()}@${domain}`, password, data: { first_name: "nul\u0000byte" } }),
    });
    rows.push({ metric: "sign-up with a NUL character (\\u0000) in metadata", value: `Auth answers ${nul.status}`, target: "", note: "Postgres jsonb refuses \\u0000: Auth's own insert fails before our triggers run (Auth's limit, not counted above)" });
  } finally {
    await setTriggers(true).catch(() => {});
    await stopChild(second);
    await admin`delete from auth.users where email like ${"%@" + domain}`.catch(() => {});
    await admin.end();
  }
  return rows;
}

/** Random metadata an attacker or a broken client might send: wrong types, huge, nested, injection-looking. */
export function hostileMetadata(rand: () => number): Record<string, unknown> {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const nasty = [
    "'; drop table public.profiles; --",
    "control\u0001\u001fchars\u007f",
    "<script>alert(1)</script>",
    "x".repeat(1 + Math.floor(rand() * 20000)),
    "👩‍💻".repeat(50),
    "\\\\' or 1=1 --",
    "zz-ZZ",
    "2026-01",
    " ",
    randomBytes(24).toString("base64"),
  ];
  const value = (depth: number): unknown => {
    switch (Math.floor(rand() * 8)) {
      case 0: return pick(nasty);
      case 1: return rand() < 0.5 ? null : rand() < 0.5;
      case 2: return pick([0, -1, 1e308, -1e-308, 2 ** 53 + 1]);
      case 3: return depth > 3 ? [] : Array.from({ length: Math.floor(rand() * 5) }, () => value(depth + 1));
      case 4: return depth > 3 ? {} : Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, () => [pick(nasty).slice(0, 40), value(depth + 1)]));
      case 5: return JSON.parse('{"__proto__": {"admin": true}, "constructor": {"prototype": {"role": "admin"}}}');
      case 6: return pick(["admin", "expert", "service_role"]);
      default: return pick(nasty).slice(0, 64);
    }
  };
  const keys = ["first_name", "last_name", "locale", "terms_accepted", "terms_version", "referral_code", "role", "user_role", "display_name", "avatar_url", pick(nasty).slice(0, 30)];
  return Object.fromEntries(keys.filter(() => rand() < 0.8).map((k) => [k, value(0)]));
}
