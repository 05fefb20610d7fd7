// stripe-webhook over HTTP through the gateway, signed as Stripe signs. Signature failures answer
// 400 and write nothing; every handled event type delivered 1–5 times in shuffled order (many seeds,
// some delivered concurrently) leaves exactly the rows of one in-order delivery — also when the
// customer is linked only by the checkout.session.completed among them (events before it are kept
// as pending_link and applied when the link appears).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stack, webhookSkipReason } from "./helpers/stack.ts";
import { sql } from "./helpers/db.ts";
import { billingRowCounts, createBillingMember, createPlans, deliver, prng, webhookUrl, type BillingMember, type TestPlan } from "./helpers/billing.ts";
import { customer, event, invoice, paymentIntent, paymentMethod, refundedCharge, signature, stripeId, subscription, type StripeEvent } from "../stack/test-kit/stripe-events.ts";
import { skipNote } from "./helpers/skip.ts";

const created: string[] = [];
let plans: { basic: TestPlan; pro: TestPlan };

beforeAll(async () => {
  plans = await createPlans(`wh${Date.now().toString(36)}`);
});
afterAll(async () => {
  if (created.length) await sql`delete from auth.users where id in ${sql(created)}`;
  await sql`delete from public.plans where id in ${sql([plans.basic.id, plans.pro.id])}`;
});

async function member(linked = true): Promise<BillingMember> {
  const m = await createBillingMember({ linked });
  created.push(m.id);
  return m;
}

const T = 1_800_000_000; // fixed event times: every seed's rows must be equal, timestamps included
const DAY = 86400;

