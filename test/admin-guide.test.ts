// docs/admin.md is executable: every snippet it documents (read from the page by
// test/helpers/admin-doc.ts) has an entry below, and every entry is a documented snippet — a snippet
// added without its check, or a check left for a snippet the page dropped, fails. SQL snippets run
// as Studio runs them: a direct session as `postgres` (no superuser, no JWT) naming itself with an
// application_name, placeholders filled in. supabase-js snippets run as an admin app runs them: the
// admin's aal2 session through the gateway and PostgREST. Each entry checks the effect and the
// admin_audit_log entry, and who it names. Fixtures are made the way members make them (their own
// supabase-js calls) or, for what no client may write, as the owner.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSnippets, fillPlaceholders, unfilteredWrites, type Snippet } from "./helpers/admin-doc.ts";
import { sql } from "./helpers/db.ts";
import { anonApi, clientAs, ok, serviceApi, type ApiClient } from "./helpers/rest.ts";
import { inRequestSession } from "./helpers/sql-session.ts";
import { stack } from "./helpers/stack.ts";
import { createSession, createUser as createUntrackedUser, deleteUser, usersDeletedAfterFile, type TestUser } from "./helpers/users.ts";
import { memberClaims, serviceClaims } from "../stack/test-kit/tokens.ts";

const { createUser } = usersDeletedAfterFile();

/** Studio's stand-in: postgres over the database URL, naming itself as a client does. */
const STUDIO_NAME = "admin-guide studio session";
const studio = postgres(stack.dbUrl, { max: 1, onnotice: () => {}, connection: { application_name: STUDIO_NAME } });

let admin: TestUser;
/** The admin app's client: the admin on an aal2 session. */
let adminApp: ApiClient;

const snippets = adminSnippets();
const byId = new Map(snippets.map((s) => [s.id, s]));

beforeAll(async () => {
  // Deleted on its own: the admin cancels bookings (cancelled_by), and deleting the admin in the same
  // statement as a booking's member and expert re-checks the booking's expert_id after the expert
  // row went but before its own set-null ran (the row was already updated in that transaction).
  admin = await createUntrackedUser();
  await sql`update public.profiles set role = 'admin' where id = ${admin.id}`;
  adminApp = await clientAs(await createSession(admin.id, { aal: "aal2" }));
}, 60000);

afterAll(async () => {
  if (admin) await deleteUser(admin.id);
  await studio.end();
});

// ---- running the page's snippets ----

/** Runs a SQL snippet in the Studio session with its placeholders filled in; answers its rows. */
async function runSql(id: string, values: Record<string, string | number> = {}): Promise<Record<string, any>[]> {
  const s = snippet(id, "sql");
  return [...(await studio.unsafe(fillPlaceholders(s.code, values)))];
}

/** Runs a supabase-js snippet as the admin app: `supabase` is the admin's client, vars the names it uses. */
async function runApp(id: string, vars: Record<string, unknown> = {}): Promise<{ data: any; error: any; status: number }> {
  const s = snippet(id, "ts");
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<any>;
  const run = new AsyncFunction("supabase", ...Object.keys(vars), `return (${s.code.replace(/;\s*$/, "")});`);
  return await run(adminApp, ...Object.values(vars));
}

function snippet(id: string, lang: "sql" | "ts"): Snippet {
  const s = byId.get(id);
  if (!s || s.lang !== lang) throw new Error(`docs/admin.md has no ${lang} snippet ${id}`);
  return s;
}

// ---- the audit ----

async function auditMark(): Promise<number> {
  const [{ id }] = await sql<{ id: number }[]>`select coalesce(max(id), 0)::int as id from public.admin_audit_log`;
  return id;
}

async function auditSince(mark: number) {
  return sql<{ action: string; actor_role: string; actor_id: string | null; target_id: string | null; details: any; aal: string | null; client: string | null }[]>`
    select action, actor_role, actor_id, target_id, details, aal, client from public.admin_audit_log where id > ${mark} order by id`;
}

const BY_STUDIO = { actor_role: "postgres", actor_id: null, aal: null, client: STUDIO_NAME };
const byAdmin = () => ({ actor_role: "admin", actor_id: admin.id, aal: "aal2", client: null });

