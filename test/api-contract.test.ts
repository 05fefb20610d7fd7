// docs/api.md is a contract: every supabase-js call it documents (read from the page by
// test/helpers/api-doc.ts) has an entry below, and every entry is a documented call — a call added
// to the page without its test, or a test left for a call the page dropped, fails. Each entry runs
// as that supabase-js call through the gateway and PostgREST (or the functions host), as a member
// holding a token signed as Supabase Auth signs it, asserting the data, and for refusals the HTTP
// status and the error `code` the client sees. Calls of the Auth API itself are run by the Auth
// test files against the real Auth server; their entries name the file and the call it makes.
// Rows are set up in SQL (the owner's connection); what is under test is the call.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, type TestContext } from "vitest";
import { root } from "../stack/core/config.ts";
import { documentedCalls, writesWithoutFilter } from "./helpers/api-doc.ts";
import { sql } from "./helpers/db.ts";
import { anonApi, clientAs, ok, refusal, succeeded, type ApiClient } from "./helpers/rest.ts";
import { stack, stripeSkipReason } from "./helpers/stack.ts";
import { createSession, usersDeletedAfterFile, type TestUser } from "./helpers/users.ts";
import { skipNow } from "./helpers/skip.ts";

const { createUser } = usersDeletedAfterFile();

let member: TestUser, other: TestUser, expert: TestUser, admin: TestUser, room2Owner: TestUser;
/** Clients: the member, another member, a verified expert, an admin on an aal2 session. */
let m: ApiClient, o: ApiClient, e: ApiClient, adm: ApiClient, owner2: ApiClient;
const anon = anonApi();
const inDays = (d: number) => new Date(Date.now() + d * 86400e3).toISOString();

/** Shared between entries (they run in the page's order of the `contract` object below). */
const s: Record<string, any> = {};

beforeAll(async () => {
  [member, other, expert, admin, room2Owner] = await Promise.all([createUser(), createUser(), createUser(), createUser(), createUser()]);
  await sql`update public.profiles set role = 'expert', display_name = 'Erin Expert' where id = ${expert.id}`;
  await sql`insert into public.expert_profiles (id, headline, expertise, verification_status, verified_at, hourly_rate_cents, is_available)
            values (${expert.id}, 'Tax advice', '{tax}', 'verified', now(), 6000, true)
            on conflict (id) do update set verification_status = 'verified', verified_at = now(), hourly_rate_cents = 6000, is_available = true, headline = 'Tax advice', expertise = '{tax}'`;
  await sql`update public.profiles set role = 'admin' where id = ${admin.id}`;
  [m, o, e, adm, owner2] = await Promise.all([
    clientAs(await createSession(member.id)),
    clientAs(await createSession(other.id)),
    clientAs(await createSession(expert.id)),
    clientAs(await createSession(admin.id, { aal: "aal2" })),
    clientAs(await createSession(room2Owner.id)),
  ]);
}, 60000);

/** The Auth test file that runs this Auth API call against the real Auth server, and the call as it is written there. */
function ranBy(file: string, call: string) {
  return () => {
    const text = readFileSync(join(root, "test", file), "utf8");
    expect(text, `${file} makes the call ${call}`).toContain(call);
  };
}

/** A refused call as the client sees it. */
function refused(result: { error: { code?: string; message: string } | null; status: number; data?: unknown }, status: number, code: string) {
  expect(refusal(result)).toEqual({ status, code });
}

async function completedBooking(client: ApiClient): Promise<string> {
  const b = ok(await client.rpc("create_booking", { expert_id: expert.id, scheduled_at: inDays(2), duration_minutes: 60 })) as { id: string };
  await sql`update public.bookings set status = 'completed', completed_at = now() where id = ${b.id}`;
  return b.id;
}

type Entry = (ctx: TestContext) => Promise<void> | void;

