// The attacks of the independent review of billing, messaging, rooms, notifications, export and
// deletion (issue 18), each performed as a client would (supabase-js through the gateway and
// PostgREST, or the functions; in parallel where the attack is a race): every one must now fail.
import { afterAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { functionEnv, functionsDir, startFunctionsHost } from "../stack/services/functions.ts";
import { freePort, stopChild } from "../stack/core/service.ts";
import { localSecrets } from "../supabase/functions/_shared/local-secrets.ts";
import { signUnsubscribeToken } from "../supabase/functions/_shared/unsubscribe-token.ts";
import { sql } from "./helpers/db.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { memberClient, ok, type ApiClient } from "./helpers/rest.ts";
import { authSkipReason, stack, stripeSkipReason } from "./helpers/stack.ts";
import { signUpConfirmed } from "./helpers/auth.ts";
import { createSession, usersDeletedAfterFile, type TestUser } from "./helpers/users.ts";
import { waitForMail } from "./helpers/mail.ts";
import { skipNote } from "./helpers/skip.ts";

const users = usersDeletedAfterFile();
const made: string[] = [];
// One at a time, before the helper's own cleanup (hooks run last-registered first): deleting a member
// and the expert of their booking in one statement trips the bookings foreign keys.
afterAll(async () => {
  for (const id of made) await sql`delete from auth.users where id = ${id}`;
});

type Outcome = { data: unknown; error: { code?: string; message: string } | null; status: number };
/** "ok" or the refusal's HTTP status and code, as the client sees them. */
const outcome = (r: Outcome) => (r.error ? `${r.status} ${r.error.code}` : "ok");

async function member(role: "member" | "expert" | "admin" = "member"): Promise<TestUser & { api: ApiClient }> {
  const user = await users.createUser();
  made.push(user.id);
  if (role !== "member") await sql`update public.profiles set role = ${role} where id = ${user.id}`;
  if (role === "expert") {
    await sql`insert into public.expert_profiles (id, verification_status, verified_at, hourly_rate_cents, is_available)
              values (${user.id}, 'verified', now(), 6000, true)`;
  }
  return { ...user, api: await memberClient(user.id, role === "admin" ? { aal: "aal2" } : {}) };
}

/** A member opens a conversation with an expert; returns its id. */
async function converse(from: { api: ApiClient }, expert: TestUser, body: string): Promise<string> {
  return (ok(await from.api.rpc("start_conversation", { expert_id: expert.id, body })) as { id: string }).id;
}

async function firstMessage(conversation: string): Promise<number> {
  const [{ id }] = await sql<{ id: string }[]>`select min(id)::text as id from public.messages where conversation_id = ${conversation}`;
  return Number(id);
}

describe("1. admin credit adjustments: the daily cap holds under parallel calls", () => {
  it("8 parallel adjustments of 50,000 ¢ by one aal2 admin: at most the daily cap (200,000 ¢) goes through", async () => {
    const admin = await member("admin");
    const target = await member();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      admin.api.rpc("admin_adjust_credits", { user_id: target.id, amount_cents: 50000, reference: `race-${admin.id}-${i}` })));
    expect(results.map(outcome).sort()).toEqual([...Array(4).fill("400 22023"), ...Array(4).fill("ok")]);
    const [{ sum }] = await sql<{ sum: number }[]>`select coalesce(sum(abs(amount_cents)), 0)::int as sum from public.credit_transactions
                                                   where created_by = ${admin.id} and source = 'admin'`;
    expect(sum).toBe(200000);
  });
});

/** What a member reads of one conversation, ids replaced by what they are to them. */
async function seenBy(user: TestUser & { api: ApiClient }, conversation: string, sent: number) {
  const shape = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k,
    v === conversation ? "conversation" : v === user.id ? "me" : v === sent ? "sent"
      : typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v) ? "time" : typeof v === "string" && /^[0-9a-f-]{36}$/.test(v) ? "uuid"
        : typeof v === "number" && k.endsWith("id") ? "id" : v])));
  return {
    messages: shape(ok(await user.api.from("messages").select().eq("conversation_id", conversation).order("id"))),
    participants: shape(ok(await user.api.from("conversation_participants").select().eq("conversation_id", conversation))),
    inbox: shape((ok(await user.api.rpc("inbox", { page_size: 100 })) as Record<string, unknown>[]).filter((r) => r.conversation_id === conversation)),
  };
}

