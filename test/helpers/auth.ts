// Auth flows as an app user goes through them: supabase-js against the gateway, each user from
// their own client address, links taken from the captured mail and opened as a browser opens them
// (no apikey, no redirect followed past the app's URL).
import * as OTPAuth from "otpauth";
import { expect } from "vitest";
import { anonClient, fetchFrom, newClientAddress, uniqueEmail } from "./stack.ts";
import { verifyLink, waitForMail } from "./mail.ts";
import type { Claims } from "./db.ts";

/** Meets config.toml's policy (8+ characters, letters and digits). */
export const password = "correct-horse-9";

/** Opens a link from the given client address; answers the Location it redirects to. */
export async function follow(link: URL, address = newClientAddress()): Promise<URL> {
  const res = await fetchFrom(address)(link);
  expect(res.status >= 300 && res.status < 400, `${link.pathname} answered ${res.status}: ${await res.clone().text()}`).toBe(true);
  return new URL(res.headers.get("location")!);
}

/** The session Auth hands back in the redirect's fragment (implicit flow), or its error. */
export function fragmentOf(landing: URL): URLSearchParams {
  return new URLSearchParams(landing.hash.slice(1));
}

/** An access token's claims, as Auth issued them (the gateway and Postgres verify the signature). */
export function claimsOf(token: string): Claims & Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
}

export type Client = ReturnType<typeof anonClient>;

/** Signs up, opens the confirmation link from the mail, signs in: a confirmed member with a session. */
export async function signUpConfirmed(opts: { email?: string; data?: Record<string, unknown>; address?: string } = {}) {
  const email = opts.email ?? uniqueEmail("member");
  const address = opts.address ?? newClientAddress();
  const client = anonClient(address);
  const { data, error } = await client.auth.signUp({ email, password, options: { data: opts.data } });
  expect(error).toBeNull();
  await follow(verifyLink(await waitForMail(email, /confirm your email/i)), address);
  const signedIn = await client.auth.signInWithPassword({ email, password });
  expect(signedIn.error).toBeNull();
  return { client, email, address, userId: data.user!.id, session: signedIn.data.session! };
}

/** A TOTP generator for an enrolled factor's secret (what an authenticator app computes). */
export function totpFor(secret: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
}

/** Enrolls a TOTP factor and verifies it with a computed code: the client's session is aal2 afterwards. */
export async function enrollVerified(client: Client, friendlyName = "phone") {
  const { data: factor, error } = await client.auth.mfa.enroll({ factorType: "totp", friendlyName });
  expect(error).toBeNull();
  expect(factor!.totp.uri).toMatch(/^otpauth:\/\/totp\//);
  const totp = totpFor(factor!.totp.secret);
  const { data: challenge, error: challengeError } = await client.auth.mfa.challenge({ factorId: factor!.id });
  expect(challengeError).toBeNull();
  const verified = await client.auth.mfa.verify({ factorId: factor!.id, challengeId: challenge!.id, code: totp.generate() });
  expect(verified.error).toBeNull();
  return { factorId: factor!.id, totp };
}