/** The life of one member's billing, one event of every handled type, in Stripe's order. Ids are symbolic names → real ids. */
function script(m: BillingMember, ids: Record<string, string>): StripeEvent[] {
  const sub = (price: string, status: string, extra: Partial<Parameters<typeof subscription>[0]> = {}) =>
    subscription({ id: ids.sub, customer: m.customer, price, status, periodStart: T, periodEnd: T + 30 * DAY, ...extra });
  const inv = (id: string, status: string, paid: number) =>
    invoice({ id, customer: m.customer, subscription: ids.sub, status, amountDue: 900, amountPaid: paid, periodStart: T, periodEnd: T + 30 * DAY, number: `MB-${[ids.inv1, ids.inv2, ids.inv3, ids.inv4].indexOf(id) + 1}` });
  const events: Array<[string, number, Record<string, unknown>, Record<string, unknown>?]> = [
    ["checkout.session.completed", T, { id: ids.cs, object: "checkout.session", client_reference_id: m.id, customer: m.customer, mode: "subscription" }],
    ["customer.subscription.created", T, sub(plans.basic.price, "incomplete")],
    ["invoice.created", T + 1, inv(ids.inv1, "draft", 0)],
    ["invoice.finalized", T + 2, inv(ids.inv1, "open", 0)],
    ["invoice.paid", T + 3, inv(ids.inv1, "paid", 900)],
    ["customer.subscription.updated", T + 3, sub(plans.basic.price, "active")],
    ["payment_method.attached", T + 4, paymentMethod({ id: ids.pm1, customer: m.customer, last4: "4242" })],
    ["customer.updated", T + 5, customer({ id: m.customer, defaultPaymentMethod: ids.pm1 })],
    ["payment_method.attached", T + 6, paymentMethod({ id: ids.pm2, customer: m.customer, brand: "mastercard", last4: "4444", expMonth: 3, expYear: 2031 })],
    ["customer.subscription.updated", T + 7, sub(plans.pro.price, "active")],
    // Same second as the one before: Stripe's `created` ties; the event id decides, the same way every time.
    ["customer.subscription.updated", T + 7, sub(plans.pro.price, "active", { quantity: 2 })],
    ["invoice.created", T + 8, inv(ids.inv2, "open", 0)],
    ["invoice.payment_failed", T + 9, inv(ids.inv2, "open", 0)],
    ["invoice.payment_succeeded", T + 10, inv(ids.inv2, "paid", 900)],
    ["payment_method.updated", T + 10, paymentMethod({ id: ids.pm2, customer: m.customer, brand: "mastercard", last4: "4444", expMonth: 4, expYear: 2032 })],
    ["payment_method.detached", T + 11, paymentMethod({ id: ids.pm1, customer: null }), { customer: m.customer }],
    ["customer.updated", T + 12, customer({ id: m.customer, defaultPaymentMethod: ids.pm2 })],
    ["payment_intent.created", T + 12, paymentIntent({ id: ids.pi, customer: m.customer, amount: 4500, status: "requires_payment_method" })],
    ["payment_intent.succeeded", T + 13, paymentIntent({ id: ids.pi, customer: m.customer, amount: 4500, status: "succeeded" })],
    ["charge.refunded", T + 14, refundedCharge({ paymentIntent: ids.pi, customer: m.customer, amount: 4500, refunded: 4500 })],
    ["customer.subscription.trial_will_end", T + 5, sub(plans.basic.price, "active")],
    ["invoice.created", T + 13, inv(ids.inv3, "open", 0)],
    ["invoice.updated", T + 14, inv(ids.inv3, "open", 0)],
    ["invoice.voided", T + 15, inv(ids.inv3, "void", 0)],
    ["invoice.finalized", T + 15, inv(ids.inv4, "open", 0)],
    ["invoice.marked_uncollectible", T + 16, inv(ids.inv4, "uncollectible", 0)],
    ["payment_method.automatically_updated", T + 13, paymentMethod({ id: ids.pm2, customer: m.customer, brand: "mastercard", last4: "4444", expMonth: 5, expYear: 2033 })],
    ["payment_intent.processing", T + 12, paymentIntent({ id: ids.pi2, customer: m.customer, amount: 3000, status: "processing" })],
    ["payment_intent.requires_action", T + 13, paymentIntent({ id: ids.pi2, customer: m.customer, amount: 3000, status: "requires_action" })],
    ["payment_intent.payment_failed", T + 14, paymentIntent({ id: ids.pi2, customer: m.customer, amount: 3000, status: "requires_payment_method" })],
    ["payment_intent.canceled", T + 15, paymentIntent({ id: ids.pi2, customer: m.customer, amount: 3000, status: "canceled" })],
    ["customer.subscription.updated", T + 15, sub(plans.pro.price, "active", { quantity: 2, cancelAtPeriodEnd: true })],
    ["customer.subscription.deleted", T + 16, sub(plans.pro.price, "canceled", { quantity: 2, cancelAtPeriodEnd: true, canceledAt: T + 16 })],
    ["product.created", T + 16, { id: stripeId("prod"), object: "product" }], // unhandled: recorded, 2xx
  ];
  // Event ids sort in script order within a member, so ties break the same way for every seed.
  return events.map(([type, at, obj, previous], i) => {
    ids[`evt${i}`] = `evt_${ids.tag}x${String(i).padStart(3, "0")}`;
    return event(type, at, obj, { id: ids[`evt${i}`], previous });
  });
}

function freshIds(): Record<string, string> {
  const tag = stripeId("t").slice(2);
  return { tag, sub: `sub_${tag}`, inv1: `in_${tag}a`, inv2: `in_${tag}b`, inv3: `in_${tag}c`, inv4: `in_${tag}d`, pm1: `pm_${tag}a`, pm2: `pm_${tag}b`,
           pi: `pi_${tag}a`, pi2: `pi_${tag}b`, cs: `cs_${tag}` };
}

/** The member's billing rows with every real id replaced by its symbolic name (and the member by "member"). */
async function mirror(m: BillingMember, ids: Record<string, string>): Promise<string> {
  const names = new Map<string, string>([[m.id, "member"], [m.customer, "customer"], ...Object.entries(ids).map(([k, v]) => [v, k] as [string, string])]);
  const rows = await sql<{ t: string; r: Record<string, unknown> }[]>`
    select 'billing_customers' as t, to_jsonb(c) - 'created_at' as r from public.billing_customers c where c.user_id = ${m.id}
    union all select 'subscriptions', to_jsonb(s) - array['id', 'created_at', 'updated_at'] from public.subscriptions s where s.user_id = ${m.id}
    union all select 'payment_methods', to_jsonb(p) - array['id', 'created_at'] from public.payment_methods p where p.user_id = ${m.id}
    union all select 'invoices', to_jsonb(i) - array['id', 'created_at', 'updated_at'] from public.invoices i where i.user_id = ${m.id}
    union all select 'stripe_events', jsonb_build_object('id', e.id, 'type', e.type, 'at', e.stripe_created_at) from public.stripe_events e
               where e.id like ${`evt_${ids.tag}x%`}`;
  const symbolic = (v: unknown): unknown => (typeof v === "string" && names.has(v) ? names.get(v) : v);
  return JSON.stringify(rows.map(({ t, r }) => `${t} ${JSON.stringify(Object.fromEntries(Object.keys(r).sort().map((k) => [k, symbolic(r[k])])))}`).sort(), null, 1);
}

