// What one email or a daily digest says: subject, text and HTML alternatives, an unsubscribe link
// per category in the body, and List-Unsubscribe / One-Click headers (RFC 8058) when the mail is
// about one category. nodemailer (_shared/smtp.ts) makes the MIME message and encodes the headers.

export interface OutboxEmail {
  id: number;
  user_id: string;
  email: string | null;
  kind: string;
  category: string;
  subject: string;
  body: string | null;
  data: Record<string, unknown>;
  digest: boolean;
  attempts: number;
  created_at: Date;
}

/** What nodemailer needs (it builds the MIME message and encodes the headers). */
export interface Composed {
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

const categoryNames: Record<string, string> = {
  bookings: "booking updates",
  messages: "messages",
  reviews: "reviews",
  credits: "credits",
  security: "security notices",
  marketing: "news and offers",
  search_alerts: "saved-search alerts",
  billing: "billing",
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

// Kinds whose body is another member's own words: framed as a quote under a lead line, so nothing
// in it ("Stop emails: https://...") reads as ours; the HTML part escapes it and makes no links.
const quotedKinds: Record<string, string> = {
  message_received: "Their message, quoted as they wrote it:",
};

function textBody(r: OutboxEmail): string[] {
  if (!r.body) return [];
  const lead = quotedKinds[r.kind];
  return lead ? [lead, ...r.body.split(/\r?\n/).map((line) => `> ${line}`)] : [r.body];
}

function htmlBody(r: OutboxEmail): string {
  if (!r.body) return "";
  const lead = quotedKinds[r.kind];
  const text = escapeHtml(r.body).replace(/\r?\n/g, "<br>");
  return lead ? `<p>${escapeHtml(lead)}</p><blockquote style="border-left:3px solid #ccc;margin:0;padding-left:1em">${text}</blockquote>` : text;
}

/**
 * The Message-ID of the mail for these outbox rows: derived from the rows alone, never from the run
 * or the attempt, so every attempt at the same mail carries the same one. Delivery is at least once
 * (a timed-out send whose message the server may already have taken is tried again), and a re-send
 * is then recognisable as the same mail, by the recipient's mail system and by whoever reads the log.
 * One row: <outbox-ID@memberbase>; a digest: its first row's id, the count, and a digest of all ids.
 */
export async function outboxMessageId(rows: Pick<OutboxEmail, "id">[]): Promise<string> {
  const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  if (ids.length === 1) return `outbox-${ids[0]}@memberbase`;
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(ids.join(","))));
  const hex = [...hash.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `outbox-${ids[0]}+${ids.length}.${hex}@memberbase`;
}

/**
 * One message for these rows (one immediate email, or all of a member's due digest rows).
 * unsubscribeUrl gives the signed link for a category.
 */
export function compose(rows: OutboxEmail[], opts: { appName: string; unsubscribeUrl: Map<string, string> }): Composed {
  const digest = rows.length > 1 || rows[0].digest;
  const subject = digest ? `${opts.appName}: your daily digest (${rows.length} ${rows.length === 1 ? "notification" : "notifications"})` : rows[0].subject;
  const categories = [...new Set(rows.map((r) => r.category))];
  const text = [
    ...rows.flatMap((r) => (digest ? [`* ${r.subject}`, ...textBody(r).map((l) => `  ${l}`), ""] : [r.subject, "", ...textBody(r), ...(r.body ? [""] : [])])),
    "--",
    ...categories.map((c) => `Stop emails about ${categoryNames[c] ?? c}: ${opts.unsubscribeUrl.get(c)}`),
    "",
  ].join("\n");
  const html = [
    "<!doctype html><html><body>",
    digest ? `<h1>${escapeHtml(subject)}</h1><ul>` : `<h1>${escapeHtml(rows[0].subject)}</h1>`,
    ...rows.map((r) => (digest ? `<li><strong>${escapeHtml(r.subject)}</strong>${r.body ? `<br>${htmlBody(r)}` : ""}</li>` : r.body ? `<div>${htmlBody(r)}</div>` : "")),
    digest ? "</ul>" : "",
    "<hr>",
    ...categories.map((c) => `<p><a href="${escapeHtml(opts.unsubscribeUrl.get(c)!)}">Stop emails about ${escapeHtml(categoryNames[c] ?? c)}</a></p>`),
    "</body></html>",
  ].join("\n");
  const headers: Record<string, string> = {
    ...(categories.length === 1 ? { "List-Unsubscribe": `<${opts.unsubscribeUrl.get(categories[0])}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" } : {}),
    "X-Memberbase-Outbox-Ids": rows.map((r) => r.id).join(","),
  };
  return { subject, text, html, headers };
}
