// POST /functions/v1/billing-change-plan — the caller's subscription, changed in Stripe:
//   { action: "preview", plan }  what changing to `plan` costs: an upgrade's prorated amount due now
//                                (Stripe's invoice preview), or a downgrade's date and next amount;
//   { action: "change", plan }   upgrade now with proration, or downgrade at the end of the period
//                                (a subscription schedule; noted as scheduled_plan_id until Stripe's
//                                event shows the new plan);
//   { action: "cancel" }         cancel at the end of the period;  { action: "resume" } undo that.
// The mirror (subscriptions) follows from Stripe's events through stripe-webhook.
import { z } from "zod";
import { parseBody, serve } from "../_shared/handler.ts";
import { HttpError, json } from "../_shared/errors.ts";
import { requireActiveSession } from "../_shared/session.ts";
import { memberClaims } from "../_shared/claims.ts";
import { sql } from "../_shared/db.ts";
import { liveSubscription, monthlyCents, planByCode, planCode, type Plan } from "../_shared/billing.ts";
import { stripeCall } from "../_shared/stripe.ts";

const body = z.discriminatedUnion("action", [
  z.object({ action: z.literal("preview"), plan: planCode }).strict(),
  z.object({ action: z.literal("change"), plan: planCode }).strict(),
  z.object({ action: z.literal("cancel") }).strict(),
  z.object({ action: z.literal("resume") }).strict(),
]);

const epoch = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : undefined);

serve(["POST"], async (req) => {
  const claims = await memberClaims(req);
  await requireActiveSession(claims); // billing is sensitive: a signed-out session's token is refused
  const input = await parseBody(req, body);
  const sub = await liveSubscription(claims.sub);
  if (!sub) throw new HttpError(404, "no_subscription", "You have no active subscription: start one with billing-checkout");
  const key = (what: string) => `${what}-${sub.stripe_subscription_id}-${sub.stripe_event_id}`; // one key per intent and mirrored state

  if (input.action === "cancel" || input.action === "resume") {
    const cancel = input.action === "cancel";
    if (sub.cancel_at_period_end === cancel) {
      throw new HttpError(409, cancel ? "already_canceling" : "not_canceling", cancel ? "The subscription already ends at the end of the period" : "The subscription is not set to cancel");
    }
    await stripeCall(`${input.action} the subscription`, (s) =>
      s.subscriptions.update(sub.stripe_subscription_id, { cancel_at_period_end: cancel }, { idempotencyKey: key(input.action) }));
    return json({ status: cancel ? "cancel_requested" : "resume_requested", effective_at: cancel ? sub.current_period_end : null }, 202);
  }

  const plan: Plan = await planByCode(input.plan);
  if (!plan.stripe_price_id) throw new HttpError(422, "free_plan", "To move to the free plan, cancel the subscription");
  if (plan.id === sub.plan_id) throw new HttpError(409, "same_plan", `You are already on ${plan.code}`);
  const upgrade = monthlyCents(plan) > monthlyCents(sub.plan);
  const stripeSub = await stripeCall("reading the subscription", (s) => s.subscriptions.retrieve(sub.stripe_subscription_id));
  const item = stripeSub.items.data[0];
  const periodEnd = epoch(sub.current_period_end) ?? item.current_period_end;

  if (input.action === "preview") {
    if (!upgrade) {
      return json({ direction: "downgrade", plan: plan.code, effective_at: new Date(periodEnd * 1000).toISOString(), amount_due_now_cents: 0,
                    next_amount_cents: plan.price_cents, currency: plan.currency });
    }
    const preview = await stripeCall("previewing the proration", (s) =>
      s.invoices.createPreview({
        customer: sub.stripe_customer_id,
        subscription: sub.stripe_subscription_id,
        subscription_details: { items: [{ id: item.id, price: plan.stripe_price_id! }], proration_behavior: "always_invoice", proration_date: Math.floor(Date.now() / 1000) },
      }));
    return json({ direction: "upgrade", plan: plan.code, effective_at: "now", amount_due_now_cents: preview.amount_due, currency: preview.currency.toUpperCase() });
  }

  if (upgrade) {
    await stripeCall("upgrading the subscription", (s) =>
      s.subscriptions.update(sub.stripe_subscription_id,
        { items: [{ id: item.id, price: plan.stripe_price_id! }], proration_behavior: "always_invoice", payment_behavior: "error_if_incomplete" },
        { idempotencyKey: key(`upgrade-${plan.code}`) }));
    return json({ status: "upgraded", direction: "upgrade", plan: plan.code, effective_at: "now" });
  }
  // Downgrade: the current price until the period ends, then the new one (Stripe applies it).
  const schedule = await stripeCall("scheduling the downgrade", (s) =>
    s.subscriptionSchedules.create({ from_subscription: sub.stripe_subscription_id }, { idempotencyKey: key("schedule") }));
  await stripeCall("scheduling the downgrade", (s) =>
    s.subscriptionSchedules.update(schedule.id, {
      end_behavior: "release",
      phases: [
        { items: [{ price: item.price.id, quantity: item.quantity ?? 1 }], start_date: schedule.current_phase?.start_date ?? schedule.phases[0]?.start_date, end_date: periodEnd },
        { items: [{ price: plan.stripe_price_id!, quantity: item.quantity ?? 1 }] },
      ],
    }, { idempotencyKey: key(`downgrade-${plan.code}`) }));
  const effectiveAt = new Date(periodEnd * 1000);
  await sql`update public.subscriptions set scheduled_plan_id = ${plan.id}, scheduled_change_at = ${effectiveAt} where id = ${sub.id}`;
  return json({ status: "scheduled", direction: "downgrade", plan: plan.code, effective_at: effectiveAt.toISOString() }, 202);
});
