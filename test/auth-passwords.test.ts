// Passwords against the real Auth server: forgot password -> recovery mail -> new password (old one
// refused), and changing it under config.toml's secure_password_change, where a session older than
// a day must present the reauthentication code Auth mails (the nonce).
import { describe, expect, it } from "vitest";
import { anonClient, authSkipReason } from "./helpers/stack.ts";
import { mailsTo, verifyLink, waitForMail } from "./helpers/mail.ts";
import { claimsOf, follow, fragmentOf, password, signUpConfirmed } from "./helpers/auth.ts";
import { sql } from "./helpers/db.ts";
import { skipNote } from "./helpers/skip.ts";

describe.skipIf(authSkipReason)(`forgot password${skipNote(authSkipReason)}`, () => {
  it("mails a recovery link that signs the member in to choose a new password; the old one stops working", async () => {
    const { email, address } = await signUpConfirmed();
    const client = anonClient(address);
    expect((await client.auth.resetPasswordForEmail(email, { redirectTo: "http://127.0.0.1:3000/reset" })).error).toBeNull();
    const link = verifyLink(await waitForMail(email, /reset your password/i));
    expect(link.searchParams.get("type")).toBe("recovery");
    const landing = await follow(link, address);
    expect(landing.origin + landing.pathname).toBe("http://127.0.0.1:3000/reset");
    const fragment = fragmentOf(landing);
    expect(fragment.get("type")).toBe("recovery");
    expect(claimsOf(fragment.get("access_token")!).amr).toEqual([expect.objectContaining({ method: "otp" })]);
    const { error: sessionError } = await client.auth.setSession({ access_token: fragment.get("access_token")!, refresh_token: fragment.get("refresh_token")! });
    expect(sessionError).toBeNull();
    expect((await client.auth.updateUser({ password: "brand-new-pass-7" })).error).toBeNull();
    const fresh = anonClient();
    expect((await fresh.auth.signInWithPassword({ email, password })).error?.code).toBe("invalid_credentials");
    expect((await fresh.auth.signInWithPassword({ email, password: "brand-new-pass-7" })).error).toBeNull();
    // The link is single-use.
    expect(fragmentOf(await follow(link, address)).get("error_code")).toBe("otp_expired");
  });

  it("answers a reset for an unknown email exactly like one for a member (no enumeration, no mail)", async () => {
    const unknown = `nobody.${Date.now()}@example.test`;
    const { data, error } = await anonClient().auth.resetPasswordForEmail(unknown);
    expect(error).toBeNull();
    expect(data).toEqual({});
    await new Promise((r) => setTimeout(r, 300));
    expect(await mailsTo(unknown, /./)).toEqual([]);
  });
});

describe.skipIf(authSkipReason)(`changing the password under secure_password_change${skipNote(authSkipReason)}`, () => {
  it("lets a session from a recent sign-in change it directly", async () => {
    const { client, email } = await signUpConfirmed();
    expect((await client.auth.updateUser({ password: "changed-pass-8" })).error).toBeNull();
    expect((await anonClient().auth.signInWithPassword({ email, password: "changed-pass-8" })).error).toBeNull();
  });

  it("makes a session older than a day reauthenticate: nonce from the mail, a wrong one refused", async () => {
    const { client, email, session } = await signUpConfirmed();
    // Auth asks for reauthentication once the session's sign-in is over 24 hours old; age it rather than wait.
    await sql`update auth.sessions set created_at = now() - interval '25 hours' where id = ${claimsOf(session.access_token).session_id as string}`;
    const bare = await client.auth.updateUser({ password: "changed-pass-8" });
    expect(bare.error?.code).toBe("reauthentication_needed");

    expect((await client.auth.reauthenticate()).error).toBeNull();
    const mail = await waitForMail(email, /is your verification code/i);
    const nonce = /(\d{6})/.exec(mail.subject)![1];
    const wrong = await client.auth.updateUser({ password: "changed-pass-8", nonce: nonce === "000000" ? "111111" : "000000" });
    expect(wrong.error?.code).toBe("reauthentication_not_valid");
    expect((await client.auth.updateUser({ password: "changed-pass-8", nonce })).error).toBeNull();
    expect((await anonClient().auth.signInWithPassword({ email, password })).error?.code).toBe("invalid_credentials");
    expect((await anonClient().auth.signInWithPassword({ email, password: "changed-pass-8" })).error).toBeNull();
  });
});
