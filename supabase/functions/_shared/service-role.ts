// Operator-only functions: the caller must present the service_role key (a JWT whose role claim is
// service_role), verified by this function itself (claims.ts), not only by the gateway.
import { callerRole } from "./claims.ts";
import { HttpError } from "./errors.ts";

export async function requireServiceRole(req: Request): Promise<void> {
  if ((await callerRole(req)) !== "service_role") throw new HttpError(403, "service_role_required", "Only the service role may call this function");
}

/**
 * For a function with verify_jwt = false (e.g. one that also serves links without a session): the
 * caller must present exactly this project's service role key. Compared in constant time.
 */
export function requireServiceKey(req: Request): void {
  const expected = new TextEncoder().encode(Deno.env.get("SUPABASE_SERVICE_ROLE_KEY") ?? "");
  const given = new TextEncoder().encode(/^Bearer (.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1] ?? "");
  if (given.length === 0) throw new HttpError(401, "not_signed_in", "Send the service role key as a Bearer token");
  let diff = expected.length === given.length && expected.length > 0 ? 0 : 1;
  for (let i = 0; i < given.length; i++) diff |= given[i] ^ (expected[i % Math.max(expected.length, 1)] ?? 0);
  if (diff !== 0) throw new HttpError(403, "service_role_required", "Only the service role may call this function");
}
