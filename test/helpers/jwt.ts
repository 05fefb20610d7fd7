// Signs access tokens with the project's JWT secret, as Supabase Auth does (HS256), for calling
// functions with a member's identity where no Auth session is needed.
import { SignJWT } from "jose";
import type { Claims } from "./db.ts";

const secret = new TextEncoder().encode(process.env.SUPABASE_JWT_SECRET ?? "super-secret-jwt-token-with-at-least-32-characters-long");

export function signAccessToken(claims: Claims): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(secret);
}