/** Runs `act` and answers the audit entries it wrote. */
async function audited(act: () => Promise<unknown>) {
  const mark = await auditMark();
  await act();
  return auditSince(mark);
}

// ---- fixtures, made as members make them where members can ----

async function member(): Promise<TestUser & { api: ApiClient }> {
  const user = await createUser();
  return { ...user, api: await clientAs(await createSession(user.id)) };
}

async function expert(status: "unverified" | "verified" = "verified") {
  const user = await member();
  await sql`update public.profiles set role = 'expert', first_name = 'Erin', last_name = 'Expert' where id = ${user.id}`;
  await sql`insert into public.expert_profiles (id, headline, expertise, credentials, hourly_rate_cents, verification_status)
            values (${user.id}, 'Tax advice', '{tax}', '{CPA}', 6000, ${status})`;
  return user;
}

/** A member's conversation with an expert, the expert's message to the member, and the member's report of it. */
async function reportedMessage() {
  const [m, e] = await Promise.all([member(), expert()]);
  const conversation = ok(await m.api.rpc("start_conversation", { expert_id: e.id, body: "Hello, a question about my taxes" })) as { id: string };
  const message = ok(await e.api.from("messages").insert({ conversation_id: conversation.id, body: "Send me your bank password" }).select().single());
  ok(await m.api.from("message_reports").insert({ message_id: message.id, reason: "Asks for my password" }).select().single());
  return { m, e, messageId: message.id as number };
}

async function roomMessage() {
  const owner = await member();
  const room = ok(await owner.api.rpc("create_room", { name: "Tax talk", visibility: "public" })) as { id: string };
  const message = ok(await owner.api.from("room_messages").insert({ room_id: room.id, body: "Buy followers here" }).select().single());
  return { owner, roomMessageId: message.id as number };
}

async function completedBooking(m: { id: string; api: ApiClient }, e: { id: string }): Promise<string> {
  const b = ok(await m.api.rpc("create_booking", { expert_id: e.id, scheduled_at: new Date(Date.now() + 2 * 86400e3).toISOString(), duration_minutes: 60 })) as { id: string };
  await sql`update public.bookings set status = 'completed', completed_at = now() where id = ${b.id}`;
  return b.id;
}

async function review() {
  const [m, e] = await Promise.all([member(), expert()]);
  const bookingId = await completedBooking(m, e);
  const r = ok(await m.api.from("reviews").insert({ booking_id: bookingId, expert_id: e.id, rating: 2, title: "Late", body: "My phone is 555-0100" }).select().single());
  return { m, e, reviewId: r.id as string };
}

async function ratingCount(expertId: string): Promise<number> {
  const [{ rating_count }] = await sql<{ rating_count: number }[]>`select rating_count from public.expert_profiles where id = ${expertId}`;
  return rating_count;
}

async function ticket() {
  const m = await member();
  const t = ok(await m.api.rpc("open_support_ticket", { subject: "Expert did not show up", body: "I waited 30 minutes", category: "booking" })) as { id: string };
  return { m, ticketId: t.id };
}

/** A requested booking paid partly with credits (1000 cents granted, up to half the 6000-cent price applied). */
async function bookingWithCredits() {
  const [m, e] = await Promise.all([member(), expert()]);
  await sql`select private.adjust_credits(${m.id}, 1000, ${`fixture-${m.id}`}, 'fixture credits')`;
  const b = ok(await m.api.rpc("create_booking", { expert_id: e.id, scheduled_at: new Date(Date.now() + 3 * 86400e3).toISOString(), duration_minutes: 60 })) as { id: string };
  ok(await m.api.rpc("apply_credits", { booking_id: b.id }));
  return { m, bookingId: b.id };
}

async function balance(userId: string): Promise<number> {
  const [{ balance_cents }] = await sql<{ balance_cents: number }[]>`select balance_cents from public.credit_accounts where user_id = ${userId}`;
  return balance_cents;
}

async function profile(id: string) {
  const [p] = await sql<{ role: string; status: string }[]>`select role, status from public.profiles where id = ${id}`;
  return p;
}

