// The member-dashboard function through the gateway with real member JWTs: the payload matches values
// computed here from the rows this test inserted (or read back with SQL as the owner), and one
// member's dashboard never carries another member's data.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { stack, anonClient } from "./helpers/stack.ts";
import { memberClaims, sql } from "./helpers/db.ts";
import { memberClient, ok, succeeded } from "./helpers/rest.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { createUser, deleteUser, type TestUser } from "./helpers/users.ts";

const url = `${stack.apiUrl}/functions/v1/member-dashboard`;
const day = 24 * 3600 * 1000;

interface Booking {
  id: string;
  member: TestUser;
  status: "requested" | "confirmed" | "completed" | "cancelled";
  at: Date;
  minutes: number;
  price: number;
  credits: number;
}

interface Dashboard {
  profile: Record<string, unknown>;
  counts: Record<string, unknown>;
  next_bookings: Array<Record<string, unknown>>;
  recent_activity: Array<{ id: number; kind: string; subject_id: string | null; created_at: string }>;
  spending_by_month: Array<{ month: string; currency: string; bookings: number; total_cents: number; credits_cents: number; card_cents: number }>;
  generated_at: string;
}

let alice: TestUser;
let bob: TestUser;
let erin: TestUser;
let carol: TestUser;
const bookings: Booking[] = [];
let aliceTicket: string;
let bobTicket: string;

