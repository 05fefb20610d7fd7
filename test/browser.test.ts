// supabase-js in a real browser (Chromium, test/helpers/browser.ts) on a page of another origin than
// the API, as an app runs it: every call crosses origins, so what the gateway's and the functions'
// CORS answers let through is what the app gets. The documented flows: Auth sign-up and sign-in, a
// table read and write under RLS, RPCs, functions with JSON bodies, and a 503 that postgrest-js
// retries (its retries carry X-Retry-Count, which a preflight must allow).
// Without Chromium these tests fail in CI (CI is set) and are skipped elsewhere, saying why.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as SupabaseJs from "@supabase/supabase-js";
import { noChromium, openPage, type BrowserPage } from "./helpers/browser.ts";
import { sql } from "./helpers/db.ts";
import { skipNote } from "./helpers/skip.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { authSkipReason, stack, uniqueEmail } from "./helpers/stack.ts";
import { createSession, usersDeletedAfterFile, type TestUser } from "./helpers/users.ts";

const { createUser, track } = usersDeletedAfterFile();

/** supabase-js's browser build, as the page has it (`window.supabase`). */
type InPage = { supabase: typeof SupabaseJs };

/** What the page needs to make its client: the API, the anon key and (signed in) a member's access token. */
interface Connection {
  api: string;
  key: string;
  token?: string;
}

/** In CI a missing browser is a failure; elsewhere the file is skipped with the reason. */
const skipReason = noChromium && !process.env.CI ? noChromium : undefined;

let browser: BrowserPage;
let member: TestUser, other: TestUser;
let asMember: Connection;
const anon = (): Connection => ({ api: stack.apiUrl, key: stack.anonKey });

