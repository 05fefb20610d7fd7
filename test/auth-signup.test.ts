// Sign-up against the real Auth server through the gateway: metadata into the member's rows, the
// confirmation mail's link opened as a browser opens it (no apikey), unconfirmed sign-in refused,
// resend, what a second sign-up with a taken email answers, the password policy, and the demo users.
import { describe, expect, it } from "vitest";
import { anonClient, authSkipReason, newClientAddress, stack, uniqueEmail } from "./helpers/stack.ts";
import { mailsTo, verifyLink, waitForMail, waitForMails } from "./helpers/mail.ts";
import { claimsOf, follow, fragmentOf, password, signUpConfirmed } from "./helpers/auth.ts";
import { sql } from "./helpers/db.ts";
import { skipNote } from "./helpers/skip.ts";

const confirmMail = /confirm your email/i;

describe.skipIf(authSkipReason)(`sign-up and confirmation${skipNote(authSkipReason)}`, () => {
  it("signs up with metadata, refuses the unconfirmed sign-in, confirms from the mail link, then signs in", async () => {
    const email = uniqueEmail("signup");
    const address = newClientAddress();
    const client = anonClient(address);
    const data = { first_name: "Ada", last_name: "Lovelace", locale: "pt-BR", terms_accepted: true, terms_version: "2026-01" };
    const signUp = await client.auth.signUp({ email, password, options: { data } });
    expect(signUp.error).toBeNull();
    expect(signUp.data.session).toBeNull(); // confirmations are on
    const userId = signUp.data.user!.id;
    // The sign-up trigger built the member's rows from the metadata.
    expect(await sql`select first_name, last_name, display_name, role from public.profiles where id = ${userId}`).toEqual([
      { first_name: "Ada", last_name: "Lovelace", display_name: "Ada Lovelace", role: "member" },
    ]);
    expect(await sql`select locale from public.member_preferences where user_id = ${userId}`).toEqual([{ locale: "pt-BR" }]);
    expect((await sql`select terms_version from public.onboarding where user_id = ${userId}`)[0].terms_version).toBe("2026-01");

    const early = await client.auth.signInWithPassword({ email, password });
    expect(early.error?.code).toBe("email_not_confirmed");

    // The link in the mail goes through the gateway without an apikey, as a mail client opens it.
    const link = verifyLink(await waitForMail(email, confirmMail));
    expect(link.origin).toBe(new URL(stack.apiUrl).origin);
    expect(link.searchParams.get("apikey")).toBeNull();
    const landing = await follow(link, address);
    expect(landing.origin).toBe("http://127.0.0.1:3000"); // site_url
    const session = fragmentOf(landing);
    expect(claimsOf(session.get("access_token")!)).toMatchObject({ sub: userId, email, aal: "aal1" });

    const signedIn = await client.auth.signInWithPassword({ email, password });
    expect(signedIn.error).toBeNull();
    expect(signedIn.data.user?.email_confirmed_at).toBeTruthy();
    expect(signedIn.data.user?.user_metadata).toMatchObject({ first_name: "Ada", last_name: "Lovelace" });
  });

  it("confirms with auth.verifyOtp({ token_hash, type: 'signup' }) from the mailed link's token: a session for the member", async () => {
    const email = uniqueEmail("verifyotp");
    const client = anonClient(newClientAddress());
    const signUp = await client.auth.signUp({ email, password });
    expect(signUp.error).toBeNull();
    const token_hash = verifyLink(await waitForMail(email, confirmMail)).searchParams.get("token")!;
    const { data, error } = await client.auth.verifyOtp({ token_hash, type: "signup" });
    expect(error).toBeNull();
    expect(data.session?.user.id).toBe(signUp.data.user!.id);
    expect(claimsOf(data.session!.access_token)).toMatchObject({ sub: signUp.data.user!.id, email, aal: "aal1" });
    // Single use: the same token again is refused.
    expect((await anonClient(newClientAddress()).auth.verifyOtp({ token_hash, type: "signup" })).error?.status).toBe(403);
  });

  it("resends the confirmation: not twice within max_frequency (429), then a new link that replaces the old one", async () => {
    const email = uniqueEmail("resend");
    const address = newClientAddress();
    const client = anonClient(address);
    expect((await client.auth.signUp({ email, password })).error).toBeNull();
    const tooSoon = await client.auth.resend({ type: "signup", email });
    expect(tooSoon.error?.status).toBe(429);
    expect(tooSoon.error?.code).toBe("over_email_send_rate_limit");
    const first = verifyLink(await waitForMail(email, confirmMail));
    await new Promise((r) => setTimeout(r, 2100)); // config.toml: max_frequency = "2s"
    expect((await client.auth.resend({ type: "signup", email })).error).toBeNull();
    const second = verifyLink(await waitForMails(email, confirmMail, 2));
    expect(second.searchParams.get("token")).not.toBe(first.searchParams.get("token"));
    const stale = fragmentOf(await follow(first, address));
    expect(stale.get("error_code")).toBe("otp_expired");
    expect(fragmentOf(await follow(second, address)).get("access_token")).toBeTruthy();
    expect((await client.auth.signInWithPassword({ email, password })).error).toBeNull();
  });

  it("answers a sign-up with a taken email like a new one: no session, no identities, no mail, the account untouched", async () => {
    const { email, userId } = await signUpConfirmed();
    const mailsBefore = (await mailsTo(email, /./)).length;
    const attacker = anonClient();
    const again = await attacker.auth.signUp({ email, password: "attacker-pass-1" });
    expect(again.error).toBeNull(); // no "already registered" to enumerate accounts with
    expect(again.data.session).toBeNull();
    expect(again.data.user?.identities).toEqual([]);
    expect(again.data.user?.id).not.toBe(userId);
    const fresh = await anonClient().auth.signUp({ email: uniqueEmail("fresh"), password });
    expect(Object.keys(again.data.user!).sort()).toEqual(Object.keys(fresh.data.user!).sort());
    await new Promise((r) => setTimeout(r, 300));
    expect((await mailsTo(email, /./)).length).toBe(mailsBefore);
    expect((await attacker.auth.signInWithPassword({ email, password: "attacker-pass-1" })).error?.code).toBe("invalid_credentials");
    expect((await anonClient().auth.signInWithPassword({ email, password })).error).toBeNull();
  });
});

