// Finding 4 of the security review: the functions trusted the gateway. They decoded the JWT
// payload without checking its signature, so a request sent to a function's own origin (past the
// gateway) with an unsigned token acted as any member or as the service role. The attack, for every
// function: forged tokens carrying a real member's claims (with the member's live session) and the
// service role's, sent to the function's origin and through the gateway. Each must be refused with
// 401 and a code, and nothing may be written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgedTokens, signAccessToken } from "./helpers/jwt.ts";
import { rowCounts, serviceClaims, sql, type Claims } from "./helpers/db.ts";
import { createSession, createUser } from "./helpers/users.ts";
import { functionOrigin, functions, gatewayUrl, originSkipReason } from "./helpers/functions.ts";
import { stack } from "./helpers/stack.ts";
import { functionConfig } from "../stack/config.ts";

/** Functions behind verify_jwt (all but signed webhooks) must refuse any token that does not verify. */
const verifying = functions.filter((fn) => functionConfig(fn).verifyJwt);

const skipOrigin = await originSkipReason();

let victim: { id: string };
let victimClaims: Claims;
const forged: Array<{ as: string; kind: string; token: string }> = [];

beforeAll(async () => {
  victim = await createUser();
  // A live session: if a forged token got past verification, the session check would not stop it.
  victimClaims = await createSession(victim.id, { aal: "aal2" });
  for (const [as, claims] of [["member", victimClaims], ["service_role", { ...serviceClaims, exp: Math.floor(Date.now() / 1000) + 3600 }]] as const) {
    for (const [kind, token] of Object.entries(await forgedTokens(claims))) forged.push({ as, kind, token });
  }
});

afterAll(async () => {
  await sql`delete from auth.users where id = ${victim.id}`;
});

/** Sends each forged token to `url(fn)` for every function, with a body the function would act on. */
async function attack(url: (fn: string) => string) {
  const results: Array<{ fn: string; as: string; kind: string; status: number; body: unknown }> = [];
  for (const fn of functions) {
    for (const { as, kind, token } of forged) {
      for (const method of ["GET", "POST"]) {
        const res = await fetch(url(fn), {
          method,
          headers: { apikey: stack.anonKey, authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: method === "POST" ? "{}" : undefined,
        });
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // kept as text: the assertion below shows it
        }
        results.push({ fn, as, kind, status: res.status, body });
      }
    }
  }
  return results;
}

describe.skipIf(!!skipOrigin)(`at each function's own origin, past the gateway${skipOrigin ? ` (skipped: ${skipOrigin})` : ""}`, () => {
  it("a valid token reaches every function there (so the refusals below are the token's doing)", async () => {
    for (const fn of functions) {
      const res = await fetch(functionOrigin(fn), { method: "OPTIONS" });
      expect(res.status, fn).toBe(204);
    }
    const health = await fetch(functionOrigin("health"), { headers: { authorization: `Bearer ${stack.anonKey}` } });
    expect(health.status).toBe(200);
  });

  it("refuses a request without a token with 401 no_authorization", async () => {
    for (const fn of verifying) {
      const res = await fetch(functionOrigin(fn), { method: "POST", body: "{}" });
      expect(res.status, fn).toBe(401);
      expect(await res.json(), fn).toMatchObject({ error: { code: "no_authorization" } });
    }
  });

  it("refuses unsigned, wrongly signed, expired and malformed tokens with 401 and a code, and writes nothing", async () => {
    const before = await rowCounts();
    const results = await attack(functionOrigin);
    expect(results.length).toBe(functions.length * forged.length * 2);
    const wrong = results.filter((r) => {
      const code = (r.body as { error?: { code?: string } })?.error?.code;
      // A function without verify_jwt (a signed webhook) takes no JWT at all: it must refuse all the same.
      if (!verifying.includes(r.fn)) return r.status < 400 || r.status >= 500 || typeof code !== "string";
      const expected = r.kind.startsWith("expired") ? "jwt_expired" : "invalid_jwt";
      return r.status !== 401 || code !== expected;
    });
    expect(wrong).toEqual([]);
    expect(await rowCounts()).toEqual(before);
    expect(await sql`select 1 from auth.users where id = ${victim.id}`).toHaveLength(1);
  }, 60000);

  it("says why: an expired token is jwt_expired, a forged one invalid_jwt", async () => {
    const tokens = await forgedTokens(victimClaims);
    const expired = await fetch(functionOrigin("member-dashboard"), { headers: { authorization: `Bearer ${tokens["expired an hour ago"]}` } });
    expect(await expired.json()).toMatchObject({ error: { code: "jwt_expired", message: expect.stringMatching(/expired/) } });
    const none = await fetch(functionOrigin("member-dashboard"), { headers: { authorization: `Bearer ${tokens["unsigned (alg none)"]}` } });
    expect(await none.json()).toMatchObject({ error: { code: "invalid_jwt", message: expect.stringMatching(/algorithm "none"/) } });
  });

  it("still serves the genuine tokens of the same member and of the service role", async () => {
    const member = await fetch(functionOrigin("member-dashboard"), { headers: { authorization: `Bearer ${await signAccessToken(victimClaims)}` } });
    expect(member.status).toBe(200);
    expect(await member.json()).toMatchObject({ profile: expect.anything() });
    // affiliate-credit recognises the service role and asks it what to do (members get another answer).
    const service = await fetch(functionOrigin("affiliate-credit"), {
      method: "POST",
      headers: { authorization: `Bearer ${stack.serviceRoleKey}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(service.status).toBe(400);
    expect(await service.json()).toMatchObject({ error: { code: "invalid_request", message: expect.stringMatching(/sweep/) } });
  });
});

describe("through the gateway", () => {
  it("refuses every forged token with 401 before any function runs, and writes nothing", async () => {
    const before = await rowCounts();
    const results = await attack(gatewayUrl);
    expect(results.filter((r) => (verifying.includes(r.fn) ? r.status !== 401 : r.status < 400 || r.status >= 500))).toEqual([]);
    expect(await rowCounts()).toEqual(before);
  }, 60000);
});
