// What the billing functions share: the member's Stripe customer, their live subscription, plans,
// and the allow-list of URLs Stripe may send members back to.
import { z } from "zod";
import { sql } from "./db.ts";
import { HttpError } from "./errors.ts";
import type { MemberClaims } from "./claims.ts";
import { stripeCall } from "./stripe.ts";

export interface Plan {
  id: string;
  code: string;
  name: string;
  interval: "month" | "year";
  price_cents: number;
  currency: string;
  stripe_price_id: string | null;
  active: boolean;
}

export interface Subscription {
  id: string;
  stripe_subscription_id: string;
  stripe_customer_id: string;
  status: string;
  plan_id: string;
  cancel_at_period_end: boolean;
  current_period_end: Date | null;
  stripe_event_id: string;
}

export const planCode = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, "a plan code such as 'pro'");

/** BILLING_RETURN_URLS: comma-separated globs (`*` within a path segment, `**` across segments). */
function returnUrlPatterns(): RegExp[] {
  return (Deno.env.get("BILLING_RETURN_URLS") ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => new RegExp(`^${p.split("**").map((part) => part.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")).join(".*")}$`));
}

export const returnUrl = z.url().max(2000);

/** Refuses (400 return_url_not_allowed) any URL not on the BILLING_RETURN_URLS allow-list. */
export function requireAllowedReturnUrls(...urls: string[]): void {
  const patterns = returnUrlPatterns();
  const refused = urls.filter((u) => !patterns.some((p) => p.test(u)));
  if (refused.length) throw new HttpError(400, "return_url_not_allowed", "Return URLs must be on the project's allow-list (BILLING_RETURN_URLS)", { refused });
}

/**
 * 403 account_inactive unless the member's account is active: a suspended or deactivated member
 * starts no new payment (no checkout, no new card); cancelling and removing cards stay open to them.
 */
export async function requireActiveAccount(userId: string): Promise<void> {
  const [row] = await sql<{ active: boolean }[]>`select private.account_active(${userId}) as active`;
  if (!row?.active) throw new HttpError(403, "account_inactive", "Your account is suspended or deactivated: it starts no new payments");
}

export async function planByCode(code: string): Promise<Plan> {
  const [plan] = await sql<Plan[]>`select id, code, name, interval, price_cents, currency, stripe_price_id, active from public.plans where code = ${code}`;
  if (!plan || !plan.active) throw new HttpError(404, "unknown_plan", `There is no plan '${code}' open for subscription`);
  return plan;
}

/** The member's live subscription (active, trialing, past_due), if any. */
export async function liveSubscription(userId: string): Promise<(Subscription & { plan: Plan }) | undefined> {
  const [row] = await sql<(Subscription & { plan: Plan })[]>`
    select s.id, s.stripe_subscription_id, s.stripe_customer_id, s.status, s.plan_id, s.cancel_at_period_end,
           s.current_period_end, s.stripe_event_id, to_jsonb(p) as plan
      from public.subscriptions s join public.plans p on p.id = s.plan_id
     where s.user_id = ${userId} and s.status in ('active', 'trialing', 'past_due')
     order by s.current_period_end desc nulls last limit 1`;
  return row;
}

/** The member's Stripe customer id, created once (idempotency key per member; a racing request finds the same row). */
export async function ensureCustomer(claims: MemberClaims): Promise<string> {
  const [existing] = await sql<{ stripe_customer_id: string }[]>`select stripe_customer_id from public.billing_customers where user_id = ${claims.sub}`;
  if (existing) return existing.stripe_customer_id;
  const [profile] = await sql<{ id: string }[]>`select id from public.profiles where id = ${claims.sub}`;
  if (!profile) throw new HttpError(404, "not_found", "There is no account for this user");
  const customer = await stripeCall("creating the customer", (s) =>
    s.customers.create({ email: claims.email, metadata: { member_id: claims.sub } }, { idempotencyKey: `customer-${claims.sub}` }));
  await sql`insert into public.billing_customers (user_id, stripe_customer_id) values (${claims.sub}, ${customer.id}) on conflict (user_id) do nothing`;
  const [row] = await sql<{ stripe_customer_id: string }[]>`select stripe_customer_id from public.billing_customers where user_id = ${claims.sub}`;
  return row.stripe_customer_id;
}

/** A plan's price per month, to tell an upgrade from a downgrade across intervals. */
export function monthlyCents(plan: Plan): number {
  return plan.interval === "year" ? plan.price_cents / 12 : plan.price_cents;
}