describe("2. blocking is invisible to the blocked member", () => {
  it("after X blocks A, nothing A reads (inserted row, messages, read state, inbox) differs from a conversation with someone who does not block", async () => {
    const a = await member();
    const blocker = await member("expert");
    const other = await member("expert");
    const blocked = await converse(a, blocker, "Hello");
    const open = await converse(a, other, "Hello");
    ok(await blocker.api.from("blocks").insert({ blocked_id: a.id }).select());

    // A's insert().select() into both conversations, in parallel.
    const [toBlocker, toOther] = await Promise.all([blocked, open].map(async (c) =>
      ok(await a.api.from("messages").insert({ conversation_id: c, body: "Are you there?" }).select().single())));
    expect(Object.keys(toBlocker).sort()).toEqual(Object.keys(toOther).sort());
    expect(toBlocker).not.toHaveProperty("withheld");

    const seenBlocked = await seenBy(a, blocked, toBlocker.id);
    expect(seenBlocked).toEqual(await seenBy(a, open, toOther.id));
    expect(seenBlocked.participants).toHaveLength(1); // A reads only A's own read state, never X's

    // The blocker gets nothing, and no receipt of A's withheld message either.
    expect(ok(await blocker.api.from("messages").select().eq("conversation_id", blocked).eq("body", "Are you there?"))).toEqual([]);
    const [mine] = ok(await blocker.api.from("conversation_participants").select().eq("conversation_id", blocked));
    expect(mine).toMatchObject({ user_id: blocker.id, unread_count: 1 });
    expect(mine.other_last_read_message_id).not.toBe(toBlocker.id);
  });
});

describe("3. a reported message cannot be erased by its sender", () => {
  it("the sender edits one reported message and deletes another: the admin sees what was reported and hides both", async () => {
    const a = await member();
    const x = await member("expert");
    const admin = await member("admin");
    const conversation = await converse(a, x, "You will regret this");
    const second = ok(await a.api.from("messages").insert({ conversation_id: conversation, body: "Pay me or else" }).select("id").single()).id;
    const first = await firstMessage(conversation);
    for (const id of [first, second]) ok(await x.api.from("message_reports").insert({ message_id: id, reason: "threat" }).select());
    // The sender covers their tracks, both at once.
    const [edit, del] = await Promise.all([
      a.api.from("messages").update({ body: "Have a nice day" }).eq("id", first).select("id"),
      a.api.from("messages").update({ deleted_at: new Date().toISOString() }).eq("id", second).select("id"),
    ]);
    expect([ok(edit), ok(del)]).toEqual([[{ id: first }], [{ id: second }]]);

    const queue = ok(await admin.api.from("message_reports").select("message_id, reported_body, messages(body, edited_at, deleted_at)")
      .eq("status", "open").in("message_id", [first, second]).order("message_id"));
    expect(queue.map((r) => ({ id: r.message_id, reported: r.reported_body, now: r.messages?.body, edited: !!r.messages?.edited_at, deleted: !!r.messages?.deleted_at })))
      .toEqual([
        { id: first, reported: "You will regret this", now: "Have a nice day", edited: true, deleted: false },
        { id: second, reported: "Pay me or else", now: "", edited: false, deleted: true },
      ]);
    // The copy is server-owned: the reporter cannot rewrite it.
    expect(outcome(await x.api.from("message_reports").update({ reported_body: "nothing" } as never).eq("message_id", first))).toBe("403 42501");

    const hidden = await Promise.all([first, second].map((id) => admin.api.rpc("moderate_message", { message_id: id, hide: true, reason: "threats" })));
    expect(hidden.map((r) => !!(ok(r) as { hidden_at: string | null }).hidden_at)).toEqual([true, true]);
    expect(ok(await admin.api.from("message_reports").select("id").in("message_id", [first, second]).eq("status", "open"))).toEqual([]);
  });
});

