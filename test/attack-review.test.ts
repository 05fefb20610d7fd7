// The attacks of the independent review of billing, messaging, rooms, notifications, export and
// deletion (issue 18), each performed as a client would (requests as PostgREST runs them, in
// parallel where the attack is a race): every one must now fail to get through.
import { afterAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { functionEnv, functionsDir, startFunctionsHost } from "../stack/functions.ts";
import { freePort, stopChild } from "../stack/service.ts";
import { localSecrets } from "../supabase/functions/_shared/local-secrets.ts";
import { signUnsubscribeToken } from "../supabase/functions/_shared/unsubscribe-token.ts";
import { asRequest, memberClaims, sql, type Claims } from "./helpers/db.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { stack, stripeSkipReason } from "./helpers/stack.ts";
import { createSession, usersDeletedAfterFile, type TestUser } from "./helpers/users.ts";
import { waitForMail } from "./helpers/mail.ts";

const users = usersDeletedAfterFile();

/** One committed request as PostgREST runs it (its own transaction), with the error's SQLSTATE on failure. */
async function request<T>(claims: Claims, query: (tx: Parameters<Parameters<typeof asRequest>[1]>[0]) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string; message: string }> {
  try {
    return { ok: true, value: await asRequest(claims, query, { method: "POST", commit: true }) };
  } catch (e) {
    return { ok: false, code: String((e as { code?: string }).code), message: (e as Error).message };
  }
}

async function member(role: "member" | "expert" | "admin" = "member"): Promise<TestUser> {
  const user = await users.createUser();
  if (role !== "member") await sql`update public.profiles set role = ${role} where id = ${user.id}`;
  if (role === "expert") {
    await sql`insert into public.expert_profiles (id, verification_status, verified_at, hourly_rate_cents) values (${user.id}, 'verified', now(), 6000)`;
  }
  return user;
}


describe("1. admin credit adjustments: the daily cap holds under parallel calls", () => {
  it("8 parallel adjustments of 50,000 ¢ by one aal2 admin: at most the daily cap (200,000 ¢) goes through", async () => {
    const admin = await member("admin");
    const target = await member();
    const claims = memberClaims(admin.id, { aal: "aal2" });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      request(claims, (tx) => tx`select public.admin_adjust_credits(${target.id}, 50000, ${`race-${admin.id}-${i}`})`)));
    const accepted = results.filter((r) => r.ok).length;
    expect(accepted).toBe(4);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.code)).toEqual(Array(4).fill("22023"));
    const [{ sum }] = await sql<{ sum: number }[]>`select coalesce(sum(abs(amount_cents)), 0)::int as sum from public.credit_transactions
                                                   where created_by = ${admin.id} and source = 'admin'`;
    expect(sum).toBe(200000);
  });
});

/** A member opens a conversation with an expert; returns its id. */
async function converse(from: TestUser, expert: TestUser, body: string): Promise<string> {
  const [{ id }] = await asRequest(memberClaims(from.id), (tx) => tx<{ id: string }[]>`select (public.start_conversation(${expert.id}, ${body})).id`, { method: "POST", commit: true });
  return id;
}

/** What a member reads of one conversation (as PostgREST returns rows), ids replaced by their role in it. */
async function seenBy(user: TestUser, conversationId: string, sentId: string) {
  return asRequest(memberClaims(user.id), async (tx) => {
    const messages = await tx`select * from public.messages where conversation_id = ${conversationId} order by id`;
    const participants = await tx`select * from public.conversation_participants where conversation_id = ${conversationId}`;
    const inbox = await tx`select * from public.inbox() where conversation_id = ${conversationId}`;
    const shape = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k,
      v === conversationId ? "conversation" : v === user.id ? "me" : String(v) === sentId ? "sent" : v instanceof Date ? "time"
        : typeof v === "string" && /^[0-9a-f-]{36}$/.test(v) ? "uuid" : typeof v === "string" && /^\d+$/.test(v) ? "id" : v])));
    return { messages: shape(messages), participants: shape(participants), inbox: shape(inbox) };
  });
}

