// The billing functions over HTTP through the gateway, against stripe-mock (Stripe's own mock of
// its API); the mirrored rows move only with the signed events Stripe would send after each call.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authSkipReason, serviceClient, stack, stripeSkipReason } from "./helpers/stack.ts";
import { serviceClaims, sql } from "./helpers/db.ts";
import { memberClient, ok } from "./helpers/rest.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { billingRowCounts, createBillingMember, createPlans, deliver, type BillingMember, type TestPlan } from "./helpers/billing.ts";
import { createSession, createUser, type TestUser } from "./helpers/users.ts";
import { event, paymentIntent, paymentMethod, refundedCharge, stripeId, subscription } from "../stack/test-kit/stripe-events.ts";
import { skipNote } from "./helpers/skip.ts";

const created: string[] = [];
let plans: { basic: TestPlan; pro: TestPlan };
const now = () => Math.floor(Date.now() / 1000);
const DAY = 86400;
const back = "http://127.0.0.1:3000/billing/done";

beforeAll(async () => {
  plans = await createPlans(`fn${Date.now().toString(36)}`);
});
afterAll(async () => {
  if (created.length) {
    // Invoices outlive deleted members by design; these are test rows.
    await sql`delete from public.invoices where user_id in ${sql(created)}`;
    await sql`delete from public.subscriptions where user_id in ${sql(created)}`;
    // One at a time: deleting a member and the expert of their booking in one statement trips the
    // bookings foreign keys (each cascade rewrites the row the other just nulled).
    for (const id of created) await sql`delete from auth.users where id = ${id}`;
  }
  await sql`delete from public.plans where id in ${sql([plans.basic.id, plans.pro.id])}`;
});

async function track<T extends TestUser>(user: Promise<T>): Promise<T> {
  const u = await user;
  created.push(u.id);
  return u;
}

