// send-notifications: delivers the email outbox, and takes one-click unsubscribes.
//
// POST /functions/v1/send-notifications (service role key; the schedule runs it every minute)
//   Body { limit?: 1..500 } (default 100). Claims due outbox rows (`for update skip locked`, so
//   overlapping runs never share one), sends each over SMTP (a member's due digest rows as one
//   mail), and records the outcome of every attempt. 200 { claimed, sent, retrying, failed }.
//   The lease of the claims still held is renewed before each send (private.hold_email_claims):
//   a stalled send costs at most one duplicate, of that mail, never of the rest of the batch.
//   Delivery is AT LEAST ONCE: a transient failure is retried, including a timeout after the message
//   was handed over (the server may have taken it: the attempt records "outcome unknown"). Every
//   attempt at a mail carries the same Message-ID, derived from its outbox rows (outboxMessageId), so
//   a second copy is recognisable as the same mail.
// GET  /functions/v1/send-notifications/unsubscribe?token=...  303 to the app's page
//   (SITE_URL/unsubscribe?token=...), which asks and POSTs the token here: hosted functions serve
//   no HTML on the default functions domain.
// POST /functions/v1/send-notifications/unsubscribe?token=...  (RFC 8058 one-click) switches that
//   category's email off. No session needed: the token is signed (403 invalid_token when forged or
//   altered), single-use (409 token_used) and expires 90 days after the mail (410 token_expired).
// verify_jwt is off for this function (mail clients have no JWT); the sending side verifies the
// service role token itself (requireServiceRole).
import { z } from "zod";
import { serve, parseBody } from "../_shared/handler.ts";
import { HttpError, json, corsHeaders } from "../_shared/errors.ts";
import { requireServiceRole } from "../_shared/service-role.ts";
import { sql } from "../_shared/db.ts";
import { sendMail, smtpConfigFromEnv, SmtpError } from "../_shared/smtp.ts";
import { requireSecret } from "../_shared/secrets.ts";
import { signUnsubscribeToken, verifyUnsubscribeToken } from "../_shared/unsubscribe-token.ts";
import { compose, outboxMessageId, type OutboxEmail } from "./compose.ts";

const runBody = z.object({ limit: z.number().int().min(1).max(500).default(100) }).strict();

const signingSecret = () => requireSecret("NOTIFICATIONS_SIGNING_SECRET", "not_configured", 32);

const publicUrl = () => `${(Deno.env.get("NOTIFICATIONS_PUBLIC_URL") ?? `${Deno.env.get("SUPABASE_URL")}/functions/v1`).replace(/\/$/, "")}/send-notifications/unsubscribe`;

async function deliver(limit: number) {
  const smtp = smtpConfigFromEnv();
  if (!smtp) throw new HttpError(503, "not_configured", "SMTP_HOST and SMTP_PORT are not set");
  const secret = signingSecret();
  const from = Deno.env.get("NOTIFICATIONS_FROM") ?? "no-reply@memberbase.local";
  const appName = Deno.env.get("NOTIFICATIONS_APP_NAME") ?? "Memberbase";
  const worker = `send-notifications/${crypto.randomUUID()}`;
  const rows = await sql<OutboxEmail[]>`select * from private.claim_emails(${worker}, ${limit})`;

  // A member's digest rows travel together; every other row is its own mail.
  const groups = new Map<string, OutboxEmail[]>();
  for (const row of rows) {
    const key = row.digest ? `digest:${row.user_id}` : `one:${row.id}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const outcome = { claimed: rows.length, sent: 0, retrying: 0, failed: 0 };
  const unsent = new Set(rows.map((r) => String(r.id)));
  for (const claimed of groups.values()) {
    if (unsent.size === 0) break; // every claim left was taken back: the next run sends them
    // The lease of every claim still ours starts again now, and only those are sent: while an
    // earlier send stalled past the lease, the next run took the rest back, and sends them itself.
    const held = new Set(
      (await sql<{ id: string }[]>`select private.hold_email_claims(${worker}, ${sql.array([...unsent])}::bigint[]) as id`).map((r) => String(r.id)),
    );
    for (const id of unsent) if (!held.has(id)) unsent.delete(id);
    const group = claimed.filter((r) => held.has(String(r.id)));
    for (const r of claimed) unsent.delete(String(r.id));
    if (group.length === 0) continue;
    let error: string | null = null;
    let permanent = false;
    try {
      const email = group[0].email;
      if (!email) throw new SmtpError("the member has no email address", null, true);
      const links = new Map<string, string>();
      for (const category of new Set(group.map((r) => r.category))) {
        links.set(category, `${publicUrl()}?token=${await signUnsubscribeToken(secret, group[0].user_id, category)}`);
      }
      const mail = compose(group, { appName, unsubscribeUrl: links });
      await sendMail(smtp, { ...mail, from: { name: appName, address: from }, to: email, messageId: await outboxMessageId(group) });
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      permanent = e instanceof SmtpError && e.permanent;
    }
    for (const row of group) {
      const [{ status }] = await sql<{ status: string | null }[]>`
        select private.finish_email(${row.id}, ${worker}, ${error === null}, ${error}, ${permanent}) as status`;
      if (status === "sent") outcome.sent++;
      else if (status === "pending") outcome.retrying++;
      else if (status === "failed") outcome.failed++;
    }
  }
  return outcome;
}

/** The app's unsubscribe page (SITE_URL + /unsubscribe): hosted functions serve no HTML on the
 * default functions domain (a GET's text/html is rewritten to text/plain there), so the link's GET
 * lands on the app, which shows the button and POSTs the token back here. */
function appUnsubscribeUrl(token: string): string {
  const site = Deno.env.get("SITE_URL");
  if (!site) throw new HttpError(503, "not_configured", "SITE_URL (the app's address) is not set");
  return `${site.replace(/\/$/, "")}/unsubscribe?token=${encodeURIComponent(token)}`;
}

async function unsubscribe(req: Request, url: URL): Promise<Response> {
  const token = url.searchParams.get("token") ?? "";
  if (!token) throw new HttpError(400, "invalid_token", "The link has no token");
  const payload = await verifyUnsubscribeToken(signingSecret(), token);
  if (!payload) throw new HttpError(403, "invalid_token", "This unsubscribe link is not valid");
  if (payload.expired) throw new HttpError(410, "token_expired", "This unsubscribe link has expired: use the one in a newer email, or your notification settings");
  if (req.method === "GET") {
    // A GET changes nothing (mail scanners open links): the app asks, and its button POSTs.
    return new Response(null, { status: 303, headers: { location: appUnsubscribeUrl(token), "cache-control": "no-store", ...corsHeaders } });
  }
  const [{ result }] = await sql<{ result: string }[]>`
    select private.consume_unsubscribe(${payload.tokenId}::uuid, ${payload.userId}::uuid, ${payload.category}::public.notification_category) as result`;
  if (result === "used") throw new HttpError(409, "token_used", "This unsubscribe link was already used");
  if (result === "unknown_member") throw new HttpError(404, "unknown_member", "This account no longer exists");
  return json({ status: "unsubscribed", category: payload.category });
}

serve(["GET", "POST"], async (req) => {
  const url = new URL(req.url);
  if (url.pathname.endsWith("/unsubscribe")) return unsubscribe(req, url);
  if (req.method !== "POST") throw new HttpError(405, "method_not_allowed", "Use POST");
  await requireServiceRole(req);
  const { limit } = await parseBody(req, runBody);
  return json(await deliver(limit));
}, { verifyJwt: false });