describe("2. blocking is invisible to the blocked member", () => {
  it("after X blocks A, nothing A reads (inserted row, messages, read state, inbox) differs from a conversation with someone who does not block", async () => {
    const a = await member();
    const blocker = await member("expert");
    const other = await member("expert");
    const blocked = await converse(a, blocker, "Hello");
    const open = await converse(a, other, "Hello");
    await asRequest(memberClaims(blocker.id), (tx) => tx`insert into public.blocks (blocked_id) values (${a.id})`, { method: "POST", commit: true });

    // A's insert().select() into both conversations, in parallel.
    const [toBlocker, toOther] = await Promise.all([blocked, open].map((c) =>
      asRequest(memberClaims(a.id), (tx) => tx`insert into public.messages (conversation_id, body) values (${c}, 'Are you there?') returning *`,
        { method: "POST", commit: true })));
    expect(Object.keys(toBlocker[0]).sort()).toEqual(Object.keys(toOther[0]).sort());
    expect(toBlocker[0]).not.toHaveProperty("withheld");

    const seenBlocked = await seenBy(a, blocked, String(toBlocker[0].id));
    const seenOpen = await seenBy(a, open, String(toOther[0].id));
    expect(seenBlocked).toEqual(seenOpen);
    expect(seenBlocked.participants).toHaveLength(1); // A reads only A's own read state, never X's

    // The blocker does not get the message, and does not learn of it through A's read state either.
    const blockerView = await asRequest(memberClaims(blocker.id), (tx) => tx`
      select (select count(*)::int from public.messages where body = 'Are you there?') as messages,
             (select other_last_read_message_id from public.conversation_participants where conversation_id = ${blocked}) as receipt,
             (select unread_count from public.conversation_participants where conversation_id = ${blocked}) as unread`);
    expect(blockerView[0]).toMatchObject({ messages: 0, unread: 1 });
    expect(String(blockerView[0].receipt)).not.toBe(String(toBlocker[0].id));
  });
});

describe("3. a reported message cannot be erased by its sender", () => {
  it("the sender edits one reported message and deletes another: the admin sees what was reported and hides both", async () => {
    const a = await member();
    const x = await member("expert");
    const admin = await member("admin");
    const conversation = await converse(a, x, "You will regret this");
    const [{ id: second }] = await asRequest(memberClaims(a.id), (tx) =>
      tx<{ id: string }[]>`insert into public.messages (conversation_id, body) values (${conversation}, 'Pay me or else') returning id`, { method: "POST", commit: true });
    const [{ id: first }] = await sql<{ id: string }[]>`select min(id)::text as id from public.messages where conversation_id = ${conversation}`;
    for (const id of [first, second]) {
      await asRequest(memberClaims(x.id), (tx) => tx`insert into public.message_reports (message_id, reason) values (${id}, 'threat')`, { method: "POST", commit: true });
    }
    // The sender covers their tracks, both at once.
    const [edit, del] = await Promise.all([
      request(memberClaims(a.id), (tx) => tx`update public.messages set body = 'Have a nice day' where id = ${first} returning id`),
      request(memberClaims(a.id), (tx) => tx`update public.messages set deleted_at = now() where id = ${second} returning id`),
    ]);
    expect([edit.ok, del.ok]).toEqual([true, true]);

    const adminClaims = memberClaims(admin.id, { aal: "aal2" });
    const queue = await asRequest(adminClaims, (tx) => tx`
      select r.message_id::text, r.reported_body, m.body, m.edited_at is not null as edited, m.deleted_at is not null as deleted
        from public.message_reports r join public.messages m on m.id = r.message_id
       where r.status = 'open' and m.conversation_id = ${conversation} order by r.message_id`);
    expect(queue).toEqual([
      { message_id: first, reported_body: "You will regret this", body: "Have a nice day", edited: true, deleted: false },
      { message_id: second, reported_body: "Pay me or else", body: "", edited: false, deleted: true },
    ]);
    // The copy is server-owned: neither the reporter nor anyone else writes it.
    const forged = await request(memberClaims(x.id), (tx) => tx`update public.message_reports set reported_body = 'nothing' where message_id = ${first}`);
    expect(forged).toMatchObject({ ok: false, code: "42501" });

    const hidden = await Promise.all([first, second].map((id) =>
      request(adminClaims, (tx) => tx<{ hidden: boolean }[]>`select (public.moderate_message(${id}, true, 'threats')).hidden_at is not null as hidden`)));
    expect(hidden.map((r) => r.ok && r.value[0].hidden)).toEqual([true, true]);
    const [{ open }] = await sql<{ open: number }[]>`select count(*)::int as open from public.message_reports where message_id in (${first}, ${second}) and status = 'open'`;
    expect(open).toBe(0);
  });
});

