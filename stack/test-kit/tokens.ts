// Access tokens as Supabase Auth issues them (HS256 with the project's JWT secret), for tests and
// benchmarks that act as a member without an Auth session. One definition of a member's claims.
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { apiUrl, jwtSecret } from "../core/config.ts";

export type Role = "anon" | "authenticated" | "service_role";

export interface Claims {
  role: Role;
  sub?: string;
  aal?: "aal1" | "aal2";
  [claim: string]: unknown;
}

/** A member's claims with everything Auth puts in them (aal, amr, session_id, is_anonymous...). */
export function memberClaims(userId: string, extra: Partial<Claims> = {}, issuer = `${apiUrl}/auth/v1`): Claims {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    sub: userId,
    aud: "authenticated",
    exp: now + 3 * 3600,
    iat: now,
    email: `${userId}@example.test`,
    phone: "",
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: {},
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: "password", timestamp: now }],
    session_id: randomUUID(),
    is_anonymous: false,
    ...extra,
  };
}

/** The claims of the demo anon and service_role keys (config.ts), expiry included. */
export const anonClaims: Claims = { role: "anon", iss: "supabase-demo", exp: 1983812996 };
export const serviceClaims: Claims = { role: "service_role", iss: "supabase-demo", exp: 1983812996 };

export function signAccessToken(claims: Claims, secret = jwtSecret): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));
}
