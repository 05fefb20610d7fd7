// The gateway and the functions runtime, through HTTP as clients reach them.
import { describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { request } from "node:http";
import { functions } from "./helpers/functions.ts";
import { stack, anonClient } from "./helpers/stack.ts";
import { memberClaims } from "./helpers/db.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { createClient } from "@supabase/supabase-js";
import type { Database } from "../types/database.ts";
import { publishableKey, secretKey } from "../stack/core/config.ts";

const health = `${stack.apiUrl}/functions/v1/health`;

describe("functions through the gateway", () => {
  it("refuses a call without a JWT with 401 Invalid JWT", async () => {
    const res = await fetch(health, { headers: { apikey: stack.anonKey } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: "invalid_jwt", message: "Invalid JWT" }, msg: "Invalid JWT" });
  });

  it("refuses a JWT signed with another secret", async () => {
    const good = await signAccessToken(memberClaims(randomUUID()));
    const [h, p] = good.split(".");
    const forged = `${h}.${p}.${Buffer.from("not-the-signature").toString("base64url")}`;
    const res = await fetch(health, { headers: { apikey: stack.anonKey, authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
  });

  it("runs the function for a member's JWT and reaches the database", async () => {
    const token = await signAccessToken(memberClaims(randomUUID()));
    const res = await fetch(health, { headers: { apikey: stack.anonKey, authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; database: string; time: string };
    expect(body.status).toBe("ok");
    expect(Math.abs(Date.parse(body.time) - Date.now())).toBeLessThan(60_000);
  });

  it("works through supabase-js functions.invoke with the anon key", async () => {
    const { data, error } = await anonClient().functions.invoke("health", { method: "GET" });
    expect(error).toBeNull();
    expect(data).toMatchObject({ status: "ok", database: "ok" });
  });

  it("answers 404 for an unknown function and 401 for a wrong apikey", async () => {
    const token = await signAccessToken(memberClaims(randomUUID()));
    expect((await fetch(`${stack.apiUrl}/functions/v1/no-such-function`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    const wrongKey = await fetch(health, { headers: { apikey: "not-a-key", authorization: `Bearer ${token}` } });
    expect(wrongKey.status).toBe(401);
  });

  it("answers a function with its shared error shape for a method it does not take", async () => {
    const token = await signAccessToken(memberClaims(randomUUID()));
    const res = await fetch(health, { method: "DELETE", headers: { apikey: stack.anonKey, authorization: `Bearer ${token}` } });
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ error: { code: "method_not_allowed" } });
  });
});

describe("the other API routes", () => {
  it("requires an apikey on /auth/v1", async () => {
    const res = await fetch(`${stack.apiUrl}/auth/v1/health`);
    expect(res.status).toBe(401);
  });

  it("leaves the browser-facing Auth routes (verify, callback, authorize) open without an apikey, as Supabase's gateway does", async () => {
    for (const route of ["verify?token=not-a-token&type=signup&redirect_to=http://127.0.0.1:3000", "callback?error=access_denied", "authorize?provider=keycloak"]) {
      const res = await fetch(`${stack.apiUrl}/auth/v1/${route}`, { redirect: "manual" });
      const body = res.status === 401 ? await res.json() : undefined;
      expect(body, route).toBeUndefined(); // never no_api_key
      if (stack.authServer) expect(res.status, route).toBeLessThan(500);
      else expect(res.status, route).toBe(503);
    }
  });

  it("keeps every other Auth route behind the apikey, however the path is spelled", async () => {
    for (const path of ["/auth/v1/settings", "/auth/v1/verify/../admin/users", "/auth/v1/%2e%2e/auth/v1/admin/users", "/auth/v1/verify/extra", "/auth/v1//verify"]) {
      const status = await new Promise<number>((resolve, reject) => {
        const url = new URL(stack.apiUrl);
        request({ host: url.hostname, port: url.port, path, method: "GET" }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on("error", reject)
          .end();
      });
      expect(status, path).toBe(401);
    }
  });

  it("serves /auth/v1 from Supabase Auth, or says plainly why it cannot", async () => {
    const res = await fetch(`${stack.apiUrl}/auth/v1/health`, { headers: { apikey: stack.anonKey } });
    if (stack.authServer) {
      expect(res.status).toBe(200);
    } else {
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: "auth_unavailable" } });
    }
  });

  it("serves /rest/v1 from PostgREST, with the apikey rules of the other routes", async () => {
    const res = await fetch(`${stack.apiUrl}/rest/v1/`, { headers: { apikey: stack.anonKey } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ swagger: "2.0", paths: expect.objectContaining({ "/plans": expect.any(Object) }) });
    const plans = await fetch(`${stack.apiUrl}/rest/v1/plans?select=code&code=eq.free`, { headers: { apikey: stack.anonKey } });
    expect(await plans.json()).toEqual([{ code: "free" }]);
    const none = await fetch(`${stack.apiUrl}/rest/v1/plans?select=code`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: "no_api_key" } });
    const wrong = await fetch(`${stack.apiUrl}/rest/v1/plans?select=code`, { headers: { apikey: "not-a-key" } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: "invalid_api_key" } });
  });
});

describe("the new API keys (sb_publishable_…, sb_secret_…), which are not JWTs", () => {
  const client = (key: string, headers: Record<string, string> = {}) =>
    createClient<Database>(stack.apiUrl, key, { auth: { persistSession: false, autoRefreshToken: false }, global: { headers } });

  it("a publishable key reads what anon may, and no more", async () => {
    const publishable = client(publishableKey);
    const { data, error, status } = await publishable.from("plans").select("code").eq("code", "free");
    expect([status, error, data]).toEqual([200, null, [{ code: "free" }]]);
    const bookings = await publishable.from("bookings").select("id");
    expect([bookings.status, bookings.error?.code]).toEqual([401, "42501"]);
  });

  it("a secret key acts as the service role on PostgREST", async () => {
    const { count, error } = await client(secretKey).from("profiles").select("id", { count: "exact", head: true });
    expect(error).toBeNull();
    expect(count).toBeGreaterThan(0);
  });

  it("a member's session token beside a publishable key stays the member's", async () => {
    const claims = memberClaims(randomUUID());
    const member = client(publishableKey, { Authorization: `Bearer ${await signAccessToken(claims)}` });
    const { data, error } = await member.rpc("my_entitlements");
    expect(error).toBeNull();
    expect(data).toBeTruthy();
  });

  it("refuses a key of the new shape that is not this project's", async () => {
    const res = await fetch(`${stack.apiUrl}/rest/v1/plans?select=code`, { headers: { apikey: "sb_publishable_not-this-projects-key" } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_api_key" } });
  });
});

describe("CORS preflights, as Supabase's gateway answers them", () => {
  const preflight = (path: string, requestHeaders?: string, extra: Record<string, string> = {}) =>
    fetch(`${stack.apiUrl}${path}`, {
      method: "OPTIONS",
      headers: { origin: "http://a.example", "access-control-request-method": "GET", ...(requestHeaders ? { "access-control-request-headers": requestHeaders } : {}), ...extra },
    });

  it("allows the headers a preflight asks for on /rest/v1 and /auth/v1 (Kong's cors plugin with its defaults), before any apikey", async () => {
    // postgrest-js adds X-Retry-Count to a retried GET: a fixed list without it blocked every retry.
    for (const path of ["/rest/v1/x", "/rest/v1/rpc/nearby_experts", "/auth/v1/token?grant_type=password"]) {
      const res = await preflight(path, "apikey,authorization,x-client-info,x-retry-count,x-something-new");
      expect(res.status, path).toBe(200);
      expect(Object.fromEntries([...res.headers].filter(([k]) => k.startsWith("access-control-"))), path).toEqual({
        "access-control-allow-origin": "*",
        "access-control-allow-headers": "apikey,authorization,x-client-info,x-retry-count,x-something-new",
        "access-control-allow-methods": "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT",
      });
      expect(await res.text(), path).toBe("");
    }
    // Nothing asked, nothing allowed; a wrong apikey does not turn a preflight into a 401.
    const bare = await preflight("/rest/v1/x", undefined, { apikey: "not-a-key" });
    expect(bare.status).toBe(200);
    expect(bare.headers.get("access-control-allow-headers")).toBeNull();
  });

  it("passes a plain OPTIONS (no Origin or no requested method) on like any request", async () => {
    expect((await fetch(`${stack.apiUrl}/rest/v1/plans`, { method: "OPTIONS" })).status).toBe(401);
    const res = await fetch(`${stack.apiUrl}/rest/v1/plans`, { method: "OPTIONS", headers: { apikey: stack.anonKey, origin: "http://a.example" } });
    expect(res.status).toBe(200); // PostgREST's own answer
    expect(res.headers.get("allow")).toContain("GET");
  });

  it("lets every function allow each header supabase-js sends (its own list, @supabase/supabase-js/cors)", async () => {
    const { corsHeaders } = await import("@supabase/supabase-js/cors");
    const sent = corsHeaders["Access-Control-Allow-Headers"].split(",").map((h) => h.trim().toLowerCase());
    expect(sent).toContain("x-retry-count");
    for (const name of functions) {
      const res = await preflight(`/functions/v1/${name}`, sent.join(","), { "access-control-request-method": "POST" });
      expect(res.status, name).toBeLessThan(300);
      const allowed = (res.headers.get("access-control-allow-headers") ?? "").split(",").map((h) => h.trim().toLowerCase());
      expect(allowed, name).toEqual(expect.arrayContaining(sent));
      expect(res.headers.get("access-control-allow-origin"), name).toBe("*");
    }
  });
});