describe("12. message edits are flood-limited", () => {
  it("60 parallel edits of one message: at most the per-minute limit goes through, the rest get PT429", async () => {
    const a = await member();
    const x = await member("expert");
    const conversation = await converse(a, x, "first draft");
    const [{ id }] = await sql<{ id: string }[]>`select min(id)::text as id from public.messages where conversation_id = ${conversation}`;
    const [{ limit }] = await sql<{ limit: number }[]>`select messages_per_minute as limit from private.messaging_settings`;
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) =>
      request(memberClaims(a.id), (tx) => tx`update public.messages set body = ${`draft ${i}`} where id = ${id}`)));
    const accepted = results.filter((r) => r.ok).length;
    expect(accepted).toBeLessThanOrEqual(limit - 1); // the first send counts too
    expect(accepted).toBeGreaterThan(0);
    expect(new Set(results.filter((r) => !r.ok).map((r) => !r.ok && r.code))).toEqual(new Set(["PT429"]));
  });
});

describe("4. text rules on messages, rooms and reports", () => {
  it("bidi overrides, ESC and BEL are refused in message bodies, room names and topics, room messages and report reasons", async () => {
    const a = await member();
    const x = await member("expert");
    const conversation = await converse(a, x, "hello");
    const [{ id: received }] = await sql<{ id: string }[]>`select min(id)::text as id from public.messages where conversation_id = ${conversation}`;
    const [{ id: room }] = await asRequest(memberClaims(a.id), (tx) => tx<{ id: string }[]>`select (public.create_room('Plain room')).id`, { method: "POST", commit: true });
    for (const bad of ["evil\u202Etxt.exe", "ring\u0007", "clear\u001B[2J"]) {
      const attempts = await Promise.all([
        request(memberClaims(a.id), (tx) => tx`insert into public.messages (conversation_id, body) values (${conversation}, ${bad})`),
        request(memberClaims(a.id), (tx) => tx`select public.create_room(${bad})`),
        request(memberClaims(a.id), (tx) => tx`select public.create_room('Fine name', ${bad})`),
        request(memberClaims(a.id), (tx) => tx`update public.chat_rooms set topic = ${bad} where id = ${room}`),
        request(memberClaims(a.id), (tx) => tx`insert into public.room_messages (room_id, body) values (${room}, ${bad})`),
        request(memberClaims(x.id), (tx) => tx`insert into public.message_reports (message_id, reason) values (${received}, ${bad})`),
      ]);
      expect(attempts.map((r) => (r.ok ? "accepted" : r.code))).toEqual(Array(6).fill("23514"));
    }
  });
});