async function call(fn: string, userId: string | null, body: unknown, opts: { aal?: "aal1" | "aal2"; method?: string; raw?: string } = {}) {
  const headers: Record<string, string> = { apikey: stack.anonKey, "content-type": "application/json" };
  if (userId) headers.authorization = `Bearer ${await signAccessToken(await createSession(userId, { aal: opts.aal ?? "aal1" }))}`;
  const res = await fetch(`${stack.apiUrl}/functions/v1/${fn}`, { method: opts.method ?? "POST", headers, body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

/** The member's subscription as Stripe would report it, delivered as a signed event. */
async function subscriptionEvent(m: BillingMember, sub: string, price: string, extra: { status?: string; cancelAtPeriodEnd?: boolean; created?: number; type?: string } = {}) {
  const e = event(extra.type ?? "customer.subscription.updated", extra.created ?? now(),
    subscription({ id: sub, customer: m.customer, price, status: extra.status ?? "active", periodStart: now() - DAY, periodEnd: now() + 29 * DAY, cancelAtPeriodEnd: extra.cancelAtPeriodEnd }));
  const res = await deliver(e);
  expect(res.status).toBe(200);
  return (await res.json()).outcome as string;
}

async function subscriptionRow(userId: string) {
  const [row] = await sql`select s.status, p.code as plan, s.cancel_at_period_end, n.code as scheduled_plan, s.scheduled_change_at
                            from public.subscriptions s join public.plans p on p.id = s.plan_id left join public.plans n on n.id = s.scheduled_plan_id
                           where s.user_id = ${userId}`;
  return row;
}

describe.skipIf(stripeSkipReason)(`billing-checkout and billing-portal${skipNote(stripeSkipReason)}`, () => {
  it("opens a Checkout Session for a paid plan, creating the member's Stripe customer once", async () => {
    const m = await track(createUser());
    const first = await call("billing-checkout", m.id, { plan: plans.pro.code, success_url: back, cancel_url: "http://localhost:3000/billing" });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ id: expect.stringMatching(/^cs_/), plan: plans.pro.code });
    const [link] = await sql`select stripe_customer_id from public.billing_customers where user_id = ${m.id}`;
    expect(link.stripe_customer_id).toMatch(/^cus_/);
    const again = await call("billing-checkout", m.id, { plan: plans.basic.code, success_url: back, cancel_url: back });
    expect(again.status).toBe(200);
    expect(await sql`select stripe_customer_id from public.billing_customers where user_id = ${m.id}`).toEqual([link]);
  });

  it("refuses a second subscription (409), the free plan (422), an unknown plan (404) and foreign return URLs (400)", async () => {
    const m = await track(createBillingMember());
    await subscriptionEvent(m, stripeId("sub"), plans.basic.price, { type: "customer.subscription.created" });
    expect(await call("billing-checkout", m.id, { plan: plans.pro.code, success_url: back, cancel_url: back })).toMatchObject({ status: 409, body: { error: { code: "already_subscribed" } } });
    const other = await track(createUser());
    expect(await call("billing-checkout", other.id, { plan: "free", success_url: back, cancel_url: back })).toMatchObject({ status: 422, body: { error: { code: "free_plan" } } });
    expect(await call("billing-checkout", other.id, { plan: "no-such-plan", success_url: back, cancel_url: back })).toMatchObject({ status: 404, body: { error: { code: "unknown_plan" } } });
    for (const url of ["https://evil.example/phish", "http://127.0.0.1:3001/x", "http://127.0.0.1:3000.evil.example/x", "javascript:alert(1)"]) {
      const res = await call("billing-checkout", other.id, { plan: plans.pro.code, success_url: back, cancel_url: url });
      expect(res.status, url).toBe(400);
      expect(["return_url_not_allowed", "invalid_request"]).toContain(res.body.error.code);
    }
    expect(await sql`select 1 from public.billing_customers where user_id = ${other.id}`).toHaveLength(0);
  });

  it("opens the customer portal for a member with a billing account, 404 without one", async () => {
    const m = await track(createBillingMember());
    const res = await call("billing-portal", m.id, { return_url: back });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.url).toMatch(/^https?:\/\//);
    const none = await track(createUser());
    expect(await call("billing-portal", none.id, { return_url: back })).toMatchObject({ status: 404, body: { error: { code: "no_billing_account" } } });
  });
});

describe.skipIf(stripeSkipReason)(`billing-change-plan: upgrade, downgrade at period end, cancel, resume${skipNote(stripeSkipReason)}`, () => {
  let m: BillingMember;
  const sub = stripeId("sub");
  beforeAll(async () => {
    m = await track(createBillingMember());
    expect(await subscriptionEvent(m, sub, plans.basic.price, { type: "customer.subscription.created", created: now() - 60 })).toBe("applied");
  });

  it("previews an upgrade with Stripe's proration and a downgrade with its date", async () => {
    const up = await call("billing-change-plan", m.id, { action: "preview", plan: plans.pro.code });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body).toMatchObject({ direction: "upgrade", effective_at: "now", amount_due_now_cents: expect.any(Number), currency: "USD" });
    expect(await call("billing-change-plan", m.id, { action: "preview", plan: plans.basic.code })).toMatchObject({ status: 409, body: { error: { code: "same_plan" } } });
  });

  it("upgrades now; the row follows Stripe's event, not the request", async () => {
    const res = await call("billing-change-plan", m.id, { action: "change", plan: plans.pro.code });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: "upgraded", direction: "upgrade", plan: plans.pro.code });
    expect((await subscriptionRow(m.id)).plan).toBe(plans.basic.code);
    await subscriptionEvent(m, sub, plans.pro.price, { created: now() - 50 });
    expect(await subscriptionRow(m.id)).toMatchObject({ plan: plans.pro.code, status: "active" });
  });

  it("downgrades at the end of the period: scheduled first, applied by Stripe's event at the period end", async () => {
    const preview = await call("billing-change-plan", m.id, { action: "preview", plan: plans.basic.code });
    expect(preview.body).toMatchObject({ direction: "downgrade", amount_due_now_cents: 0, next_amount_cents: plans.basic.price_cents });
    const res = await call("billing-change-plan", m.id, { action: "change", plan: plans.basic.code });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ status: "scheduled", direction: "downgrade", plan: plans.basic.code });
    expect(await subscriptionRow(m.id)).toMatchObject({ plan: plans.pro.code, scheduled_plan: plans.basic.code });
    expect((await subscriptionRow(m.id)).scheduled_change_at.toISOString()).toBe(res.body.effective_at);
    // An older event arriving late changes nothing; the phase change's event applies the plan.
    expect(await subscriptionEvent(m, sub, plans.basic.price, { created: now() - 55 })).toBe("stale");
    expect(await subscriptionRow(m.id)).toMatchObject({ plan: plans.pro.code, scheduled_plan: plans.basic.code });
    await subscriptionEvent(m, sub, plans.basic.price, { created: now() - 40 });
    expect(await subscriptionRow(m.id)).toMatchObject({ plan: plans.basic.code, scheduled_plan: null, scheduled_change_at: null });
  });

  it("cancels at the period end and resumes", async () => {
    const cancel = await call("billing-change-plan", m.id, { action: "cancel" });
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(202);
    expect(cancel.body.status).toBe("cancel_requested");
    await subscriptionEvent(m, sub, plans.basic.price, { created: now() - 30, cancelAtPeriodEnd: true });
    expect(await subscriptionRow(m.id)).toMatchObject({ cancel_at_period_end: true, status: "active" });
    expect(await call("billing-change-plan", m.id, { action: "cancel" })).toMatchObject({ status: 409, body: { error: { code: "already_canceling" } } });
    // Still entitled until the period ends.
    const [{ plan }] = await sql`select private.entitlements(${m.id}) ->> 'plan' as plan`;
    expect(plan).toBe(plans.basic.code);
    const resume = await call("billing-change-plan", m.id, { action: "resume" });
    expect(resume).toMatchObject({ status: 202, body: { status: "resume_requested" } });
    await subscriptionEvent(m, sub, plans.basic.price, { created: now() - 20 });
    expect(await subscriptionRow(m.id)).toMatchObject({ cancel_at_period_end: false });
    expect(await call("billing-change-plan", m.id, { action: "resume" })).toMatchObject({ status: 409, body: { error: { code: "not_canceling" } } });
    // The subscription ends: the member is back on the free plan and nothing is left to change.
    await subscriptionEvent(m, sub, plans.basic.price, { created: now() - 10, status: "canceled", type: "customer.subscription.deleted" });
    const [{ ent }] = await sql`select private.entitlements(${m.id}) ->> 'plan' as ent`;
    expect(ent).toBe("free");
    expect(await call("billing-change-plan", m.id, { action: "cancel" })).toMatchObject({ status: 404, body: { error: { code: "no_subscription" } } });
  });
});