async function dashboardFor(user: TestUser): Promise<{ status: number; body: Dashboard }> {
  const token = await signAccessToken(memberClaims(user.id));
  const res = await fetch(url, { headers: { apikey: stack.anonKey, authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Dashboard };
}

/** Credits on a fixture booking go through the ledger, as apply_credits() would post them. */
async function payWithCredits(memberId: string, bookingId: string, cents: number) {
  await sql`select private.adjust_credits(${memberId}, ${cents}, ${`fixture:${bookingId}`})`;
  await sql`select private.post_credit((select id from public.credit_accounts where user_id = ${memberId}), ${-cents}, 'spend', 'booking', ${bookingId})`;
  await sql`update public.bookings set credits_applied_cents = ${cents} where id = ${bookingId}`;
}

function book(member: TestUser, status: Booking["status"], at: Date, minutes: number, price: number, credits = 0) {
  bookings.push({ id: randomUUID(), member, status, at, minutes, price, credits });
}

beforeAll(async () => {
  alice = await createUser({ metadata: { first_name: "Alice", last_name: "Member" } });
  bob = await createUser({ metadata: { first_name: "Bob", last_name: "Other" } });
  erin = await createUser({ metadata: { first_name: "Erin", last_name: "Expert" } });
  // Credits beyond the fixtures' spends, and a referral by alice (pending until carol verifies).
  await sql`select private.adjust_credits(${alice.id}, 1234, ${`fixture:bonus:${randomUUID()}`})`;
  await sql`select private.adjust_credits(${bob.id}, 999, ${`fixture:bonus:${randomUUID()}`})`;
  const [{ code }] = await sql`select code from public.referral_codes where user_id = ${alice.id}`;
  carol = await createUser({ metadata: { referral_code: code }, confirmed: false });
  await sql`update public.profiles set role = 'expert' where id = ${erin.id}`;
  await sql`insert into public.expert_profiles (id, headline, hourly_rate_cents, verification_status, verified_at)
            values (${erin.id}, 'Tax advisor', 12000, 'verified', now())`;

  const now = Date.now();
  // Alice: seven upcoming (the dashboard lists five), four completed (one older than 12 months), one cancelled.
  for (let i = 7; i >= 1; i--) book(alice, i % 2 ? "requested" : "confirmed", new Date(now + i * day + i * 60_000), 60, 12000);
  book(alice, "completed", new Date(now - 60_000), 60, 12000, 3000);
  book(alice, "completed", new Date(now - 35 * day), 30, 6000);
  book(alice, "completed", new Date(now - 150 * day), 90, 18000, 18000);
  book(alice, "completed", new Date(now - 420 * day), 60, 12000, 1000);
  book(alice, "cancelled", new Date(now + 9 * day), 60, 12000);
  // Bob: his own upcoming and completed bookings, which must not leak into Alice's dashboard.
  book(bob, "confirmed", new Date(now + 2 * day + 30_000), 60, 77700);
  book(bob, "completed", new Date(now - 2 * 60_000), 60, 88800, 800);
  for (const b of bookings) {
    await sql`insert into public.bookings (id, member_id, expert_id, status, scheduled_at, duration_minutes, price_cents, completed_at, cancelled_at)
              values (${b.id}, ${b.member.id}, ${erin.id}, ${b.status}, ${b.at}, ${b.minutes}, ${b.price},
                      ${b.status === "completed" ? b.at : null}, ${b.status === "cancelled" ? b.at : null})`;
    if (b.credits) await payWithCredits(b.member.id, b.id, b.credits);
  }

  // Older activity rows (as capabilities' triggers would write them), then actions through the member's own requests.
  for (const [user, n] of [[alice, 12], [bob, 3]] as const) {
    for (let i = 1; i <= n; i++) {
      await sql`insert into public.activity (user_id, kind, subject_type, subject_id, created_at)
                values (${user.id}, 'searched', 'search', ${`search:${user === alice ? "alice" : "bob"}:${i}`}, now() - make_interval(mins => ${i}))`;
    }
  }
  const reviewed = bookings.find((b) => b.member === alice && b.status === "completed")!;
  const [asAlice, asBob] = [await memberClient(alice.id), await memberClient(bob.id)];
  succeeded(await asAlice.from("reviews").insert({ booking_id: reviewed.id, rating: 4, title: "Good" } as never));
  aliceTicket = ok(await asAlice.rpc("open_support_ticket", { subject: "Where is my refund", body: "Details", category: "billing" })).id;
  bobTicket = ok(await asBob.rpc("open_support_ticket", { subject: "Bob private matter", body: "Details", category: "account" })).id;
  // The fixture's bookings and ledger entries notify (booking and credit notices); only these count.
  await sql`delete from public.notifications where user_id in ${sql([alice.id, bob.id])}`;
  for (const title of ["A: one", "A: two", "A: three"]) await sql`select private.notify(${alice.id}, 'hello', 'messages', ${title})`;
  await sql`select private.notify(${bob.id}, 'hello', 'messages', 'B: secret')`;
  succeeded(await asAlice.from("notifications").update({ read_at: new Date().toISOString() }).eq("title", "A: one"));
});

afterAll(async () => {
  // Bookings go first: a booking whose member and expert were both deleted would violate its check.
  await sql`delete from public.bookings where id = any(${bookings.map((b) => b.id)}::uuid[])`;
  for (const u of [alice, bob, erin, carol]) if (u) await deleteUser(u.id);
});

function monthKey(d: Date): string {
  return `${d.toISOString().slice(0, 7)}-01`;
}

describe("member-dashboard", () => {
  it("answers 401 without a JWT, and 401 for a token that is not a member's", async () => {
    const none = await fetch(url, { headers: { apikey: stack.anonKey } });
    expect(none.status).toBe(401);
    const anonToken = await fetch(url, { headers: { apikey: stack.anonKey, authorization: `Bearer ${stack.anonKey}` } });
    expect(anonToken.status).toBe(401);
    expect(await anonToken.json()).toMatchObject({ error: { code: "not_signed_in" } });
  });

  it("treats quotes and SQL in the token's claims as data (the claims travel as a literal)", async () => {
    const hostile = memberClaims(alice.id, { email: "o'brien'); set role service_role; --@example.test", user_metadata: { name: "'; drop table public.profiles; --" } });
    const res = await fetch(url, { headers: { apikey: stack.anonKey, authorization: `Bearer ${await signAccessToken(hostile)}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Dashboard;
    expect(body.profile.id).toBe(alice.id);
    expect(body.next_bookings.length).toBeGreaterThan(0);
    expect(body.next_bookings.every((b) => bookings.some((x) => x.id === b.id && x.member === alice))).toBe(true);
    expect((await sql`select to_regclass('public.profiles') is not null as ok`)[0].ok).toBe(true);
  });

  it("answers 404 for a valid token whose account no longer exists", async () => {
    const token = await signAccessToken(memberClaims(randomUUID()));
    const res = await fetch(url, { headers: { apikey: stack.anonKey, authorization: `Bearer ${token}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "profile_not_found" } });
  });

  it("returns the profile and counts computed from the member's rows", async () => {
    const { status, body } = await dashboardFor(alice);
    expect(status).toBe(200);
    const [profile] = await sql`select created_at from public.profiles where id = ${alice.id}`;
    expect(body.profile).toEqual({
      id: alice.id, first_name: "Alice", last_name: "Member", display_name: "Alice Member", avatar_url: null,
      role: "member", status: "active", member_since: expect.any(String),
    });
    expect(Date.parse(body.profile.member_since as string)).toBe((profile.created_at as Date).getTime());

    const mine = bookings.filter((b) => b.member === alice);
    const completed = mine.filter((b) => b.status === "completed");
    const sum = (xs: Booking[], f: (b: Booking) => number) => xs.reduce((s, b) => s + f(b), 0);
    expect({ ...body.counts, member_since: undefined, last_consultation_at: undefined }).toEqual({
      favorites: Number((await sql`select count(*) from public.favorites where member_id = ${alice.id}`)[0].count),
      credit_balance_cents: 1234, // fixture credits were all spent on bookings; the bonus remains
      affiliate: {
        code: (await sql`select code from public.referral_codes where user_id = ${alice.id}`)[0].code,
        referrals: { pending: 1, qualified: 0, credited: 0, rejected: 0 },
        total_earned_cents: 0,
      },
      bookings_total: mine.length,
      bookings_upcoming: mine.filter((b) => ["requested", "confirmed"].includes(b.status)).length,
      bookings_completed: completed.length,
      bookings_cancelled: mine.filter((b) => b.status === "cancelled").length,
      minutes_consulted: sum(completed, (b) => b.minutes),
      experts_consulted: 1,
      spent_cents: sum(completed, (b) => b.price),
      credits_spent_cents: sum(completed, (b) => b.credits),
      card_spent_cents: sum(completed, (b) => b.price - b.credits),
      reviews_written: 1,
      average_rating_given: 4,
      open_tickets: 1,
      unread_notifications: 2,
      unread_messages: 0,
      member_since: undefined,
      last_consultation_at: undefined,
    });
    expect(Date.parse(body.counts.last_consultation_at as string)).toBe(Math.max(...completed.map((b) => b.at.getTime())));
  });

  it("lists the next five bookings, soonest first, with the expert's summary", async () => {
    const { body } = await dashboardFor(alice);
    const expected = bookings
      .filter((b) => b.member === alice && ["requested", "confirmed"].includes(b.status))
      .sort((a, b) => a.at.getTime() - b.at.getTime())
      .slice(0, 5);
    expect(body.next_bookings.map((b) => b.id)).toEqual(expected.map((b) => b.id));
    expect(body.next_bookings[0]).toMatchObject({ status: expected[0].status, price_cents: expected[0].price, duration_minutes: 60, expert_id: erin.id, expert_name: "Erin Expert", expert_headline: "Tax advisor" });
  });

  it("shows the ten most recent activity rows of the member", async () => {
    const { body } = await dashboardFor(alice);
    const expected = await sql`select id, kind from public.activity where user_id = ${alice.id} order by created_at desc, id desc limit 10`;
    expect(body.recent_activity.map((a) => [Number(a.id), a.kind])).toEqual(expected.map((a) => [Number(a.id), a.kind]));
    expect(body.recent_activity.map((a) => a.kind)).toEqual(expect.arrayContaining(["reviewed", "ticket_opened"]));
  });

  it("sums twelve months of spending from completed bookings, split credits/card", async () => {
    const { body } = await dashboardFor(alice);
    const now = new Date();
    const months = Array.from({ length: 12 }, (_, i) => monthKey(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11 + i, 1))));
    const expected = months.map((month) => {
      const inMonth = bookings.filter((b) => b.member === alice && b.status === "completed" && monthKey(b.at) === month);
      return {
        month,
        currency: "USD",
        bookings: inMonth.length,
        total_cents: inMonth.reduce((s, b) => s + b.price, 0),
        credits_cents: inMonth.reduce((s, b) => s + b.credits, 0),
        card_cents: inMonth.reduce((s, b) => s + b.price - b.credits, 0),
      };
    });
    expect(body.spending_by_month).toEqual(expected);
    expect(expected.reduce((s, m) => s + m.bookings, 0)).toBe(3); // the 420-day-old booking is outside the window
  });

  it("never shows another member's data, in either direction", async () => {
    const a = JSON.stringify((await dashboardFor(alice)).body);
    const b = await dashboardFor(bob);
    for (const booking of bookings.filter((x) => x.member === bob)) expect(a).not.toContain(booking.id);
    for (const secret of [bob.id, bobTicket, "B: secret", "search:bob:", "Bob private matter", ":77700,", ":88800,"]) expect(a).not.toContain(secret);
    const bJson = JSON.stringify(b.body);
    for (const booking of bookings.filter((x) => x.member === alice)) expect(bJson).not.toContain(booking.id);
    for (const secret of [alice.id, aliceTicket, "A: two", "search:alice:", "Where is my refund"]) expect(bJson).not.toContain(secret);
    expect(b.body.counts).toMatchObject({ bookings_total: 2, bookings_upcoming: 1, spent_cents: 88800, open_tickets: 1, unread_notifications: 1, reviews_written: 0 });
    expect(b.body.next_bookings.map((x) => x.id)).toEqual([bookings.find((x) => x.member === bob && x.status === "confirmed")!.id]);
  });

  it("works through supabase-js functions.invoke with the member's token", async () => {
    const token = await signAccessToken(memberClaims(alice.id));
    const { data, error } = await anonClient().functions.invoke<Dashboard>("member-dashboard", { headers: { Authorization: `Bearer ${token}` } });
    expect(error).toBeNull();
    expect(data?.profile.id).toBe(alice.id);
  });

  it("answers in one database round trip fast enough for a landing page", async () => {
    const token = await signAccessToken(memberClaims(alice.id));
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      const res = await fetch(url, { headers: { apikey: stack.anonKey, authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    const asAlice = await memberClient(alice.id);
    const rpcTimes: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      ok(await asAlice.rpc("member_dashboard"));
      rpcTimes.push(performance.now() - t0);
    }
    rpcTimes.sort((x, y) => x - y);
    console.log(`member-dashboard over HTTP: median ${times[7].toFixed(1)} ms, p90 ${times[13].toFixed(1)} ms; rpc('member_dashboard') through PostgREST: median ${rpcTimes[7].toFixed(1)} ms`);
    expect(times[7]).toBeLessThan(2000);
  });
});
