// The SMTP catcher and the mail helper the Auth tests read links with: a mail shaped like Auth's
// confirmation mail goes in over SMTP, and the helper finds it and its verify link.
import { describe, expect, it } from "vitest";
import { skipNote } from "./helpers/skip.ts";
import nodemailer from "nodemailer";
import { stack, uniqueEmail } from "./helpers/stack.ts";
import { verifyLink, waitForMail } from "./helpers/mail.ts";
import { ports } from "../stack/core/config.ts";


const external = process.env.SUPABASE_URL && "an external stack (SUPABASE_URL): its mail catcher is not this one";
describe.skipIf(external)(`mail catcher${skipNote(external)}`, () => {
  it("captures a mail sent over SMTP and yields its verify link", async () => {
    const to = uniqueEmail("mail");
    const link = `${stack.apiUrl}/auth/v1/verify?token=abc123&type=signup&redirect_to=http://127.0.0.1:3000`;
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: ports.smtp, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: "admin@memberbase.local", to, subject: "Confirm Your Signup", html: `<a href="${link.replace(/&/g, "&amp;")}">Confirm</a>` });
    const mail = await waitForMail(to, /confirm/i);
    const url = verifyLink(mail);
    expect(url.searchParams.get("token")).toBe("abc123");
    expect(url.searchParams.get("type")).toBe("signup");
    await expect(waitForMail(uniqueEmail("nobody"), /confirm/i, 300)).rejects.toThrow(/no mail/);
  });
});