describe.skipIf(stripeSkipReason)(`billing-payment-methods${skipNote(stripeSkipReason)}`, () => {
  it("starts a SetupIntent, detaches and defaults only the member's own attached cards", async () => {
    const m = await track(createBillingMember());
    const other = await track(createBillingMember());
    const setup = await call("billing-payment-methods", m.id, { action: "setup" });
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    expect(setup.body).toMatchObject({ setup_intent_id: expect.stringMatching(/^seti_/), client_secret: expect.stringMatching(/_secret_/) });
    const pm = stripeId("pm");
    await deliver(event("payment_method.attached", now(), paymentMethod({ id: pm, customer: m.customer })));
    expect(await call("billing-payment-methods", m.id, { action: "set_default", payment_method_id: pm })).toMatchObject({ status: 202 });
    expect(await call("billing-payment-methods", other.id, { action: "detach", payment_method_id: pm })).toMatchObject({ status: 404, body: { error: { code: "payment_method_not_found" } } });
    expect(await call("billing-payment-methods", m.id, { action: "detach", payment_method_id: pm })).toMatchObject({ status: 202, body: { status: "detach_requested" } });
    await deliver(event("payment_method.detached", now() + 1, paymentMethod({ id: pm, customer: null }), { previous: { customer: m.customer } }));
    expect(await call("billing-payment-methods", m.id, { action: "detach", payment_method_id: pm })).toMatchObject({ status: 404 });
  });

  it("needs an aal2 session once the member has a verified MFA factor, and changes nothing for aal1", async () => {
    const m = await track(createBillingMember());
    await sql`insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret)
              values (gen_random_uuid(), ${m.id}, 'phone', 'totp', 'verified', now(), now(), 'JBSWY3DPEHPK3PXP')`;
    const pm = stripeId("pm");
    await deliver(event("payment_method.attached", now(), paymentMethod({ id: pm, customer: m.customer })));
    for (const body of [{ action: "setup" }, { action: "detach", payment_method_id: pm }, { action: "set_default", payment_method_id: pm }]) {
      expect(await call("billing-payment-methods", m.id, body), body.action).toMatchObject({ status: 403, body: { error: { code: "aal2_required" } } });
    }
    expect(await call("billing-payment-methods", m.id, { action: "set_default", payment_method_id: pm }, { aal: "aal2" })).toMatchObject({ status: 202 });
  });
});

