// A function whose transaction Postgres undoes because it collided with another (a deadlock or a
// serialization failure) must answer 503 transaction_conflict with Retry-After, never 500: the
// request was fine and running it again succeeds. This makes affiliate-credit deadlock for real: it
// locks the referral, then the referrer's credit account; a SQL session holds that account and then
// asks for the referral. The function, waiting first, is the one Postgres undoes.
import { afterAll, describe, expect, it } from "vitest";
import { memberClaims, sql } from "./helpers/db.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { createUser, deleteUser, type TestUser } from "./helpers/users.ts";
import { stack } from "./helpers/stack.ts";
import { jobsPausedDuringFile } from "./helpers/schedule.ts";

jobsPausedDuringFile("referral-sweep"); // the sweep would credit the referral itself

const made: TestUser[] = [];
afterAll(async () => {
  for (const u of made) await deleteUser(u.id);
});

async function credit(member: TestUser): Promise<{ status: number; retryAfter: string | null; body: { status?: string; error?: { code: string } } }> {
  const res = await fetch(`${stack.apiUrl}/functions/v1/affiliate-credit`, {
    method: "POST",
    headers: { apikey: stack.anonKey, authorization: `Bearer ${await signAccessToken(memberClaims(member.id))}`, "content-type": "application/json" },
    body: "{}",
  });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as { status?: string; error?: { code: string } } };
}

async function waitForWaiters(n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [{ waiting }] = await sql<{ waiting: number }[]>`select count(distinct pid)::int as waiting from pg_locks where not granted`;
    if (waiting >= n) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`fewer than ${n} sessions came to wait for a lock`);
}

describe("functions under a deadlock", () => {
  it("affiliate-credit undone by a deadlock answers 503 transaction_conflict with Retry-After; the retry credits once", async () => {
    const referrer = await createUser();
    made.push(referrer);
    const [{ code }] = await sql<{ code: string }[]>`select code from public.referral_codes where user_id = ${referrer.id}`;
    const member = await createUser({ metadata: { referral_code: code } });
    made.push(member);
    const [{ id: referral }] = await sql<{ id: string }[]>`select id from public.referrals where referred_id = ${member.id}`;

    const holder = await sql.reserve();
    let reply: Awaited<ReturnType<typeof credit>>;
    try {
      await holder`begin`;
      await holder`select 1 from public.credit_accounts where user_id = ${referrer.id} for update`;
      const pending = credit(member); // locks the referral, then waits for the account
      await waitForWaiters(1);
      // The other half of the cycle: the holder now waits for the function's referral row.
      const other = holder`select 1 from public.referrals where id = ${referral} for update`.execute(); // sent now, not when awaited
      reply = await pending;
      await other;
    } finally {
      await holder`rollback`.catch(() => {});
      holder.release();
    }
    expect([reply.status, reply.body.error?.code, reply.retryAfter]).toEqual([503, "transaction_conflict", "1"]);

    const retry = await credit(member);
    expect([retry.status, retry.body.status]).toEqual([200, "credited"]);
    const [{ grants, balance }] = await sql<{ grants: number; balance: number }[]>`
      select (select count(*)::int from public.credit_transactions where source = 'referral' and source_id = ${referral}) as grants,
             (select balance_cents from public.credit_accounts where user_id = ${referrer.id}) as balance`;
    expect([grants, balance]).toEqual([1, 1000]);
  }, 60000);
});
