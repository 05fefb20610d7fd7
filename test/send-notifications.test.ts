// send-notifications over HTTP through the gateway: real SMTP into the stack's mail catcher, the
// content checked there; two overlapping runs send each outbox email once; a daily digest is one
// mail; claims of a sender that died are sent once their lease is over (at least once), and an SMTP
// stall longer than the lease duplicates at most the stalled mail; a member
// without an address fails for good with the attempt recorded; one-click unsubscribe without a
// session (its GET sent on to the app's page), with forged, altered and reused tokens refused.
import { beforeAll, describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import { localSecrets } from "../supabase/functions/_shared/local-secrets.ts";
import { stack } from "./helpers/stack.ts";
import { memberClaims, sql } from "./helpers/db.ts";
import { memberClient, ok, succeeded } from "./helpers/rest.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { usersDeletedAfterFile, type TestUser } from "./helpers/users.ts";
import { eventually, mailDevPid } from "./helpers/processes.ts";
import { ports, toml, tomlValue } from "../stack/core/config.ts";
import { localSmtpTimeoutMs } from "../stack/services/functions.ts";
import { jobsPausedDuringFile, recoveryJob } from "./helpers/schedule.ts";
import { skipNote } from "./helpers/skip.ts";

// This file counts what its own calls did: no scheduled run sends, and no sweep retakes, meanwhile.
jobsPausedDuringFile("send-notifications", recoveryJob);

const { createUser } = usersDeletedAfterFile();

const url = `${stack.apiUrl}/functions/v1/send-notifications`;
/** The app (config.toml's [auth] site_url), where the stack's functions send an unsubscribe link's GET. */
const siteUrl = tomlValue(toml.auth.site_url)!;

async function run(limit = 100, key = stack.serviceRoleKey) {
  const res = await fetch(url, { method: "POST", headers: { apikey: stack.anonKey, authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ limit }) });
  return { status: res.status, body: (await res.json()) as { claimed: number; sent: number; retrying: number; failed: number; error?: { code: string } } };
}

interface CaughtMail {
  id: string;
  subject: string;
  to: Array<{ address: string }>;
  text: string;
  html: string;
  /** Header fields of the raw message, lower-case names (MailDev's parsed headers leave out List-*). */
  headers: Record<string, string>;
}
async function mailsTo(address: string): Promise<CaughtMail[]> {
  const res = await fetch(`${stack.mailUrl}/api/email`);
  const all = ((await res.json()) as CaughtMail[]).filter((m) => m.to.some((t) => t.address.toLowerCase() === address.toLowerCase()));
  for (const m of all) {
    const source = await (await fetch(`${stack.mailUrl}/api/email/${m.id}/source`)).text();
    const head = source.slice(0, source.indexOf("\r\n\r\n") >= 0 ? source.indexOf("\r\n\r\n") : source.indexOf("\n\n"));
    m.headers = Object.fromEntries(head.split(/\r?\n(?![ \t])/).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
  }
  return all;
}

/** Sends everything due now: runs until nothing is left that this test queued. */
async function drain(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const { body } = await run(500);
    if (body.claimed === 0) return;
  }
}

let member: TestUser;
let expert: TestUser;

beforeAll(async () => {
  member = await createUser();
  expert = await createUser();
  await sql`update public.profiles set first_name = 'Mia', last_name = 'Member' where id = ${member.id}`;
  await sql`update public.profiles set role = 'expert' where id = ${expert.id}`; // listed: private.is_listed_expert
  await sql`insert into public.expert_profiles (id, verification_status, verified_at) values (${expert.id}, 'verified', now())`;
  await drain(); // mail queued by earlier test files is not this file's business
});

