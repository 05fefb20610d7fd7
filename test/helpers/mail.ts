// Reads captured mail: MailDev's REST API in the Docker-free stack, Mailpit's under `supabase start`.
import { stack } from "./stack.ts";

export interface Mail {
  subject: string;
  to: string[];
  html: string;
  text: string;
}

async function fetchAll(): Promise<Mail[]> {
  const maildev = await fetch(`${stack.mailUrl}/api/email`);
  if (maildev.ok) {
    const list = (await maildev.json()) as Array<{ subject: string; to: Array<{ address: string }>; html?: string; text?: string }>;
    return list.map((m) => ({ subject: m.subject, to: m.to.map((t) => t.address.toLowerCase()), html: m.html ?? "", text: m.text ?? "" }));
  }
  const mailpit = (await (await fetch(`${stack.mailUrl}/api/v1/messages`)).json()) as { messages: Array<{ ID: string }> };
  return Promise.all(
    mailpit.messages.map(async ({ ID }) => {
      const m = (await (await fetch(`${stack.mailUrl}/api/v1/message/${ID}`)).json()) as { Subject: string; To: Array<{ Address: string }>; HTML: string; Text: string };
      return { subject: m.Subject, to: m.To.map((t) => t.Address.toLowerCase()), html: m.HTML, text: m.Text };
    }),
  );
}

/** Every captured mail to `to` whose subject matches, oldest first. */
export async function mailsTo(to: string, subject: RegExp): Promise<Mail[]> {
  return (await fetchAll()).filter((m) => m.to.includes(to.toLowerCase()) && subject.test(m.subject));
}

/** Waits until `count` mails to `to` match (default 1) and returns the newest. */
export async function waitForMails(to: string, subject: RegExp, count: number, timeoutMs = 10000): Promise<Mail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hits = await mailsTo(to, subject);
    if (hits.length >= count) return hits[hits.length - 1];
    if (Date.now() > deadline) throw new Error(`${hits.length} of ${count} mail(s) to ${to} matching ${subject} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Waits for the newest mail to `to` whose subject matches. */
export async function waitForMail(to: string, subject: RegExp, timeoutMs = 10000): Promise<Mail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = (await fetchAll()).reverse().find((m) => m.to.includes(to.toLowerCase()) && subject.test(m.subject));
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${subject} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The first Auth verify link in a mail (confirmation, recovery, ...). */
export function verifyLink(mail: Mail): URL {
  const m = /href="([^"]*\/auth\/v1\/verify[^"]*)"/.exec(mail.html) ?? /(https?:\/\/\S*\/auth\/v1\/verify\S*)/.exec(mail.text);
  if (!m) throw new Error(`no verify link in mail "${mail.subject}"`);
  return new URL(m[1].replace(/&amp;/g, "&"));
}
