// The local OIDC provider answers exactly the keycloak paths Supabase Auth calls
// (<url>/protocol/openid-connect/{auth,token,userinfo}), with the claims Auth requires.
import { describe, expect, it } from "vitest";
import { skipNote } from "./helpers/skip.ts";
import { stack } from "./helpers/stack.ts";
import { ports } from "../stack/core/config.ts";

const base = `http://127.0.0.1:${ports.oidc}`;
const oidc = `${base}/protocol/openid-connect`;
const redirectUri = `${stack.apiUrl}/auth/v1/callback`;

const external = process.env.SUPABASE_URL && "an external stack (SUPABASE_URL): its OIDC provider is not this one";
describe.skipIf(external)(`local OIDC provider (keycloak slot)${skipNote(external)}`, () => {
  it("serves discovery with its own URL as issuer", async () => {
    const doc = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(doc.issuer).toBe(base);
    expect(doc.authorization_endpoint).toBe(`${oidc}/auth`);
    expect(doc.userinfo_endpoint).toBe(`${oidc}/userinfo`);
  });

  it("runs the code flow and returns a verified email from userinfo", async () => {
    const auth = await fetch(`${oidc}/auth?client_id=memberbase-local&response_type=code&scope=openid%20email&state=s1&redirect_uri=${encodeURIComponent(redirectUri)}`, { redirect: "manual" });
    expect(auth.status).toBe(302);
    const back = new URL(auth.headers.get("location")!);
    expect(back.origin + back.pathname).toBe(redirectUri);
    expect(back.searchParams.get("state")).toBe("s1");
    const token = await fetch(`${oidc}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: back.searchParams.get("code")!, redirect_uri: redirectUri, client_id: "memberbase-local" }),
    });
    expect(token.status).toBe(200);
    const { access_token: accessToken, id_token: idToken } = (await token.json()) as { access_token: string; id_token: string };
    const idClaims = JSON.parse(Buffer.from(idToken.split(".")[1], "base64url").toString());
    expect(idClaims).toMatchObject({ iss: base, email: "oidc.member@example.test", email_verified: true });
    const info = await fetch(`${oidc}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(await info.json()).toMatchObject({ sub: "oidc-user-1", email: "oidc.member@example.test", email_verified: true });
  });
});
