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
import { anonClient, authSkipReason, serviceClient, stack, uniqueEmail } from "./helpers/stack.ts";
import { binDir, cacheDir, functionConfig, supabaseDir } from "../stack/core/config.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "../stack/core/service.ts";
import { join } from "node:path";
import { functionJobs, jobsPausedDuringFile } from "./helpers/schedule.ts";
import { skipNote } from "./helpers/skip.ts";

jobsPausedDuringFile(...functionJobs); // this file proves no row changed: the scheduled jobs wait meanwhile

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

describe.skipIf(!!skipOrigin)(`at each function's own origin, past the gateway${skipNote(skipOrigin)}`, () => {
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

// Hosted projects still signing with the legacy shared secret get only public keys in SUPABASE_JWKS
// (Auth never publishes the secret). A function started with such a key set must still refuse every
// forgery, accept the project's own keys, and ask the Auth server about a user's token.
describe("where SUPABASE_JWKS holds no shared secret (a hosted project on the legacy JWT secret)", () => {
  let child: ChildProcess | undefined;
  let origin = "";

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}/`;
    child = spawn(join(binDir, "deno"), ["run", "--allow-net", "--allow-env", "--allow-read", "--no-prompt", "--config", join(supabaseDir, "functions", "deno.json"), join(supabaseDir, "functions", "affiliate-credit", "index.ts")], {
      env: {
        ...process.env,
        DENO_DIR: join(cacheDir, "deno"),
        DENO_NO_UPDATE_CHECK: "1",
        DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${port}`,
        SUPABASE_URL: stack.apiUrl,
        SUPABASE_ANON_KEY: stack.anonKey,
        SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
        SUPABASE_DB_URL: stack.dbUrl,
        SUPABASE_JWKS: JSON.stringify({ keys: [] }),
      },
      stdio: "ignore",
    });
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(origin, { method: "OPTIONS" })).status === 204) break;
      } catch (e) {
        if (i > 300) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }, 60000);

  afterAll(() => {
    child?.kill();
  });

  const post = (token: string) => fetch(origin, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" });

  it("refuses what needs no key to refuse, and takes the project's own keys as they are", async () => {
    const tokens = await forgedTokens(victimClaims);
    for (const kind of ["unsigned (alg none)", "alg none with the real signature kept", "HS512 with the project's secret", "expired an hour ago", "without exp", "not a JWT", "two segments"]) {
      const res = await post(tokens[kind]);
      expect(res.status, kind).toBe(401);
      expect((await res.json()) as unknown, kind).toMatchObject({ error: { code: kind.startsWith("expired") ? "jwt_expired" : "invalid_jwt" } });
    }
    const service = await post(stack.serviceRoleKey);
    expect(service.status).toBe(400);
    expect(await service.json()).toMatchObject({ error: { message: expect.stringMatching(/sweep/) } });
    const anon = await post(stack.anonKey);
    expect(await anon.json()).toMatchObject({ error: { code: "not_signed_in" } });
  });

  it(`asks the Auth server about any other HS256 token${authSkipReason ? " (Auth is not running: 503 auth_unavailable, never accepted)" : ""}`, async () => {
    const tokens = await forgedTokens(victimClaims);
    for (const kind of ["signed with another secret", "signed with the public anon key as secret", "claims swapped under a real signature"]) {
      const res = await post(tokens[kind]);
      const body = (await res.json()) as { error: { code: string } };
      if (authSkipReason) expect([res.status, body.error.code], kind).toEqual([503, "auth_unavailable"]);
      else expect([res.status, body.error.code], kind).toEqual([401, "invalid_jwt"]);
    }
  });

  it.skipIf(!!authSkipReason)(`takes a real session's token, and refuses it after sign-out${skipNote(authSkipReason)}`, async () => {
    const email = uniqueEmail("nosecret");
    const { data, error } = await serviceClient().auth.admin.createUser({ email, password: "no-secret-9-horse", email_confirm: true });
    expect(error).toBeNull();
    try {
      const client = anonClient();
      const { data: signedIn } = await client.auth.signInWithPassword({ email, password: "no-secret-9-horse" });
      const token = signedIn.session!.access_token;
      const accepted = await post(token);
      expect(await accepted.json()).toMatchObject({ error: { code: "no_referral" } }); // verified, then asked about its referral
      await client.auth.signOut({ scope: "global" });
      const refused = await post(token);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: { code: "invalid_jwt" } });
    } finally {
      await sql`delete from auth.users where id = ${data.user!.id}`;
    }
  });
});