describe.skipIf(webhookSkipReason)(`stripe-webhook: signatures${skipNote(webhookSkipReason)}`, () => {
  let m: BillingMember;
  let e: StripeEvent;
  beforeAll(async () => {
    m = await member();
    e = event("customer.subscription.created", Math.floor(Date.now() / 1000),
      subscription({ id: stripeId("sub"), customer: m.customer, price: plans.pro.price, status: "active", periodStart: T, periodEnd: T + DAY }));
  });

  async function refusedWithoutWrite(res: Response, code: string) {
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code } });
    expect(await sql`select 1 from public.stripe_events where id = ${e.id}`).toHaveLength(0);
    expect(await sql`select 1 from public.subscriptions where user_id = ${m.id}`).toHaveLength(0);
  }

  it("answers 400 missing_signature without a Stripe-Signature header", async () => {
    const res = await fetch(webhookUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(e) });
    await refusedWithoutWrite(res, "missing_signature");
  });

  it("answers 400 for a signature made with another secret", async () => {
    const body = JSON.stringify(e);
    const res = await fetch(webhookUrl, { method: "POST", body, headers: { "stripe-signature": signature(body, "whsec_someoneElse") } });
    await refusedWithoutWrite(res, "invalid_signature");
  });

  it("answers 400 for a replay of a different body under a valid signature", async () => {
    const signed = JSON.stringify(e);
    const forged = JSON.stringify({ ...e, data: { object: { ...e.data.object, status: "active", items: (e.data.object as { items: unknown }).items } }, type: "customer.subscription.updated" });
    const res = await fetch(webhookUrl, { method: "POST", body: forged, headers: { "stripe-signature": signature(signed, stack.stripe.webhookSecret) } });
    await refusedWithoutWrite(res, "invalid_signature");
    // Even one byte of whitespace is a different body.
    const spaced = await fetch(webhookUrl, { method: "POST", body: `${signed} `, headers: { "stripe-signature": signature(signed, stack.stripe.webhookSecret) } });
    await refusedWithoutWrite(spaced, "invalid_signature");
  });

  it("answers 400 for a signature whose timestamp is outside the 5-minute tolerance", async () => {
    const body = JSON.stringify(e);
    const old = Math.floor(Date.now() / 1000) - 301;
    const res = await fetch(webhookUrl, { method: "POST", body, headers: { "stripe-signature": signature(body, stack.stripe.webhookSecret, old) } });
    await refusedWithoutWrite(res, "invalid_signature");
    const garbage = await fetch(webhookUrl, { method: "POST", body, headers: { "stripe-signature": "t=abc,v1=zzz" } });
    await refusedWithoutWrite(garbage, "invalid_signature");
  });

  it("applies the genuine delivery once; a redelivery is a duplicate that changes nothing", async () => {
    const first = await deliver(e);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true, outcome: "applied" });
    const before = await mirror(m, { tag: "none" });
    const again = await deliver(e);
    expect(await again.json()).toEqual({ received: true, outcome: "duplicate" });
    expect(await mirror(m, { tag: "none" })).toBe(before);
    expect(await sql`select outcome from public.stripe_events where id = ${e.id}`).toEqual([{ outcome: "applied" }]);
  });

  it("answers 2xx to event types it does not handle, and records them as ignored", async () => {
    const unhandled = event("radar.early_fraud_warning.created", Math.floor(Date.now() / 1000), { id: "issfr_1", object: "radar.early_fraud_warning" });
    const res = await deliver(unhandled);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, outcome: "ignored" });
    expect(await sql`select type, outcome from public.stripe_events where id = ${unhandled.id}`).toEqual([{ type: "radar.early_fraud_warning.created", outcome: "ignored" }]);
  });

  it("answers 400 invalid_event, writing nothing, for a validly signed body that is not an event", async () => {
    const before = await billingRowCounts();
    for (const body of ['{"id":"evt_x1","type":"customer.updated"}', "[1,2,3]", "not json", `{"id":"evt_x2","type":"customer.subscription.updated","created":1,"data":{"object":{"id":"sub_x","customer":"${m.customer}","status":"not-a-status","items":{"data":[{"price":{"id":"${plans.pro.price}"}}]}}}}`]) {
      const res = await deliver(body);
      expect(res.status, body).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_event" } });
    }
    expect(await billingRowCounts()).toEqual(before);
  });
});

