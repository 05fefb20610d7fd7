// Sensitive operations (data export, account deletion, payment-method changes) need the token's
// session to still exist. An access token outlives its session: after a sign-out (global, or of
// that session) Supabase Auth deletes the rows in auth.sessions, but tokens already issued stay
// valid until they expire. Reading auth.sessions closes that window for what matters most.
import type { MemberClaims } from "./claims.ts";
import { sql } from "./db.ts";
import { HttpError } from "./errors.ts";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 401 session_not_found unless the token's session_id names a live session of the same user. */
export async function requireActiveSession(claims: MemberClaims): Promise<void> {
  const sessionId = claims.session_id;
  const [live] = sessionId && uuid.test(sessionId)
    ? await sql`select 1 from auth.sessions s
                 where s.id = ${sessionId} and s.user_id = ${claims.sub} and (s.not_after is null or s.not_after > now())`
    : [];
  if (!live) {
    throw new HttpError(401, "session_not_found", "This session has ended (signed out, or the account was deleted): sign in again");
  }
}
