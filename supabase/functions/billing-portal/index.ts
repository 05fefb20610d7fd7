// POST /functions/v1/billing-portal { return_url }: a Stripe customer portal session where the
// member manages cards, invoices and cancellation on Stripe's pages. Answers { url }.
import { z } from "zod";
import { parseBody, serve } from "../_shared/handler.ts";
import { HttpError, json } from "../_shared/errors.ts";
import { requireActiveSession } from "../_shared/session.ts";
import { memberClaims } from "../_shared/claims.ts";
import { sql } from "../_shared/db.ts";
import { requireAllowedReturnUrls, returnUrl } from "../_shared/billing.ts";
import { stripeCall } from "../_shared/stripe.ts";

const body = z.object({ return_url: returnUrl }).strict();

serve(["POST"], async (req) => {
  const claims = await memberClaims(req);
  await requireActiveSession(claims); // billing is sensitive: a signed-out session's token is refused
  const input = await parseBody(req, body);
  requireAllowedReturnUrls(input.return_url);
  const [customer] = await sql<{ stripe_customer_id: string }[]>`select stripe_customer_id from public.billing_customers where user_id = ${claims.sub}`;
  if (!customer) throw new HttpError(404, "no_billing_account", "You have no billing account yet: subscribe or add a card first");
  const session = await stripeCall("creating the portal session", (s) =>
    s.billingPortal.sessions.create({ customer: customer.stripe_customer_id, return_url: input.return_url }));
  return json({ url: session.url });
});
