// The caller's JWT claims, verified here (signature and expiry, see jwt.ts) rather than trusted
// because the gateway checked them: the function may be reached without passing the gateway.
// Verification happens once per request; every helper below reads the same result.
import { z } from "zod";
import type { JWTPayload } from "jose";
import { HttpError } from "./errors.ts";
import { bearerToken, verifyAccessToken } from "./jwt.ts";

const claimsSchema = z
  .object({
    sub: z.guid(), // any 8-4-4-4-12 hex, as Postgres' uuid takes it (z.uuid() also demands an RFC version)
    role: z.literal("authenticated"),
    aal: z.enum(["aal1", "aal2"]).default("aal1"),
    session_id: z.string().optional(),
    email: z.string().optional(),
    is_anonymous: z.boolean().optional(),
  })
  .passthrough();

export type MemberClaims = z.infer<typeof claimsSchema>;

const verified = new WeakMap<Request, Promise<JWTPayload>>();

/** The verified claims of the request's bearer token (anon, service_role or a member's); 401 otherwise. */
export function requestClaims(req: Request): Promise<JWTPayload> {
  let claims = verified.get(req);
  if (!claims) {
    const token = bearerToken(req);
    claims = token
      ? verifyAccessToken(token)
      : Promise.reject(new HttpError(401, "no_authorization", "Send an access token: Authorization: Bearer <jwt>"));
    claims.catch(() => {}); // a caller that never asks must not leave an unhandled rejection behind
    verified.set(req, claims);
  }
  return claims;
}

/** The signed-in member's claims; 401 for anon/service tokens or anything else. */
export async function memberClaims(req: Request): Promise<MemberClaims> {
  const parsed = claimsSchema.safeParse(await requestClaims(req));
  if (!parsed.success) throw new HttpError(401, "not_signed_in", "Sign in as a member: this function needs a user's access token");
  return parsed.data;
}

/** The role claim of the verified bearer token: "authenticated", "anon", "service_role", ...; null if it has none. */
export async function callerRole(req: Request): Promise<string | null> {
  const { role } = await requestClaims(req);
  return typeof role === "string" ? role : null;
}