describe.skipIf(webhookSkipReason)(`stripe-webhook: events of a customer not linked yet are kept, then applied at the link${skipNote(webhookSkipReason)}`, () => {
  it("a subscription event before its checkout answers pending_link (also when re-sent) and is applied when checkout links the customer", async () => {
    const m = await member(false);
    const sub = stripeId("sub");
    const inv = stripeId("in");
    const at = Math.floor(Date.now() / 1000);
    const subCreated = event("customer.subscription.created", at,
      subscription({ id: sub, customer: m.customer, price: plans.pro.price, status: "active", periodStart: T, periodEnd: T + DAY }));
    const paid = event("invoice.paid", at + 1,
      invoice({ id: inv, customer: m.customer, subscription: sub, status: "paid", amountDue: 2900, amountPaid: 2900, periodStart: T, periodEnd: T + DAY, number: "MB-P1" }));
    for (const e of [subCreated, paid, subCreated]) {
      const res = await deliver(e);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ received: true, outcome: "pending_link" });
    }
    expect(await sql`select 1 from public.subscriptions where stripe_subscription_id = ${sub}`).toHaveLength(0);
    const checkout = event("checkout.session.completed", at + 2,
      { id: stripeId("cs"), object: "checkout.session", client_reference_id: m.id, customer: m.customer, mode: "subscription" });
    expect(await (await deliver(checkout)).json()).toEqual({ received: true, outcome: "applied" });
    expect(await sql`select user_id, status::text, plan_id from public.subscriptions where stripe_subscription_id = ${sub}`)
      .toEqual([{ user_id: m.id, status: "active", plan_id: plans.pro.id }]);
    expect(await sql`select user_id, status::text, amount_paid_cents from public.invoices where stripe_invoice_id = ${inv}`)
      .toEqual([{ user_id: m.id, status: "paid", amount_paid_cents: 2900 }]);
    expect(await sql`select outcome, payload is null as cleared from public.stripe_events where id in ${sql([subCreated.id, paid.id])}`)
      .toEqual([{ outcome: "applied", cleared: true }, { outcome: "applied", cleared: true }]);
    // Applied now: a further re-send is a duplicate that changes nothing.
    expect(await (await deliver(subCreated)).json()).toEqual({ received: true, outcome: "duplicate" });
  });
});

