// Auth's rate limits from config.toml, per client IP. Each burst comes from an address of its own
// (a fresh 127.x.y.z: all of 127/8 is loopback), so it exhausts only that address's bucket and no
// other test — each of which runs as its own users from their own addresses — ever meets a 429.
import { describe, expect, it } from "vitest";
import { anonClient, authSkipReason, fetchFrom, newClientAddress, stack, uniqueEmail } from "./helpers/stack.ts";
import { password, signUpConfirmed } from "./helpers/auth.ts";
import { sql } from "./helpers/db.ts";
import { skipNote } from "./helpers/skip.ts";

const skipReason =
  authSkipReason ??
  (stack.authRateLimitsPerIp ? undefined : "this Auth server applies no per-IP rate limits (`supabase start` does not set GOTRUE_RATE_LIMIT_HEADER; set SUPABASE_AUTH_RATE_LIMITS_PER_IP=1 if yours does)");

/** Sends `n` requests at once from one address; answers their statuses and error codes. */
async function burst(n: number, address: string, path: string, body: (i: number) => unknown, headers: (i: number) => Record<string, string> = () => ({})) {
  const send = fetchFrom(address);
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await send(`${stack.apiUrl}/auth/v1/${path}`, {
        method: "POST",
        headers: { apikey: stack.anonKey, "content-type": "application/json", ...headers(i) },
        body: JSON.stringify(body(i)),
      });
      const json = (await res.json().catch(() => ({}))) as { error_code?: string; code?: string };
      return { status: res.status, code: json.error_code ?? json.code };
    }),
  );
}

function expectLimited(results: Array<{ status: number; code?: string }>) {
  const limited = results.filter((r) => r.status === 429);
  // Auth's token buckets hold 30 and refill slowly (config.toml: per 5 minutes): a burst of 45 overflows.
  expect(limited.length).toBeGreaterThanOrEqual(10);
  expect(new Set(limited.map((r) => r.code))).toEqual(new Set(["over_request_rate_limit"]));
  return limited.length;
}

describe.skipIf(skipReason)(`Auth rate limits per client IP${skipNote(skipReason)}`, () => {
  it("answers a burst of password sign-ins with 429, while another client signs in normally", async () => {
    const { email } = await signUpConfirmed();
    const attacker = newClientAddress();
    const results = await burst(45, attacker, "token?grant_type=password", () => ({ email, password: "guessing-1234" }));
    expectLimited(results);
    expect(results.filter((r) => r.status !== 429).every((r) => r.code === "invalid_credentials")).toBe(true);
    expect((await anonClient().auth.signInWithPassword({ email, password })).error).toBeNull();
  });

  it("cannot be dodged with a made-up X-Forwarded-For: the gateway sets it from the connection", async () => {
    const address = newClientAddress();
    const results = await burst(45, address, "token?grant_type=password", (i) => ({ email: `nobody${i}@example.test`, password: "guessing-1234" }), (i) => ({
      "x-forwarded-for": `203.0.113.${i + 1}`,
    }));
    expectLimited(results);
    // And Auth records the real address, not the claimed one.
    const { email, userId } = await signUpConfirmed();
    const honest = newClientAddress();
    const send = fetchFrom(honest);
    const res = await send(`${stack.apiUrl}/auth/v1/token?grant_type=password`, {
      method: "POST",
      headers: { apikey: stack.anonKey, "content-type": "application/json", "x-forwarded-for": "198.51.100.7" },
      body: JSON.stringify({ email, password }),
    });
    expect(res.status).toBe(200);
    expect(await sql`select host(ip) as ip from auth.sessions where user_id = ${userId} order by created_at desc limit 1`).toEqual([{ ip: honest }]);
  });

  it("answers a burst of token refreshes with 429, while the member's own refreshes pass", async () => {
    const { client } = await signUpConfirmed();
    const results = await burst(45, newClientAddress(), "token?grant_type=refresh_token", (i) => ({ refresh_token: `not-a-token-${i}` }));
    expectLimited(results);
    for (let i = 0; i < 3; i++) expect((await client.auth.refreshSession()).error).toBeNull();
  });

  it("answers a burst of OTP verifications with 429", async () => {
    const results = await burst(45, newClientAddress(), "verify", (i) => ({ type: "signup", token_hash: `bogus-${i}` }));
    expectLimited(results);
    expect(results.filter((r) => r.status !== 429).every((r) => r.status === 403 && r.code === "otp_expired")).toBe(true);
  });

  it("answers a burst of mail-sending requests (password recovery) with 429", async () => {
    const results = await burst(45, newClientAddress(), "recover", () => ({ email: uniqueEmail("nobody") }));
    expectLimited(results);
    // A member elsewhere still gets the recovery mail.
    const { email } = await signUpConfirmed();
    expect((await anonClient().auth.resetPasswordForEmail(email)).error).toBeNull();
  });
});
