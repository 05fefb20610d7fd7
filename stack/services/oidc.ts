// A real OIDC provider on loopback (oauth2-mock-server) in the Auth server's keycloak slot: the
// keycloak provider appends /protocol/openid-connect/{auth,token,userinfo} to its URL.
// It approves every sign-in at once. The identity is `oidcUser`, or the one named by a
// `login_hint` (an email) that the app passes through Auth (signInWithOAuth's queryParams), so
// tests can sign in as a provider account whose email already has a password account.
import { OAuth2Server } from "oauth2-mock-server";
import { ports } from "../core/config.ts";
import type { Service } from "../core/service.ts";

const kc = "/protocol/openid-connect";
let server: OAuth2Server | undefined;

export interface OidcIdentity {
  sub: string;
  email: string;
  name: string;
}

/** The identity the provider signs in as when no login_hint names another. */
export const oidcUser: OidcIdentity = { sub: "oidc-user-1", email: "oidc.member@example.test", name: "Oidc Member" };

/** The provider's account for an email: a stable subject per address. */
export function oidcIdentityFor(email: string): OidcIdentity {
  return { sub: `oidc-${email.toLowerCase()}`, email: email.toLowerCase(), name: email.split("@")[0] };
}

const claims = (who: OidcIdentity) => ({ ...who, email_verified: true });

export const oidcService: Service = {
  name: "oidc",
  url: `http://127.0.0.1:${ports.oidc}`,
  detail: "oauth2-mock-server, keycloak paths",
  async start() {
    server = new OAuth2Server(undefined, undefined, {
      endpoints: { authorize: `${kc}/auth`, token: `${kc}/token`, userinfo: `${kc}/userinfo`, jwks: `${kc}/certs`, endSession: `${kc}/logout` },
    });
    await server.issuer.keys.generate("RS256");
    server.issuer.url = this.url;
    // code -> identity, from the authorize request to the token request that redeems the code.
    const byCode = new Map<string, OidcIdentity>();
    server.service.on("beforeAuthorizeRedirect", (redirect: { url: URL }, req: { query: Record<string, unknown> }) => {
      const code = redirect.url.searchParams.get("code");
      const hint = req.query.login_hint;
      if (code) byCode.set(code, typeof hint === "string" && hint.includes("@") ? oidcIdentityFor(hint) : oidcUser);
    });
    server.service.on("beforeTokenSigning", (token: { payload: Record<string, unknown> }, req: { body?: Record<string, unknown> }) => {
      const code = typeof req.body?.code === "string" ? req.body.code : "";
      Object.assign(token.payload, claims(byCode.get(code) ?? oidcUser));
    });
    // Userinfo answers for the identity in the access token this provider issued.
    server.service.on("beforeUserinfo", (res: { body: Record<string, unknown> }, req: { headers: Record<string, string | undefined> }) => {
      const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
      const payload = token ? (JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString() || "{}") as Partial<OidcIdentity>) : {};
      const who = payload.sub && payload.email && payload.name ? { sub: payload.sub, email: payload.email, name: payload.name } : oidcUser;
      res.body = { ...res.body, ...claims(who) };
    });
    await server.start(ports.oidc, "127.0.0.1");
  },
  async stop() {
    await server?.stop();
    server = undefined;
  },
};
