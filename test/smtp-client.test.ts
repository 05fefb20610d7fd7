// The functions' SMTP client (nodemailer behind _shared/smtp.ts) against a real MailDev started
// here as a hosted relay is used: implicit TLS on its own port (465's mode) with a certificate made
// here by openssl, and a user and password. A long non-ASCII subject arrives intact (RFC 2047
// encoded and folded by nodemailer); a wrong password, an untrusted certificate and a server
// without STARTTLS when STARTTLS is required all fail as transient (the operator's to fix).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, homedir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { root } from "../stack/core/config.ts";
import { runAsync } from "../stack/core/run-async.ts";
import { freePort, httpOk, spawnLogged, stopChild, waitFor } from "../stack/core/service.ts";

const dir = mkdtempSync(join(tmpdir(), "memberbase-smtp-"));
const servers: ChildProcess[] = [];
const maildev = join(root, "node_modules", "maildev", "dist", "bin", "maildev.js");

async function startMailDev(name: string, extra: string[]): Promise<{ smtp: number; web: string }> {
  const [smtp, web] = [await freePort(), await freePort()];
  const child = spawnLogged(name, process.execPath, [maildev, "--smtp", String(smtp), "--ip", "127.0.0.1", "--web", String(web), "--web-ip", "127.0.0.1", ...extra]);
  servers.push(child);
  await waitFor(name, () => httpOk(`http://127.0.0.1:${web}/api/healthz`), 60000, child);
  return { smtp, web: `http://127.0.0.1:${web}` };
}

let secure: { smtp: number; web: string };
let plain: { smtp: number; web: string };
let cert: string;

beforeAll(async () => {
  const r = await runAsync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]);
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  cert = readFileSync(join(dir, "cert.pem"), "utf8");
  [secure, plain] = await Promise.all([
    startMailDev("maildev-tls", ["--incoming-secure", "--incoming-cert", join(dir, "cert.pem"), "--incoming-key", join(dir, "key.pem"), "--incoming-user", "relay-user", "--incoming-pass", "relay-pass-1"]),
    startMailDev("maildev-plain", []),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => stopChild(s)));
  rmSync(dir, { recursive: true, force: true });
});

const subject = "Ihre Buchung bei Zoë Müller-Lüdenscheidt ist bestätigt — Termin am Donnerstag, 14:00 Uhr, im Café „Über den Dächern“ ✓";

async function send(env: Record<string, string>, to: string) {
  const mail = { from: { name: "Memberbase Böse", address: "no-reply@memberbase.local" }, to, subject, text: "Bis bald!", html: "<p>Bis bald!</p>", messageId: `smtp-test-${to}`,
    headers: { "List-Unsubscribe": "<http://127.0.0.1:3000/unsubscribe?token=abc>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" } };
  const r = await runAsync(join(root, "node_modules", ".bin", "deno"), ["run", "--allow-all", "--config", join(root, "supabase", "functions", "deno.json"), join(root, "test", "fixtures", "smtp", "send.ts"), JSON.stringify(mail)], {
    env: { ...process.env, DENO_DIR: process.env.DENO_DIR ?? join(process.env.MEMBERBASE_CACHE_DIR ?? join(homedir(), ".cache", "memberbase"), "deno"), NO_COLOR: "1", ...env },
  });
  if (r.status !== 0) throw new Error(`deno: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as { sent?: true; error?: string; permanent?: boolean; replyCode?: number | null };
}

async function received(web: string, to: string) {
  const all = (await (await fetch(`${web}/api/email`)).json()) as Array<{ id: string; subject: string; to: Array<{ address: string }>; from: Array<{ name: string; address: string }> }>;
  return all.filter((m) => m.to.some((t) => t.address === to));
}

describe("SMTP client (nodemailer) against MailDev", () => {
  it("sends over implicit TLS with AUTH; the long non-ASCII subject and sender name arrive intact, the raw header encoded and folded", async () => {
    const to = "tls@example.test";
    expect(await send({ SMTP_HOST: "127.0.0.1", SMTP_PORT: String(secure.smtp), SMTP_SECURE: "1", SMTP_USER: "relay-user", SMTP_PASSWORD: "relay-pass-1", SMTP_CA_CERT: cert }, to)).toEqual({ sent: true });
    const [mail] = await received(secure.web, to);
    expect(mail.subject).toBe(subject);
    expect(mail.from[0]).toEqual({ name: "Memberbase Böse", address: "no-reply@memberbase.local" });
    const source = await (await fetch(`${secure.web}/api/email/${mail.id}/source`)).text();
    const head = source.slice(0, source.indexOf("\r\n\r\n"));
    expect(head).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/m);
    expect(head.split("\r\n").every((line) => line.length <= 998)).toBe(true);
    expect(head).toMatch(/^Subject: .*\r\n[ \t]+=\?UTF-8\?/m); // folded into several encoded words
    expect(head).toContain("List-Unsubscribe: <http://127.0.0.1:3000/unsubscribe?token=abc>");
    expect(head).toContain("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    expect(head).toMatch(/^Message-ID: <smtp-test-tls@example\.test>/m);
  });

  it("fails as transient with a wrong password, and with a certificate it does not trust", async () => {
    const wrong = await send({ SMTP_HOST: "127.0.0.1", SMTP_PORT: String(secure.smtp), SMTP_SECURE: "1", SMTP_USER: "relay-user", SMTP_PASSWORD: "wrong", SMTP_CA_CERT: cert }, "wrong@example.test");
    expect(wrong).toMatchObject({ permanent: false, replyCode: 535 });
    const untrusted = await send({ SMTP_HOST: "127.0.0.1", SMTP_PORT: String(secure.smtp), SMTP_SECURE: "1", SMTP_USER: "relay-user", SMTP_PASSWORD: "relay-pass-1" }, "untrusted@example.test");
    expect(untrusted.permanent).toBe(false);
    expect(untrusted.error).toMatch(/certificate|self.signed|UnknownIssuer/i);
    expect(await received(secure.web, "wrong@example.test")).toHaveLength(0);
    expect(await received(secure.web, "untrusted@example.test")).toHaveLength(0);
  });

  it("refuses to send in the clear when STARTTLS is required and the server offers none; sends to a plain catcher otherwise", async () => {
    const refused = await send({ SMTP_HOST: "127.0.0.1", SMTP_PORT: String(plain.smtp), SMTP_STARTTLS: "1" }, "clear@example.test");
    expect(refused.permanent).toBe(false);
    expect(await received(plain.web, "clear@example.test")).toHaveLength(0);
    expect(await send({ SMTP_HOST: "127.0.0.1", SMTP_PORT: String(plain.smtp) }, "plain@example.test")).toEqual({ sent: true });
    expect((await received(plain.web, "plain@example.test"))[0].subject).toBe(subject);
  });
});
