// The billing group of `npm run bench`: Stripe webhook deliveries (signed as Stripe signs them)
// through the gateway to stripe-webhook and into the database, against the trivial health function
// in the same alternating run; duplicates against first deliveries; sequential throughput.
import postgres from "postgres";
import { apiUrl } from "../stack/core/config.ts";
import { stripeFunctionEnv } from "../stack/services/stripe.ts";
import { event, signature, subscription } from "../stack/test-kit/stripe-events.ts";
import { budgetFromEnv, measure } from "./measure.ts";
import { getOk } from "./requests.ts";
import type { Row } from "./report.ts";

const webhookUrl = `${apiUrl}/functions/v1/stripe-webhook`;

interface Signed {
  body: string;
  header: string;
}

async function post(s: Signed): Promise<string> {
  const res = await fetch(webhookUrl, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": s.header }, body: s.body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`stripe-webhook answered ${res.status}: ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { outcome: string }).outcome;
}

/**
 * Rows for the report. `members` are member ids of the loaded data; `headers(i)` a member's
 * request headers for the health function. Every first delivery is a new event that moves one
 * member's subscription forward (applied); a duplicate redelivers an event already applied.
 */
export async function billingRows(db: postgres.Sql, sampled: string[], headers: (i: number) => Record<string, string>): Promise<Row[]> {
  const members = [...new Set(sampled)];
  const secret = stripeFunctionEnv().STRIPE_WEBHOOK_SECRET;
  const run = Date.now().toString(36);
  const price = `price_bench${run}`;
  await db`insert into public.plans (code, name, price_cents, features, stripe_price_id)
           values (${`bench-${run}`}, 'Bench', 1000, '{"saved_search_notify_limit": 5, "booking_fee_discount_percent": 0, "priority_support": false}', ${price})`;
  const customers = members.map((_, k) => `cus_bench${run}x${k}`);
  await db`insert into public.billing_customers ${db(members.map((user_id, k) => ({ user_id, stripe_customer_id: customers[k] })))}
           on conflict (user_id) do update set stripe_customer_id = excluded.stripe_customer_id`;

  let n = 0;
  const t0 = Math.floor(Date.now() / 1000);
  const fresh = (): Signed => {
    const k = n % members.length;
    n++;
    // Each event is newer than the last for its member's subscription, so it is applied.
    const e = event("customer.subscription.updated", t0 + n,
      subscription({ id: `sub_bench${run}x${k}`, customer: customers[k], price, status: "active", periodStart: t0, periodEnd: t0 + 30 * 86400 }),
      { id: `evt_bench${run}x${n}` });
    const body = JSON.stringify(e);
    return { body, header: signature(body, secret) };
  };
  const applied: Signed[] = [];
  const timed = async (s: Signed, expect: string[]) => {
    const t = performance.now();
    const outcome = await post(s);
    const elapsed = performance.now() - t;
    if (!expect.includes(outcome)) throw new Error(`expected ${expect.join("/")}, got ${outcome}`);
    return elapsed;
  };

  console.log("bench: stripe-webhook deliveries vs health (alternating)");
  const r = await measure(
    {
      health: async (i) => void (await getOk(`${apiUrl}/functions/v1/health`, headers(i))),
      // Signing happens before the clock starts: it is Stripe's work, not ours.
      first: async () => {
        const s = fresh();
        const ms = await timed(s, ["applied"]);
        applied.push(s);
        return ms;
      },
      duplicate: async (i) => {
        const s = applied.length ? applied[Math.abs(i) % applied.length] : fresh();
        // Re-sign now: a redelivery carries a new timestamp (the old one may be past the tolerance).
        return await timed({ body: s.body, header: signature(s.body, secret) }, applied.length ? ["duplicate"] : ["applied"]);
      },
    },
    budgetFromEnv({ warmup: 30, iterations: 1000, seconds: 20 }),
  );

  // Sequential throughput of distinct events: one after another, signing included in neither.
  console.log("bench: stripe-webhook sequential throughput (distinct events)");
  const count = Math.max(200, Math.min(2000, Math.floor(Number(process.env.BENCH_ITERATIONS ?? 1000))));
  const batch = Array.from({ length: count }, fresh);
  const start = performance.now();
  for (const s of batch) await timed(s, ["applied"]);
  const perSecond = count / ((performance.now() - start) / 1000);

  const ms = (x: number) => `${x.toFixed(2)} ms`;
  const times = (x: number) => `${x.toFixed(2)}×`;
  const [{ events }] = await db<{ events: number }[]>`select count(*)::int as events from public.stripe_events where id like ${`evt_bench${run}x%`}`;
  return [
    { metric: "stripe-webhook first delivery p50 / p95 (signed event → gateway → Deno → verify → apply)", value: `${ms(r.first.p50)} / ${ms(r.first.p95)} (n=${r.first.n})`, target: "" },
    { metric: "stripe-webhook ÷ health (p50)", value: times(r.first.p50 / r.health.p50), target: "≤ 2×", pass: r.first.p50 / r.health.p50 <= 2,
      note: `health ${ms(r.health.p50)} in the same run` },
    { metric: "duplicate delivery ÷ first delivery (p50)", value: times(r.duplicate.p50 / r.first.p50), target: "≤ 1×", pass: r.duplicate.p50 / r.first.p50 <= 1,
      note: `duplicate ${ms(r.duplicate.p50)} / ${ms(r.duplicate.p95)} (n=${r.duplicate.n})` },
    { metric: "stripe-webhook sequential throughput (distinct events)", value: `${perSecond.toFixed(0)} events/s`, target: "≥ 200 events/s", pass: perSecond >= 200,
      note: `${count} events one after another; ${events} event ids recorded` },
  ];
}