describe("12. message edits are flood-limited; experts read no review author", () => {
  it("60 parallel edits of one message: at most the per-minute limit goes through, the rest get 429", async () => {
    const a = await member();
    const x = await member("expert");
    const id = await firstMessage(await converse(a, x, "first draft"));
    const [{ limit }] = await sql<{ limit: number }[]>`select messages_per_minute as limit from private.messaging_settings`;
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => a.api.from("messages").update({ body: `draft ${i}` }).eq("id", id)));
    const accepted = results.filter((r) => !r.error).length;
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThanOrEqual(limit - 1); // the first send counts too
    expect(new Set(results.filter((r) => r.error).map(outcome))).toEqual(new Set(["429 PT429"]));
  });

  it("the reviewed expert reads no review row (author_id, booking_id); the public list names no author id", async () => {
    const m = await member();
    const x = await member("expert");
    const [{ id: booking }] = await sql<{ id: string }[]>`insert into public.bookings (member_id, expert_id, scheduled_at, duration_minutes, price_cents, status, completed_at)
      values (${m.id}, ${x.id}, now() - interval '2 days', 60, 6000, 'completed', now() - interval '1 day') returning id`;
    ok(await m.api.from("reviews").insert({ booking_id: booking, expert_id: x.id, rating: 5, title: "Great", body: "Clear" }).select());
    expect(ok(await x.api.from("reviews").select("author_id, booking_id").eq("expert_id", x.id))).toEqual([]);
    const list = ok(await x.api.rpc("expert_reviews", { expert_id: x.id })) as Record<string, unknown>[];
    expect(list).toHaveLength(1);
    expect(JSON.stringify(list)).not.toContain(m.id);
  });
});

describe("4. text rules on messages, rooms and reports", () => {
  it("bidi overrides, ESC and BEL are refused in message bodies, room names and topics, room messages and report reasons", async () => {
    const a = await member();
    const x = await member("expert");
    const conversation = await converse(a, x, "hello");
    const received = await firstMessage(conversation);
    const room = (ok(await a.api.rpc("create_room", { name: "Plain room" })) as { id: string }).id;
    for (const bad of ["evil\u202Etxt.exe", "ring\u0007", "clear\u001B[2J"]) {
      const attempts = await Promise.all([
        a.api.from("messages").insert({ conversation_id: conversation, body: bad }),
        a.api.rpc("create_room", { name: bad }),
        a.api.rpc("create_room", { name: "Fine name", topic: bad }),
        a.api.from("chat_rooms").update({ topic: bad }).eq("id", room),
        a.api.from("room_messages").insert({ room_id: room, body: bad }),
        x.api.from("message_reports").insert({ message_id: received, reason: bad }),
      ]);
      expect(attempts.map(outcome)).toEqual(Array(6).fill("400 23514"));
    }
  });
});

describe("8. rooms: quota, consent to invitations, nothing new for removed members", () => {
  it("30 parallel create_room calls: 5 rooms a day, the rest 429", async () => {
    const a = await member();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => a.api.rpc("create_room", { name: `Spam ${i}` })));
    expect(results.filter((r) => !r.error)).toHaveLength(5);
    expect(new Set(results.filter((r) => r.error).map(outcome))).toEqual(new Set(["429 PT429"]));
  });

  it("invitations reach only people the inviter talks to; the invitee can decline", async () => {
    const owner = await member();
    const stranger = await member();
    const friend = await member("expert");
    const room = (ok(await owner.api.rpc("create_room", { name: "Private", visibility: "private" })) as { id: string }).id;
    expect(outcome(await owner.api.rpc("invite_to_room", { room_id: room, user_id: stranger.id }))).toBe("404 PT404");
    expect(ok(await stranger.api.from("chat_rooms").select("id").eq("id", room))).toEqual([]);
    await converse(owner, friend, "Join my room?");
    ok(await owner.api.rpc("invite_to_room", { room_id: room, user_id: friend.id }));
    expect(ok(await friend.api.from("chat_rooms").select("id").eq("id", room))).toEqual([{ id: room }]);
    ok(await friend.api.rpc("leave_room", { room_id: room }));
    expect(ok(await friend.api.from("chat_rooms").select("id").eq("id", room))).toEqual([]);
  });

  it("a removed member reads neither the room's later topic nor later edits of older messages", async () => {
    const owner = await member();
    const b = await member("expert");
    await converse(owner, b, "Join my room?");
    const room = (ok(await owner.api.rpc("create_room", { name: "Private", topic: "Old topic", visibility: "private" })) as { id: string }).id;
    ok(await owner.api.rpc("invite_to_room", { room_id: room, user_id: b.id }));
    ok(await b.api.rpc("join_room", { room_id: room }));
    const message = ok(await owner.api.from("room_messages").insert({ room_id: room, body: "Meeting at 5" }).select("id").single()).id;
    expect(ok(await b.api.from("room_messages").select("body").eq("room_id", room))).toEqual([{ body: "Meeting at 5" }]);
    ok(await owner.api.rpc("remove_from_room", { room_id: room, user_id: b.id }));
    await sql`update public.room_members set left_at = left_at - interval '1 second' where room_id = ${room} and user_id = ${b.id}`;
    const [topic, edit] = await Promise.all([
      owner.api.from("chat_rooms").update({ topic: "Secret new plan" }).eq("id", room).select("topic"),
      owner.api.from("room_messages").update({ body: "Meeting moved to the new place" }).eq("id", message).select("body"),
    ]);
    expect([ok(topic), ok(edit)]).toEqual([[{ topic: "Secret new plan" }], [{ body: "Meeting moved to the new place" }]]);
    expect(ok(await b.api.from("chat_rooms").select("topic").eq("id", room))).toEqual([]);
    expect(ok(await b.api.from("room_messages").select("body").eq("room_id", room))).toEqual([]);
  });
});