const contract: Record<string, Entry> = {
  // Accounts (the Auth API: run by the Auth test files against the real Auth server).
  "auth.signUp({ email, password, options: { data: { first_name, last_name, terms_accepted: true, terms_version, locale, referral_code } } })": ranBy("auth-signup.test.ts", "auth.signUp({ email, password, options: { data } })"),
  "auth.verifyOtp({ token_hash, type: 'signup' })": ranBy("auth-signup.test.ts", 'auth.verifyOtp({ token_hash, type: "signup" })'),
  "auth.resend({ type: 'signup', email })": ranBy("auth-signup.test.ts", "auth.resend("),
  "auth.signInWithPassword({ email, password })": ranBy("auth-passwords.test.ts", "auth.signInWithPassword({ email, password"),
  "auth.signOut({ scope: 'local' })": ranBy("auth-sessions.test.ts", 'auth.signOut({ scope: "local" })'),
  "auth.signOut()": ranBy("auth-sessions.test.ts", 'auth.signOut({ scope: "global" })'),
  "auth.signInWithOAuth({ provider: 'keycloak', options: { redirectTo } })": ranBy("auth-oauth.test.ts", "auth.signInWithOAuth("),
  "auth.resetPasswordForEmail(email, { redirectTo })": ranBy("auth-passwords.test.ts", "auth.resetPasswordForEmail("),
  "auth.updateUser({ password })": ranBy("auth-passwords.test.ts", "auth.updateUser({ password"),
  "auth.reauthenticate()": ranBy("auth-passwords.test.ts", "auth.reauthenticate()"),
  "auth.updateUser({ password, nonce: code })": ranBy("auth-passwords.test.ts", "nonce"),
  "auth.updateUser({ email })": ranBy("auth-email-change.test.ts", "auth.updateUser({ email"),
  "auth.mfa.enroll({ factorType: 'totp' })": ranBy("auth-mfa.test.ts", "auth.mfa.enroll("),
  "auth.mfa.challengeAndVerify({ factorId, code })": ranBy("auth-mfa.test.ts", "auth.mfa.challengeAndVerify("),
  "auth.mfa.getAuthenticatorAssuranceLevel()": ranBy("auth-mfa.test.ts", "auth.mfa.getAuthenticatorAssuranceLevel()"),
  "auth.mfa.unenroll({ factorId })": ranBy("auth-mfa.test.ts", "auth.mfa.unenroll("),
  "auth.signUp({ email, password, options: { data: { referral_code } } })": ranBy("signup.test.ts", "referral_code"),

  // Profile, preferences, privacy, onboarding.
  "from('profiles').select().eq('id', uid).single()": async () => {
    const p = ok(await m.from("profiles").select().eq("id", member.id).single());
    expect(p).toMatchObject({ id: member.id, role: "member", status: "active" });
    refused(await m.from("profiles").select().eq("id", "00000000-0000-0000-0000-000000000000").single(), 406, "PGRST116");
  },
  "from('profiles').update({ first_name, last_name, display_name, avatar_url, bio }).eq('id', uid)": async () => {
    const row = { first_name: "Ada", last_name: "Lovelace", display_name: "Ada L.", avatar_url: "https://example.test/a.png", bio: "Analyst" };
    const p = ok(await m.from("profiles").update(row).eq("id", member.id).select().single());
    expect(p).toMatchObject(row);
    refused(await m.from("profiles").update({ avatar_url: "http://example.test/a.png" }).eq("id", member.id), 400, "23514");
    refused(await m.from("profiles").update({ role: "admin" } as never).eq("id", member.id), 403, "42501");
  },
  "from('profiles').update({ role | status }).eq('id', id)": async () => {
    const p = ok(await adm.from("profiles").update({ status: "suspended" } as never).eq("id", other.id).select("id, status").single());
    expect(p).toEqual({ id: other.id, status: "suspended" });
    succeeded(await adm.from("profiles").update({ status: "active" } as never).eq("id", other.id));
    // aal1 admin: refused.
    const aal1 = await clientAs(await createSession(admin.id));
    const r = await aal1.from("profiles").update({ status: "suspended" } as never).eq("id", other.id);
    expect(r.error, JSON.stringify(r)).not.toBeNull();
    expect(r.status).toBe(403);
  },
  "from('expert_profiles').update({ verification_status }).eq('id', id)": async () => {
    const p = ok(await adm.from("expert_profiles").update({ verification_status: "verified" } as never).eq("id", expert.id).select("id, verification_status").single());
    expect(p).toEqual({ id: expert.id, verification_status: "verified" });
    refused(await e.from("expert_profiles").update({ verification_status: "rejected" } as never).eq("id", expert.id), 403, "42501");
  },
  "from('member_preferences').select().single()": async () => {
    expect(ok(await m.from("member_preferences").select().single())).toMatchObject({ user_id: member.id });
  },
  "from('member_preferences').update({ locale, timezone, currency, consultation_mode, preferred_categories }).eq('user_id', uid)": async () => {
    const p = ok(await m.from("member_preferences").update({ locale: "fr-FR", timezone: "Europe/Paris" }).eq("user_id", member.id).select().single());
    expect(p).toMatchObject({ locale: "fr-FR", timezone: "Europe/Paris" });
  },
  "from('notification_preferences').select()": async () => {
    const rows = ok(await m.from("notification_preferences").select());
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.user_id === member.id)).toBe(true);
  },
  "from('email_preferences').select().single()": async () => {
    expect(ok(await m.from("email_preferences").select().single())).toMatchObject({ user_id: member.id });
  },
  "from('email_preferences').update({ digest, product_updates, newsletter, booking_reminders }).eq('user_id', uid)": async () => {
    const p = ok(await m.from("email_preferences").update({ newsletter: true }).eq("user_id", member.id).select().single());
    expect(p).toMatchObject({ newsletter: true });
  },
  "from('location_preferences').select().single()": async () => {
    expect(ok(await m.from("location_preferences").select().single())).toMatchObject({ user_id: member.id });
  },
  "from('location_preferences').update({ search_radius_km, preferred_city, country_code, distance_unit, use_current_location }).eq('user_id', uid)": async () => {
    const p = ok(await m.from("location_preferences").update({ search_radius_km: 25, preferred_city: "Lyon" }).eq("user_id", member.id).select().single());
    expect(p).toMatchObject({ search_radius_km: 25, preferred_city: "Lyon" });
  },
  "from('privacy_settings').select()": async () => {
    expect(ok(await m.from("privacy_settings").select())).toEqual([expect.objectContaining({ user_id: member.id })]);
  },
  "from('privacy_settings').update({ profile_visibility, show_location, marketing_consent, search_history_enabled }).eq('user_id', uid)": async () => {
    const p = ok(await m.from("privacy_settings").update({ show_location: true, marketing_consent: true }).eq("user_id", member.id).select().single());
    expect(p).toMatchObject({ show_location: true, marketing_consent: true });
    expect(p.marketing_consent_at).not.toBeNull();
  },
  "from('onboarding').select()": async () => {
    expect(ok(await m.from("onboarding").select())).toEqual([expect.objectContaining({ user_id: member.id })]);
  },
  "rpc('complete_onboarding_step', { step: 'profile' | 'privacy' | 'location' })": async () => {
    const row = ok(await m.rpc("complete_onboarding_step", { step: "privacy" }));
    expect(row).toMatchObject({ user_id: member.id });
    expect(row.privacy_initialised_at).not.toBeNull();
    refused(await m.rpc("complete_onboarding_step", { step: "nonsense" }), 400, "22023");
  },
  "rpc('accept_terms', { version })": async () => {
    expect(ok(await m.rpc("accept_terms", { version: "2026-11" }))).toMatchObject({ terms_version: "2026-11" });
  },
  "from('login_history').select().order('signed_in_at', { ascending: false })": async () => {
    const rows = ok(await m.from("login_history").select().order("signed_in_at", { ascending: false }));
    expect(rows.every((r) => r.user_id === member.id)).toBe(true);
    refused(await anon.from("login_history").select(), 401, "42501");
  },

  // Deletion requests.
  "rpc('request_account_deletion', { reason })": async () => {
    const r = ok(await o.rpc("request_account_deletion", { reason: "testing" }));
    expect(r).toMatchObject({ user_id: other.id, status: "pending" });
    s.deletionRequest = r.id;
  },
  "rpc('cancel_account_deletion', { request_id })": async () => {
    expect(ok(await o.rpc("cancel_account_deletion", { request_id: s.deletionRequest }))).toMatchObject({ id: s.deletionRequest, status: "cancelled" });
    // Not found (another's or none): 404.
    refused(await m.rpc("cancel_account_deletion", { request_id: s.deletionRequest }), 404, "PT404");
  },

  // Discovery: favorites, search, location.
  "from('favorites').insert({ expert_id })": async () => {
    succeeded(await m.from("favorites").insert({ expert_id: expert.id }));
    refused(await m.from("favorites").insert({ expert_id: expert.id }), 409, "23505");
  },
  "rpc('list_favorites')": async () => {
    expect(ok(await m.rpc("list_favorites"))).toEqual([expect.objectContaining({ expert_id: expert.id, headline: "Tax advice" })]);
  },
  "rpc('my_favorites_count')": async () => {
    expect(ok(await m.rpc("my_favorites_count"))).toBe(1);
  },
  "rpc('expert_favorites_count', { expert_id })": async () => {
    expect(ok(await anon.rpc("expert_favorites_count", { expert_id: expert.id }))).toBe(1);
    refused(await anon.rpc("expert_favorites_count", { expert_id: member.id }), 404, "PT404");
  },
  "from('favorites').delete().eq('expert_id', expertId)": async () => {
    expect(ok(await m.from("favorites").delete().eq("expert_id", expert.id).select())).toHaveLength(1);
    expect(ok(await m.rpc("my_favorites_count"))).toBe(0);
  },
  "rpc('record_search', { query, filters })": async () => {
    const r = ok(await m.rpc("record_search", { query: "tax", filters: { min_rating: 4 } }));
    expect(r).toMatchObject({ member_id: member.id, query: "tax" });
    s.searchId = r.id;
    refused(await m.rpc("record_search", { query: "tax", filters: { nonsense: 1 } }), 400, "22023");
  },
  "from('search_history').select().order('created_at', { ascending: false })": async () => {
    expect(ok(await m.from("search_history").select().order("created_at", { ascending: false }))).toEqual([expect.objectContaining({ id: s.searchId })]);
  },
  "from('search_history').delete().eq('id', id)": async () => {
    expect(ok(await m.from("search_history").delete().eq("id", s.searchId).select())).toHaveLength(1);
  },
  "rpc('clear_search_history')": async () => {
    ok(await m.rpc("record_search", { query: "again", filters: {} }));
    expect(ok(await m.rpc("clear_search_history"))).toBe(1);
    expect(ok(await m.from("search_history").select())).toEqual([]);
  },
  "from('saved_searches').insert({ name, query, filters, notify })": async () => {
    const r = ok(await m.from("saved_searches").insert({ name: "Tax", query: "tax", filters: { expertise: ["tax"] }, notify: true }).select().single());
    expect(r).toMatchObject({ member_id: member.id, name: "Tax", notify: true });
    s.savedSearch = r.id;
    refused(await m.from("saved_searches").insert({ name: "Bad", query: "x", filters: { nonsense: true } }), 400, "23514");
  },
  "from('saved_searches').select()": async () => {
    expect(ok(await m.from("saved_searches").select())).toEqual([expect.objectContaining({ id: s.savedSearch })]);
    expect(ok(await o.from("saved_searches").select())).toEqual([]);
  },
  "from('saved_searches').delete().eq('id', searchId)": async () => {
    expect(ok(await m.from("saved_searches").delete().eq("id", s.savedSearch).select())).toHaveLength(1);
  },
  "rpc('set_expert_location', { lat, lng, city, area })": async () => {
    expect(ok(await e.rpc("set_expert_location", { lat: 48.8566, lng: 2.3522, city: "Paris", area: "Marais" }))).toMatchObject({ expert_id: expert.id, city: "Paris" });
  },
  "rpc('set_my_location', { lat, lng, city, area })": async () => {
    expect(ok(await m.rpc("set_my_location", { lat: 48.86, lng: 2.35, city: "Paris", area: "Centre" }))).toMatchObject({ member_id: member.id, city: "Paris" });
  },
  "from('member_locations').select()": async () => {
    expect(ok(await m.from("member_locations").select())).toEqual([expect.objectContaining({ member_id: member.id, city: "Paris" })]);
    expect(ok(await o.from("member_locations").select())).toEqual([]);
  },
  "rpc('nearby_experts', { lat, lng, radius_km, expertise, min_rating, max_results })": async () => {
    const rows = ok(await m.rpc("nearby_experts", { lat: 48.86, lng: 2.35, radius_km: 5, expertise: "tax", min_rating: null as never, max_results: 10 }));
    expect(rows).toEqual([expect.objectContaining({ expert_id: expert.id, city: "Paris" })]);
    expect(Object.keys(rows[0])).not.toContain("lat");
    // Around the stored location.
    expect(ok(await m.rpc("nearby_experts", { lat: null as never, lng: null as never, radius_km: 5 }))).toHaveLength(1);
    // 60 searches per member per hour, then 429.
    const search = () => m.rpc("nearby_experts", { lat: 48.86, lng: 2.35, radius_km: 1 });
    let last = await search();
    for (let i = 2; i < 61 && !last.error; i++) last = await search();
    refused(last, 429, "PT429");
    // No point given and none stored: 404.
    refused(await o.rpc("nearby_experts", { lat: null as never, lng: null as never, radius_km: 5 }), 404, "PT404");
  },
  "from('member_locations').delete().eq('member_id', uid)": async () => {
    expect(ok(await m.from("member_locations").delete().eq("member_id", member.id).select())).toHaveLength(1);
  },

  // Bookings, reviews, tickets, notifications, dashboard.
  "rpc('create_booking', { expert_id, scheduled_at, duration_minutes, note })": async () => {
    const b = ok(await m.rpc("create_booking", { expert_id: expert.id, scheduled_at: inDays(3), duration_minutes: 90, note: "first call" }));
    expect(b).toMatchObject({ member_id: member.id, expert_id: expert.id, price_cents: 9000, status: "requested" });
    s.booking = b.id;
    // An unverified or unknown expert: 404.
    refused(await m.rpc("create_booking", { expert_id: other.id, scheduled_at: inDays(3), duration_minutes: 60 }), 404, "PT404");
  },
  "rpc('set_booking_status', { booking_id, new_status })": async () => {
    expect(ok(await e.rpc("set_booking_status", { booking_id: s.booking, new_status: "confirmed" }))).toMatchObject({ status: "confirmed" });
    // Not a participant: 404.
    refused(await o.rpc("set_booking_status", { booking_id: s.booking, new_status: "cancelled" }), 404, "PT404");
  },
  "from('bookings').select()": async () => {
    expect(ok(await m.from("bookings").select()).map((b) => b.id)).toContain(s.booking);
    expect(ok(await e.from("bookings").select()).map((b) => b.id)).toContain(s.booking);
    expect(ok(await o.from("bookings").select())).toEqual([]);
  },
  "rpc('member_area', { member_id })": async () => {
    ok(await m.rpc("set_my_location", { lat: 48.86, lng: 2.35, city: "Paris", area: "Centre" }));
    // show_location is on (privacy_settings above); the expert has a booking with the member.
    expect(ok(await e.rpc("member_area", { member_id: member.id }))).toEqual([{ city: "Paris", area: "Centre" }]);
    const notBooked = await o.rpc("member_area", { member_id: member.id });
    expect(notBooked.error ? notBooked.status : (notBooked.data ?? []).length, "someone without a booking learns nothing").not.toBe(1);
  },
  "rpc('member_dashboard')": async () => {
    const data = ok(await m.rpc("member_dashboard")) as { profile: { id: string }; counts: Record<string, unknown>; next_bookings: { id: string }[] };
    expect(data).toMatchObject({ profile: expect.objectContaining({ id: member.id }), counts: expect.any(Object) });
    expect(data.next_bookings.map((b) => b.id)).toContain(s.booking);
    // The same payload as the function's (the function calls it), and nothing without a member's token.
    const { data: viaFunction } = await m.functions.invoke("member-dashboard");
    expect({ ...data, generated_at: null }).toEqual({ ...(viaFunction as object), generated_at: null });
    refused(await anon.rpc("member_dashboard"), 401, "42501");
  },
  "functions.invoke('member-dashboard')": async () => {
    const { data, error } = await m.functions.invoke("member-dashboard");
    expect(error).toBeNull();
    expect(data).toMatchObject({ profile: expect.objectContaining({ id: member.id }), counts: expect.any(Object) });
    expect((data as { next_bookings: { id: string }[] }).next_bookings.map((b) => b.id)).toContain(s.booking);
  },
  "from('activity').select().order('created_at', { ascending: false })": async () => {
    const rows = ok(await m.from("activity").select().order("created_at", { ascending: false }));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.user_id === member.id)).toBe(true);
  },
  "rpc('member_stats')": async () => {
    expect(ok(await m.rpc("member_stats"))).toEqual([expect.objectContaining({ bookings_total: 1, bookings_upcoming: 1 })]);
  },
  "rpc('spending_history', { months: 12 })": async () => {
    expect(Array.isArray(ok(await m.rpc("spending_history", { months: 12 })))).toBe(true);
  },
  "from('reviews').insert({ booking_id, rating, title, body })": async () => {
    s.completed = await completedBooking(m);
    const r = ok(await m.from("reviews").insert({ booking_id: s.completed, expert_id: expert.id, rating: 5, title: "Great", body: "Clear advice" }).select().single());
    expect(r).toMatchObject({ rating: 5, author_id: member.id });
    s.review = r.id;
    // Not a completed booking of yours: 404; twice: 409.
    refused(await m.from("reviews").insert({ booking_id: s.completed, expert_id: expert.id, rating: 4, title: "Again", body: "y" }), 409, "23505");
    refused(await o.from("reviews").insert({ booking_id: s.booking, expert_id: expert.id, rating: 1, title: "x", body: "y" }), 404, "PT404");
  },
  "rpc('consultation_history', { page_size, page_offset })": async () => {
    expect(ok(await m.rpc("consultation_history", { page_size: 10, page_offset: 0 }))).toEqual(expect.arrayContaining([expect.objectContaining({ booking_id: s.completed, expert_id: expert.id, can_review: false, review_rating: 5 })]));
  },
  "from('reviews').update({ rating, title, body }).eq('id', id)": async () => {
    expect(ok(await m.from("reviews").update({ rating: 4, title: "Good", body: "Clear" }).eq("id", s.review).select().single())).toMatchObject({ rating: 4, title: "Good" });
  },
  "rpc('expert_reviews', { expert_id, page_size: 20, page_offset: 0 })": async () => {
    const rows = ok(await anon.rpc("expert_reviews", { expert_id: expert.id, page_size: 20, page_offset: 0 }));
    expect(rows).toEqual([expect.objectContaining({ id: s.review, rating: 4, author_name: "Ada L." })]);
    expect(Object.keys(rows[0])).not.toContain("author_id");
  },
  "from('reviews').update({ is_hidden: true, hidden_reason }).eq('id', id)": async () => {
    expect(ok(await adm.from("reviews").update({ is_hidden: true, hidden_reason: "test" }).eq("id", s.review).select("id, is_hidden").single())).toEqual({ id: s.review, is_hidden: true });
    expect(ok(await anon.rpc("expert_reviews", { expert_id: expert.id }))).toEqual([]);
    refused(await m.from("reviews").update({ is_hidden: false } as never).eq("id", s.review), 403, "42501");
  },
  "from('reviews').delete().eq('id', id)": async () => {
    expect(ok(await m.from("reviews").delete().eq("id", s.review).select("id"))).toEqual([{ id: s.review }]);
  },
  "rpc('open_support_ticket', { subject, body, category })": async () => {
    const t = ok(await m.rpc("open_support_ticket", { subject: "Invoice", body: "Where is it?", category: "billing" }));
    expect(t).toMatchObject({ member_id: member.id, subject: "Invoice", status: "open" });
    s.ticket = t.id;
  },
  "from('support_tickets').select()": async () => {
    expect(ok(await m.from("support_tickets").select()).map((t) => t.id)).toEqual([s.ticket]);
    expect(ok(await adm.from("support_tickets").select().eq("id", s.ticket))).toHaveLength(1);
  },
  "from('ticket_messages').insert({ ticket_id, body })": async () => {
    succeeded(await m.from("ticket_messages").insert({ ticket_id: s.ticket, body: "Any news?" }));
    refused(await o.from("ticket_messages").insert({ ticket_id: s.ticket, body: "me too" }), 404, "PT404");
  },
  "from('support_tickets').update({ status, priority }).eq('id', id)": async () => {
    expect(ok(await adm.from("support_tickets").update({ status: "pending", priority: "high" } as never).eq("id", s.ticket).select("status, priority").single())).toEqual({ status: "pending", priority: "high" });
  },
  "from('ticket_messages').insert({ ticket_id, body, is_internal: true })": async () => {
    succeeded(await adm.from("ticket_messages").insert({ ticket_id: s.ticket, body: "internal note", is_internal: true } as never));
    expect(ok(await m.from("ticket_messages").select("body").eq("ticket_id", s.ticket)).map((r) => r.body)).not.toContain("internal note");
  },
  "from('notifications').select().is('read_at', null)": async () => {
    const rows = ok(await e.from("notifications").select().is("read_at", null));
    expect(rows.map((n) => n.kind)).toContain("booking_requested");
    s.notification = rows[0].id;
  },
  "from('notifications').update({ read_at: new Date().toISOString() }).eq('id', id)": async () => {
    expect(ok(await e.from("notifications").update({ read_at: new Date().toISOString() }).eq("id", s.notification).select("id, read_at").single()).read_at).not.toBeNull();
  },

  // Messaging.
  "rpc('start_conversation', { expert_id, body })": async () => {
    const c = ok(await m.rpc("start_conversation", { expert_id: expert.id, body: "Hello" }));
    expect(c).toMatchObject({ member_id: member.id, expert_id: expert.id });
    s.conversation = c.id;
    // A member (or an unverified/suspended expert) as the other side: 404.
    refused(await m.rpc("start_conversation", { expert_id: other.id, body: "Hi" }), 404, "PT404");
  },
  "from('messages').insert({ conversation_id, body })": async () => {
    const msg = ok(await e.from("messages").insert({ conversation_id: s.conversation, body: "Hi, how can I help?" }).select().single());
    expect(msg).toMatchObject({ sender_id: expert.id });
    s.message = msg.id;
    refused(await o.from("messages").insert({ conversation_id: s.conversation, body: "intruder" }), 403, "42501");
  },
  "rpc('inbox', { page_size: 20 })": async () => {
    const rows = ok(await m.rpc("inbox", { page_size: 20 }));
    expect(rows).toEqual([expect.objectContaining({ conversation_id: s.conversation, other_id: expert.id, unread_count: 1 })]);
    s.lastAt = rows[0].last_message_at;
  },
  "rpc('inbox', { page_size: 20, before: last.last_message_at })": async () => {
    expect(ok(await m.rpc("inbox", { page_size: 20, before: s.lastAt }))).toEqual([]);
  },
  "from('messages').select().eq('conversation_id', id).order('created_at', { ascending: false }).order('id', { ascending: false }).limit(50)": async () => {
    const rows = ok(await m.from("messages").select().eq("conversation_id", s.conversation).order("created_at", { ascending: false }).order("id", { ascending: false }).limit(50));
    expect(rows.map((r) => r.body)).toEqual(["Hi, how can I help?", "Hello"]);
  },
  "rpc('mark_conversation_read', { conversation_id })": async () => {
    expect(ok(await m.rpc("mark_conversation_read", { conversation_id: s.conversation }))).toMatchObject({ user_id: member.id, last_read_message_id: s.message });
    refused(await o.rpc("mark_conversation_read", { conversation_id: s.conversation }), 404, "PT404");
  },
  "from('conversation_participants').select().eq('conversation_id', id)": async () => {
    // Each participant reads their own row only; the other side's read receipt is copied into it.
    const rows = ok(await m.from("conversation_participants").select().eq("conversation_id", s.conversation));
    expect(rows.map((p) => p.user_id)).toEqual([member.id]);
    expect(rows[0]).toHaveProperty("other_last_read_message_id");
  },
  "rpc('unread_counts')": async () => {
    expect(ok(await m.rpc("unread_counts"))).toMatchObject({ messages: 0, notifications: expect.any(Number) });
  },
  "from('messages').update({ body }).eq('id', id)": async () => {
    expect(ok(await e.from("messages").update({ body: "Hi! How can I help?" }).eq("id", s.message).select("body").single())).toEqual({ body: "Hi! How can I help?" });
  },
  "from('message_reports').insert({ message_id, reason })": async () => {
    succeeded(await m.from("message_reports").insert({ message_id: s.message, reason: "spam" }));
    refused(await m.from("message_reports").insert({ message_id: s.message, reason: "spam" }), 409, "23505");
  },
  "from('message_reports').select('*, messages(*)').eq('status', 'open')": async () => {
    const rows = ok(await adm.from("message_reports").select("*, messages(*)").eq("status", "open").eq("message_id", s.message));
    expect(rows).toEqual([expect.objectContaining({ message_id: s.message, messages: expect.objectContaining({ id: s.message }) })]);
  },
  "rpc('moderate_message', { message_id, hide: true, reason, suspend_sender: true })": async () => {
    expect(ok(await adm.rpc("moderate_message", { message_id: s.message, hide: true, reason: "spam", suspend_sender: false }))).toMatchObject({ id: s.message });
    refused(await adm.rpc("moderate_message", { message_id: -1, hide: true }), 404, "PT404");
  },
  "from('messages').update({ deleted_at: new Date().toISOString() }).eq('id', id)": async () => {
    const [first] = ok(await m.from("messages").select("id").eq("conversation_id", s.conversation).eq("sender_id", member.id));
    const row = ok(await m.from("messages").update({ deleted_at: new Date().toISOString() }).eq("id", first.id).select("deleted_at, body").single());
    expect(row.deleted_at).not.toBeNull();
  },
  "from('blocks').insert({ blocked_id })": async () => {
    succeeded(await m.from("blocks").insert({ blocked_id: other.id }));
  },
  "from('blocks').select()": async () => {
    expect(ok(await m.from("blocks").select())).toEqual([expect.objectContaining({ blocked_id: other.id })]);
    expect(ok(await o.from("blocks").select())).toEqual([]);
  },
  "from('blocks').delete().eq('blocked_id', id)": async () => {
    expect(ok(await m.from("blocks").delete().eq("blocked_id", other.id).select())).toHaveLength(1);
  },

  // Chat rooms.
  "rpc('create_room', { name, topic, visibility: 'public' | 'private' })": async () => {
    const r = ok(await m.rpc("create_room", { name: "Taxes", topic: "all things tax", visibility: "public" }));
    expect(r).toMatchObject({ name: "Taxes", visibility: "public" });
    s.room = r.id;
    s.privateRoom = ok(await owner2.rpc("create_room", { name: "Private", visibility: "private" })).id;
  },
  "from('chat_rooms').select()": async () => {
    const ids = ok(await o.from("chat_rooms").select()).map((r) => r.id);
    expect(ids).toContain(s.room);
    expect(ids).not.toContain(s.privateRoom);
  },
  "rpc('join_room', { room_id })": async () => {
    expect(ok(await o.rpc("join_room", { room_id: s.room }))).toMatchObject({ user_id: other.id });
    refused(await o.rpc("join_room", { room_id: s.privateRoom }), 404, "PT404");
  },
  "from('room_members').select().eq('user_id', uid)": async () => {
    expect(ok(await o.from("room_members").select().eq("user_id", other.id)).map((r) => r.room_id)).toEqual([s.room]);
  },
  "from('room_members').select().eq('room_id', id)": async () => {
    expect(ok(await o.from("room_members").select().eq("room_id", s.room)).map((r) => r.user_id).sort()).toEqual([member.id, other.id].sort());
    expect(ok(await o.from("room_members").select().eq("room_id", s.privateRoom))).toEqual([]);
  },
  "rpc('invite_to_room', { room_id, user_id })": async () => {
    // Only someone the inviter talks to: a stranger gets 404, as no one does.
    refused(await owner2.rpc("invite_to_room", { room_id: s.privateRoom, user_id: member.id }), 404, "PT404");
    await sql`insert into public.conversations (member_id, expert_id) values (${room2Owner.id}, ${member.id})`;
    expect(ok(await owner2.rpc("invite_to_room", { room_id: s.privateRoom, user_id: member.id }))).toMatchObject({ user_id: member.id });
  },
  "rpc('set_room_role', { room_id, user_id, role: 'moderator' | 'member' | 'owner' })": async () => {
    expect(ok(await m.rpc("set_room_role", { room_id: s.room, user_id: other.id, role: "moderator" }))).toMatchObject({ role: "moderator" });
    refused(await m.rpc("set_room_role", { room_id: s.room, user_id: expert.id, role: "moderator" }), 404, "PT404");
  },
  "rpc('mute_room_member', { room_id, user_id, minutes })": async () => {
    ok(await m.rpc("set_room_role", { room_id: s.room, user_id: other.id, role: "member" }));
    expect(ok(await m.rpc("mute_room_member", { room_id: s.room, user_id: other.id, minutes: 0 }))).toMatchObject({ user_id: other.id });
  },
  "from('room_messages').insert({ room_id, body })": async () => {
    s.roomMessage = ok(await o.from("room_messages").insert({ room_id: s.room, body: "hello room" }).select().single()).id;
    refused(await e.from("room_messages").insert({ room_id: s.room, body: "not a member" }), 403, "42501");
  },
  "from('room_messages').select().eq('room_id', id).order('created_at')": async () => {
    expect(ok(await m.from("room_messages").select().eq("room_id", s.room).order("created_at")).map((r) => r.body)).toEqual(["hello room"]);
  },
  "from('room_messages').update({ body }).eq('id', id)": async () => {
    expect(ok(await o.from("room_messages").update({ body: "hello, room" }).eq("id", s.roomMessage).select("body").single())).toEqual({ body: "hello, room" });
  },
  "rpc('hide_room_message', { message_id, reason })": async () => {
    expect(ok(await m.rpc("hide_room_message", { message_id: s.roomMessage, reason: "test" }))).toMatchObject({ id: s.roomMessage });
    refused(await o.rpc("hide_room_message", { message_id: s.roomMessage }), 404, "PT404");
  },
  "from('room_messages').update({ deleted_at: new Date().toISOString() }).eq('id', id)": async () => {
    const id = ok(await o.from("room_messages").insert({ room_id: s.room, body: "to delete" }).select().single()).id;
    expect(ok(await o.from("room_messages").update({ deleted_at: new Date().toISOString() }).eq("id", id).select("deleted_at").single()).deleted_at).not.toBeNull();
  },
  "rpc('remove_from_room', { room_id, user_id })": async () => {
    expect(ok(await m.rpc("remove_from_room", { room_id: s.room, user_id: other.id }))).toMatchObject({ user_id: other.id });
  },
  "rpc('leave_room', { room_id })": async () => {
    ok(await m.rpc("join_room", { room_id: s.privateRoom }));
    expect(ok(await m.rpc("leave_room", { room_id: s.privateRoom }))).toMatchObject({ user_id: member.id });
    refused(await o.rpc("leave_room", { room_id: s.privateRoom }), 404, "PT404");
  },
  "from('chat_rooms').update({ name, topic, visibility }).eq('id', id)": async () => {
    expect(ok(await m.from("chat_rooms").update({ name: "Tax talk", topic: "t", visibility: "public" }).eq("id", s.room).select("name").single())).toEqual({ name: "Tax talk" });
  },
  "from('notification_preferences').update({ enabled: false }).match({ channel: 'email', category: 'messages' })": async () => {
    expect(ok(await m.from("notification_preferences").update({ enabled: false }).match({ channel: "email", category: "messages" }).select("enabled"))).toEqual([{ enabled: false }]);
  },
  "from('email_preferences').update({ notification_emails: 'immediate' | 'daily_digest' | 'off' }).eq('user_id', uid)": async () => {
    expect(ok(await m.from("email_preferences").update({ notification_emails: "daily_digest" }).eq("user_id", member.id).select("notification_emails").single())).toEqual({ notification_emails: "daily_digest" });
    refused(await m.from("email_preferences").update({ notification_emails: "hourly" as never }).eq("user_id", member.id), 400, "22P02");
  },
  // Realtime is not served by the Docker-free stack (supabase start and hosted serve it): what the
  // snippet subscribes to must be in the supabase_realtime publication, with the column it filters on.
  [REALTIME_SNIPPET()]: async () => {
    const rows = await sql<{ tablename: string }[]>`select tablename from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public'`;
    expect(rows.map((r) => r.tablename)).toEqual(expect.arrayContaining(["messages", "conversation_participants", "notifications"]));
    const [col] = await sql`select 1 from information_schema.columns where table_schema = 'public' and table_name = 'notifications' and column_name = 'user_id'`;
    expect(col).toBeDefined();
  },

  // Credits.
  "functions.invoke('affiliate-credit', { body: {} })": async () => {
    const { error } = await m.functions.invoke("affiliate-credit", { body: {} });
    expect(await statusAndCode(error)).toEqual({ status: 404, code: "no_referral" });
  },
  "functions.invoke('affiliate-credit', { body: { code } })": async () => {
    const [{ code }] = await sql<{ code: string }[]>`select code from public.referral_codes where user_id = ${member.id}`;
    const { error } = await m.functions.invoke("affiliate-credit", { body: { code } });
    expect(await statusAndCode(error)).toEqual({ status: 422, code: "self_referral" });
  },
  "rpc('affiliate_stats')": async () => {
    expect(ok(await m.rpc("affiliate_stats"))).toMatchObject({ code: expect.any(String) });
  },
  "rpc('admin_adjust_credits', { user_id, amount_cents, reference, memo })": async () => {
    expect(ok(await adm.rpc("admin_adjust_credits", { user_id: member.id, amount_cents: 4000, reference: `contract-${member.id}`, memo: "test" }))).toMatchObject({ amount_cents: 4000 });
    refused(await adm.rpc("admin_adjust_credits", { user_id: "00000000-0000-0000-0000-000000000000", amount_cents: 1, reference: "x" }), 404, "PT404");
  },
  "from('credit_accounts').select('balance_cents').single()": async () => {
    expect(ok(await m.from("credit_accounts").select("balance_cents").single())).toEqual({ balance_cents: 4000 });
  },
  "from('credit_transactions').select().order('created_at', { ascending: false })": async () => {
    expect(ok(await m.from("credit_transactions").select().order("created_at", { ascending: false }))).toEqual([expect.objectContaining({ amount_cents: 4000 })]);
  },
  "from('referrals').select()": async () => {
    expect(ok(await m.from("referrals").select())).toEqual([]);
  },
  "rpc('quote_credits', { booking_id })": async () => {
    expect(ok(await m.rpc("quote_credits", { booking_id: s.booking }))).toMatchObject({ applicable_cents: 4000 });
    refused(await o.rpc("quote_credits", { booking_id: s.booking }), 404, "PT404");
  },
  "rpc('apply_credits', { booking_id, amount_cents })": async () => {
    expect(ok(await m.rpc("apply_credits", { booking_id: s.booking, amount_cents: 1000 }))).toMatchObject({ credits_applied_cents: 1000 });
    refused(await o.rpc("apply_credits", { booking_id: s.booking }), 404, "PT404");
  },
  "from('admin_audit_log').select()": async () => {
    expect(ok(await m.from("admin_audit_log").select()).length).toBeGreaterThan(0);
    expect(ok(await o.from("admin_audit_log").select()).filter((r) => r.target_id === member.id)).toEqual([]);
  },

  // Billing.
  "from('plans').select().eq('active', true)": async () => {
    expect(ok(await anon.from("plans").select().eq("active", true)).map((p) => p.code)).toEqual(expect.arrayContaining(["free", "pro"]));
  },
  "from('subscriptions').select('status, current_period_end, cancel_at_period_end, scheduled_change_at, plan:plans!subscriptions_plan_id_fkey(code, name)')": async () => {
    const [{ id: planId }] = await sql`select id from public.plans where code = 'pro'`;
    await sql`insert into public.billing_customers (user_id, stripe_customer_id) values (${member.id}, ${`cus_contract_${member.id.slice(0, 8)}`}) on conflict do nothing`;
    await sql`insert into public.subscriptions (user_id, stripe_subscription_id, stripe_customer_id, plan_id, status, current_period_end, stripe_event_at, stripe_event_id)
              values (${member.id}, ${`sub_contract_${member.id.slice(0, 8)}`}, ${`cus_contract_${member.id.slice(0, 8)}`}, ${planId}, 'active',
                      now() + interval '30 days', now(), 'evt_contract')`;
    const rows = ok(await m.from("subscriptions").select("status, current_period_end, cancel_at_period_end, scheduled_change_at, plan:plans!subscriptions_plan_id_fkey(code, name)"));
    expect(rows).toEqual([expect.objectContaining({ status: "active", cancel_at_period_end: false, plan: { code: "pro", name: "Pro" } })]);
  },
  "rpc('my_entitlements')": async () => {
    expect(ok(await m.rpc("my_entitlements"))).toMatchObject({ plan: "pro", subscription_status: "active" });
  },
  "from('payment_methods').select('brand, last4, exp_month, exp_year, is_default').is('detached_at', null)": async () => {
    expect(ok(await m.from("payment_methods").select("brand, last4, exp_month, exp_year, is_default").is("detached_at", null))).toEqual([]);
  },
  "from('invoices').select().order('created_at', { ascending: false })": async () => {
    expect(ok(await m.from("invoices").select().order("created_at", { ascending: false }))).toEqual([]);
    refused(await anon.from("invoices").select(), 401, "42501");
  },
  "functions.invoke('billing-checkout', { body: { plan: 'pro', success_url, cancel_url } })": async (ctx) => {
    const urls = { success_url: "http://127.0.0.1:3000/billing/ok", cancel_url: "http://127.0.0.1:3000/billing/no" };
    const checkout = (client: ApiClient, body: Record<string, unknown>) => client.functions.invoke("billing-checkout", { body });
    expect(await statusAndCode((await checkout(m, { plan: "pro", ...urls })).error)).toEqual({ status: 409, code: "already_subscribed" });
    expect(await statusAndCode((await checkout(o, { plan: "pro", success_url: "https://evil.test/ok", cancel_url: urls.cancel_url })).error)).toEqual({ status: 400, code: "return_url_not_allowed" });
    expect(await statusAndCode((await checkout(o, { plan: "free", ...urls })).error)).toEqual({ status: 422, code: "free_plan" });
    expect(await statusAndCode((await checkout(o, { plan: "gold", ...urls })).error)).toEqual({ status: 404, code: "unknown_plan" });
    if (stripeSkipReason) return skipNow(ctx, stripeSkipReason); // the session itself is made by Stripe
    const { data, error } = await checkout(o, { plan: "pro", ...urls });
    expect(error).toBeNull();
    expect(data).toMatchObject({ id: expect.any(String), url: expect.any(String) });
  },
  "functions.invoke('billing-portal', { body: { return_url } })": async (ctx) => {
    const { error } = await owner2.functions.invoke("billing-portal", { body: { return_url: "http://127.0.0.1:3000/account" } });
    expect(await statusAndCode(error)).toEqual({ status: 404, code: "no_billing_account" });
    if (stripeSkipReason) return skipNow(ctx, stripeSkipReason);
    const { data, error: stripeError } = await o.functions.invoke("billing-portal", { body: { return_url: "http://127.0.0.1:3000/account" } });
    expect(stripeError).toBeNull();
    expect(data).toMatchObject({ url: expect.any(String) });
  },
  "functions.invoke('billing-change-plan', { body: { action: 'preview', plan } })": async () => {
    const { error } = await o.functions.invoke("billing-change-plan", { body: { action: "preview", plan: "plus" } });
    expect(await statusAndCode(error)).toEqual({ status: 404, code: "no_subscription" });
  },
  "functions.invoke('billing-change-plan', { body: { action: 'change', plan } })": async () => {
    const { error } = await o.functions.invoke("billing-change-plan", { body: { action: "change", plan: "plus" } });
    expect(await statusAndCode(error)).toEqual({ status: 404, code: "no_subscription" });
  },
  "functions.invoke('billing-change-plan', { body: { action: 'cancel' } })": async () => {
    const { error } = await o.functions.invoke("billing-change-plan", { body: { action: "cancel" } });
    expect(await statusAndCode(error)).toEqual({ status: 404, code: "no_subscription" });
  },
  "functions.invoke('billing-payment-methods', { body: { action: 'setup' } })": async (ctx) => {
    expect(await statusAndCode((await anon.functions.invoke("billing-payment-methods", { body: { action: "setup" } })).error)).toEqual({ status: 401, code: "not_signed_in" });
    if (stripeSkipReason) return skipNow(ctx, stripeSkipReason);
    const { data, error } = await o.functions.invoke("billing-payment-methods", { body: { action: "setup" } });
    expect(error).toBeNull();
    expect(data).toMatchObject({ client_secret: expect.any(String) });
  },
  "functions.invoke('billing-payment-methods', { body: { action: 'detach' | 'set_default', payment_method_id } })": async () => {
    const { error } = await o.functions.invoke("billing-payment-methods", { body: { action: "detach", payment_method_id: "pm_not_yours" } });
    expect(await statusAndCode(error)).toEqual({ status: 404, code: "payment_method_not_found" });
  },
  "functions.invoke('booking-payment', { body: { booking_id } })": async (ctx) => {
    expect((await statusAndCode((await o.functions.invoke("booking-payment", { body: { booking_id: s.booking } })).error)).status).toBe(404);
    if (stripeSkipReason) return skipNow(ctx, stripeSkipReason);
    const { data, error } = await m.functions.invoke("booking-payment", { body: { booking_id: s.booking } });
    expect(error).toBeNull();
    expect(data).toMatchObject({ client_secret: expect.any(String) });
  },
  "functions.invoke('booking-payment', { body: { booking_id, action: 'cancel' } })": async () => {
    const { error } = await o.functions.invoke("booking-payment", { body: { booking_id: s.booking, action: "cancel" } });
    expect((await statusAndCode(error)).status).toBe(404);
  },

  // Privacy.
  "functions.invoke('data-export', { method: 'GET' })": async () => {
    const { data, error } = await m.functions.invoke("data-export", { method: "GET" });
    expect(error).toBeNull();
    const doc = typeof data === "string" ? JSON.parse(data) : data;
    expect(doc.tables.profiles.rows).toEqual([expect.objectContaining({ id: member.id })]);
  },
  "functions.invoke('account-delete', { method: 'POST' })": async () => {
    const { data, error } = await o.functions.invoke("account-delete", { method: "POST" });
    if (!stack.authServer) expect(await statusAndCode(error)).toEqual({ status: 503, code: "auth_unavailable" });
    else {
      expect(error).toBeNull();
      expect(data).toMatchObject({ request_id: expect.any(String) });
    }
  },
};