describe("8. rooms: quota, consent to invitations, nothing new for removed members", () => {
  it("30 parallel create_room calls: 5 rooms a day, the rest PT429", async () => {
    const a = await member();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => request(memberClaims(a.id), (tx) => tx`select public.create_room(${`Spam ${i}`})`)));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(new Set(results.filter((r) => !r.ok).map((r) => !r.ok && r.code))).toEqual(new Set(["PT429"]));
  });

  it("invitations reach only people the inviter talks to; the invitee can decline", async () => {
    const owner = await member();
    const stranger = await member();
    const friend = await member("expert");
    const [{ id: room }] = await asRequest(memberClaims(owner.id), (tx) => tx<{ id: string }[]>`select (public.create_room('Private', null, 'private')).id`, { method: "POST", commit: true });
    const toStranger = await request(memberClaims(owner.id), (tx) => tx`select public.invite_to_room(${room}, ${stranger.id})`);
    expect(toStranger).toMatchObject({ ok: false, code: "P0002" });
    expect(await asRequest(memberClaims(stranger.id), (tx) => tx`select id from public.chat_rooms where id = ${room}`)).toHaveLength(0);
    await converse(owner, friend, "Join my room?");
    expect(await request(memberClaims(owner.id), (tx) => tx`select public.invite_to_room(${room}, ${friend.id})`)).toMatchObject({ ok: true });
    expect(await request(memberClaims(friend.id), (tx) => tx`select public.leave_room(${room})`)).toMatchObject({ ok: true });
    expect(await asRequest(memberClaims(friend.id), (tx) => tx`select id from public.chat_rooms where id = ${room}`)).toHaveLength(0);
  });

  it("a removed member reads neither the room's later topic nor later edits of older messages", async () => {
    const owner = await member();
    const b = await member("expert");
    await converse(owner, b, "Join my room?");
    const [{ id: room }] = await asRequest(memberClaims(owner.id), (tx) => tx<{ id: string }[]>`select (public.create_room('Private', 'Old topic', 'private')).id`, { method: "POST", commit: true });
    await asRequest(memberClaims(owner.id), (tx) => tx`select public.invite_to_room(${room}, ${b.id})`, { method: "POST", commit: true });
    await asRequest(memberClaims(b.id), (tx) => tx`select public.join_room(${room})`, { method: "POST", commit: true });
    const [{ id: message }] = await asRequest(memberClaims(owner.id), (tx) =>
      tx<{ id: string }[]>`insert into public.room_messages (room_id, body) values (${room}, 'Meeting at 5') returning id`, { method: "POST", commit: true });
    await asRequest(memberClaims(owner.id), (tx) => tx`select public.remove_from_room(${room}, ${b.id})`, { method: "POST", commit: true });
    await sql`update public.room_members set left_at = left_at - interval '1 second' where room_id = ${room} and user_id = ${b.id}`;
    await Promise.all([
      asRequest(memberClaims(owner.id), (tx) => tx`update public.chat_rooms set topic = 'Secret new plan' where id = ${room}`, { method: "PATCH", commit: true }),
      asRequest(memberClaims(owner.id), (tx) => tx`update public.room_messages set body = 'Meeting moved to the new place' where id = ${message}`, { method: "PATCH", commit: true }),
    ]);
    const seen = await asRequest(memberClaims(b.id), (tx) => tx`
      select (select count(*)::int from public.chat_rooms where topic like '%Secret%') as topics,
             (select count(*)::int from public.room_messages where body like '%new place%') as edits`);
    expect(seen[0]).toEqual({ topics: 0, edits: 0 });
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
});

describe.skipIf(stripeSkipReason)("6. booking-payment: pay and cancel at once, credits after the card payment", () => {
  async function booking(memberId: string, expertId: string): Promise<string> {
    const [{ id }] = await asRequest(memberClaims(memberId),
      (tx) => tx<{ id: string }[]>`select (public.create_booking(${expertId}, now() + interval '3 days', 60)).id`, { method: "POST", commit: true });
    return id;
  }

  it("6 races of pay against cancel: a cancelled booking never keeps an open invoice or a live PaymentIntent, and later cancels answer booking_closed", async () => {
    const expert = await member("expert");
    await sql`update public.expert_profiles set is_available = true where id = ${expert.id}`;
    for (let run = 0; run < 6; run++) {
      const m = await member();
      const id = await booking(m.id, expert.id);
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
    await sql`update public.expert_profiles set is_available = true where id = ${expert.id}`;
    const m = await member();
    await sql`select private.adjust_credits(${m.id}, 100000, ${`ar6-${m.id}`}, 'test credits')`;
    const id = await booking(m.id, expert.id);
    const [paid, credits] = await Promise.all([
      invoke("booking-payment", m.id, { booking_id: id }),
      request(memberClaims(m.id), (tx) => tx`select public.apply_credits(${id})`),
    ]);
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    const [b] = await sql<{ price_cents: number; credits_applied_cents: number }[]>`select price_cents, credits_applied_cents from public.bookings where id = ${id}`;
    // The card is charged exactly what the credits left, whichever came first.
    expect(paid.body.amount_cents + b.credits_applied_cents).toBe(b.price_cents);
    if (!credits.ok) expect(credits.code).toBe("22023");
    const late = await request(memberClaims(m.id), (tx) => tx`select public.apply_credits(${id})`);
    if (b.credits_applied_cents === 0) expect(late).toMatchObject({ ok: false, code: "22023" });
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