describe.skipIf(webhookSkipReason)(`stripe-webhook: parked events wait 30 days from their parking${skipNote(webhookSkipReason)}`, () => {
  /** The scheduled job's own command (supabase/migrations/*_schedule.sql), run as the scheduler runs it. */
  async function runExpiryJob(): Promise<void> {
    const [job] = await sql<{ command: string }[]>`select command from cron.job where jobname = 'expire-parked-stripe-events'`;
    expect(job, "the expire-parked-stripe-events job").toBeDefined();
    await sql.unsafe(job.command);
  }
  const parked = (id: string) => sql<{ outcome: string; kept: boolean }[]>`select outcome, payload is not null as kept from public.stripe_events where id = ${id}`;

  it("an event Stripe created 40 days before it arrived survives the daily expiry, is re-tried when re-sent, and is applied at the link", async () => {
    const m = await member(false);
    const sub = stripeId("sub");
    const now = Math.floor(Date.now() / 1000);
    const old = event("customer.subscription.created", now - 40 * DAY,
      subscription({ id: sub, customer: m.customer, price: plans.basic.price, status: "active", periodStart: now - 40 * DAY, periodEnd: now + DAY }));
    expect(await (await deliver(old)).json()).toEqual({ received: true, outcome: "pending_link" });
    await runExpiryJob();
    expect(await parked(old.id)).toEqual([{ outcome: "pending_link", kept: true }]);
    expect(await (await deliver(old)).json()).toEqual({ received: true, outcome: "pending_link" });
    const checkout = event("checkout.session.completed", now,
      { id: stripeId("cs"), object: "checkout.session", client_reference_id: m.id, customer: m.customer, mode: "subscription" });
    expect(await (await deliver(checkout)).json()).toEqual({ received: true, outcome: "applied" });
    expect(await sql`select user_id, plan_id from public.subscriptions where stripe_subscription_id = ${sub}`).toEqual([{ user_id: m.id, plan_id: plans.basic.id }]);
    expect(await parked(old.id)).toEqual([{ outcome: "applied", kept: false }]);
  });

  it("a parked event nobody links is dropped once it has waited 30 days since its parking, not before", async () => {
    const m = await member(false);
    const now = Math.floor(Date.now() / 1000);
    const e = event("invoice.paid", now,
      invoice({ id: stripeId("in"), customer: m.customer, subscription: stripeId("sub"), status: "paid", amountDue: 900, amountPaid: 900, periodStart: now, periodEnd: now + DAY, number: "MB-X1" }));
    expect(await (await deliver(e)).json()).toEqual({ received: true, outcome: "pending_link" });
    await sql`update public.stripe_events set parked_at = now() - interval '29 days 23 hours' where id = ${e.id}`;
    await runExpiryJob();
    expect(await parked(e.id)).toEqual([{ outcome: "pending_link", kept: true }]);
    await sql`update public.stripe_events set parked_at = now() - interval '30 days 1 second' where id = ${e.id}`;
    await runExpiryJob();
    expect(await parked(e.id)).toEqual([{ outcome: "unknown_customer", kept: false }]);
  });
});

describe.skipIf(webhookSkipReason)(`stripe-webhook: a checkout never moves a customer between members${skipNote(webhookSkipReason)}`, () => {
  async function refused(e: StripeEvent): Promise<void> {
    const res = await deliver(e);
    const body = (await res.json()) as { error?: { code: string; message: string } };
    expect([res.status, body.error?.code], JSON.stringify(body)).toEqual([409, "stripe_customer_conflict"]);
  }

  it("a checkout for a new member naming a customer linked to another member is refused 409, changes nothing, and stays refused when re-sent", async () => {
    const owner = await member(true);
    const newcomer = await member(false);
    const before = await billingRowCounts();
    const checkout = event("checkout.session.completed", Math.floor(Date.now() / 1000),
      { id: stripeId("cs"), object: "checkout.session", client_reference_id: newcomer.id, customer: owner.customer, mode: "subscription" });
    await refused(checkout);
    await refused(checkout); // Stripe's retry: refused again (nothing was recorded), never "duplicate"
    expect(await billingRowCounts()).toEqual(before);
    expect(await sql`select user_id from public.billing_customers where stripe_customer_id = ${owner.customer}`).toEqual([{ user_id: owner.id }]);
  });

  it("a checkout giving a linked member a second customer is refused 409; the same link again is applied", async () => {
    const m = await member(true);
    const at = Math.floor(Date.now() / 1000);
    await refused(event("checkout.session.completed", at,
      { id: stripeId("cs"), object: "checkout.session", client_reference_id: m.id, customer: stripeId("cus"), mode: "subscription" }));
    expect(await sql`select stripe_customer_id from public.billing_customers where user_id = ${m.id}`).toEqual([{ stripe_customer_id: m.customer }]);
    const same = await deliver(event("checkout.session.completed", at,
      { id: stripeId("cs"), object: "checkout.session", client_reference_id: m.id, customer: m.customer, mode: "subscription" }));
    expect(await same.json()).toEqual({ received: true, outcome: "applied" });
  });
});

