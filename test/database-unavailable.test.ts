// Every function that touches the database, while Postgres refuses connections (issue 21): the
// stack's connection slots are really exhausted (non-superuser connections opened until the server
// answers 53300 too_many_connections), the functions' own pooled connections are cut, and each
// function is called through the gateway as clients call it. Each must answer as PostgREST does
// (503, not 500): `{ error: { code: "database_unavailable", ... } }` with Retry-After. Runs only
// against the stack this suite started (it fills and cuts that server's connections).
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stack } from "./helpers/stack.ts";
import { functions, gatewayUrl } from "./helpers/functions.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { createSession, usersDeletedAfterFile } from "./helpers/users.ts";
import { functionsHostPid } from "./helpers/processes.ts";
import { deliver } from "./helpers/billing.ts";
import { event, stripeId } from "../stack/test-kit/stripe-events.ts";
import { skipNote } from "./helpers/skip.ts";

const { createUser } = usersDeletedAfterFile();
const notOurStack = functionsHostPid() === undefined ? "the functions host of this suite's own stack was not found (an external stack's connections are not ours to exhaust)" : undefined;
const noWebhookSecret = stack.stripe.webhookSecret ? undefined : "the functions' STRIPE_WEBHOOK_SECRET is not known for this stack";

/** The bootstrap superuser of this suite's stack: it keeps a reserved slot while the others are full. */
function adminUrl(): string {
  const url = new URL(stack.dbUrl);
  url.username = "supabase_admin";
  return url.toString();
}

const fillerName = "exhaustion-filler";
/** The name the functions' pool gives its sessions (supabase/functions/_shared/db.ts). */
const functionsName = "memberbase-functions";

type Filler = ReturnType<typeof postgres>;

/** Opens connections as `postgres` (not a superuser, as on hosted) until the server refuses one; returns them and the refusal. */
async function fill(into: Filler[]): Promise<{ code?: string; message: string }> {
  for (;;) {
    const batch = Array.from({ length: 16 }, () => postgres(stack.dbUrl, { max: 1, onnotice: () => {}, connection: { application_name: fillerName } }));
    const results = await Promise.allSettled(batch.map((c) => c`select 1`));
    let refusal: { code?: string; message: string } | undefined;
    for (const [i, r] of results.entries()) {
      if (r.status === "fulfilled") into.push(batch[i]);
      else {
        refusal ??= { code: (r.reason as { code?: string }).code, message: (r.reason as Error).message };
        await batch[i].end({ timeout: 0 });
      }
    }
    if (refusal) return refusal;
  }
}

interface Call {
  init: () => Promise<RequestInit & { url?: string }>;
}

