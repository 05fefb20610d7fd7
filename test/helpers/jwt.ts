// Access tokens signed with the project's JWT secret, as Supabase Auth signs them (HS256); against
// another project, SUPABASE_JWT_SECRET gives its secret. And the forgeries an attacker would try.
import { SignJWT } from "jose";
import { anonKey, jwtSecret } from "../../stack/core/config.ts";
import { signAccessToken as sign, type Claims } from "../../stack/test-kit/tokens.ts";

const secret = process.env.SUPABASE_JWT_SECRET ?? jwtSecret;

export function signAccessToken(claims: Claims): Promise<string> {
  return sign(claims, secret);
}

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

/**
 * Tokens carrying `claims` that no verifier may accept, by what is wrong with them. Each expired one
 * is otherwise perfect (right key), so it fails on expiry alone.
 */
export async function forgedTokens(claims: Claims): Promise<Record<string, string>> {
  const now = Math.floor(Date.now() / 1000);
  const good = await signAccessToken(claims);
  const [, payload, signature] = good.split(".");
  return {
    "unsigned (alg none)": `${b64({ alg: "none", typ: "JWT" })}.${payload}.`,
    "alg none with the real signature kept": `${b64({ alg: "none", typ: "JWT" })}.${payload}.${signature}`,
    "claims swapped under a real signature": `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ ...claims, exp: now + 7200 })}.${signature}`,
    "signed with another secret": await sign(claims, "another-projects-secret-with-at-least-32-characters"),
    "signed with the public anon key as secret": await sign(claims, anonKey),
    "HS512 with the project's secret": await new SignJWT({ ...claims }).setProtectedHeader({ alg: "HS512", typ: "JWT" }).sign(new TextEncoder().encode(secret)),
    "expired an hour ago": await signAccessToken({ ...claims, iat: now - 7200, exp: now - 3600 }),
    "without exp": await signAccessToken(Object.fromEntries(Object.entries(claims).filter(([k]) => k !== "exp")) as Claims),
    "not a JWT": "not-a-jwt",
    "two segments": `${b64({ alg: "HS256" })}.${payload}`,
  };
}