describe("send-notifications: who may run it", () => {
  it("answers 401 without a key and 403 for the anon key or a member's token; runs with the service role key", async () => {
    expect((await run(10, "")).status).toBe(401);
    const anon = await run(10, stack.anonKey);
    expect(anon).toMatchObject({ status: 403, body: { error: { code: "service_role_required" } } });
    expect((await run(10, await signAccessToken(memberClaims(member.id)))).status).toBe(403);
    const bad = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${stack.serviceRoleKey}` }, body: JSON.stringify({ limit: 0 }) });
    expect(bad.status).toBe(400);
    expect((await run(10)).status).toBe(200);
  });
});

describe("send-notifications: delivery", () => {
  let mail: CaughtMail;

  it("sends a new-message notification over SMTP, with the message, the sender and an unsubscribe link", async () => {
    ok(await (await memberClient(member.id)).rpc("start_conversation", { expert_id: expert.id, body: "Hello! Could we talk about my <garden> project?" }));
    const [row] = await sql`select id, status from public.email_outbox where user_id = ${expert.id} and kind = 'message_received'`;
    expect(row.status).toBe("pending");
    const { status, body } = await run();
    expect(status).toBe(200);
    expect(body.sent).toBeGreaterThanOrEqual(1);
    const [after] = await sql`select status, attempts, sent_at from public.email_outbox where id = ${row.id}`;
    expect(after).toMatchObject({ status: "sent", attempts: 1 });
    const attempts = await sql`select outcome, attempt from public.email_delivery_attempts where outbox_id = ${row.id}`;
    expect(attempts).toEqual([{ outcome: "sent", attempt: 1 }]);
    const mails = await mailsTo(expert.email);
    expect(mails).toHaveLength(1);
    mail = mails[0];
    expect(mail.subject).toBe("New message from Mia M.");
    expect(mail.text).toContain("Hello! Could we talk about my <garden> project?");
    expect(mail.html).toContain("my &lt;garden&gt; project");
    expect(mail.headers["list-unsubscribe-post"]).toBe("List-Unsubscribe=One-Click");
    expect(mail.headers["list-unsubscribe"]).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/functions\/v1\/send-notifications\/unsubscribe\?token=eyJ[\w-]+\.[\w-]+\.[\w-]{43}>$/);
    expect(mail.text).toMatch(/Stop emails about messages: http\S+token=eyJ\S+/);
  });

  it("sends each email once when two runs overlap", async () => {
    const n = 40;
    await sql`select private.notify(${member.id}, 'booking_confirmed', 'bookings', 'Overlap ' || g) from generate_series(1, ${n}) g`;
    const [a, b] = await Promise.all([run(25), run(25)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    await drain();
    const rows = await sql<{ status: string; attempts: number; tries: number }[]>`
      select o.status, o.attempts, (select count(*)::int from public.email_delivery_attempts a where a.outbox_id = o.id) as tries
        from public.email_outbox o where o.user_id = ${member.id} and o.subject like 'Overlap %'`;
    expect(rows).toHaveLength(n);
    expect(rows.every((r) => r.status === "sent" && r.attempts === 1 && r.tries === 1)).toBe(true);
    const subjects = (await mailsTo(member.email)).map((m) => m.subject).filter((s) => s.startsWith("Overlap "));
    expect(subjects).toHaveLength(n);
    expect(new Set(subjects).size).toBe(n);
  });

  it("a sender that died holding claims: once their lease is over the next run sends every one (at least once, the attempt recorded unknown)", async () => {
    const n = 20;
    await sql`select private.notify(${member.id}, 'booking_confirmed', 'bookings', 'Orphaned ' || g) from generate_series(1, ${n}) g`;
    // The state a killed run leaves: its rows claimed (owner, lease, attempt counted), no outcome.
    // Half the leases are over, half still running.
    const claimed = await sql<{ id: string }[]>`
      update public.email_outbox o set status = 'sending', claimed_by = 'send-notifications/killed', claimed_at = now() - interval '11 minutes',
             attempts = o.attempts + 1,
             lease_expires_at = case when o.subject ~ '[02468]$' then now() - interval '1 minute' else now() + interval '10 minutes' end
       where o.user_id = ${member.id} and o.subject like 'Orphaned %' returning o.id`;
    expect(claimed).toHaveLength(n);
    await drain();
    const rows = await sql<{ subject: string; status: string; attempts: string[] }[]>`
      select o.subject, o.status::text, array(select a.outcome || '/' || a.worker from public.email_delivery_attempts a where a.outbox_id = o.id order by a.id) as attempts
        from public.email_outbox o where o.user_id = ${member.id} and o.subject like 'Orphaned %' order by o.id`;
    const expired = rows.filter((r) => /[02468]$/.test(r.subject));
    const live = rows.filter((r) => !/[02468]$/.test(r.subject));
    expect(expired.map((r) => r.status)).toEqual(Array(n / 2).fill("sent"));
    for (const r of expired) expect(r.attempts).toEqual(["unknown/send-notifications/killed", expect.stringMatching(/^sent\/send-notifications\//)]);
    expect(live.map((r) => [r.status, r.attempts.length])).toEqual(Array(n / 2).fill(["sending", 0])); // a live lease is nobody else's
    const subjects = (await mailsTo(member.email)).map((m) => m.subject).filter((s) => s.startsWith("Orphaned "));
    expect(subjects.sort()).toEqual(expired.map((r) => r.subject).sort());
    // The rest once their lease is over too: nothing is left behind.
    await sql`update public.email_outbox set lease_expires_at = now() - interval '1 second' where user_id = ${member.id} and subject like 'Orphaned %' and status = 'sending'`;
    await drain();
    expect(await sql`select 1 from public.email_outbox where user_id = ${member.id} and subject like 'Orphaned %' and status <> 'sent'`).toHaveLength(0);
    expect(new Set((await mailsTo(member.email)).map((m) => m.subject).filter((s) => s.startsWith("Orphaned "))).size).toBe(n);
  });

  it("gathers a daily-digest member's notices into one mail at the digest hour", async () => {
    await sql`update public.email_preferences set notification_emails = 'daily_digest' where user_id = ${member.id}`;
    await sql`select private.notify(${member.id}, 'booking_confirmed', 'bookings', 'Digest one', 'first body')`;
    await sql`select private.notify(${member.id}, 'credits_earned', 'credits', 'Digest two', 'second body')`;
    await run();
    expect((await sql`select status from public.email_outbox where user_id = ${member.id} and subject like 'Digest %'`).map((r) => r.status)).toEqual(["pending", "pending"]);
    await sql`update public.email_outbox set next_attempt_at = now() where user_id = ${member.id} and subject like 'Digest %'`; // the digest hour comes
    await run();
    const digests = (await mailsTo(member.email)).filter((m) => /daily digest/.test(m.subject));
    expect(digests).toHaveLength(1);
    expect(digests[0].subject).toBe("Memberbase: your daily digest (2 notifications)");
    // Derived from its rows alone (first id, count, a hash of all ids): the same on every attempt.
    const ids = (await sql<{ id: string }[]>`select id from public.email_outbox where user_id = ${member.id} and subject like 'Digest %' order by id`).map((r) => r.id);
    expect(digests[0].headers["message-id"]).toMatch(new RegExp(`^<outbox-${ids[0]}\\+2\\.[0-9a-f]{16}@memberbase>$`));
    expect(digests[0].text).toContain("Digest one");
    expect(digests[0].text).toContain("second body");
    expect(digests[0].text).toMatch(/Stop emails about booking updates: /);
    expect(digests[0].text).toMatch(/Stop emails about credits: /);
    await sql`update public.email_preferences set notification_emails = 'immediate' where user_id = ${member.id}`;
  });

  it("fails for good, with the attempt recorded, when the member has no address", async () => {
    const phoneOnly = await createUser();
    await sql`update auth.users set email = null, phone = '15550001111' where id = ${phoneOnly.id}`;
    await sql`select private.notify(${phoneOnly.id}, 'booking_confirmed', 'bookings', 'Nowhere to send')`;
    await run();
    const [row] = await sql`select o.status, o.last_error, a.outcome from public.email_outbox o join public.email_delivery_attempts a on a.outbox_id = o.id
                             where o.user_id = ${phoneOnly.id}`;
    expect(row).toMatchObject({ status: "failed", outcome: "failed", last_error: "the member has no email address" });
  });

  describe("one-click unsubscribe", () => {
    let link: URL;
    beforeAll(() => {
      link = new URL(/<(.+)>/.exec(mail.headers["list-unsubscribe"])![1]);
    });

    it("GET lands on the app's page with the token (hosted functions serve no HTML) and changes nothing", async () => {
      const res = await fetch(link, { redirect: "manual" });
      expect(res.status).toBe(303);
      const target = new URL(res.headers.get("location")!);
      expect(`${target.origin}${target.pathname}`).toBe(`${siteUrl.replace(/\/$/, "")}/unsubscribe`);
      expect(target.searchParams.get("token")).toBe(link.searchParams.get("token"));
      const [pref] = await sql`select enabled from public.notification_preferences where user_id = ${expert.id} and channel = 'email' and category = 'messages'`;
      expect(pref.enabled).toBe(true);
      const forged = await fetch(`${url}/unsubscribe?token=e30.e30.AAAA`, { redirect: "manual" });
      expect(forged.status).toBe(403);
    });

    it("refuses a forged token and an altered one", async () => {
      const token = link.searchParams.get("token")!;
      const [header, payload, signature] = token.split(".");
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
      const altered = Buffer.from(JSON.stringify({ ...claims, sub: member.id })).toString("base64url");
      const unsigned = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
      // Signed with the right secret, but for another purpose (no unsubscribe audience).
      const otherPurpose = await new SignJWT({ ...claims, aud: "memberbase:something-else" }).setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .sign(new TextEncoder().encode(localSecrets.NOTIFICATIONS_SIGNING_SECRET));
      for (const forged of [`${header}.${altered}.${signature}`, `${header}.${payload}.${"A".repeat(43)}`, `${unsigned}.${payload}.`, otherPurpose, "e30.e30.AAAA", "nonsense"]) {
        const res = await fetch(`${url}/unsubscribe?token=${encodeURIComponent(forged)}`, { method: "POST", body: "List-Unsubscribe=One-Click",
          headers: { "content-type": "application/x-www-form-urlencoded" } });
        expect(res.status, forged).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_token");
      }
      expect((await sql`select 1 from public.email_unsubscribes where user_id in ${sql([member.id, expert.id])}`)).toHaveLength(0);
    });

    it("POST (RFC 8058) switches that category's email off without a session; the same link again is refused", async () => {
      const post = () => fetch(link, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded" } });
      const res = await post();
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "unsubscribed", category: "messages" });
      const prefs = await sql`select category, enabled from public.notification_preferences where user_id = ${expert.id} and channel = 'email' and category in ('messages', 'bookings') order by category`;
      expect(prefs).toEqual([{ category: "bookings", enabled: true }, { category: "messages", enabled: false }]);
      const again = await post();
      expect(again.status).toBe(409);
      expect(((await again.json()) as { error: { code: string } }).error.code).toBe("token_used");
      // From now on a new message is shown in-app but not mailed (once the expert has read the
      // thread: a conversation gets one notice until it is read).
      const [{ id: conversationId }] = await sql`select id from public.conversations where member_id = ${member.id}`;
      ok(await (await memberClient(expert.id)).rpc("mark_conversation_read", { conversation_id: conversationId }));
      succeeded(await (await memberClient(member.id)).from("messages").insert({ conversation_id: conversationId, body: "one more" }));
      const [counts] = await sql`select (select count(*)::int from public.notifications where user_id = ${expert.id} and kind = 'message_received') as in_app,
                                        (select count(*)::int from public.email_outbox where user_id = ${expert.id} and kind = 'message_received') as mails`;
      expect(counts).toEqual({ in_app: 2, mails: 1 });
    });
  });
});

// Delivery is at least once: a send that times out is tried again, and every attempt at a mail
// carries the same Message-ID (from its outbox row), so a second copy is recognisable as the same mail.
const mailDev = mailDevPid(ports.smtp);
const noMailDev = mailDev === undefined && "MailDev of this suite's own stack not found (an external stack's mail catcher is not ours to stall)";
describe.skipIf(noMailDev)(
  `send-notifications: MailDev stalled (SIGSTOP) longer than the SMTP timeout mid-run${skipNote(noMailDev)}`,
  () => {
    it("retries the timed-out mail, loses none, and every copy of a mail carries its row's Message-ID", async () => {
      const n = 3;
      await sql`select private.notify(${member.id}, 'booking_confirmed', 'bookings', 'Stalled ' || g) from generate_series(1, ${n}) g`;
      const rows = await sql<{ id: string; subject: string }[]>`select id, subject from public.email_outbox where user_id = ${member.id} and subject like 'Stalled %' order by id`;
      expect(rows).toHaveLength(n);
      process.kill(mailDev!, "SIGSTOP");
      let running: ReturnType<typeof run>;
      try {
        running = run(100); // the first mail's session stalls past the function's SMTP timeout (SMTP_TIMEOUT_MS)
        // Stalled until that first mail's attempt is recorded timed out.
        const timedOut = await eventually(async () => (await sql`
          select 1 from public.email_delivery_attempts a join public.email_outbox o on o.id = a.outbox_id
           where o.user_id = ${member.id} and o.subject like 'Stalled %' and a.outcome = 'retry'`).length > 0, 60_000);
        expect(timedOut, "no attempt timed out while MailDev was stopped").toBe(true);
      } finally {
        process.kill(mailDev!, "SIGCONT");
      }
      const first = await running;
      expect(first.status).toBe(200);
      expect(first.body.retrying).toBeGreaterThanOrEqual(1);
      expect(first.body.failed).toBe(0);
      const [retried] = await sql<{ id: string; error: string }[]>`
        select a.outbox_id as id, a.error from public.email_delivery_attempts a join public.email_outbox o on o.id = a.outbox_id
         where o.user_id = ${member.id} and o.subject like 'Stalled %' and a.outcome = 'retry' order by a.outbox_id limit 1`;
      expect(retried.error).toContain(`no reply within ${localSmtpTimeoutMs} ms`);
      // The retry's time comes; then everything is sent.
      await sql`update public.email_outbox set next_attempt_at = now() where user_id = ${member.id} and subject like 'Stalled %' and status = 'pending'`;
      await drain();
      const after = await sql<{ id: string; status: string; attempts: number }[]>`
        select id, status, attempts from public.email_outbox where user_id = ${member.id} and subject like 'Stalled %' order by id`;
      expect(after.map((r) => r.status)).toEqual(Array(n).fill("sent"));
      expect(after.find((r) => r.id === retried.id)!.attempts).toBe(2);
      const caught = (await mailsTo(member.email)).filter((m) => m.subject.startsWith("Stalled "));
      // Each row's mail arrived (a copy more is allowed: that is at least once), and every copy of
      // it carries the Message-ID derived from that row.
      for (const row of rows) {
        const copies = caught.filter((m) => m.subject === row.subject);
        expect(copies.length, row.subject).toBeGreaterThanOrEqual(1);
        expect(new Set(copies.map((m) => m.headers["message-id"]))).toEqual(new Set([`<outbox-${row.id}@memberbase>`]));
      }
    }, 90000);

    it("a stall longer than the claims' lease costs at most one duplicate, of the stalled mail (the batch behind it goes out once)", async () => {
      const n = 10;
      await sql`select private.notify(${member.id}, 'booking_confirmed', 'bookings', 'Leased ' || g) from generate_series(1, ${n}) g`;
      const rows = await sql<{ id: string; subject: string }[]>`select id, subject from public.email_outbox where user_id = ${member.id} and subject like 'Leased %' order by id`;
      expect(rows).toHaveLength(n);
      const leased = (cond: string) => sql.unsafe<{ n: number }[]>(
        `select count(*)::int as n from public.email_outbox where user_id = $1 and subject like 'Leased %' and ${cond}`, [member.id]);
      const [{ claim_timeout: lease }] = await sql<{ claim_timeout: string }[]>`select claim_timeout::text from private.email_settings`;
      // A lease shorter than the stall (and than the SMTP timeout, so the stalled mail still goes out).
      await sql`update private.email_settings set claim_timeout = '2 seconds'`;
      try {
        process.kill(mailDev!, "SIGSTOP");
        let first: ReturnType<typeof run>;
        let second: ReturnType<typeof run>;
        try {
          first = run(100); // claims all ten; its first mail's session stalls
          expect(await eventually(async () => (await leased("status = 'sending' and attempts = 1"))[0].n === n, 30_000), "the first run claimed the batch").toBe(true);
          // Its lease runs out while it stalls: the next run takes the whole batch back and claims it.
          expect(await eventually(async () => (await leased("lease_expires_at < now()"))[0].n === n, 30_000), "the leases ran out").toBe(true);
          second = run(100);
          expect(await eventually(async () => (await leased("status = 'sending' and attempts = 2"))[0].n === n, 30_000), "the second run claimed the batch").toBe(true);
        } finally {
          process.kill(mailDev!, "SIGCONT");
        }
        const [a, b] = await Promise.all([first, second]);
        expect([a.status, b.status]).toEqual([200, 200]);
      } finally {
        await sql`update private.email_settings set claim_timeout = ${lease}::interval`;
      }
      await sql`update public.email_outbox set next_attempt_at = now() where user_id = ${member.id} and subject like 'Leased %' and status = 'pending'`;
      await drain();
      expect((await leased("status = 'sent'"))[0].n).toBe(n);
      const caught = (await mailsTo(member.email)).filter((m) => m.subject.startsWith("Leased "));
      const copies = rows.map((r) => caught.filter((m) => m.subject === r.subject).length);
      // The stalled (first) mail: once or twice; every mail queued behind it: exactly once.
      expect(copies[0]).toBeGreaterThanOrEqual(1);
      expect(copies[0]).toBeLessThanOrEqual(2);
      expect(copies.slice(1)).toEqual(Array(n - 1).fill(1));
    }, 90000);
  },
);
