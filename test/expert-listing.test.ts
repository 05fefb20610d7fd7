// Issue 20, findings 1 and 2: an expert's listing follows the one listing rule everywhere
// (private.is_listed_expert: role expert, account active, expert profile verified; bookable = listed
// and available). Each attack is made as a client makes it (supabase-js → gateway → PostgREST, or
// the functions), against an expert an aal2 admin demoted or suspended through the API; and the
// documented lifecycle (docs/api.md, "When an expert stops being listed") is run end to end.
import { afterAll, describe, expect, it } from "vitest";
import { sql } from "./helpers/db.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { anonApi, memberClient, ok, refusal, succeeded, type ApiClient } from "./helpers/rest.ts";
import { stack, stripeSkipReason } from "./helpers/stack.ts";
import { createSession, usersDeletedAfterFile, type TestUser } from "./helpers/users.ts";

const users = usersDeletedAfterFile();
const made: string[] = [];
// One at a time (a member and the expert of their booking in one statement trip the bookings keys).
afterAll(async () => {
  for (const id of made.reverse()) await sql`delete from auth.users where id = ${id}`;
});

type Actor = TestUser & { api: ApiClient };

async function person(role: "member" | "expert" | "admin" = "member", expert: { verification?: string; headline?: string } = {}): Promise<Actor> {
  const user = await users.createUser();
  made.push(user.id);
  if (role !== "member") await sql`update public.profiles set role = ${role} where id = ${user.id}`;
  if (role === "expert") {
    const v = expert.verification ?? "verified";
    await sql`insert into public.expert_profiles (id, verification_status, verified_at, hourly_rate_cents, is_available, headline)
              values (${user.id}, ${v}::public.verification_status, ${v === "verified" ? new Date() : null}, 6000, true, ${expert.headline ?? "Expert"})`;
  }
  return { ...user, api: await memberClient(user.id, role === "admin" ? { aal: "aal2" } : {}) };
}