describe.skipIf(stripeSkipReason)(`booking-payment: the card pays price − credits, never less than half${skipNote(stripeSkipReason)}`, () => {
  let expert: TestUser;
  beforeAll(async () => {
    expert = await track(createUser());
    await sql`update public.profiles set role = 'expert' where id = ${expert.id}`; // listed: private.is_listed_expert
    await sql`insert into public.expert_profiles (id, verification_status, verified_at, is_available, hourly_rate_cents)
              values (${expert.id}, 'verified', now(), true, 9000)
              on conflict (id) do update set verification_status = 'verified', verified_at = now(), is_available = true, hourly_rate_cents = 9000`;
  });

  async function booking(memberId: string, minutes: number): Promise<string> {
    const member = await memberClient(memberId);
    return ok(await member.rpc("create_booking", { expert_id: expert.id, scheduled_at: new Date(Date.now() + 3 * 86400e3).toISOString(), duration_minutes: minutes })).id;
  }

  it("charges price − credits for every mix of price and balance; credits never pay more than 50%", async () => {
    for (const [minutes, balance] of [[60, 0], [60, 1000], [60, 100000], [45, 2999], [15, 2250], [90, 7]] as const) {
      const m = await track(createUser());
      if (balance) await sql`select private.adjust_credits(${m.id}, ${balance}, ${`bp-${m.id}`}, 'test credits')`;
      const id = await booking(m.id, minutes);
      if (balance) ok(await (await memberClient(m.id)).rpc("apply_credits", { booking_id: id }));
      const [b] = await sql`select price_cents, credits_applied_cents from public.bookings where id = ${id}`;
      const res = await call("booking-payment", m.id, { booking_id: id });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.amount_cents).toBe(b.price_cents - b.credits_applied_cents);
      expect(res.body.amount_cents * 2).toBeGreaterThanOrEqual(b.price_cents);
      expect(res.body.credits_applied_cents).toBe(Math.min(balance, Math.floor(b.price_cents / 2)));
      // What Stripe was asked for (stripe-mock echoes the created PaymentIntent).
      expect(res.body.payment_intent_id).toMatch(/^pi_/);
      const [inv] = await sql`select amount_due_cents, status, booking_id from public.invoices where stripe_payment_intent_id = ${res.body.payment_intent_id}`;
      expect(inv).toMatchObject({ amount_due_cents: res.body.amount_cents, status: "open", booking_id: id });
      // Asking again answers the same PaymentIntent, no second one.
      const again = await call("booking-payment", m.id, { booking_id: id });
      expect(again.body.payment_intent_id).toBe(res.body.payment_intent_id);
      expect(await sql`select 1 from public.invoices where booking_id = ${id}`).toHaveLength(1);
    }
  });

  it("refuses another member's booking (404), a free booking (422) and a closed one (409)", async () => {
    const m = await track(createUser());
    const other = await track(createUser());
    const id = await booking(m.id, 60);
    expect(await call("booking-payment", other.id, { booking_id: id })).toMatchObject({ status: 404, body: { error: { code: "booking_not_found" } } });
    expect(await call("booking-payment", expert.id, { booking_id: id })).toMatchObject({ status: 404 });
    await sql`update public.expert_profiles set hourly_rate_cents = 0 where id = ${expert.id}`;
    const free = await booking(m.id, 60);
    await sql`update public.expert_profiles set hourly_rate_cents = 9000 where id = ${expert.id}`;
    expect(await call("booking-payment", m.id, { booking_id: free })).toMatchObject({ status: 422, body: { error: { code: "nothing_to_pay" } } });
    ok(await (await memberClient(m.id)).rpc("set_booking_status", { booking_id: id, new_status: "cancelled" }));
    expect(await call("booking-payment", m.id, { booking_id: id })).toMatchObject({ status: 409, body: { error: { code: "booking_closed" } } });
    expect(await sql`select 1 from public.invoices where booking_id in ${sql([id, free])}`).toHaveLength(0);
  });

  it("cancellation refunds the card part through Stripe and the credit part through the ledger", async () => {
    const m = await track(createBillingMember());
    await sql`select private.adjust_credits(${m.id}, 5000, ${`bc-${m.id}`}, 'test credits')`;
    const id = await booking(m.id, 60);
    ok(await (await memberClient(m.id)).rpc("apply_credits", { booking_id: id }));
    const pay = await call("booking-payment", m.id, { booking_id: id });
    expect(pay.body).toMatchObject({ amount_cents: 4500, credits_applied_cents: 4500, price_cents: 9000 });
    const pi = pay.body.payment_intent_id as string;
    const paid = event("payment_intent.succeeded", now(), paymentIntent({ id: pi, customer: m.customer, amount: 4500, status: "succeeded", bookingId: id, memberId: m.id }));
    expect(await (await deliver(paid)).json()).toMatchObject({ outcome: "applied" });
    expect(await sql`select status, amount_paid_cents from public.invoices where booking_id = ${id}`).toEqual([{ status: "paid", amount_paid_cents: 4500 }]);
    const [{ balance_cents: before }] = await sql`select balance_cents from public.credit_accounts where user_id = ${m.id}`;

    const res = await call("booking-payment", m.id, { booking_id: id, action: "cancel" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: "cancelled", card: { refund_id: expect.stringMatching(/^re_/) }, credits_refunded_cents: 4500 });
    expect(await sql`select status from public.bookings where id = ${id}`).toEqual([{ status: "cancelled" }]);
    const [{ balance_cents: after }] = await sql`select balance_cents from public.credit_accounts where user_id = ${m.id}`;
    expect(after - before).toBe(4500);
    await deliver(event("charge.refunded", now() + 1, refundedCharge({ paymentIntent: pi, customer: m.customer, amount: 4500, refunded: 4500, bookingId: id })));
    expect(await sql`select status, amount_refunded_cents from public.invoices where booking_id = ${id}`).toEqual([{ status: "refunded", amount_refunded_cents: 4500 }]);
    // Cancelling twice is refused and refunds nothing more.
    expect(await call("booking-payment", m.id, { booking_id: id, action: "cancel" })).toMatchObject({ status: 409, body: { error: { code: "booking_closed" } } });
    expect((await sql`select balance_cents from public.credit_accounts where user_id = ${m.id}`)[0].balance_cents).toBe(after);
  });

  it("cancelling an unpaid booking cancels its PaymentIntent", async () => {
    const m = await track(createUser());
    const id = await booking(m.id, 30);
    const pay = await call("booking-payment", m.id, { booking_id: id });
    const res = await call("booking-payment", m.id, { booking_id: id, action: "cancel" });
    expect(res).toMatchObject({ status: 200, body: { status: "cancelled", card: { canceled_payment_intent: pay.body.payment_intent_id }, credits_refunded_cents: 0 } });
  });
});

