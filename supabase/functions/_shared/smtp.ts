// SMTP through nodemailer, a maintained client: implicit TLS (port 465, the port hosted Edge
// Functions may use: 25 and 587 are closed there), STARTTLS whenever the server offers it (required
// with SMTP_STARTTLS=1), AUTH with SMTP_USER / SMTP_PASSWORD, and the message's headers encoded
// and folded by nodemailer (RFC 2047). One connection per message.
// A 5xx reply about the recipient or the message is a permanent failure; anything else (4xx,
// network, TLS, a refused login: the operator's to fix) is transient and retried.
// @deno-types="@types/nodemailer"
import nodemailer from "nodemailer";

export interface SmtpConfig {
  host: string;
  port: number;
  /** TLS from the first byte (implicit TLS); defaults to port === 465. */
  secure?: boolean;
  /** Refuse to send unless STARTTLS succeeds (plain servers are used with STARTTLS when they offer it anyway). */
  requireTls?: boolean;
  user?: string;
  password?: string;
  /** PEM certificate(s) to trust besides the system's (a relay with a private CA, a test server). */
  caCert?: string;
  heloName?: string;
  timeoutMs?: number;
}

export interface OutgoingMail {
  from: { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Without angle brackets. */
  messageId: string;
  /** Extra header fields, sent as given (ASCII; List-Unsubscribe and the like). */
  headers?: Record<string, string>;
}

export class SmtpError extends Error {
  constructor(message: string, readonly replyCode: number | null, readonly permanent: boolean) {
    super(message);
  }
}

function assertAddress(address: string): void {
  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(address)) throw new SmtpError(`not a mail address: ${address.slice(0, 100)}`, null, true);
}

/** nodemailer's error: `responseCode` is the SMTP reply, `code` the stage (EENVELOPE, EMESSAGE, EAUTH, ECONNECTION, ETLS, ETIMEDOUT, ...). */
function classify(e: unknown, timeoutMs: number): SmtpError {
  const err = e as { message?: string; responseCode?: number; code?: string; command?: string };
  const reply = typeof err.responseCode === "number" ? err.responseCode : null;
  if (err.code === "ETIMEDOUT") {
    // nodemailer does not say which step went quiet: if it was the reply to the message, the server
    // may have taken it. Delivery is at least once, so this is retried, and said as it is.
    return new SmtpError(`no reply within ${timeoutMs} ms (${err.message ?? "timeout"}; outcome unknown if the message was already handed over)`, null, false);
  }
  const aboutThisMail = err.code === "EENVELOPE" || err.code === "EMESSAGE";
  const step = err.command ? ` (${err.command})` : "";
  return new SmtpError(`SMTP${step}: ${err.message ?? String(e)}`.slice(0, 500), reply, reply !== null && reply >= 500 && aboutThisMail);
}

/** When SMTP_TIMEOUT_MS is not set (or not a positive whole number of milliseconds). */
export const defaultSmtpTimeoutMs = 15000;

function positiveInteger(text: string | undefined): number | undefined {
  const n = Number(text);
  return text && Number.isInteger(n) && n > 0 ? n : undefined;
}

export async function sendMail(config: SmtpConfig, mail: OutgoingMail): Promise<void> {
  assertAddress(mail.from.address);
  assertAddress(mail.to);
  const timeout = config.timeoutMs ?? defaultSmtpTimeoutMs;
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure ?? config.port === 465,
    requireTLS: config.requireTls ?? false,
    name: config.heloName ?? "memberbase.local",
    auth: config.user ? { user: config.user, pass: config.password ?? "" } : undefined,
    tls: config.caCert ? { ca: config.caCert } : undefined,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  try {
    await transport.sendMail({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: `<${mail.messageId}>`,
      headers: Object.fromEntries(Object.entries(mail.headers ?? {}).map(([k, v]) => [k, { prepared: true, value: v.replace(/[\r\n]+/g, " ") }])),
    });
  } catch (e) {
    throw classify(e, timeout);
  } finally {
    transport.close();
  }
}

/** SMTP settings from the environment: SMTP_HOST, SMTP_PORT (465 = implicit TLS), SMTP_SECURE=1|0 to
 * say so for another port, SMTP_STARTTLS=1 (STARTTLS required), SMTP_USER, SMTP_PASSWORD, SMTP_CA_CERT (PEM),
 * SMTP_TIMEOUT_MS (connect, greeting and each reply; 15000 when unset). */
export function smtpConfigFromEnv(): SmtpConfig | null {
  const host = Deno.env.get("SMTP_HOST");
  const port = Number(Deno.env.get("SMTP_PORT"));
  if (!host || !Number.isInteger(port) || port <= 0) return null;
  const secure = Deno.env.get("SMTP_SECURE");
  return {
    host,
    port,
    secure: secure === undefined || secure === "" ? undefined : secure === "1",
    requireTls: Deno.env.get("SMTP_STARTTLS") === "1",
    user: Deno.env.get("SMTP_USER") || undefined,
    password: Deno.env.get("SMTP_PASSWORD") || undefined,
    caCert: Deno.env.get("SMTP_CA_CERT") || undefined,
    timeoutMs: positiveInteger(Deno.env.get("SMTP_TIMEOUT_MS")),
  };
}
