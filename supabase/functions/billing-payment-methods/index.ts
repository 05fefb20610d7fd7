// POST /functions/v1/billing-payment-methods — the caller's saved cards, changed in Stripe:
//   { action: "setup" }                                   a SetupIntent; the app confirms it with Stripe.js
//                                                         (client_secret) and the card arrives through
//                                                         stripe-webhook (payment_method.attached);
//   { action: "detach", payment_method_id }               remove a card;
//   { action: "set_default", payment_method_id }          the card invoices are charged to.
// Sensitive: the token's session must still exist, and once the member has a verified MFA factor
// these need an aal2 session.
// Cards are read from the payment_methods table (display data only).
import { z } from "zod";
import { parseBody, serve } from "../_shared/handler.ts";
import { HttpError, json } from "../_shared/errors.ts";
import { memberClaims } from "../_shared/claims.ts";
import { sql } from "../_shared/db.ts";
import { requireAal2IfEnrolled } from "../_shared/mfa.ts";
import { requireActiveSession } from "../_shared/session.ts";
import { ensureCustomer, requireActiveAccount } from "../_shared/billing.ts";
import { stripeCall } from "../_shared/stripe.ts";

const paymentMethodId = z.string().regex(/^pm_[A-Za-z0-9_]{1,200}$/, "a Stripe payment method id (pm_...)");
const body = z.discriminatedUnion("action", [
  z.object({ action: z.literal("setup") }).strict(),
  z.object({ action: z.literal("detach"), payment_method_id: paymentMethodId }).strict(),
  z.object({ action: z.literal("set_default"), payment_method_id: paymentMethodId }).strict(),
]);

serve(["POST"], async (req) => {
  const claims = await memberClaims(req);
  await requireActiveSession(claims); // billing is sensitive: a signed-out session's token is refused
  const input = await parseBody(req, body);
  await requireAal2IfEnrolled(claims); // and aal2 once MFA is enrolled

  if (input.action === "setup") {
    await requireActiveAccount(claims.sub); // a new card is for new payments; removing one stays open
    const customer = await ensureCustomer(claims);
    const intent = await stripeCall("creating the setup intent", (s) =>
      s.setupIntents.create({ customer, usage: "off_session", automatic_payment_methods: { enabled: true }, metadata: { member_id: claims.sub } }));
    return json({ setup_intent_id: intent.id, client_secret: intent.client_secret });
  }

  // Only a card of the caller's that is still attached.
  const [card] = await sql<{ stripe_customer_id: string }[]>`
    select c.stripe_customer_id from public.payment_methods m join public.billing_customers c on c.user_id = m.user_id
     where m.user_id = ${claims.sub} and m.stripe_payment_method_id = ${input.payment_method_id} and m.detached_at is null`;
  if (!card) throw new HttpError(404, "payment_method_not_found", "No saved card of yours has this id");

  if (input.action === "detach") {
    await stripeCall("detaching the card", (s) => s.paymentMethods.detach(input.payment_method_id));
    return json({ status: "detach_requested", payment_method_id: input.payment_method_id }, 202);
  }
  await stripeCall("setting the default card", (s) =>
    s.customers.update(card.stripe_customer_id, { invoice_settings: { default_payment_method: input.payment_method_id } }));
  return json({ status: "default_requested", payment_method_id: input.payment_method_id }, 202);
});
