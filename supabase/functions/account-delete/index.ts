// POST /functions/v1/account-delete: deletes the calling member's account now (no grace period;
// request_account_deletion() is the cancellable 7-day route). Needs the token's session to be live
// (not signed out) and aal2 once MFA is enrolled. Stripe first: the subscription is cancelled and
// saved cards detached (invoices stay, anonymised).
// 200 { request_id, billing: { subscriptions_canceled, payment_methods_detached } }; 503 auth_unavailable
// (nothing changed) when the Auth API cannot be reached.
import { z } from "zod";
import { serve, parseBody } from "../_shared/handler.ts";
import { json } from "../_shared/errors.ts";
import { memberClaims } from "../_shared/claims.ts";
import { requireAal2IfEnrolled } from "../_shared/mfa.ts";
import { requireActiveSession } from "../_shared/session.ts";
import { deleteAccountNow } from "../_shared/account-deletion.ts";

const body = z.object({}).strict();

serve(["POST"], async (req) => {
  const claims = await memberClaims(req);
  await parseBody(req, body);
  await requireActiveSession(claims);
  await requireAal2IfEnrolled(claims);
  const { requestId, billing } = await deleteAccountNow(claims.sub);
  return json({ request_id: requestId, status: "completed", billing });
});