describe.skipIf(webhookSkipReason)(`stripe-webhook: deliveries 1–5 times in any order leave the same rows${skipNote(webhookSkipReason)}`, () => {
  let reference: string;
  let script0: StripeEvent[];

  beforeAll(async () => {
    const m = await member();
    const ids = freshIds();
    script0 = script(m, ids);
    for (const e of script0) {
      const res = await deliver(e);
      expect(res.status).toBe(200);
    }
    reference = await mirror(m, ids);
  });

  it("in-order delivery mirrors Stripe's final state", async () => {
    const rows = JSON.parse(reference) as string[];
    const get = (t: string) => rows.filter((r) => r.startsWith(`${t} `)).map((r) => JSON.parse(r.slice(t.length + 1)));
    const [sub] = get("subscriptions");
    expect(sub).toMatchObject({ status: "canceled", plan_id: plans.pro.id, cancel_at_period_end: true, stripe_subscription_id: "sub" });
    expect([1, 2]).toContain(sub.quantity);
    expect(get("invoices").map((i) => [i.stripe_invoice_id ?? i.stripe_payment_intent_id, i.status]).sort())
      .toEqual([["inv1", "paid"], ["inv2", "paid"], ["inv3", "void"], ["inv4", "uncollectible"], ["pi", "refunded"], ["pi2", "void"]]);
    expect(get("payment_methods").map((p) => [p.stripe_payment_method_id, p.is_default, p.detached_at !== null, p.exp_month]).sort())
      .toEqual([["pm1", false, true, 12], ["pm2", true, false, 5]]);
    expect(get("billing_customers")).toEqual([expect.objectContaining({ default_payment_method_id: "pm2" })]);
    expect(get("stripe_events")).toHaveLength(script0.length);
  });

  it("the script delivers every event type the webhook handles", async () => {
    const [{ src }] = await sql<{ src: string }[]>`select pg_get_functiondef('private.dispatch_stripe_event(jsonb)'::regprocedure) as src`;
    const handled = [...new Set([...src.matchAll(/'([a-z_]+\.[a-z_.]+)'/g)].map((m) => m[1]))];
    expect(handled.length).toBeGreaterThan(15);
    expect(handled.filter((t) => !script0.some((e) => e.type === t))).toEqual([]);
    expect(script0.filter((e) => e.type.startsWith("customer.subscription.")).map((e) => e.type)).toEqual(
      expect.arrayContaining(["customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"]));
  });

  // linked: false — the customer is linked by the checkout.session.completed in the script, so
  // every event shuffled before it arrives for a customer nobody is linked to yet.
  async function shuffledDeliveries(seed: number, linked = true): Promise<void> {
    const random = prng(seed);
    const m = await member(linked);
    const ids = freshIds();
    const deliveries = script(m, ids).flatMap((e) => Array.from({ length: 1 + Math.floor(random() * 5) }, () => e));
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
    }
    const width = seed % 3 === 0 ? 4 : 1;
    for (let i = 0; i < deliveries.length; i += width) {
      const answers = await Promise.all(deliveries.slice(i, i + width).map((e) => deliver(e)));
      for (const res of answers) expect(res.status, `seed ${seed}`).toBe(200);
    }
    expect(await mirror(m, ids), `seed ${seed}`).toBe(reference);
    expect(await sql`select id from public.stripe_events where id like ${`evt_${ids.tag}x%`} and outcome = 'pending_link'`, `seed ${seed}`).toEqual([]);
  }

  for (const [from, to] of [[1, 8], [9, 16], [17, 24]]) {
    it(`seeds ${from}–${to}: each event delivered 1–5 times, shuffled (every third seed 4 at a time, concurrently)`, async () => {
      for (let seed = from; seed <= to; seed++) await shuffledDeliveries(seed);
    });
  }

  for (const [from, to] of [[101, 108], [109, 116]]) {
    it(`seeds ${from}–${to}: subscription/invoice before checkout — the customer is linked only by the shuffled checkout`, async () => {
      for (let seed = from; seed <= to; seed++) await shuffledDeliveries(seed, false);
    });
  }

  it("checkout delivered last, after every other event (each twice): the same rows", async () => {
    const m = await member(false);
    const ids = freshIds();
    const events = script(m, ids);
    const checkout = events.filter((e) => e.type === "checkout.session.completed");
    const rest = events.filter((e) => e.type !== "checkout.session.completed");
    for (const e of [...rest, ...[...rest].reverse(), ...checkout]) expect((await deliver(e)).status).toBe(200);
    expect(await mirror(m, ids)).toBe(reference);
  });
});