describe.skipIf(stripeSkipReason)(`bad input to every billing function: 4xx JSON with a code, never 5xx, nothing written${skipNote(stripeSkipReason)}`, () => {
  it("answers every malformed, foreign or unauthorised request with a 4xx error shape and writes nothing", async () => {
    const m = await track(createBillingMember());
    const other = await track(createUser());
    const uuid = "00000000-0000-4000-8000-000000000000";
    const cases: Array<[string, string | null, unknown, { raw?: string; method?: string }?]> = [];
    const everywhere = (fn: string) => {
      cases.push([fn, m.id, undefined, { raw: "{not json" }], [fn, m.id, undefined, { raw: "[]" }], [fn, m.id, undefined, { raw: "null" }],
                 [fn, m.id, { unexpected: true }], [fn, m.id, "a string"], [fn, null, {}], [fn, m.id, {}, { method: "PUT" }], [fn, m.id, undefined, { raw: "9".repeat(400) }]);
    };
    for (const fn of ["billing-checkout", "billing-portal", "billing-change-plan", "billing-payment-methods", "booking-payment"]) everywhere(fn);
    cases.push(
      ["billing-checkout", m.id, { plan: "PRO!", success_url: back, cancel_url: back }],
      ["billing-checkout", m.id, { plan: plans.pro.code, success_url: "not a url", cancel_url: back }],
      ["billing-checkout", m.id, { plan: plans.pro.code, success_url: "https://evil.example/", cancel_url: back }],
      ["billing-checkout", m.id, { plan: plans.pro.code, success_url: back }],
      ["billing-checkout", m.id, { plan: ["pro"], success_url: back, cancel_url: back }],
      ["billing-checkout", m.id, { plan: "x".repeat(500), success_url: back, cancel_url: back }],
      ["billing-portal", m.id, { return_url: "ftp://127.0.0.1:3000/x" }],
      ["billing-portal", m.id, { return_url: back, extra: 1 }],
      ["billing-portal", other.id, { return_url: back }],
      ["billing-change-plan", m.id, { action: "upgrade", plan: plans.pro.code }],
      ["billing-change-plan", m.id, { action: "change" }],
      ["billing-change-plan", m.id, { action: "change", plan: plans.pro.code }],
      ["billing-change-plan", m.id, { action: "cancel", plan: plans.pro.code }],
      ["billing-change-plan", other.id, { action: "resume" }],
      ["billing-payment-methods", m.id, { action: "detach" }],
      ["billing-payment-methods", m.id, { action: "detach", payment_method_id: "card_123" }],
      ["billing-payment-methods", m.id, { action: "detach", payment_method_id: "pm_doesnotexist" }],
      ["billing-payment-methods", m.id, { action: "set_default", payment_method_id: "pm_x'; drop table x;--" }],
      ["billing-payment-methods", m.id, { action: "add", card: "4242424242424242" }],
      ["booking-payment", m.id, { booking_id: "not-a-uuid" }],
      ["booking-payment", m.id, { booking_id: uuid }],
      ["booking-payment", m.id, { booking_id: uuid, action: "refund" }],
      ["booking-payment", m.id, { booking_id: uuid, amount_cents: 1 }],
      ["booking-payment", m.id, { booking_id: 42 }],
    );
    const before = await billingRowCounts();
    const answers: string[] = [];
    for (const [fn, who, body, opts] of cases) {
      const res = await call(fn, who, body, opts);
      const label = `${fn} ${opts?.method ?? "POST"} ${opts?.raw?.slice(0, 20) ?? JSON.stringify(body)} -> ${res.status}`;
      answers.push(label);
      expect(res.status, label).toBeGreaterThanOrEqual(400);
      expect(res.status, label).toBeLessThan(500);
      const code = res.body?.error?.code ?? (res.body?.msg === "Invalid JWT" ? "invalid_jwt" : undefined);
      expect(code, label).toMatch(/^[a-z_0-9]+$/);
    }
    expect(await billingRowCounts()).toEqual(before);
    expect(answers.length).toBeGreaterThan(60);
  });

  it("answers the service key and the anon key as not a member (401), and writes nothing", async () => {
    const before = await billingRowCounts();
    for (const fn of ["billing-checkout", "billing-portal", "billing-change-plan", "billing-payment-methods", "booking-payment"]) {
      for (const token of [await signAccessToken(serviceClaims), stack.anonKey]) {
        const res = await fetch(`${stack.apiUrl}/functions/v1/${fn}`, { method: "POST", headers: { apikey: stack.anonKey, authorization: `Bearer ${token}` }, body: "{}" });
        expect(res.status, fn).toBe(401);
        expect(await res.json()).toMatchObject({ error: { code: "not_signed_in" } });
      }
    }
    expect(await billingRowCounts()).toEqual(before);
  });
});

