// 200 spend / credit / retry / cancel / adjust operations at once, across four members: the
// members' calls as supabase-js RPCs through the gateway and PostgREST (several clients per
// member), the operator's as the server code runs them (the private functions over the service
// connection, several pools). Afterwards every balance equals the sum of its ledger, none is
// negative, every running balance is consistent, each referral was granted exactly once and each
// booking spent and refunded at most once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { randomUUID } from "node:crypto";
import { sql } from "./helpers/db.ts";
import { memberClient, type ApiClient } from "./helpers/rest.ts";
import { createUser, type TestUser } from "./helpers/users.ts";
import { stack } from "./helpers/stack.ts";

/** Operator paths (private.*) are not exposed through PostgREST: server code calls them over SUPABASE_DB_URL. */
const servicePools = Array.from({ length: 4 }, () => postgres(stack.dbUrl, { max: 5, onnotice: () => {} }));

type Op =
  | { label: string; key: string; member: TestUser; rpc: "apply_credits" | "set_booking_status"; args: Record<string, unknown> }
  | { label: string; key: string; query: string; params: (string | number)[] };

interface Result {
  label: string;
  key: string;
  ok: boolean;
  code?: string;
  status?: number;
}

/** One member's clients (tokens with distinct sessions), so their requests are independent connections' work. */
const clients = new Map<string, ApiClient[]>();