describe("9. Realtime DELETE events carry no key that says who talked to whom", () => {
  it("no published table's replica identity holds a column that names a member", async () => {
    const leaks = await sql<{ table: string; column: string }[]>`
      with published as (
        select c.oid, c.relname, c.relreplident from pg_publication_tables t
          join pg_class c on c.relname = t.tablename join pg_namespace n on n.oid = c.relnamespace and n.nspname = t.schemaname
         where t.pubname = 'supabase_realtime'),
      identity_columns as (
        select p.oid, p.relname, a.attnum, a.attname from published p
          join pg_index i on i.indrelid = p.oid and ((p.relreplident = 'd' and i.indisprimary) or (p.relreplident = 'i' and i.indisreplident))
          join pg_attribute a on a.attrelid = p.oid and a.attnum = any (i.indkey)
        union all
        select p.oid, p.relname, a.attnum, a.attname from published p
          join pg_attribute a on a.attrelid = p.oid and a.attnum > 0 and not a.attisdropped where p.relreplident = 'f')
      select ic.relname as table, ic.attname as column from identity_columns ic
       where exists (select 1 from pg_constraint f where f.contype = 'f' and f.conrelid = ic.oid and ic.attnum = any (f.conkey)
                        and f.confrelid in ('public.profiles'::regclass, 'auth.users'::regclass, 'public.conversations'::regclass, 'public.chat_rooms'::regclass))
       order by 1, 2`;
    const [{ published }] = await sql<{ published: number }[]>`select count(*)::int as published from pg_publication_tables where pubname = 'supabase_realtime'`;
    expect(published).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
  });
});

