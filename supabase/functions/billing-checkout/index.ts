// POST /functions/v1/billing-checkout { plan, success_url, cancel_url }: a Stripe Checkout Session
// subscribing the caller to a paid plan. Answers { id, url }; the app redirects the member to url.
// The subscription itself arrives through stripe-webhook (checkout.session.completed,
// customer.subscription.created). Return URLs only from the BILLING_RETURN_URLS allow-list.
import { z } from "zod";
import { parseBody, serve } from "../_shared/handler.ts";
import { HttpError, json } from "../_shared/errors.ts";
import { requireActiveSession } from "../_shared/session.ts";
import { memberClaims } from "../_shared/claims.ts";
import { ensureCustomer, liveSubscription, planByCode, planCode, requireActiveAccount, requireAllowedReturnUrls, returnUrl } from "../_shared/billing.ts";
import { stripeCall } from "../_shared/stripe.ts";

const body = z.object({ plan: planCode, success_url: returnUrl, cancel_url: returnUrl }).strict();

serve(["POST"], async (req) => {
  const claims = await memberClaims(req);
  await requireActiveSession(claims); // billing is sensitive: a signed-out session's token is refused
  const input = await parseBody(req, body);
  await requireActiveAccount(claims.sub);
  requireAllowedReturnUrls(input.success_url, input.cancel_url);
  const plan = await planByCode(input.plan);
  if (!plan.stripe_price_id) throw new HttpError(422, "free_plan", "The free plan needs no checkout: it is what members without a subscription have");
  const current = await liveSubscription(claims.sub);
  if (current) throw new HttpError(409, "already_subscribed", "You already have a subscription: change its plan with billing-change-plan", { plan: current.plan.code });
  const customer = await ensureCustomer(claims);
  const session = await stripeCall("creating the checkout session", (s) =>
    s.checkout.sessions.create({
      mode: "subscription",
      customer,
      client_reference_id: claims.sub,
      line_items: [{ price: plan.stripe_price_id!, quantity: 1 }],
      subscription_data: { metadata: { member_id: claims.sub, plan: plan.code } },
      success_url: input.success_url,
      cancel_url: input.cancel_url,
    }));
  return json({ id: session.id, url: session.url, plan: plan.code });
});