async function verification(id: string) {
  const [e] = await sql<{ verification_status: string; verified_at: Date | null }[]>`select verification_status, verified_at from public.expert_profiles where id = ${id}`;
  return e;
}

/** Waits for pg_net's answer to a scheduled function call (the schedule's own path), settling it as the next tick would. */
async function callAnswered(callId: number, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sql`select private.settle_function_calls()`;
    const [call] = await sql<{ status: string; status_code: number | null }[]>`select status, status_code from private.function_calls where id = ${callId}`;
    if (call.status === "done" || call.status === "failed" || Date.now() > deadline) return call;
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---- the page's snippets, each with its check ----

type Entry = () => Promise<void>;

const guide: Record<string, Entry> = {
  // Experts.
  "experts-queue": async () => {
    const [waiting, listed] = await Promise.all([expert("unverified"), expert("verified")]);
    const rows = await runSql("experts-queue");
    expect(rows).toContainEqual(expect.objectContaining({ expert_id: waiting.id, email: waiting.email, verification_status: "unverified", credentials: ["CPA"] }));
    expect(rows.map((r) => r.expert_id)).not.toContain(listed.id);
  },
  "verify-expert": async () => {
    const e = await expert("unverified");
    const audit = await audited(() => runSql("verify-expert", { expert_id: e.id }));
    expect(await verification(e.id)).toMatchObject({ verification_status: "verified", verified_at: expect.any(Date) });
    expect(audit).toEqual([expect.objectContaining({ ...BY_STUDIO, action: "set_verification", target_id: e.id, details: { from: "unverified", to: "verified" } })]);
    // Listed from now on: anon reads the expert's public profile.
    expect(ok(await anonApi().from("expert_profiles").select("id").eq("id", e.id))).toEqual([{ id: e.id }]);
  },
  "reject-expert": async () => {
    const e = await expert("unverified");
    const audit = await audited(() => runSql("reject-expert", { expert_id: e.id }));
    expect(await verification(e.id)).toMatchObject({ verification_status: "rejected", verified_at: null });
    expect(audit).toEqual([expect.objectContaining({ ...BY_STUDIO, action: "set_verification", target_id: e.id, details: { from: "unverified", to: "rejected" } })]);
  },
  "demote-expert": async () => {
    const e = await expert("verified");
    const audit = await audited(() => runSql("demote-expert", { expert_id: e.id }));
    expect((await profile(e.id)).role).toBe("member");
    expect(audit).toEqual([expect.objectContaining({ ...BY_STUDIO, action: "set_role", target_id: e.id, details: { from: "expert", to: "member" } })]);
  },
  "verify-expert-app": async () => {
    const e = await expert("unverified");
    const audit = await audited(async () => expect((await runApp("verify-expert-app", { expertId: e.id })).error).toBeNull());
    expect((await verification(e.id)).verification_status).toBe("verified");
    expect(audit).toEqual([expect.objectContaining({ ...byAdmin(), action: "set_verification", target_id: e.id, details: { from: "unverified", to: "verified" } })]);
  },
  "reject-expert-app": async () => {
    const e = await expert("unverified");
    const audit = await audited(async () => expect((await runApp("reject-expert-app", { expertId: e.id })).error).toBeNull());
    expect((await verification(e.id)).verification_status).toBe("rejected");
    expect(audit).toEqual([expect.objectContaining({ ...byAdmin(), action: "set_verification", target_id: e.id, details: { from: "unverified", to: "rejected" } })]);
  },
  "demote-expert-app": async () => {
    const e = await expert("verified");
    const audit = await audited(async () => expect((await runApp("demote-expert-app", { expertId: e.id })).error).toBeNull());
    expect((await profile(e.id)).role).toBe("member");
    expect(audit).toEqual([expect.objectContaining({ ...byAdmin(), action: "set_role", target_id: e.id, details: { from: "expert", to: "member" } })]);
  },

  // Suspensions.
  "suspend-member": async () => {
    const m = await member();
    const audit = await audited(() => runSql("suspend-member", { member_id: m.id }));
    expect((await profile(m.id)).status).toBe("suspended");
    expect(audit).toEqual([expect.objectContaining({ ...BY_STUDIO, action: "set_status", target_id: m.id, details: { from: "active", to: "suspended" } })]);
    // Suspended: the member no longer books.
    expect((await m.api.rpc("create_booking", { expert_id: (await expert()).id, scheduled_at: new Date(Date.now() + 86400e3).toISOString(), duration_minutes: 60 })).status).toBe(403);
  },
  "reinstate-member": async () => {
    const m = await member();
    await sql`update public.profiles set status = 'suspended' where id = ${m.id}`;
    const audit = await audited(() => runSql("reinstate-member", { member_id: m.id }));
    expect((await profile(m.id)).status).toBe("active");
    expect(audit).toEqual([expect.objectContaining({ ...BY_STUDIO, action: "set_status", target_id: m.id, details: { from: "suspended", to: "active" } })]);
  },
  "suspend-member-app": async () => {
    const m = await member();
    const audit = await audited(async () => expect((await runApp("suspend-member-app", { memberId: m.id })).error).toBeNull());
    expect((await profile(m.id)).status).toBe("suspended");
    expect(audit).toEqual([expect.objectContaining({ ...byAdmin(), action: "set_status", target_id: m.id, details: { from: "active", to: "suspended" } })]);
  },
  "reinstate-member-app": async () => {
    const m = await member();
    await sql`update public.profiles set status = 'suspended' where id = ${m.id}`;
    const audit = await audited(async () => expect((await runApp("reinstate-member-app", { memberId: m.id })).error).toBeNull());
    expect((await profile(m.id)).status).toBe("active");
    expect(audit).toEqual([expect.objectContaining({ ...byAdmin(), action: "set_status", target_id: m.id, details: { from: "suspended", to: "active" } })]);
  },

  // Moderation.
  "reports-queue": async () => {
    const { e, messageId } = await reportedMessage();
    // The sender deletes the message after the report: the queue still has the text reported.
    ok(await e.api.from("messages").update({ deleted_at: new Date().toISOString() }).eq("id", messageId).select());
    const rows = await runSql("reports-queue");
    expect(rows).toContainEqual(expect.objectContaining({ message_id: String(messageId), reported_body: "Send me your bank password", message_now: null,
                                                         sender_id: e.id, sender_name: "Erin Expert", reason: "Asks for my password", open_reports_on_message: "1" }));
  },
  "hide-message": async () => {
    const { m, e, messageId } = await reportedMessage();
    const audit = await audited(async () => expect(await runSql("hide-message", { message_id: messageId })).toEqual([expect.objectContaining({ hidden_reason: "Harassment", hidden_at: expect.any(Date) })]));
    const [report] = await sql`select status, resolved_at from public.message_reports where message_id = ${messageId}`;
    expect(report).toMatchObject({ status: "actioned", resolved_at: expect.any(Date) });
    expect((await profile(e.id)).status).toBe("suspended");
    expect(ok(await m.api.from("messages").select("id").eq("id", messageId))).toEqual([]);
    expect(audit).toEqual([
      expect.objectContaining({ ...BY_STUDIO, action: "set_status", target_id: e.id, details: { from: "active", to: "suspended" } }),
      expect.objectContaining({ ...BY_STUDIO, action: "moderate_message", target_id: null,
                                details: { message_id: messageId, sender_id: e.id, hide: true, suspend_sender: true, reason: "Harassment", reports_resolved: 1 } }),
    ]);
    expect(await runSql("reports-queue")).not.toContainEqual(expect.objectContaining({ message_id: String(messageId) }));
  },
  "dismiss-reports": async () => {
    const { e, messageId } = await reportedMessage();
    const audit = await audited(async () => expect(await runSql("dismiss-reports", { message_id: messageId })).toEqual([expect.objectContaining({ hidden_at: null })]));
    const [report] = await sql`select status from public.message_reports where message_id = ${messageId}`;
    expect(report.status).toBe("dismissed");
    expect((await profile(e.id)).status).toBe("active");
    expect(audit).toEqual([expect.objectContaining({ ...BY_STUDIO, action: "moderate_message", target_id: null,
                                                     details: expect.objectContaining({ message_id: messageId, sender_id: e.id, hide: false, reports_resolved: 1 }) })]);
    // The sender never learns of the report: of the audit entries they read, only their promotion to
    // expert (the fixture's, as postgres) is there.
    expect(ok(await e.api.from("admin_audit_log").select("action"))).toEqual([{ action: "set_role" }]);
  },
  "hide-message-app": async () => {
    const { e, messageId } = await reportedMessage();
    const audit = await audited(async () => expect(ok(await runApp("hide-message-app", { messageId }))).toMatchObject({ id: messageId, hidden_reason: "Harassment" }));
    expect(audit).toEqual([expect.objectContaining({ ...byAdmin(), action: "moderate_message", target_id: null, details: expect.objectContaining({ message_id: messageId, sender_id: e.id, hide: true }) })]);
  },
  "hide-room-message": async () => {
    const { owner, roomMessageId } = await roomMessage();
    const audit = await audited(async () => expect(await runSql("hide-room-message", { room_message_id: roomMessageId })).toEqual([expect.objectContaining({ hidden_at: expect.any(Date) })]));
    expect(audit).toEqual([expect.objectContaining({ ...BY_STUDIO, action: "hide_room_message", target_id: owner.id, details: expect.objectContaining({ message_id: roomMessageId, reason: "Spam" }) })]);
  },
  "hide-room-message-app": async () => {
    const { owner, roomMessageId } = await roomMessage();
    const audit = await audited(async () => expect(ok(await runApp("hide-room-message-app", { roomMessageId }))).toMatchObject({ id: roomMessageId, hidden_reason: "Spam" }));
    expect(audit).toEqual([expect.objectContaining({ ...byAdmin(), action: "hide_room_message", target_id: owner.id })]);
    // The room's own owner hiding a message acts inside the room: no marketplace audit entry.
    const own = ok(await owner.api.from("room_messages").insert({ room_id: (await sql`select room_id from public.room_messages where id = ${roomMessageId}`)[0].room_id, body: "Oops" }).select().single());
    expect(await audited(async () => ok(await owner.api.rpc("hide_room_message", { message_id: own.id, reason: "mine" })))).toEqual([]);
  },
  "hide-review": async () => {
    const { m, e, reviewId } = await review();
    expect(await ratingCount(e.id)).toBe(1);
    const audit = await audited(() => runSql("hide-review", { review_id: reviewId }));
    expect(await ratingCount(e.id)).toBe(0);
    expect(ok(await anonApi().rpc("expert_reviews", { expert_id: e.id }))).toEqual([]);
    expect(audit).toEqual([expect.objectContaining({ ...BY_STUDIO, action: "hide_review", target_id: m.id, details: { review_id: reviewId, expert_id: e.id, reason: "Personal data in the text" } })]);
  },
  "unhide-review": async () => {
    const { m, e, reviewId } = await review();
    await sql`update public.reviews set is_hidden = true, hidden_reason = 'x' where id = ${reviewId}`;
    const audit = await audited(() => runSql("unhide-review", { review_id: reviewId }));
    const [r] = await sql`select is_hidden, hidden_reason from public.reviews where id = ${reviewId}`;
    expect(r).toEqual({ is_hidden: false, hidden_reason: null });
    expect(await ratingCount(e.id)).toBe(1);
    expect(audit).toEqual([expect.objectContaining({ ...BY_STUDIO, action: "unhide_review", target_id: m.id })]);
  },
  "hide-review-app": async () => {
    const { m, e, reviewId } = await review();
    const audit = await audited(async () => expect((await runApp("hide-review-app", { reviewId })).error).toBeNull());
    expect(await ratingCount(e.id)).toBe(0);
    expect(audit).toEqual([expect.objectContaining({ ...byAdmin(), action: "hide_review", target_id: m.id })]);
  },

  // Tickets.
  "support-queue": async () => {
    const { m, ticketId } = await ticket();
    expect(await runSql("support-queue")).toContainEqual(expect.objectContaining({ ticket_id: ticketId, member_email: m.email, last_message: "I waited 30 minutes", internal_notes: "0" }));
  },
  "ticket-note": async () => {
    const { m, ticketId } = await ticket();
    const audit = await audited(() => runSql("ticket-note", { ticket_id: ticketId, your_admin_id: admin.id }));
    const notes = await sql`select author_id, is_internal from public.ticket_messages where ticket_id = ${ticketId} and is_internal`;
    expect(notes).toEqual([{ author_id: admin.id, is_internal: true }]);
    expect(ok(await m.api.from("ticket_messages").select("is_internal").eq("ticket_id", ticketId))).toEqual([{ is_internal: false }]);
    expect(audit).toEqual([]);
  },
  "ticket-reply": async () => {
    const { m, ticketId } = await ticket();
    await runSql("ticket-reply", { ticket_id: ticketId, your_admin_id: admin.id });
    expect(ok(await m.api.from("support_tickets").select("status").eq("id", ticketId).single())).toEqual({ status: "pending" });
    expect(ok(await m.api.from("ticket_messages").select("author_id").eq("ticket_id", ticketId).order("id"))).toEqual([{ author_id: m.id }, { author_id: admin.id }]);
    expect(ok(await m.api.from("notifications").select("kind").eq("kind", "support_reply"))).toHaveLength(1);
  },
  "resolve-ticket": async () => {
    const { m, ticketId } = await ticket();
    await runSql("resolve-ticket", { ticket_id: ticketId });
    expect(ok(await m.api.from("support_tickets").select("status, resolved_at").eq("id", ticketId).single())).toEqual({ status: "resolved", resolved_at: expect.any(String) });
  },
  "ticket-note-app": async () => {
    const { m, ticketId } = await ticket();
    expect((await runApp("ticket-note-app", { ticketId })).error).toBeNull();
    expect(await sql`select author_id from public.ticket_messages where ticket_id = ${ticketId} and is_internal`).toEqual([{ author_id: admin.id }]);
    expect(ok(await m.api.from("ticket_messages").select("is_internal").eq("ticket_id", ticketId))).toEqual([{ is_internal: false }]);
  },
  "resolve-ticket-app": async () => {
    const { ticketId } = await ticket();
    expect((await runApp("resolve-ticket-app", { ticketId })).error).toBeNull();
    expect(await sql`select status from public.support_tickets where id = ${ticketId}`).toEqual([{ status: "resolved" }]);
  },

  // Credits.
  "credits-ledger": async () => {
    const m = await member();
    await sql`select private.adjust_credits(${m.id}, 700, ${`ledger-${m.id}`}, 'welcome')`;
    expect(await runSql("credits-ledger", { member_id: m.id })).toEqual([
      expect.objectContaining({ amount_cents: 700, kind: "adjustment", source: "admin", balance_after_cents: 700, memo: "welcome" }),
    ]);
  },
  "adjust-credits-app": async () => {
    const m = await member();
    const audit = await audited(async () => expect(ok(await runApp("adjust-credits-app", { memberId: m.id }))).toMatchObject({ amount_cents: 500, created_by: admin.id }));
    expect(await balance(m.id)).toBe(500);
    expect(audit).toEqual([expect.objectContaining({ ...byAdmin(), action: "adjust_credits", target_id: m.id, details: expect.objectContaining({ amount_cents: 500, reference: "ticket-4711" }) })]);
    // The page's reason for "not from Studio": a session as postgres is no admin, and is refused.
    await expect(studio`select public.admin_adjust_credits(${m.id}, 500, 'studio-try')`).rejects.toMatchObject({ code: "28000" });
    expect(await balance(m.id)).toBe(500);
  },

  // Refunds.
  "refund-booking": async () => {
    const { m, bookingId } = await bookingWithCredits();
    expect(await balance(m.id)).toBe(0);
    const audit = await audited(async () =>
      expect(await runSql("refund-booking", { booking_id: bookingId })).toEqual([expect.objectContaining({ status: "cancelled", cancelled_at: expect.any(Date), credits_applied_cents: 1000 })]));
    expect(await balance(m.id)).toBe(1000);
    expect(audit).toEqual([expect.objectContaining({ ...BY_STUDIO, action: "set_booking_status", target_id: m.id,
                                                     details: { booking_id: bookingId, from: "requested", to: "cancelled", credits_applied_cents: 1000 } })]);
    // The lifecycle holds for Studio too: a cancelled (or completed) booking is not cancelled again.
    await expect(runSql("refund-booking", { booking_id: bookingId })).rejects.toMatchObject({ code: "22023" });
  },
  "refund-booking-app": async () => {
    const { m, bookingId } = await bookingWithCredits();
    const audit = await audited(async () => expect(ok(await runApp("refund-booking-app", { bookingId }))).toMatchObject({ status: "cancelled", cancelled_by: admin.id }));
    expect(await balance(m.id)).toBe(1000);
    expect(audit).toEqual([expect.objectContaining({ ...byAdmin(), action: "set_booking_status", target_id: m.id, details: expect.objectContaining({ booking_id: bookingId, to: "cancelled" }) })]);
  },
  "booking-money": async () => {
    const { bookingId } = await bookingWithCredits();
    await sql`select public.set_booking_status(${bookingId}, 'cancelled')`;
    expect(await runSql("booking-money", { booking_id: bookingId })).toEqual([
      expect.objectContaining({ id: bookingId, status: "cancelled", price_cents: 6000, credits_applied_cents: 1000, card_amount_cents: 5000, card_status: null, credits_refunded_cents: "1000" }),
    ]);
  },

  // Privacy requests.
  "privacy-requests": async () => {
    const m = await member();
    ok(await m.api.rpc("request_account_deletion", { reason: "moving on" }));
    await sql`insert into public.data_export_requests (user_id, status, requested_at) values (${m.id}, 'processing', now() - interval '20 minutes')`;
    const rows = await runSql("privacy-requests", { member_id: m.id });
    expect(rows).toHaveLength(2);
    expect(rows).toContainEqual(expect.objectContaining({ kind: "deletion", email: m.email, status: "pending", attention: null }));
    expect(rows).toContainEqual(expect.objectContaining({ kind: "export", status: "processing", attention: expect.stringMatching(/^stuck/) }));
  },

  // The schedule.
  "scheduled-jobs": async () => {
    const rows = await runSql("scheduled-jobs");
    expect(rows.map((r) => r.jobname).sort()).toEqual(["expire-parked-stripe-events", "process-deletion-requests", "purge-expired-rows", "recover-expired-claims", "referral-sweep", "send-notifications"]);
  },
  "operations-health": async () => {
    const rows = await runSql("operations-health");
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0])).toEqual(expect.arrayContaining(["outbox_due", "exports_stuck", "deletions_overdue", "function_calls_failed_today"]));
  },
  "recent-failures": async () => {
    const [call] = await sql<{ id: number }[]>`
      insert into private.function_calls (function_name, body, status, net_request_id, server_started_at, lease_expires_at, finished_at, status_code, response)
      values ('affiliate-credit', '{"sweep": true}', 'failed', -1, pg_postmaster_start_time(), now(), now(), 503, 'admin-guide: a failed call') returning id`;
    try {
      expect(await runSql("recent-failures")).toContainEqual(expect.objectContaining({ kind: "function_call", name: "affiliate-credit", status_code: 503, message: "admin-guide: a failed call", job_to_rerun: "referral-sweep" }));
    } finally {
      await sql`delete from private.function_calls where id = ${call.id}`;
    }
  },
  "stuck-jobs": async () => {
    // A call made 20 minutes ago that pg_net never answered: its lease ran out before any tick settled it.
    const [call] = await sql<{ id: number }[]>`
      insert into private.function_calls (function_name, body, status, net_request_id, server_started_at, requested_at, lease_expires_at)
      values ('send-notifications', '{"limit": 200}', 'running', -1, pg_postmaster_start_time(), now() - interval '20 minutes', now() - interval '16 minutes') returning id`;
    try {
      expect(await runSql("stuck-jobs")).toContainEqual(expect.objectContaining({ kind: "function_call", name: "send-notifications", status: "running" }));
    } finally {
      await sql`delete from private.function_calls where id = ${call.id}`;
    }
  },
  "run-job": async () => {
    let result: Record<string, any>[] = [];
    const audit = await audited(async () => (result = await runSql("run-job")));
    const callId = Number(result[0].run_job.call_function);
    expect(callId).toBeGreaterThan(0);
    expect(audit).toEqual([expect.objectContaining({ ...BY_STUDIO, action: "run_job", target_id: null, details: expect.objectContaining({ job: "referral-sweep" }) })]);
    // The re-run goes the schedule's way: pg_net (the stack's stand-in here) posts it to affiliate-credit, which answers.
    expect(await callAnswered(callId)).toEqual({ status: "done", status_code: 200 });
  },

  // The audit log.
  "audit-log": async () => {
    const m = await member();
    await runSql("suspend-member", { member_id: m.id });
    const [newest] = await runSql("audit-log");
    expect(newest).toMatchObject({ action: "set_status", actor_role: "postgres", actor_id: null, client: STUDIO_NAME, target_id: m.id });
  },
  "audit-log-app": async () => {
    const m = await member();
    await runSql("suspend-member", { member_id: m.id });
    const rows = ok(await runApp("audit-log-app")) as { action: string; target_id: string; client: string }[];
    expect(rows.length).toBeGreaterThan(1);
    expect(rows[0]).toMatchObject({ action: "set_status", target_id: m.id, client: STUDIO_NAME });
  },
};

