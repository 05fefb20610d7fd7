// The caller's JWT claims. Functions that use this keep verify_jwt = true in config.toml, so the
// edge runtime has already checked the signature before the function runs; here we read the claims.
import { z } from "zod";
import { HttpError } from "./errors.ts";

const claimsSchema = z
  .object({
    sub: z.string().uuid(),
    role: z.literal("authenticated"),
    aal: z.enum(["aal1", "aal2"]).default("aal1"),
    session_id: z.string().optional(),
    email: z.string().optional(),
    is_anonymous: z.boolean().optional(),
  })
  .passthrough();

export type MemberClaims = z.infer<typeof claimsSchema>;

function decodePayload(token: string): unknown {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))));
  } catch {
    return null;
  }
}

/** The signed-in member's claims; 401 for anon/service tokens or anything else. */
export function memberClaims(req: Request): MemberClaims {
  const m = /^Bearer (.+)$/i.exec(req.headers.get("authorization") ?? "");
  const parsed = claimsSchema.safeParse(m ? decodePayload(m[1]) : null);
  if (!parsed.success) throw new HttpError(401, "not_signed_in", "Sign in as a member: this function needs a user's access token");
  return parsed.data;
}

/** The role claim of the (gateway-verified) bearer token: "authenticated", "anon", "service_role", or null. */
export function callerRole(req: Request): string | null {
  const m = /^Bearer (.+)$/i.exec(req.headers.get("authorization") ?? "");
  const payload = m ? decodePayload(m[1]) : null;
  const role = payload && typeof payload === "object" ? (payload as Record<string, unknown>).role : null;
  return typeof role === "string" ? role : null;
}