/** A function called through the gateway with a live session's token. */
async function invoke(fn: string, userId: string, body: unknown): Promise<{ status: number; body: any }> {
  const token = await signAccessToken(await createSession(userId));
  const res = await fetch(`${stack.apiUrl}/functions/v1/${fn}`, {
    method: "POST", headers: { apikey: stack.anonKey, authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

const soon = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
// A point of our own, far from the other tests' experts.
const here = { lat: -33.9 + Math.random() * 0.5, lng: 18.4 + Math.random() * 0.5 };

/** Everything a client can learn about an expert's listing, each through its documented call. */
async function seen(expert: Actor, member: Actor) {
  const anon = anonApi();
  const nearby = ok(await member.api.rpc("nearby_experts", { lat: here.lat, lng: here.lng, radius_km: 5, max_results: 100 })) as { expert_id: string }[];
  const favCount = await anon.rpc("expert_favorites_count", { expert_id: expert.id });
  return {
    anonExpertProfile: (ok(await anon.from("expert_profiles").select("id").eq("id", expert.id)) as unknown[]).length,
    anonProfile: (ok(await anon.from("profiles").select("id").eq("id", expert.id)) as unknown[]).length,
    memberExpertProfile: (ok(await member.api.from("expert_profiles").select("id").eq("id", expert.id)) as unknown[]).length,
    nearby: nearby.some((r) => r.expert_id === expert.id),
    reviews: (ok(await anon.rpc("expert_reviews", { expert_id: expert.id })) as unknown[]).length,
    favoritesCount: favCount.error ? `${favCount.status} ${favCount.error.code}` : favCount.data,
  };
}

const listed = { anonExpertProfile: 1, anonProfile: 1, memberExpertProfile: 1, nearby: true, reviews: 1, favoritesCount: 1 };
const unlisted = { anonExpertProfile: 0, anonProfile: 0, memberExpertProfile: 0, nearby: false, reviews: 0, favoritesCount: "404 PT404" };

/** An expert with a location, a review, a favorite, and a member with an open, credit-paid booking and a conversation. */
async function expertDoingBusiness() {
  const admin = await person("admin");
  const expert = await person("expert");
  const member = await person();
  ok(await expert.api.rpc("set_expert_location", { lat: here.lat, lng: here.lng, city: "Cape Town", area: "Gardens" }));
  ok(await admin.api.rpc("admin_adjust_credits", { user_id: member.id, amount_cents: 2000, reference: `listing-${member.id}` }));
  // A consultation that happened, and its review.
  const done = ok(await member.api.rpc("create_booking", { expert_id: expert.id, scheduled_at: soon(1), duration_minutes: 60 })) as { id: string };
  ok(await expert.api.rpc("set_booking_status", { booking_id: done.id, new_status: "confirmed" }));
  ok(await expert.api.rpc("set_booking_status", { booking_id: done.id, new_status: "completed" }));
  succeeded(await member.api.from("reviews").insert({ booking_id: done.id, expert_id: expert.id, rating: 5, title: "Great", body: "Helpful" }));
  succeeded(await member.api.from("favorites").insert({ expert_id: expert.id }));
  // An open booking, paid in part with credits; and another still only requested.
  const open = ok(await member.api.rpc("create_booking", { expert_id: expert.id, scheduled_at: soon(3), duration_minutes: 60 })) as { id: string };
  ok(await expert.api.rpc("set_booking_status", { booking_id: open.id, new_status: "confirmed" }));
  ok(await member.api.rpc("apply_credits", { booking_id: open.id, amount_cents: 1000 }));
  const requested = ok(await member.api.rpc("create_booking", { expert_id: expert.id, scheduled_at: soon(4), duration_minutes: 30 })) as { id: string };
  const conversation = (ok(await member.api.rpc("start_conversation", { expert_id: expert.id, body: "Hello" })) as { id: string }).id;
  return { admin, expert, member, open: open.id, requested: requested.id, conversation };
}

const balance = async (member: Actor) =>
  (ok(await member.api.from("credit_accounts").select("balance_cents").single()) as { balance_cents: number }).balance_cents;

describe("finding 1 (MED): a demoted expert does no more business", () => {
  it("after an admin sets role 'member' (expert profile still verified), nothing lists, books, writes to, confirms or pays them", async () => {
    const s = await expertDoingBusiness();
    expect(await seen(s.expert, s.member)).toEqual(listed);
    const other = await person();

    succeeded(await s.admin.api.from("profiles").update({ role: "member" }).eq("id", s.expert.id));
    expect((await sql`select verification_status from public.expert_profiles where id = ${s.expert.id}`)[0].verification_status).toBe("verified");

    expect(await seen(s.expert, s.member)).toEqual(unlisted);
    expect(refusal(await other.api.rpc("create_booking", { expert_id: s.expert.id, scheduled_at: soon(5), duration_minutes: 60 }))).toEqual({ status: 404, code: "PT404" });
    expect(refusal(await other.api.rpc("start_conversation", { expert_id: s.expert.id, body: "Hi" }))).toEqual({ status: 404, code: "PT404" });
    expect(refusal(await s.member.api.rpc("start_conversation", { expert_id: s.expert.id, body: "Still there?" }))).toEqual({ status: 404, code: "PT404" });
    expect(refusal(await other.api.from("favorites").insert({ expert_id: s.expert.id }))).toEqual({ status: 403, code: "42501" });
    // The demoted expert confirms nothing.
    expect(refusal(await s.expert.api.rpc("set_booking_status", { booking_id: s.requested, new_status: "confirmed" }))).toEqual({ status: 400, code: "22023" });
    // No card payment starts for their booking.
    const pay = await invoke("booking-payment", s.member.id, { booking_id: s.open });
    expect(pay.status).toBe(409);
    expect(["booking_closed", "expert_unavailable"]).toContain(pay.body?.error?.code);
  });

  it("the lifecycle: open bookings cancelled by nobody, both sides notified, credits back, the conversation read-only; promoted again, listed again", async () => {
    const s = await expertDoingBusiness();
    expect(await balance(s.member)).toBe(1000);
    const paying = stripeSkipReason ? undefined : await invoke("booking-payment", s.member.id, { booking_id: s.open });
    if (paying) expect(paying.status).toBe(200);

    succeeded(await s.admin.api.from("profiles").update({ role: "member" }).eq("id", s.expert.id));

    const bookings = ok(await s.member.api.from("bookings").select("id, status, cancelled_by").in("id", [s.open, s.requested]).order("scheduled_at"));
    expect(bookings).toEqual([{ id: s.open, status: "cancelled", cancelled_by: null }, { id: s.requested, status: "cancelled", cancelled_by: null }]);
    expect(await balance(s.member)).toBe(2000);
    for (const who of [s.member, s.expert]) {
      const notices = ok(await who.api.from("notifications").select("kind, data").eq("kind", "booking_cancelled")) as unknown as { data: { booking_id: string } }[];
      expect(notices.map((n) => n.data.booking_id).sort()).toEqual([s.open, s.requested].sort());
    }
    // Read-only: neither side writes; both still read the thread.
    for (const who of [s.member, s.expert]) {
      expect(refusal(await who.api.from("messages").insert({ conversation_id: s.conversation, body: "anyone?" }))).toEqual({ status: 403, code: "42501" });
      expect(ok(await who.api.from("messages").select("body").eq("conversation_id", s.conversation))).toEqual([{ body: "Hello" }]);
    }
    // The card part of the cancelled booking is settled by booking-payment's cancel.
    if (paying) {
      const settle = await invoke("booking-payment", s.member.id, { booking_id: s.open, action: "cancel" });
      expect(settle).toMatchObject({ status: 200, body: { status: "cancelled", card: { canceled_payment_intent: paying.body.payment_intent_id } } });
    }

    // Promoted again: listed again everywhere (the bookings stay cancelled).
    succeeded(await s.admin.api.from("profiles").update({ role: "expert" }).eq("id", s.expert.id));
    expect(await seen(s.expert, s.member)).toEqual(listed);
    succeeded(await s.member.api.from("messages").insert({ conversation_id: s.conversation, body: "Welcome back" }));
  });

  it("a suspended expert's open bookings are cancelled the same way", async () => {
    const s = await expertDoingBusiness();
    succeeded(await s.admin.api.from("profiles").update({ status: "suspended" }).eq("id", s.expert.id));
    expect(await seen(s.expert, s.member)).toEqual(unlisted);
    const bookings = ok(await s.member.api.from("bookings").select("status").in("id", [s.open, s.requested]));
    expect(bookings).toEqual([{ status: "cancelled" }, { status: "cancelled" }]);
    expect(await balance(s.member)).toBe(2000);
    expect(refusal(await s.member.api.from("messages").insert({ conversation_id: s.conversation, body: "hello?" }))).toEqual({ status: 403, code: "42501" });
  });
});

describe("finding 2 (LOW): saved-search alerts announce only bookable experts", () => {
  for (const state of ["suspended", "demoted"] as const) {
    it(`an admin verifying a ${state} expert sends no saved_search_match; verifying an active one does`, async () => {
      const token = `tok${Math.random().toString(36).slice(2, 10)}`;
      const admin = await person("admin");
      const watcher = await person();
      succeeded(await watcher.api.from("saved_searches").insert({ name: "Watch", query: token, filters: {}, notify: true }));
      const hidden = await person("expert", { verification: "pending", headline: `${token} hidden` });
      succeeded(await admin.api.from("profiles").update(state === "suspended" ? { status: "suspended" } : { role: "member" }).eq("id", hidden.id));
      succeeded(await admin.api.from("expert_profiles").update({ verification_status: "verified" }).eq("id", hidden.id));
      const control = await person("expert", { verification: "pending", headline: `${token} control` });
      succeeded(await admin.api.from("expert_profiles").update({ verification_status: "verified" }).eq("id", control.id));

      const alerts = ok(await watcher.api.from("notifications").select("data").eq("kind", "saved_search_match")) as unknown as { data: { expert_id: string } }[];
      expect(alerts.map((a) => a.data.expert_id)).toEqual([control.id]);
    });
  }
});
