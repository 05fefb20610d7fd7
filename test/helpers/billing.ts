// Billing fixtures: plans with their own Stripe price ids, members with a Stripe customer, and the
// webhook delivery bound to this stack's URL and signing secret.
import { stack } from "./stack.ts";
import { sql } from "./db.ts";
import { deliver as deliverTo, stripeId, type StripeEvent } from "../../stack/stripe-events.ts";
import { createUser, type TestUser } from "./users.ts";

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

/** A member with a Stripe customer link (as billing-checkout / billing-payment-methods make it). */
export async function createBillingMember(): Promise<BillingMember> {
  const user = await createUser();
  const customer = stripeId("cus");
  await sql`insert into public.billing_customers (user_id, stripe_customer_id) values (${user.id}, ${customer})`;
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

/** A seeded PRNG (mulberry32), so a failing seed can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
