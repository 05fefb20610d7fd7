// Stripe events as Stripe sends them (the shape of the v1 Event object and its data.object), signed
// with the webhook secret by the stripe package's own test signer. Used by the tests and the bench
// to move billing state, since stripe-mock is stateless and sends no events.
import Stripe from "stripe";

const signer = new Stripe("sk_test_signerOnly");

export interface StripeEvent {
  id: string;
  object: "event";
  type: string;
  created: number;
  livemode: false;
  api_version: string;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
}

let counter = 0;
/** A unique Stripe-looking id suffix (letters and digits only, as Stripe's are). */
export function stripeId(prefix: string): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}${counter.toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}

export function event(type: string, created: number, object: Record<string, unknown>, opts: { id?: string; previous?: Record<string, unknown> } = {}): StripeEvent {
  return {
    id: opts.id ?? stripeId("evt"),
    object: "event",
    type,
    created,
    livemode: false,
    api_version: "2025-09-30.clover",
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object, ...(opts.previous ? { previous_attributes: opts.previous } : {}) },
  };
}

export interface SubscriptionState {
  id: string;
  customer: string;
  price: string;
  status: string;
  periodStart: number;
  periodEnd: number;
  cancelAtPeriodEnd?: boolean;
  canceledAt?: number | null;
  quantity?: number;
  trialEnd?: number | null;
}

/** A Subscription object (API 2025+: the period lives on the item). */
export function subscription(s: SubscriptionState): Record<string, unknown> {
  return {
    id: s.id,
    object: "subscription",
    customer: s.customer,
    status: s.status,
    cancel_at_period_end: s.cancelAtPeriodEnd ?? false,
    cancel_at: s.cancelAtPeriodEnd ? s.periodEnd : null,
    canceled_at: s.canceledAt ?? null,
    ended_at: s.status === "canceled" ? (s.canceledAt ?? null) : null,
    trial_start: s.trialEnd ? s.periodStart : null,
    trial_end: s.trialEnd ?? null,
    metadata: {},
    items: {
      object: "list",
      data: [{ id: `si_${s.id.slice(4)}`, object: "subscription_item", quantity: s.quantity ?? 1, price: { id: s.price, object: "price" },
               current_period_start: s.periodStart, current_period_end: s.periodEnd }],
    },
  };
}

export function invoice(i: { id: string; customer: string; subscription: string; status: string; amountDue: number; amountPaid: number;
                             periodStart: number; periodEnd: number; number?: string }): Record<string, unknown> {
  return {
    id: i.id, object: "invoice", customer: i.customer, status: i.status, number: i.number ?? null,
    amount_due: i.amountDue, amount_paid: i.amountPaid, currency: "usd", period_start: i.periodStart, period_end: i.periodEnd,
    hosted_invoice_url: i.number ? `https://invoice.stripe.test/${i.number}` : null, metadata: {},
    parent: { type: "subscription_details", subscription_details: { subscription: i.subscription, metadata: {} } },
  };
}

export function paymentMethod(p: { id: string; customer: string | null; brand?: string; last4?: string; expMonth?: number; expYear?: number }): Record<string, unknown> {
  return {
    id: p.id, object: "payment_method", type: "card", customer: p.customer, metadata: {},
    card: { brand: p.brand ?? "visa", last4: p.last4 ?? "4242", exp_month: p.expMonth ?? 12, exp_year: p.expYear ?? 2034 },
  };
}

export function customer(c: { id: string; defaultPaymentMethod: string | null }): Record<string, unknown> {
  return { id: c.id, object: "customer", metadata: {}, invoice_settings: { default_payment_method: c.defaultPaymentMethod } };
}

export function paymentIntent(p: { id: string; customer: string; amount: number; status: string; bookingId?: string; memberId?: string }): Record<string, unknown> {
  return {
    id: p.id, object: "payment_intent", customer: p.customer, amount: p.amount, amount_received: p.status === "succeeded" ? p.amount : 0,
    currency: "usd", status: p.status, metadata: { ...(p.bookingId ? { booking_id: p.bookingId } : {}), ...(p.memberId ? { member_id: p.memberId } : {}) },
  };
}

export function refundedCharge(c: { paymentIntent: string; customer: string; amount: number; refunded: number; bookingId?: string }): Record<string, unknown> {
  return {
    id: stripeId("ch"), object: "charge", payment_intent: c.paymentIntent, customer: c.customer, amount: c.amount, amount_captured: c.amount,
    amount_refunded: c.refunded, refunded: c.refunded >= c.amount, currency: "usd", metadata: c.bookingId ? { booking_id: c.bookingId } : {},
  };
}

/** The Stripe-Signature header for a payload, as Stripe computes it (timestamp: seconds; default now). */
export function signature(payload: string, secret: string, timestamp?: number): string {
  return signer.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp === undefined ? {} : { timestamp }) });
}

/** Delivers an event to the webhook as Stripe does: POST, JSON body, Stripe-Signature, no apikey or JWT. */
export async function deliver(webhookUrl: string, secret: string, e: StripeEvent | string, headers: Record<string, string> = {}): Promise<Response> {
  const payload = typeof e === "string" ? e : JSON.stringify(e);
  return fetch(webhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8", "stripe-signature": signature(payload, secret), "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)", ...headers },
    body: payload,
  });
}