describe.skipIf(notOurStack)(`functions while Postgres refuses connections${skipNote(notOurStack)}`, () => {
  const fillers: Filler[] = [];
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  let calls: Record<string, Call>;

  beforeAll(async () => {
    const member = await createUser();
    // Prepared while the database still answers: a live session (every member function checks it first).
    const memberToken = await signAccessToken(await createSession(member.id));
    const asMember = (method: string, body?: unknown) => async () => ({
      method,
      headers: { apikey: stack.anonKey, authorization: `Bearer ${memberToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const asService = (method: string, body?: unknown) => async () => ({
      method,
      headers: { apikey: stack.anonKey, authorization: `Bearer ${stack.serviceRoleKey}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // For each function, a request that passes its checks up to its first query.
    calls = {
      "account-delete": { init: asMember("POST", {}) },
      "affiliate-credit": { init: asService("POST", { sweep: true }) },
      "billing-change-plan": { init: asMember("POST", { action: "cancel" }) },
      "billing-checkout": { init: asMember("POST", { plan: "basic", success_url: "https://app.example.test/ok", cancel_url: "https://app.example.test/no" }) },
      "billing-payment-methods": { init: asMember("POST", { action: "setup" }) },
      "billing-portal": { init: asMember("POST", { return_url: "https://app.example.test/billing" }) },
      "booking-payment": { init: asMember("POST", { booking_id: crypto.randomUUID() }) },
      "data-export": { init: asMember("GET") },
      health: { init: asService("GET") },
      "member-dashboard": { init: asMember("GET") },
      "process-deletion-requests": { init: asService("POST", {}) },
      "send-notifications": { init: asService("POST", { limit: 1 }) },
    };
  });

  let originalLimit = -1;
  const restoreLimit = () => admin.unsafe(`alter role postgres connection limit ${originalLimit}`);

  afterAll(async () => {
    await restoreLimit(); // whatever happened, the rest of the suite connects as before
    await Promise.all(fillers.map((c) => c.end({ timeout: 0 })));
    await admin.end({ timeout: 1 });
  });

  it("covers every function", () => {
    const covered = [...Object.keys(calls), "stripe-webhook"].sort();
    expect(covered).toEqual([...functions].sort());
  });

  it("answers 503 database_unavailable with Retry-After from every function, never 500, and serves again once slots free", async () => {
    // Warm every function first: a warm pool's open connections are what let some requests through before.
    for (const [name, call] of Object.entries(calls)) {
      const res = await fetch(gatewayUrl(name), await call.init());
      await res.body?.cancel();
    }
    // Connected before the slots run out (it would get a reserved one anyway).
    [{ originalLimit }] = await admin<{ originalLimit: number }[]>`select rolconnlimit as "originalLimit" from pg_roles where rolname = 'postgres'`;
    const refusal = await fill(fillers);
    expect(refusal.code, refusal.message).toBe("53300");
    // Cut the functions' pooled connections (the superuser's reserved slot) and take each freed
    // slot again, until the functions hold none and the server still refuses.
    for (let round = 0; ; round++) {
      // Materialized: the name filter runs before any terminate (a plain WHERE may terminate first).
      const cut = await admin<{ pid: number }[]>`
        with f as materialized (select pid from pg_stat_activity where application_name = ${functionsName})
        select pid from f where pg_terminate_backend(pid)`;
      // A terminated backend frees its slot when it has exited: wait for that, then fill it.
      while ((await admin`select 1 from pg_stat_activity where pid in ${admin(cut.length ? cut.map((c) => c.pid) : [0])}`).length) {
        await new Promise((r) => setImmediate(r));
      }
      expect((await fill(fillers)).code).toBe("53300");
      const [{ left }] = await admin<{ left: number }[]>`select count(*)::int as left from pg_stat_activity where application_name = ${functionsName}`;
      if (left === 0) break;
      expect(round, "the functions keep reconnecting into freed slots").toBeLessThan(5);
    }
    // A slot another client frees meanwhile (PostgREST closes idle pool connections after 30 s) must
    // not let a function in: the functions' role (postgres, which the fillers use too) is held to
    // the connections it has now, so its next one is refused (53300 as well) wherever a slot frees.
    const [{ held }] = await admin<{ held: number }[]>`select count(*)::int as held from pg_stat_activity where usename = 'postgres'`;
    await admin.unsafe(`alter role postgres connection limit ${held}`);
    const rounds = 3;
    const answers: Array<{ name: string; status: number; code?: string; retryAfter: string | null }> = [];
    for (let i = 0; i < rounds; i++) {
      for (const [name, call] of Object.entries(calls)) {
        const res = await fetch(gatewayUrl(name), await call.init());
        const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
        answers.push({ name, status: res.status, code: body.error?.code, retryAfter: res.headers.get("retry-after") });
      }
      if (!noWebhookSecret) {
        const res = await deliver(event("customer.created", Math.floor(Date.now() / 1000), { id: stripeId("cus"), object: "customer" }));
        const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
        answers.push({ name: "stripe-webhook", status: res.status, code: body.error?.code, retryAfter: res.headers.get("retry-after") });
      }
    }
    expect(answers).toEqual(answers.map((a) => ({ name: a.name, status: 503, code: "database_unavailable", retryAfter: expect.stringMatching(/^[1-9]\d*$/) })));

    // Slots free again: the next request connects and is served.
    await restoreLimit();
    await Promise.all(fillers.splice(0).map((c) => c.end({ timeout: 0 })));
    while ((await admin`select 1 from pg_stat_activity where application_name = ${fillerName}`).length) {
      await new Promise((r) => setImmediate(r));
    }
    const res = await fetch(gatewayUrl("health"), await calls.health.init());
    expect(res.status, await res.text()).toBe(200);
  }, 120_000);
});