/** One committed request: a member's RPC through PostgREST, or an operator statement on the service connection. */
async function run(op: Op, i: number): Promise<Result> {
  const base = { label: op.label, key: op.key };
  if ("rpc" in op) {
    const pool = clients.get(op.member.id)!;
    const { error, status } = await pool[i % pool.length].rpc(op.rpc, op.args as never);
    return error ? { ...base, ok: false, code: error.code, status } : { ...base, ok: true, status };
  }
  try {
    await servicePools[i % servicePools.length].unsafe(op.query, op.params);
    return { ...base, ok: true };
  } catch (e) {
    return { ...base, ok: false, code: (e as { code?: string }).code ?? String(e) };
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

const members: TestUser[] = [];
const referrals: string[] = [];
const bookings: { id: string; member: TestUser; price: number }[] = [];
const prices = [999, 1001, 333, 1500, 2477, 61];

beforeAll(async () => {
  const expert = await createUser();
  await sql`update public.profiles set role = 'expert' where id = ${expert.id}`;
  await sql`insert into public.expert_profiles (id, verification_status, verified_at, hourly_rate_cents) values (${expert.id}, 'verified', now(), 6000)`;
  for (let m = 0; m < 4; m++) {
    const member = await createUser();
    members.push(member);
    const [{ code }] = await sql<{ code: string }[]>`select code from public.referral_codes where user_id = ${member.id}`;
    for (let r = 0; r < 10; r++) {
      const referred = await createUser({ metadata: { referral_code: code } });
      const [{ id }] = await sql<{ id: string }[]>`select id from public.referrals where referred_id = ${referred.id}`;
      referrals.push(id);
    }
    await sql`select private.adjust_credits(${member.id}, 2000, ${`conc-start-${member.id}`})`;
    clients.set(member.id, await Promise.all(Array.from({ length: 3 }, () => memberClient(member.id))));
    for (let b = 0; b < 12; b++) {
      const id = randomUUID();
      const price = prices[(m + b) % prices.length];
      await sql`insert into public.bookings (id, member_id, expert_id, scheduled_at, duration_minutes, price_cents)
                values (${id}, ${member.id}, ${expert.id}, now() + interval '7 days', 60, ${price})`;
      bookings.push({ id, member, price });
    }
  }
}, 60000);

afterAll(async () => {
  await Promise.all(servicePools.map((p) => p.end()));
});

describe("credits under concurrency", () => {
  it("200 concurrent operations leave balance = sum(ledger), never negative, one grant per referral", async () => {
    const ops: Op[] = [];
    // 80: every referral credited twice at once (a retry racing the first call).
    for (const id of referrals) {
      for (let k = 0; k < 2; k++) ops.push({ label: "credit", key: id, query: "select private.credit_referral($1)", params: [id] });
    }
    // 72: every booking checked out, half of them twice (a retried checkout).
    bookings.forEach((b, i) => {
      const spend: Op = { label: "apply", key: b.id, member: b.member, rpc: "apply_credits", args: { booking_id: b.id } };
      ops.push(spend);
      if (i % 2 === 0) ops.push({ ...spend, label: "apply-retry" });
    });
    // 24: half the bookings cancelled while their checkouts run.
    bookings.forEach((b, i) => {
      if (i % 2 === 1) ops.push({ label: "cancel", key: b.id, member: b.member, rpc: "set_booking_status", args: { booking_id: b.id, new_status: "cancelled" } });
    });
    // 24: operator adjustments (some taking credits away), each reference posted twice.
    for (let k = 0; k < 12; k++) {
      const member = members[k % members.length];
      const amount = k % 3 === 0 ? -700 : 250;
      const ref = `conc-adjust-${k}-${member.id}`;
      for (let t = 0; t < 2; t++) {
        ops.push({ label: "adjust", key: ref, query: "select private.adjust_credits($1, $2, $3)", params: [member.id, amount, ref] });
      }
    }
    expect(ops).toHaveLength(200);

    const started = performance.now();
    const results = await Promise.all(shuffle(ops).map((op, i) => run(op, i)));
    const ms = Math.round(performance.now() - started);
    console.log(`200 concurrent credit operations in ${ms} ms; ${results.filter((r) => r.ok).length} succeeded, refusals: ${JSON.stringify(
      results.filter((r) => !r.ok).reduce<Record<string, number>>((acc, r) => ({ ...acc, [`${r.label}:${r.code}`]: (acc[`${r.label}:${r.code}`] ?? 0) + 1 }), {}))}`);

    // Only business refusals (22023: no credits left, booking already cancelled, ...), which
    // PostgREST answers 400: no deadlock, no 5xx.
    expect(results.filter((r) => !r.ok && r.code !== "22023")).toEqual([]);
    expect(results.filter((r) => r.status !== undefined && r.status >= 500)).toEqual([]);
    expect(results.filter((r) => !r.ok && r.status !== undefined && r.status !== 400)).toEqual([]);
    expect(results.filter((r) => r.label === "credit").every((r) => r.ok)).toBe(true);

    const ids = members.map((m) => m.id);
    expect(await sql`select * from private.credit_balance_drift()`).toEqual([]);
    const [{ negative }] = await sql<{ negative: number }[]>`select count(*)::int as negative from public.credit_accounts where balance_cents < 0`;
    expect(negative).toBe(0);

    // Running balances: within an account, entries were serialised, so each balance_after is the prefix sum.
    const broken = await sql`
      select id from (
        select t.id, t.balance_after_cents, sum(t.amount_cents) over (partition by t.account_id order by t.id) as prefix
        from public.credit_transactions t join public.credit_accounts a on a.id = t.account_id where a.user_id = any(${ids}::uuid[])
      ) x where balance_after_cents <> prefix`;
    expect(broken).toEqual([]);

    // Exactly one grant per referral, each referral credited.
    const grants = await sql<{ source_id: string; n: number }[]>`
      select source_id, count(*)::int as n from public.credit_transactions where kind = 'referral_bonus' and source_id = any(${referrals}) group by source_id`;
    expect(grants).toHaveLength(referrals.length);
    expect(grants.every((g) => g.n === 1)).toBe(true);
    const [{ credited }] = await sql<{ credited: number }[]>`select count(*)::int as credited from public.referrals where id = any(${referrals}::uuid[]) and status = 'credited'`;
    expect(credited).toBe(referrals.length);

    // Adjustments: one entry per reference.
    const [{ adjustments }] = await sql<{ adjustments: number }[]>`
      select count(*)::int as adjustments from public.credit_transactions
      where source = 'admin' and source_id = any(${[...new Set(results.filter((r) => r.label === "adjust").map((r) => r.key))]})`;
    expect(adjustments).toBe(new Set(results.filter((r) => r.label === "adjust" && r.ok).map((r) => r.key)).size);

    // Bookings: applied credits equal the one spend, within the cap; cancelled ones refunded exactly once.
    const rows = await sql<{ id: string; price: number; status: string; applied: number; spends: number; spent: number; refunds: number; refunded: number }[]>`
      select b.id, b.price_cents as price, b.status::text, b.credits_applied_cents as applied,
             count(t.id) filter (where t.kind = 'spend')::int as spends, coalesce(-sum(t.amount_cents) filter (where t.kind = 'spend'), 0)::int as spent,
             count(t.id) filter (where t.kind = 'refund')::int as refunds, coalesce(sum(t.amount_cents) filter (where t.kind = 'refund'), 0)::int as refunded
      from public.bookings b left join public.credit_transactions t on t.source = 'booking' and t.source_id = b.id::text
      where b.id = any(${bookings.map((b) => b.id)}::uuid[]) group by b.id`;
    expect(rows).toHaveLength(bookings.length);
    for (const b of rows) {
      expect(b.spends).toBeLessThanOrEqual(1);
      expect(b.applied).toBe(b.spent);
      expect(b.applied).toBeLessThanOrEqual(Math.floor(b.price / 2));
      expect(b.refunds).toBe(b.status === "cancelled" && b.spends === 1 ? 1 : 0);
      expect(b.refunded).toBe(b.status === "cancelled" ? b.spent : 0);
    }
    // Something of each kind really happened, so the checks above were not vacuous.
    expect(rows.filter((b) => b.spends === 1).length).toBeGreaterThan(0);
    expect(rows.filter((b) => b.status === "cancelled")).toHaveLength(24);
    expect(rows.filter((b) => b.refunds === 1).length).toBeGreaterThan(0);
  });
});