/** A function called through the gateway with a live session's token. */
async function invoke(fn: string, userId: string, body: unknown): Promise<{ status: number; body: any }> {
  const token = await signAccessToken(await createSession(userId));
  const res = await fetch(`${stack.apiUrl}/functions/v1/${fn}`, {
    method: "POST", headers: { apikey: stack.anonKey, authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

describe("5. a suspended member starts no payment", () => {
  it("billing-checkout and billing-payment-methods {setup} answer 403 account_inactive, and no Stripe customer is made", async () => {
    const m = await member();
    await sql`update public.profiles set status = 'suspended' where id = ${m.id}`;
    const [checkout, setup] = await Promise.all([
      invoke("billing-checkout", m.id, { plan: "pro", success_url: "http://127.0.0.1:3000/billing/done", cancel_url: "http://127.0.0.1:3000/billing/done" }),
      invoke("billing-payment-methods", m.id, { action: "setup" }),
    ]);
    expect(checkout).toMatchObject({ status: 403, body: { error: { code: "account_inactive" } } });
    expect(setup).toMatchObject({ status: 403, body: { error: { code: "account_inactive" } } });
    expect(await sql`select 1 from public.billing_customers where user_id = ${m.id}`).toHaveLength(0);
  });
});

describe("10. Auth's audit log forgets a deleted account", () => {
  it("entries naming the member by id or email (as Auth writes them) go when Auth deletes the user", async () => {
    const m = await users.createUser();
    const other = await users.createUser();
    const entry = (payload: object) => sql`insert into auth.audit_log_entries (instance_id, id, payload, created_at, ip_address)
      values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), ${sql.json(payload as never)}, now(), '127.0.0.1')`;
    await entry({ actor_id: m.id, actor_username: m.email, actor_via_sso: false, action: "login", log_type: "account", traits: { provider: "email" } });
    await entry({ actor_id: m.id, actor_username: m.email, actor_via_sso: false, action: "token_refreshed", log_type: "token" });
    await entry({ actor_id: other.id, actor_username: other.email, action: "login", log_type: "account" });
    // Auth's admin delete: its user_deleted entry, then the row, in one transaction.
    await sql.begin(async (tx) => {
      await tx`insert into auth.audit_log_entries (instance_id, id, payload, created_at, ip_address)
               values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(),
                       ${sql.json({ actor_id: "00000000-0000-0000-0000-000000000000", actor_username: "service_role", action: "user_deleted", log_type: "team",
                                    traits: { user_id: m.id, user_email: m.email, user_phone: "" } } as never)}, now(), '127.0.0.1')`;
      await tx`delete from auth.users where id = ${m.id}`;
    });
    const left = await sql`select payload from auth.audit_log_entries where payload::text like ${`%${m.id}%`} or payload::text like ${`%${m.email}%`}`;
    expect(left).toEqual([]);
    expect(await sql`select 1 from auth.audit_log_entries where payload ->> 'actor_id' = ${other.id}`).toHaveLength(1);
  });

  it.skipIf(authSkipReason)(`with the real Auth server: sign-up, sign-in, account-delete leave no entry naming the member${skipNote(authSkipReason)}`, async () => {
    const { client, userId, email, session } = await signUpConfirmed();
    users.track(userId);
    expect(await sql`select 1 from auth.audit_log_entries where payload::text like ${`%${userId}%`}`).not.toHaveLength(0);
    const res = await client.functions.invoke("account-delete", { method: "POST", headers: { authorization: `Bearer ${session.access_token}` } });
    expect(res.error, JSON.stringify(res.data)).toBeNull();
    const left = await sql`select payload from auth.audit_log_entries where payload::text like ${`%${userId}%`} or payload::text like ${`%${email}%`}`;
    expect(left).toEqual([]);
  });
});

describe.skipIf(stripeSkipReason)(`6. booking-payment: pay and cancel at once, credits after the card payment${skipNote(stripeSkipReason)}`, () => {
  async function booking(who: { api: ApiClient }, expertId: string): Promise<string> {
    const scheduled_at = new Date(Date.now() + 3 * 86400e3).toISOString();
    return (ok(await who.api.rpc("create_booking", { expert_id: expertId, scheduled_at, duration_minutes: 60 })) as { id: string }).id;
  }

  it("6 races of pay against cancel: a cancelled booking never keeps an open invoice or a live PaymentIntent, and later cancels answer booking_closed", async () => {
    const expert = await member("expert");
    for (let run = 0; run < 6; run++) {
      const m = await member();
      const id = await booking(m, expert.id);
      const [paid, cancelled] = await Promise.all([
        invoke("booking-payment", m.id, { booking_id: id }),
        invoke("booking-payment", m.id, { booking_id: id, action: "cancel" }),
      ]);
      expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
      const [b] = await sql`select b.status, i.status as invoice from public.bookings b left join public.invoices i on i.booking_id = b.id where b.id = ${id}`;
      expect(b.status).toBe("cancelled");
      if (paid.status === 200) {
        // pay went first: cancel found its PaymentIntent and cancelled it.
        expect(cancelled.body.card).toEqual({ canceled_payment_intent: paid.body.payment_intent_id });
      } else {
        // cancel went first: pay found the booking closed and started nothing.
        expect(paid).toMatchObject({ status: 409, body: { error: { code: "booking_closed" } } });
        expect(b.invoice).toBeNull();
      }
      expect(await invoke("booking-payment", m.id, { booking_id: id, action: "cancel" })).toMatchObject({ status: 409, body: { error: { code: "booking_closed" } } });
    }
  });

  it("credits applied at the same time as the card payment never make the member pay both", async () => {
    const expert = await member("expert");
    const m = await member();
    await sql`select private.adjust_credits(${m.id}, 100000, ${`ar6-${m.id}`}, 'test credits')`;
    const id = await booking(m, expert.id);
    const [paid, credits] = await Promise.all([
      invoke("booking-payment", m.id, { booking_id: id }),
      m.api.rpc("apply_credits", { booking_id: id }),
    ]);
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    const [b] = await sql<{ price_cents: number; credits_applied_cents: number }[]>`select price_cents, credits_applied_cents from public.bookings where id = ${id}`;
    // The card is charged exactly what the credits left, whichever came first.
    expect(paid.body.amount_cents + b.credits_applied_cents).toBe(b.price_cents);
    if (credits.error) expect(outcome(credits)).toBe("400 22023");
    const late = await m.api.rpc("apply_credits", { booking_id: id });
    if (b.credits_applied_cents === 0) expect(outcome(late)).toBe("400 22023");
  });
});

describe("11. secrets: placeholders and the local stack's secrets protect nothing deployed; unsubscribe links expire", () => {
  let host: ChildProcess | undefined;
  afterAll(async () => {
    if (host) await stopChild(host);
  });

  it("a deployed function refuses the committed local signing secret and .env.example's whsec_replace_me", async () => {
    const port = await freePort();
    host = await startFunctionsHost({
      dir: functionsDir, port, logName: "attack-review-deployed",
      env: { ...functionEnv(), SUPABASE_URL: "https://memberbase-attack-review.supabase.co", STRIPE_WEBHOOK_SECRET: "whsec_replace_me",
             NOTIFICATIONS_SIGNING_SECRET: localSecrets.NOTIFICATIONS_SIGNING_SECRET },
    });
    const m = await member();
    // Links signed with the committed secret (anyone can make them) are refused, as is a webhook signed with the placeholder.
    const token = await signUnsubscribeToken(localSecrets.NOTIFICATIONS_SIGNING_SECRET, m.id, "messages");
    const unsubscribe = await fetch(`http://127.0.0.1:${port}/send-notifications/unsubscribe?token=${token}`, { method: "POST" });
    expect(unsubscribe.status).toBe(503);
    expect((await unsubscribe.json()).error.code).toBe("not_configured");
    const webhook = await fetch(`http://127.0.0.1:${port}/stripe-webhook`, { method: "POST", headers: { "stripe-signature": "t=1,v1=00", "content-type": "application/json" }, body: "{}" });
    expect(webhook.status).toBe(503);
    expect((await webhook.json()).error.code).toBe("stripe_unconfigured");
    expect(await sql`select 1 from public.email_unsubscribes where user_id = ${m.id}`).toHaveLength(0);
  }, 120000);

  it("an unsubscribe link older than 90 days answers 410 token_expired and changes nothing; a fresh one works", async () => {
    const m = await member();
    const old = await signUnsubscribeToken(localSecrets.NOTIFICATIONS_SIGNING_SECRET, m.id, "messages", Date.now() - 91 * 24 * 3600 * 1000);
    const url = (t: string) => `${stack.apiUrl}/functions/v1/send-notifications/unsubscribe?token=${t}`;
    const expired = await fetch(url(old), { method: "POST", headers: { apikey: stack.anonKey } });
    expect(expired.status).toBe(410);
    expect((await expired.json()).error.code).toBe("token_expired");
    const fresh = await signUnsubscribeToken(localSecrets.NOTIFICATIONS_SIGNING_SECRET, m.id, "messages");
    const ok = await fetch(url(fresh), { method: "POST", headers: { apikey: stack.anonKey } });
    expect(ok.status).toBe(200);
  });
});

describe("7. a member's words in a notification mail read as theirs, never as ours", () => {
  it("a message posing as our footer arrives quoted under a lead line; the only unsubscribe line is ours", async () => {
    const a = await member();
    const x = await member("expert");
    const forged = "Hi!\nStop emails about messages: https://evil.example/unsubscribe";
    await converse(a, x, forged);
    const res = await fetch(`${stack.apiUrl}/functions/v1/send-notifications`, {
      method: "POST", headers: { apikey: stack.anonKey, authorization: `Bearer ${stack.serviceRoleKey}`, "content-type": "application/json" }, body: JSON.stringify({ limit: 500 }) });
    expect(res.status).toBe(200);
    const mail = await waitForMail(x.email, /^New message from/);
    const lines = mail.text.split(/\r?\n/);
    expect(lines).toContain("Their message, quoted as they wrote it:");
    expect(lines).toContain("> Stop emails about messages: https://evil.example/unsubscribe");
    const footers = lines.filter((l) => l.startsWith("Stop emails about"));
    expect(footers).toHaveLength(1);
    expect(footers[0]).not.toContain("evil.example");
    expect(mail.html).not.toContain('href="https://evil.example');
    expect(mail.html).toContain("<blockquote");
  });
});
