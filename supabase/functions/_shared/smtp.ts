// A small SMTP client (RFC 5321) over Deno's TCP API: EHLO, optional STARTTLS and AUTH PLAIN,
// MAIL FROM, RCPT TO, DATA. Enough for a relay or a mail catcher; one connection per message.
// Replies in the 5xx range are permanent failures, everything else (4xx, network) is transient.

export interface SmtpConfig {
  host: string;
  port: number;
  /** Upgrade with STARTTLS before authenticating (for a real relay on 587). */
  startTls?: boolean;
  user?: string;
  password?: string;
  heloName?: string;
  timeoutMs?: number;
}

export interface OutgoingMail {
  from: string;
  to: string;
  /** The complete RFC 5322 message (headers, blank line, body), lines ending in CRLF. */
  message: string;
}

export class SmtpError extends Error {
  constructor(message: string, readonly replyCode: number | null, readonly permanent: boolean) {
    super(message);
  }
}

/** Reads SMTP replies (possibly multi-line: "250-..." continued, "250 ..." last) from a connection. */
class ReplyReader {
  private buffer = "";
  private readonly decoder = new TextDecoder();
  constructor(private conn: Deno.Conn) {}

  use(conn: Deno.Conn): void {
    this.conn = conn;
    this.buffer = "";
  }

  async read(): Promise<{ code: number; text: string }> {
    const lines: string[] = [];
    for (;;) {
      let nl = this.buffer.indexOf("\r\n");
      while (nl < 0) {
        const chunk = new Uint8Array(4096);
        const n = await this.conn.read(chunk);
        if (n === null) throw new SmtpError("the SMTP server closed the connection", null, false);
        this.buffer += this.decoder.decode(chunk.subarray(0, n));
        nl = this.buffer.indexOf("\r\n");
      }
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 2);
      lines.push(line);
      if (!/^\d{3}-/.test(line)) {
        const code = Number(line.slice(0, 3));
        if (!Number.isInteger(code)) throw new SmtpError(`unreadable SMTP reply: ${line.slice(0, 100)}`, null, false);
        return { code, text: lines.map((l) => l.slice(4)).join("\n") };
      }
    }
  }
}

const encoder = new TextEncoder();

/** Lines starting with a dot get another one (RFC 5321 §4.5.2), and the message ends with CRLF.CRLF. */
function dataSection(message: string): string {
  const normalised = message.replace(/\r?\n/g, "\r\n");
  return normalised.replace(/^\./gm, "..") + (normalised.endsWith("\r\n") ? "" : "\r\n") + ".\r\n";
}

function assertAddress(address: string): void {
  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(address)) throw new SmtpError(`not a mail address: ${address.slice(0, 100)}`, null, true);
}

export async function sendMail(config: SmtpConfig, mail: OutgoingMail): Promise<void> {
  assertAddress(mail.from);
  assertAddress(mail.to);
  let conn: Deno.Conn = await Deno.connect({ hostname: config.host, port: config.port }).catch((e) => {
    throw new SmtpError(`cannot connect to ${config.host}:${config.port}: ${(e as Error).message}`, null, false);
  });
  const timeoutMs = config.timeoutMs ?? 15000;
  let timedOut = false;
  // Once the message and its final "." are written the server may have taken it, whatever happens
  // next: a failure from then on is an unknown outcome, not a mail that was never sent.
  let handedOver = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, timeoutMs);
  const reader = new ReplyReader(conn);
  const expect = async (ok: number[], step: string) => {
    const reply = await reader.read();
    if (!ok.includes(reply.code)) {
      throw new SmtpError(`SMTP ${step}: ${reply.code} ${reply.text}`.slice(0, 500), reply.code, reply.code >= 500);
    }
    return reply;
  };
  const command = async (line: string, ok: number[], step: string) => {
    await conn.write(encoder.encode(`${line}\r\n`));
    return expect(ok, step);
  };
  try {
    await expect([220], "greeting");
    const helo = config.heloName ?? "memberbase.local";
    let ehlo = await command(`EHLO ${helo}`, [250], "EHLO");
    if (config.startTls) {
      if (!/^STARTTLS$/im.test(ehlo.text)) throw new SmtpError("the SMTP server does not offer STARTTLS", null, true);
      await command("STARTTLS", [220], "STARTTLS");
      conn = await Deno.startTls(conn as Deno.TcpConn, { hostname: config.host });
      reader.use(conn);
      ehlo = await command(`EHLO ${helo}`, [250], "EHLO after STARTTLS");
    }
    if (config.user) {
      const credentials = btoa(String.fromCharCode(...encoder.encode(`\0${config.user}\0${config.password ?? ""}`)));
      await command(`AUTH PLAIN ${credentials}`, [235], "AUTH");
    }
    await command(`MAIL FROM:<${mail.from}>`, [250], "MAIL FROM");
    await command(`RCPT TO:<${mail.to}>`, [250, 251], "RCPT TO");
    await command("DATA", [354], "DATA");
    await conn.write(encoder.encode(dataSection(mail.message)));
    handedOver = true;
    await expect([250], "message");
    handedOver = false; // accepted: what follows (QUIT) cannot undo it
    await command("QUIT", [221], "QUIT").catch(() => undefined); // the message is accepted either way
  } catch (e) {
    // The server's own answer, or a failure before the message went out: as it is.
    if (e instanceof SmtpError && (e.replyCode !== null || (!timedOut && !handedOver))) throw e;
    const why = timedOut ? `no reply within ${timeoutMs} ms` : e instanceof SmtpError ? e.message : `SMTP connection failed: ${(e as Error).message}`;
    throw new SmtpError(`${handedOver ? "outcome unknown (the server may have taken the message): " : ""}${why}`, null, false);
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // already closed (timeout or server hang-up)
    }
  }
}

/** SMTP settings from the environment: SMTP_HOST, SMTP_PORT, SMTP_STARTTLS=1, SMTP_USER, SMTP_PASSWORD. */
export function smtpConfigFromEnv(): SmtpConfig | null {
  const host = Deno.env.get("SMTP_HOST");
  const port = Number(Deno.env.get("SMTP_PORT"));
  if (!host || !Number.isInteger(port) || port <= 0) return null;
  return {
    host,
    port,
    startTls: Deno.env.get("SMTP_STARTTLS") === "1",
    user: Deno.env.get("SMTP_USER") || undefined,
    password: Deno.env.get("SMTP_PASSWORD") || undefined,
  };
}
