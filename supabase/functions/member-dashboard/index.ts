// The signed-in member's dashboard in one database round trip: public.member_dashboard() builds the
// whole payload from the member's own rows, so this function only checks the caller and passes it on.
// The payload comes back as text and goes out as is (no parse and re-serialise in Deno), over the
// module's pooled connection (_shared/db.ts), so a warm request costs one statement.
// GET, or POST (supabase-js functions.invoke's default) with no body or `{}`.
import { z } from "zod";
import { parseBody, serve } from "../_shared/handler.ts";
import { corsHeaders, HttpError } from "../_shared/errors.ts";
import { memberClaims } from "../_shared/claims.ts";
import { asMemberOnce } from "../_shared/db.ts";

const body = z.object({}).strict();

// A valid token whose account is gone (deleted since the token was issued) has no profile.
const statement = "select d::text as dashboard, d->'profile' <> 'null'::jsonb as found from public.member_dashboard() d";

serve(["GET", "POST"], async (req) => {
  const claims = await memberClaims(req);
  if (req.method === "POST") await parseBody(req, body);
  const [row] = await asMemberOnce<{ dashboard: string; found: boolean | null }>(claims, statement);
  if (!row?.found) throw new HttpError(404, "profile_not_found", "No member profile for this account");
  return new Response(row.dashboard, {
    status: 200,
    headers: { "content-type": "application/json", ...corsHeaders, "cache-control": "private, no-store" },
  });
});