describe.skipIf(skipReason)(`supabase-js in Chromium, from another origin${skipNote(skipReason)}`, () => {
  beforeAll(async () => {
    if (noChromium) return; // the first test fails with the reason (a failed hook would count no test as failed)
    [member, other] = await Promise.all([createUser(), createUser()]);
    asMember = { ...anon(), token: await signAccessToken(await createSession(member.id)) };
    browser = await openPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("has Chromium", () => {
    expect(noChromium, noChromium).toBeUndefined();
  });

  it("serves the page from an origin other than the API's", () => {
    expect(new URL(browser.origin).origin).not.toBe(new URL(stack.apiUrl).origin);
  });

  it.skipIf(authSkipReason)(`signs up and signs in through Supabase Auth${skipNote(authSkipReason)}`, async () => {
    const email = uniqueEmail("browser");
    const signedUp = await browser.page.evaluate(async ({ c, email }) => {
      const client = (globalThis as unknown as InPage).supabase.createClient(c.api, c.key, { auth: { persistSession: false, autoRefreshToken: false } });
      const { data, error } = await client.auth.signUp({ email, password: "browser-pass-1" });
      return { id: data.user?.id, email: data.user?.email, session: data.session, error: error?.message };
    }, { c: anon(), email });
    if (signedUp.id) track(signedUp.id);
    expect(signedUp).toMatchObject({ email, session: null, error: undefined }); // confirmations are on
    // A confirmed member signs in with the password (test/helpers/users.ts gives every user 'password-1').
    const signedIn = await browser.page.evaluate(async ({ c, email }) => {
      const client = (globalThis as unknown as InPage).supabase.createClient(c.api, c.key, { auth: { persistSession: false, autoRefreshToken: false } });
      const { data, error } = await client.auth.signInWithPassword({ email, password: "password-1" });
      return { userId: data.session?.user.id, error: error?.message };
    }, { c: anon(), email: member.email });
    expect(signedIn).toEqual({ userId: member.id, error: undefined });
  });

  it("reads and writes a table under RLS with the member's token", async () => {
    const result = await browser.page.evaluate(async ({ c, uid, otherId }) => {
      const client = (globalThis as unknown as InPage).supabase.createClient(c.api, c.key, { auth: { persistSession: false, autoRefreshToken: false }, global: { headers: { Authorization: `Bearer ${c.token}` } } });
      const written = await client.from("member_preferences").update({ locale: "de-DE", timezone: "Europe/Berlin" }).eq("user_id", uid).select("user_id, locale, timezone").single();
      const rows = await client.from("member_preferences").select("user_id").in("user_id", [uid, otherId]);
      const refused = await client.from("profiles").update({ role: "admin" } as never).eq("id", uid);
      return { written: written.data, rows: rows.data, refused: { status: refused.status, code: refused.error?.code } };
    }, { c: asMember, uid: member.id, otherId: other.id });
    expect(result.written).toEqual({ user_id: member.id, locale: "de-DE", timezone: "Europe/Berlin" });
    expect(result.rows).toEqual([{ user_id: member.id }]); // the other member's row exists, RLS hides it
    expect(result.refused).toEqual({ status: 403, code: "42501" });
    const [row] = await sql`select locale from public.member_preferences where user_id = ${member.id}`;
    expect(row.locale).toBe("de-DE");
  });

  it("calls RPCs, and reads a refusal's status and code", async () => {
    const result = await browser.page.evaluate(async ({ c }) => {
      const client = (globalThis as unknown as InPage).supabase.createClient(c.api, c.key, { auth: { persistSession: false, autoRefreshToken: false }, global: { headers: { Authorization: `Bearer ${c.token}` } } });
      const counts = await client.rpc("unread_counts");
      const step = await client.rpc("complete_onboarding_step", { step: "profile" });
      const wrong = await client.rpc("complete_onboarding_step", { step: "not-a-step" });
      return { counts: counts.data, stepError: step.error?.message, wrong: { status: wrong.status, code: wrong.error?.code } };
    }, { c: asMember });
    expect(result.counts).toMatchObject({ messages: 0, notifications: expect.any(Number) });
    expect(result.stepError).toBeUndefined();
    expect(result.wrong).toEqual({ status: 400, code: "22023" });
  });

  it("invokes functions with a JSON body, and reads a function's error answer", async () => {
    const [{ code }] = await sql<{ code: string }[]>`select code from public.referral_codes where user_id = ${member.id}`;
    const result = await browser.page.evaluate(async ({ c, code }) => {
      const client = (globalThis as unknown as InPage).supabase.createClient(c.api, c.key, { auth: { persistSession: false, autoRefreshToken: false }, global: { headers: { Authorization: `Bearer ${c.token}` } } });
      const dashboard = await client.functions.invoke("member-dashboard", { body: {} });
      const credit = await client.functions.invoke("affiliate-credit", { body: { code } });
      const context = (credit.error as { context?: Response } | null)?.context;
      return {
        profileId: (dashboard.data as { profile?: { id: string } } | null)?.profile?.id,
        dashboardError: dashboard.error?.message,
        credit: { status: context?.status, body: context ? await context.json() : credit.error?.message },
      };
    }, { c: asMember, code });
    expect(result).toEqual({
      profileId: member.id,
      dashboardError: undefined,
      credit: { status: 422, body: { error: expect.objectContaining({ code: "self_referral" }) } },
    });
  });

  it("gets PostgREST's 503 and its body after postgrest-js's retries, which pass the gateway's preflight", async () => {
    // A real 503: PostgREST cannot reach Postgres (its role may not connect, its connections are
    // gone), which it answers with 503 PGRST000 and Retry-After, as when the database restarts or
    // is out of connection slots. Terminating another role's backends takes a superuser.
    const admin = postgres(stack.dbUrl.replace("//postgres:", "//supabase_admin:"), { max: 1, onnotice: () => {} });
    const attempts: { retry: string | undefined; status?: number; failure?: string }[] = [];
    const watched = (url: string) => new URL(url).pathname === "/rest/v1/plans";
    const onRequest = (r: import("playwright-core").Request) => {
      if (watched(r.url()) && r.method() === "GET") attempts.push({ retry: r.headers()["x-retry-count"] });
    };
    const onResponse = (r: import("playwright-core").Response) => {
      if (watched(r.url()) && r.request().method() === "GET") attempts.at(-1)!.status = r.status();
    };
    const onFailed = (r: import("playwright-core").Request) => {
      if (watched(r.url()) && r.method() === "GET") attempts.at(-1)!.failure = r.failure()?.errorText;
    };
    const consoleErrors: string[] = [];
    const onConsole = (m: import("playwright-core").ConsoleMessage) => void (m.type() === "error" && consoleErrors.push(m.text()));
    browser.page.on("request", onRequest).on("response", onResponse).on("requestfailed", onFailed).on("console", onConsole);
    let result: { status: number; code?: string; message?: string; details?: string; data: unknown };
    try {
      await admin`alter role authenticator connection limit 0`;
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where usename = 'authenticator'`;
      result = await browser.page.evaluate(async ({ c }) => {
        const client = (globalThis as unknown as InPage).supabase.createClient(c.api, c.key, { auth: { persistSession: false, autoRefreshToken: false } });
        const r = await client.from("plans").select("code").eq("active", true);
        return { status: r.status, code: r.error?.code, message: r.error?.message, details: r.error?.details, data: r.data };
      }, { c: anon() });
    } finally {
      await admin`alter role authenticator connection limit -1`;
      await admin.end();
      browser.page.off("request", onRequest).off("response", onResponse).off("requestfailed", onFailed).off("console", onConsole);
    }
    const why = `attempts ${JSON.stringify(attempts)}; console: ${consoleErrors.join(" | ")}`;
    expect(result, why).toMatchObject({ status: 503, code: "PGRST000", message: expect.stringContaining("Retrying"), details: expect.stringContaining("authenticator"), data: null });
    // The first try and postgrest-js's three retries (X-Retry-Count 1..3) all reached the gateway and
    // were answered, none blocked by CORS.
    expect(attempts, why).toEqual([undefined, "1", "2", "3"].map((retry) => ({ retry, status: 503 })));
    // And PostgREST serves again at once (its pool connects anew on the next request).
    const after = await fetch(`${stack.apiUrl}/rest/v1/plans?select=code`, { headers: { apikey: stack.anonKey } });
    expect(after.status).toBe(200);
  });
});