describe("docs/admin.md is executable", () => {
  it("every snippet has an id and its check here, and every check is a snippet of the page", () => {
    expect(snippets.length).toBeGreaterThan(30);
    expect(snippets.filter((s) => !s.id).map((s) => s.code), "snippets without an id").toEqual([]);
    expect(snippets.map((s) => s.id).filter((id, i, all) => all.indexOf(id) !== i), "ids used twice").toEqual([]);
    expect(snippets.filter((s) => !(s.id in guide)).map((s) => s.id), "documented without a check").toEqual([]);
    expect(Object.keys(guide).filter((id) => !byId.has(id)), "checked but not documented").toEqual([]);
  });

  it("every documented write names its rows", () => {
    expect(unfilteredWrites(snippets)).toEqual([]);
    // The check itself finds a write without a filter.
    expect(unfilteredWrites([{ id: "a", lang: "sql", code: "update public.profiles set status = 'active';" },
                             { id: "b", lang: "ts", code: "await supabase.from('profiles').update({ status: 'active' })" }])).toEqual(["a", "b"]);
  });

  it("runs the SQL as Studio does: postgres, not a superuser, no JWT", async () => {
    expect(await studio`select current_user as role, (select rolsuper from pg_roles where rolname = current_user) as superuser, auth.uid() as uid`)
      .toEqual([{ role: "postgres", superuser: false, uid: null }]);
  });
});