describe.skipIf(authSkipReason)(`password policy from config.toml${skipNote(authSkipReason)}`, () => {
  it.each([
    ["short1", "length"],
    ["onlyletterslong", "characters"],
    ["1234567890", "characters"],
  ])("refuses %s with weak_password (%s)", async (weak, reason) => {
    const client = anonClient();
    const email = uniqueEmail("weak");
    const { data, error } = await client.auth.signUp({ email, password: weak });
    expect(error?.code).toBe("weak_password");
    expect(error?.status).toBe(422);
    expect((error as { reasons?: string[] }).reasons).toContain(reason);
    expect(data.user).toBeNull();
    expect(await sql`select 1 from auth.users where email = ${email}`).toHaveLength(0);
  });

  it("refuses a weak new password on updateUser too, and keeps the old one", async () => {
    const { client, email } = await signUpConfirmed();
    const { error } = await client.auth.updateUser({ password: "abc" });
    expect(error?.code).toBe("weak_password");
    expect((await anonClient().auth.signInWithPassword({ email, password })).error).toBeNull();
  });
});

describe.skipIf(authSkipReason)(`demo users of seed.sql${skipNote(authSkipReason)}`, () => {
  it.each([
    ["alice@memberbase.test", "member"],
    ["erin@memberbase.test", "expert"],
    ["adam@memberbase.test", "admin"],
  ])("signs in as %s (%s) with the documented password", async (email, role) => {
    const { data, error } = await anonClient().auth.signInWithPassword({ email, password: "password123" });
    expect(error).toBeNull();
    expect(claimsOf(data.session!.access_token)).toMatchObject({ email, user_role: role, aal: "aal1", role: "authenticated" });
    expect(data.user?.identities?.map((i) => i.provider)).toEqual(["email"]);
  });
});
