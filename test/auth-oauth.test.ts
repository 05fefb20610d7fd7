// OAuth sign-in through the local OIDC provider (Auth's keycloak slot), browser hops followed by hand:
// /auth/v1/authorize (no apikey, as a browser opens it) -> provider -> /auth/v1/callback -> the app.
import { describe, expect, it } from "vitest";
import { anonClient, authSkipReason, newClientAddress, uniqueEmail } from "./helpers/stack.ts";
import { claimsOf, follow, fragmentOf, password, signUpConfirmed } from "./helpers/auth.ts";
import { sql } from "./helpers/db.ts";
import { ports } from "../stack/core/config.ts";
import { skipNote } from "./helpers/skip.ts";

const provider = `http://127.0.0.1:${ports.oidc}`;
const providerUp = await fetch(`${provider}/.well-known/openid-configuration`).then((r) => r.ok, () => false);
const skipReason = authSkipReason ?? (providerUp ? undefined : `no OIDC provider at ${provider} (the Docker-free stack starts one; \`supabase start\` does not)`);
const redirectTo = "http://127.0.0.1:3000/after-oauth";

/** Signs in with the provider account of `email`; answers the session from the app's landing URL. */
async function oauthSignIn(email: string, address = newClientAddress()) {
  const client = anonClient(address);
  const { data, error } = await client.auth.signInWithOAuth({
    provider: "keycloak",
    options: { redirectTo, skipBrowserRedirect: true, scopes: "openid email", queryParams: { login_hint: email } },
  });
  expect(error).toBeNull();
  let next = new URL(data.url!);
  const hops: string[] = [];
  for (let hop = 0; hop < 6 && !next.href.startsWith(redirectTo); hop++) {
    hops.push(next.pathname);
    next = await follow(next, address);
  }
  expect(hops).toEqual(["/auth/v1/authorize", "/protocol/openid-connect/auth", "/auth/v1/callback"]);
  const fragment = fragmentOf(next);
  expect(fragment.get("error_description")).toBeNull();
  const token = fragment.get("access_token")!;
  const { data: user } = await client.auth.getUser(token);
  return { token, user: user.user!, client };
}

describe.skipIf(skipReason)(`OAuth through the local OIDC provider${skipNote(skipReason)}`, () => {
  it("creates a confirmed member with the keycloak identity, and signs the same identity in again as the same user", async () => {
    const email = uniqueEmail("oauth");
    const first = await oauthSignIn(email);
    expect(first.user.email).toBe(email);
    expect(first.user.email_confirmed_at).toBeTruthy(); // the provider vouches for the address
    expect(first.user.identities?.map((i) => i.provider)).toEqual(["keycloak"]);
    expect(claimsOf(first.token)).toMatchObject({ sub: first.user.id, user_role: "member", app_metadata: { provider: "keycloak" } });
    // The sign-up trigger ran for the OAuth sign-up too.
    expect(await sql`select role from public.profiles where id = ${first.user.id}`).toEqual([{ role: "member" }]);

    const second = await oauthSignIn(email);
    expect(second.user.id).toBe(first.user.id);
    expect(await sql`select count(*)::int as n from auth.identities where user_id = ${first.user.id}`).toEqual([{ n: 1 }]);
    expect(await sql`select count(*)::int as n from auth.users where email = ${email}`).toEqual([{ n: 1 }]);
  });

  it("links a provider account to the existing password account with the same (verified) email", async () => {
    // What Auth does: the provider says the email is verified and a confirmed account has it, so
    // Auth adds the keycloak identity to that account (one user, two ways to sign in), not a second user.
    const { email, userId } = await signUpConfirmed();
    const viaOauth = await oauthSignIn(email);
    expect(viaOauth.user.id).toBe(userId);
    expect(viaOauth.user.identities?.map((i) => i.provider).sort()).toEqual(["email", "keycloak"]);
    expect(await sql`select count(*)::int as n from auth.users where email = ${email}`).toEqual([{ n: 1 }]);
    expect((await anonClient().auth.signInWithPassword({ email, password })).error).toBeNull(); // the password still works
  });
});
