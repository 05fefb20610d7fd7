// A real OIDC provider on loopback (oauth2-mock-server) in the Auth server's keycloak slot: the
// keycloak provider appends /protocol/openid-connect/{auth,token,userinfo} to its URL.
import { OAuth2Server } from "oauth2-mock-server";
import { ports } from "./config.ts";
import type { Service } from "./service.ts";

const kc = "/protocol/openid-connect";
let server: OAuth2Server | undefined;

/** The one identity the provider signs in as (the OAuth test expects it). */
export const oidcUser = { sub: "oidc-user-1", email: "oidc.member@example.test", name: "Oidc Member" };

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
    const claims = () => ({ ...oidcUser, email_verified: true });
    server.service.on("beforeUserinfo", (res: { body: Record<string, unknown> }) => {
      res.body = { ...res.body, ...claims() };
    });
    server.service.on("beforeTokenSigning", (token: { payload: Record<string, unknown> }) => {
      Object.assign(token.payload, claims());
    });
    await server.start(ports.oidc, "127.0.0.1");
  },
  async stop() {
    await server?.stop();
    server = undefined;
  },
};
