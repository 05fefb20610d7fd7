// The affiliate-credit function through the gateway with signed JWTs: every documented outcome,
// replays and concurrent calls, and that nothing is lost or granted twice.
import { describe, expect, it } from "vitest";
import { memberClaims, sql } from "./helpers/db.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { createUser, deleteUser, type TestUser } from "./helpers/users.ts";
import { stack } from "./helpers/stack.ts";
import { jobsPausedDuringFile } from "./helpers/schedule.ts";

jobsPausedDuringFile("referral-sweep"); // this file counts what its own calls did

const url = `${stack.apiUrl}/functions/v1/affiliate-credit`;

interface Reply {
  status: number;
  body: { status?: string; referral_id?: string; amount_cents?: number; error?: { code: string; message: string; details?: Record<string, unknown> } } & Record<string, unknown>;
}

async function post(token: string | null, body: unknown, method = "POST"): Promise<Reply> {
  const res = await fetch(url, {
    method,
    headers: { apikey: stack.anonKey, "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: method === "GET" ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Reply["body"] };
}

const asMember = async (user: TestUser, body: unknown = {}) => post(await signAccessToken(memberClaims(user.id)), body);
const asService = (body: unknown) => post(stack.serviceRoleKey, body);

async function codeOf(user: TestUser): Promise<string> {
  const [row] = await sql<{ code: string }[]>`select code from public.referral_codes where user_id = ${user.id}`;
  return row.code;
}

async function balanceOf(user: TestUser): Promise<number> {
  const [row] = await sql<{ balance: number }[]>`select balance_cents as balance from public.credit_accounts where user_id = ${user.id}`;
  return row.balance;
}

async function referralOf(user: TestUser) {
  const [row] = await sql<{ id: string; status: string; reason: string | null }[]>`select id, status::text, reason from public.referrals where referred_id = ${user.id}`;
  return row;
}

async function grants(referralId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from public.credit_transactions where source = 'referral' and source_id = ${referralId}`;
  return row.n;
}

async function referredBy(referrer: TestUser, opts: { confirmed?: boolean; camel?: boolean } = {}): Promise<TestUser> {
  const code = await codeOf(referrer);
  return createUser({ confirmed: opts.confirmed, metadata: opts.camel ? { referralCode: code } : { referral_code: code } });
}

describe("affiliate-credit", () => {
  it("credits the referrer once the referred member's email is verified", async () => {
    const referrer = await createUser();
    const member = await referredBy(referrer);
    const reply = await asMember(member);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: "credited", amount_cents: 1000, referral_id: (await referralOf(member)).id });
    expect(await balanceOf(referrer)).toBe(1000);
    expect((await referralOf(member)).status).toBe("credited");
  });

  it("answers replays with 409 already_credited and grants nothing more", async () => {
    const referrer = await createUser();
    const member = await referredBy(referrer, { camel: true });
    expect((await asMember(member)).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const replay = await asMember(member);
      expect(replay.status).toBe(409);
      expect(replay.body.error?.code).toBe("already_credited");
    }
    const { id } = await referralOf(member);
    expect((await asService({ referral_id: id })).body.error?.code).toBe("already_credited");
    expect(await grants(id)).toBe(1);
    expect(await balanceOf(referrer)).toBe(1000);
  });

  it("credits exactly once when the same member calls ten times at once", async () => {
    const referrer = await createUser();
    const member = await referredBy(referrer);
    const token = await signAccessToken(memberClaims(member.id));
    const replies = await Promise.all(Array.from({ length: 10 }, () => post(token, {})));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409 && r.body.error?.code === "already_credited")).toHaveLength(9);
    expect(await grants((await referralOf(member)).id)).toBe(1);
    expect(await balanceOf(referrer)).toBe(1000);
  });

  it("refuses an unverified email with 422, then credits after verification", async () => {
    const referrer = await createUser();
    const member = await referredBy(referrer, { confirmed: false });
    const early = await asMember(member);
    expect(early.status).toBe(422);
    expect(early.body.error?.code).toBe("email_not_verified");
    const referral = await referralOf(member);
    expect(referral.status).toBe("pending");
    expect(await grants(referral.id)).toBe(0);

    await sql`update auth.users set email_confirmed_at = now() where id = ${member.id}`;
    expect((await referralOf(member)).status).toBe("qualified");
    expect((await asMember(member)).status).toBe(200);
    expect(await balanceOf(referrer)).toBe(1000);
  });

  it("ignores an unknown code at sign-up (404 no_referral) and refuses claiming one (404 unknown_code)", async () => {
    const member = await createUser({ metadata: { referral_code: "ZZZZZZZZZZ" } });
    expect(await balanceOf(member)).toBe(0); // the sign-up itself succeeded, account and all
    const none = await asMember(member);
    expect(none.status).toBe(404);
    expect(none.body.error?.code).toBe("no_referral");
    const unknown = await asMember(member, { code: "NOPE-NOPE-NOPE" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe("unknown_code");
  });

  it("refuses self-referral with 422 and records nothing", async () => {
    const member = await createUser();
    const reply = await asMember(member, { code: (await codeOf(member)).toLowerCase() });
    expect(reply.status).toBe(422);
    expect(reply.body.error?.code).toBe("self_referral");
    expect(await referralOf(member)).toBeUndefined();
    expect(await balanceOf(member)).toBe(0);
  });

  it("lets a member who signed up without a code claim one, once", async () => {
    const referrer = await createUser();
    const other = await createUser();
    const member = await createUser();
    const claimed = await asMember(member, { code: await codeOf(referrer) });
    expect(claimed.status).toBe(200);
    expect(await balanceOf(referrer)).toBe(1000);
    const second = await asMember(member, { code: await codeOf(other) });
    expect(second.status).toBe(409);
    expect(second.body.error?.code).toBe("already_referred");
    expect(await balanceOf(other)).toBe(0);
  });

  it("refuses a suspended referrer with 403 and credits once they are reinstated (by the sweep)", async () => {
    const referrer = await createUser();
    const member = await referredBy(referrer);
    await sql`update public.profiles set status = 'suspended' where id = ${referrer.id}`;
    const reply = await asMember(member);
    expect(reply.status).toBe(403);
    expect(reply.body.error).toMatchObject({ code: "referrer_inactive", details: { reason: "referrer_suspended" } });
    expect(await balanceOf(referrer)).toBe(0);

    await sql`update public.profiles set status = 'active' where id = ${referrer.id}`;
    const sweep = await asService({ sweep: true });
    expect(sweep.status).toBe(200);
    expect((sweep.body.outcomes as Record<string, number>).credited).toBeGreaterThanOrEqual(1);
    expect(await balanceOf(referrer)).toBe(1000);
    expect((await asMember(member)).body.error?.code).toBe("already_credited");
  });

  it("refuses the code of a deleted member with 403 and keeps the referral as rejected", async () => {
    const referrer = await createUser();
    const member = await referredBy(referrer, { confirmed: false });
    await deleteUser(referrer.id);
    await sql`update auth.users set email_confirmed_at = now() where id = ${member.id}`;
    const reply = await asMember(member);
    expect(reply.status).toBe(403);
    expect(reply.body.error).toMatchObject({ code: "referrer_inactive", details: { reason: "referrer_deleted" } });
    expect(await referralOf(member)).toMatchObject({ status: "rejected", reason: "referrer_deleted" });
    expect(await grants((await referralOf(member)).id)).toBe(0);
  });

  it("sweeps every verified referral with the service role, and only with it", async () => {
    const referrer = await createUser();
    const members = await Promise.all([referredBy(referrer), referredBy(referrer), referredBy(referrer, { confirmed: false })]);
    const sweep = await asService({ sweep: true });
    expect(sweep.status).toBe(200);
    expect(sweep.body.checked).toBeGreaterThanOrEqual(2);
    expect(await balanceOf(referrer)).toBe(2000);
    expect((await referralOf(members[2])).status).toBe("pending");
    expect(((await asService({ sweep: true })).body.outcomes as Record<string, number>).credited ?? 0).toBe(0);

    const memberSweep = await asMember(members[0], { sweep: true });
    expect(memberSweep.status).toBe(403);
    expect(memberSweep.body.error?.code).toBe("forbidden");
    const anonSweep = await post(stack.anonKey, { sweep: true });
    expect(anonSweep.status).toBe(401);
    expect(await balanceOf(referrer)).toBe(2000);
  });

  it("answers bad requests in the shared error shape", async () => {
    const member = await createUser();
    const token = await signAccessToken(memberClaims(member.id));
    expect((await post(null, {})).status).toBe(401); // the gateway: no JWT
    const bad = await post(token, { code: 42 });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe("invalid_request");
    expect((await post(token, { unexpected: true })).status).toBe(400);
    expect((await post(token, {}, "GET")).status).toBe(405);
    expect((await asService({})).status).toBe(400);
  });
});
