// Supabase Auth flows end to end: sign-up + confirmation mail, recovery, TOTP MFA, OAuth through
// the local OIDC provider. They need the Auth API (the real server, or `supabase start`).
import { describe, expect, it } from "vitest";
import * as OTPAuth from "otpauth";
import { anonClient, authSkipReason, stack, uniqueEmail } from "./helpers/stack.ts";
import { verifyLink, waitForMail } from "./helpers/mail.ts";
import { asRequest } from "./helpers/db.ts";

const password = "correct-horse-9";

/** Follows a verify link the way a browser would, without following the final redirect to the app. */
async function follow(link: URL): Promise<URL> {
  const res = await fetch(link, { redirect: "manual" });
  expect(res.status).toBeGreaterThanOrEqual(300);
  return new URL(res.headers.get("location")!);
}

async function signUpConfirmed(email: string) {
  const client = anonClient();
  const { error } = await client.auth.signUp({ email, password });
  expect(error).toBeNull();
  await follow(verifyLink(await waitForMail(email, /confirm/i)));
  return client;
}

describe.skipIf(authSkipReason)(`Auth flows${authSkipReason ? ` (skipped: ${authSkipReason})` : ""}`, () => {
  it("signs up, refuses the unconfirmed sign-in, confirms from the mail, then signs in", async () => {
    const email = uniqueEmail("signup");
    const client = anonClient();
    const { data, error } = await client.auth.signUp({ email, password });
    expect(error).toBeNull();
    expect(data.session).toBeNull(); // confirmations are on
    const early = await client.auth.signInWithPassword({ email, password });
    expect(early.error?.code).toBe("email_not_confirmed");
    const landing = await follow(verifyLink(await waitForMail(email, /confirm/i)));
    expect(landing.hash + landing.search).toMatch(/access_token|code=/);
    const { data: signedIn, error: signInError } = await client.auth.signInWithPassword({ email, password });
    expect(signInError).toBeNull();
    expect(signedIn.user?.email_confirmed_at).toBeTruthy();
  });

  it("resets a forgotten password from the recovery mail", async () => {
    const email = uniqueEmail("recover");
    await signUpConfirmed(email);
    const client = anonClient();
    expect((await client.auth.resetPasswordForEmail(email)).error).toBeNull();
    const link = verifyLink(await waitForMail(email, /reset/i));
    const { error } = await client.auth.verifyOtp({ token_hash: link.searchParams.get("token")!, type: "recovery" });
    expect(error).toBeNull();
    expect((await client.auth.updateUser({ password: "brand-new-pass-7" })).error).toBeNull();
    const fresh = anonClient();
    expect((await fresh.auth.signInWithPassword({ email, password })).error?.code).toBe("invalid_credentials");
    expect((await fresh.auth.signInWithPassword({ email, password: "brand-new-pass-7" })).error).toBeNull();
  });

  it("enrols TOTP, verifies a computed code and reaches aal2", async () => {
    const email = uniqueEmail("mfa");
    const client = await signUpConfirmed(email);
    expect((await client.auth.signInWithPassword({ email, password })).error).toBeNull();
    const { data: factor, error } = await client.auth.mfa.enroll({ factorType: "totp" });
    expect(error).toBeNull();
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(factor!.totp.secret), digits: 6, period: 30 });
    const verified = await client.auth.mfa.challengeAndVerify({ factorId: factor!.id, code: totp.generate() });
    expect(verified.error).toBeNull();
    const { data: aal } = await client.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(aal?.currentLevel).toBe("aal2");
  });

  it("hides MFA-protected rows from an aal1 session and shows them to the aal2 session", async () => {
    const email = uniqueEmail("aal");
    const client = await signUpConfirmed(email);
    const aal1 = (await client.auth.signInWithPassword({ email, password })).data.session!;
    const { data: factor } = await client.auth.mfa.enroll({ factorType: "totp" });
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(factor!.totp.secret), digits: 6, period: 30 });
    await client.auth.mfa.challengeAndVerify({ factorId: factor!.id, code: totp.generate() });
    const aal2 = (await client.auth.getSession()).data.session!;
    const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
    const read = (token: string) => asRequest(claimsOf(token), (tx) => tx`select count(*)::int as n from public.login_history`);
    expect((await read(aal1.access_token))[0].n).toBe(0); // Auth's own aal1 token, now that MFA is enrolled
    expect((await read(aal2.access_token))[0].n).toBeGreaterThan(0);
  });

  it("signs in through the local OIDC provider and creates a user with that identity", async () => {
    const client = anonClient();
    const redirectTo = "http://127.0.0.1:3000/after-oauth";
    const { data, error } = await client.auth.signInWithOAuth({ provider: "keycloak", options: { redirectTo, skipBrowserRedirect: true, scopes: "openid email" } });
    expect(error).toBeNull();
    let next = new URL(data.url!);
    for (let hop = 0; hop < 6 && !next.href.startsWith(redirectTo); hop++) next = await follow(next);
    expect(next.href.startsWith(redirectTo)).toBe(true);
    const accessToken = new URLSearchParams(next.hash.slice(1)).get("access_token");
    expect(accessToken).toBeTruthy();
    const { data: user } = await client.auth.getUser(accessToken!);
    expect(user.user?.identities?.map((i) => i.provider)).toContain("keycloak");
    expect(user.user?.email).toBe("oidc.member@example.test");
    expect(stack.apiUrl).toBeTruthy();
  });
});
