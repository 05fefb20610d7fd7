// Billing fixtures: plans with their own Stripe price ids, members with a Stripe customer, and the
// webhook delivery bound to this stack's URL and signing secret.
import { stack } from "./stack.ts";
import { sql } from "./db.ts";
import { deliver as deliverTo, stripeId, type StripeEvent } from "../../stack/test-kit/stripe-events.ts";
import { createUser, type TestUser } from "./users.ts";

export { prng } from "../../bench/measure.ts"; // the project's one seeded PRNG (mulberry32)

export const webhookUrl = `${stack.apiUrl}/functions/v1/stripe-webhook`;

export function deliver(e: StripeEvent | string, headers: Record<string, string> = {}): Promise<Response> {
  return deliverTo(webhookUrl, stack.stripe.webhookSecret, e, headers);
}

export interface TestPlan {
  id: string;
  code: string;
  price: string;
  price_cents: number;
}

const features = (notify: number, discount: number, priority: boolean) =>
  ({ saved_search_notify_limit: notify, booking_fee_discount_percent: discount, priority_support: priority });

/** A cheaper and a dearer monthly plan, unique to the caller (codes and Stripe price ids). */
export async function createPlans(tag: string): Promise<{ basic: TestPlan; pro: TestPlan }> {
  const make = async (name: string, cents: number, f: ReturnType<typeof features>): Promise<TestPlan> => {
    const code = `${name}-${tag}`.toLowerCase().slice(0, 40);
    const price = stripeId("price");
    const [row] = await sql<{ id: string }[]>`
      insert into public.plans (code, name, interval, price_cents, currency, features, stripe_price_id)
      values (${code}, ${name}, 'month', ${cents}, 'USD', ${sql.json(f)}, ${price}) returning id`;
    return { id: row.id, code, price, price_cents: cents };
  };
  return { basic: await make("basic", 900, features(5, 5, false)), pro: await make("pro", 2900, features(20, 15, true)) };
}

export interface BillingMember extends TestUser {
  customer: string;
}

/**
 * A member with a Stripe customer link (as billing-checkout / billing-payment-methods make it), or,
 * with linked: false, a Stripe customer not linked yet (checkout.session.completed links it).
 */
export async function createBillingMember({ linked = true } = {}): Promise<BillingMember> {
  const user = await createUser();
  const customer = stripeId("cus");
  if (linked) await sql`insert into public.billing_customers (user_id, stripe_customer_id) values (${user.id}, ${customer})`;
  return { ...user, customer };
}

/** Rows of every billing table, for "nothing was written" checks. */
export async function billingRowCounts(): Promise<Record<string, number>> {
  const [row] = await sql<Record<string, number>[]>`
    select (select count(*)::int from public.billing_customers) as billing_customers,
           (select count(*)::int from public.subscriptions) as subscriptions,
           (select count(*)::int from public.payment_methods) as payment_methods,
           (select count(*)::int from public.invoices) as invoices,
           (select count(*)::int from public.stripe_events) as stripe_events,
           (select count(*)::int from public.plans) as plans,
           (select count(*)::int from public.bookings where status = 'cancelled') as cancelled_bookings,
           (select count(*)::int from public.credit_transactions) as credit_transactions`;
  return row;
}
