// The signed-in member's dashboard in one database round trip: public.member_dashboard() builds the
// whole payload under the member's RLS, so this function only checks the caller and passes it on.
// GET, or POST (supabase-js functions.invoke's default) with no body or `{}`.
import { z } from "zod";
import { parseBody, serve } from "../_shared/handler.ts";
import { HttpError, json } from "../_shared/errors.ts";
import { memberClaims } from "../_shared/claims.ts";
import { asMemberOnce } from "../_shared/db.ts";

const body = z.object({}).strict();

serve(["GET", "POST"], async (req) => {
  const claims = await memberClaims(req);
  if (req.method === "POST") await parseBody(req, body);
  const [row] = await asMemberOnce<{ dashboard: { profile: unknown } }>(claims, "select public.member_dashboard() as dashboard");
  // A valid token whose account is gone (deleted since the token was issued) has no profile.
  if (!row?.dashboard?.profile) throw new HttpError(404, "profile_not_found", "No member profile for this account");
  return json(row.dashboard, 200, { "cache-control": "private, no-store" });
});