/** The realtime snippet of docs/api.md, as the page has it (its key in the contract). */
function REALTIME_SNIPPET(): string {
  return documentedCalls().find((c) => c.startsWith("supabase.channel("))!;
}

/** A function's refusal as supabase-js reports it: the response's status and our error body's code. */
async function statusAndCode(error: unknown): Promise<{ status: number; code: string }> {
  const res = (error as { context?: Response } | null)?.context;
  if (!res) throw new Error(`expected a refusal, got ${String(error)}`);
  const body = (await res.json()) as { error?: { code?: string } };
  return { status: res.status, code: body.error?.code ?? "" };
}

describe("docs/api.md is a contract", () => {
  const documented = [...new Set(documentedCalls())];

  it("documents about 110 calls, and every one has its entry here (and every entry is documented)", () => {
    expect(documented.length).toBeGreaterThan(100);
    expect(documented.filter((c) => !(c in contract)), "documented without a test").toEqual([]);
    expect(Object.keys(contract).filter((c) => !documented.includes(c)), "tested but not documented").toEqual([]);
  });

  it("every documented write names its rows with a filter (hosted Supabase preloads safeupdate)", () => {
    const writes = documented.filter((c) => /\.(update|delete|upsert)\(/.test(c));
    expect(writes.length).toBeGreaterThan(20);
    expect(writesWithoutFilter(documented)).toEqual([]);
    // The check itself: a write without a filter is found.
    expect(writesWithoutFilter(["from('member_locations').delete()", "from('x').update({ a }).eq('id', id)"])).toEqual(["from('member_locations').delete()"]);
  });
});

describe("docs/api.md calls through supabase-js, the gateway and PostgREST", () => {
  for (const [call, run] of Object.entries(contract)) it(call.split("\n")[0], run, 60000);
});