describe("docs/admin.md: each task, in Studio and from an admin app", () => {
  for (const [id, run] of Object.entries(guide)) it(id, run, 60000);
});

describe("the admin console is Studio's only", () => {
  const views = ["open_reports", "experts_awaiting_verification", "support_queue", "privacy_requests", "stuck_jobs", "recent_failures"];

  it("PostgREST does not serve the admin schema to anyone, the service role included", async () => {
    const m = await member();
    for (const client of [anonApi(), m.api, adminApp, serviceApi()]) {
      const { error, status } = await client.schema("admin" as never).from("open_reports" as never).select();
      expect({ status, code: error?.code }).toEqual({ status: 406, code: "PGRST106" });
    }
  });

  it("in the API roles' own SQL sessions, every queue and admin.run_job are refused", async () => {
    const m = await createUser();
    for (const claims of [memberClaims(m.id), memberClaims(admin.id, { aal: "aal2" }), serviceClaims, { role: "anon" as const }]) {
      for (const view of views) {
        await expect(inRequestSession(claims, (tx) => tx.unsafe(`select * from admin.${view}`))).rejects.toMatchObject({ code: "42501" });
      }
      await expect(inRequestSession(claims, (tx) => tx`select admin.run_job('referral-sweep')`)).rejects.toMatchObject({ code: "42501" });
    }
  });
});