describe.skipIf(stripeSkipReason ?? authSkipReason)(`account deletion and billing${skipNote(stripeSkipReason ?? authSkipReason)}`, () => {
  it("cancels the subscription and detaches the cards in Stripe first, then keeps the invoices anonymised", async () => {
    // A user as Auth creates it (the admin API deletes it), with a Stripe customer link.
    const { data, error } = await serviceClient().auth.admin.createUser({ email: `billing-del-${Date.now()}@example.test`, password: "password-1", email_confirm: true });
    expect(error).toBeNull();
    const m: BillingMember = { id: data.user!.id, email: data.user!.email!, customer: stripeId("cus") };
    await sql`insert into public.billing_customers (user_id, stripe_customer_id) values (${m.id}, ${m.customer})`;
    const sub = stripeId("sub");
    await subscriptionEvent(m, sub, plans.pro.price, { type: "customer.subscription.created" });
    await deliver(event("payment_method.attached", now(), paymentMethod({ id: stripeId("pm"), customer: m.customer })));
    const inv = stripeId("in");
    await deliver(event("invoice.paid", now(), { id: inv, object: "invoice", customer: m.customer, status: "paid", number: "MB-DEL", amount_due: 2900, amount_paid: 2900,
                                                 currency: "usd", hosted_invoice_url: "https://invoice.stripe.test/del", subscription: sub }));
    const res = await call("account-delete", m.id, {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.billing).toEqual({ subscriptions_canceled: 1, payment_methods_detached: 1 });
    expect(await sql`select 1 from public.subscriptions where stripe_subscription_id = ${sub}`).toHaveLength(0);
    expect(await sql`select user_id, hosted_invoice_url, amount_paid_cents, number from public.invoices where stripe_invoice_id = ${inv}`)
      .toEqual([{ user_id: null, hosted_invoice_url: null, amount_paid_cents: 2900, number: "MB-DEL" }]);
    await sql`delete from public.invoices where stripe_invoice_id = ${inv}`;
  });
});
