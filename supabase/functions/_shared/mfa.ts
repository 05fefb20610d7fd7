// Sensitive functions need an aal2 session once the member has a verified MFA factor, exactly as the
// restrictive aal2 policies (private.aal_satisfied) demand it of table access.
import type { MemberClaims } from "./claims.ts";
import { sql } from "./db.ts";
import { HttpError } from "./errors.ts";

export async function requireAal2IfEnrolled(claims: MemberClaims): Promise<void> {
  const [{ enrolled }] = await sql<{ enrolled: boolean }[]>`select private.has_verified_mfa(${claims.sub}) as enrolled`;
  if (enrolled && claims.aal !== "aal2") {
    throw new HttpError(403, "aal2_required", "You have MFA enrolled: verify a factor (aal2 session) before doing this");
  }
}
