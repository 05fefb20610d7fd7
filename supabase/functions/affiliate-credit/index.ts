// affiliate-credit: credits the member who referred the caller ($10 by default, from
// private.credit_settings) once the caller's email is verified. How it is triggered:
//   - the referred member's app calls it (member JWT, body `{}`) after the member has verified
//     their email, e.g. on the first SIGNED_IN with `user.email_confirmed_at` set; a member who
//     signed up without a code (OAuth sign-ups carry no metadata) may send `{ "code": "..." }`
//     within 30 days of sign-up to claim one first;
//   - a periodic job calls it with the service role key or a secret key and `{ "sweep": true }` (optionally
//     `"limit"`), crediting every open referral whose member has verified their email, so no
//     bonus depends on the client calling; `{ "referral_id": "..." }` retries one referral.
// All deciding and recording happens in one SQL function (private.credit_referral, reached via
// private.claim_referral_credit) under the referral's row lock, and the ledger's grant key
// ('referral', referral id, 'referral_bonus') makes retries, replays and concurrent calls credit once.
import { z } from "zod";
import { parseBody, serve } from "../_shared/handler.ts";
import { HttpError, json } from "../_shared/errors.ts";
import { memberClaims } from "../_shared/claims.ts";
import { isServiceCaller } from "../_shared/service-role.ts";
import { sql } from "../_shared/db.ts";
import type postgres from "postgres";

const body = z
  .object({
    code: z.string().trim().min(1).max(64).optional(),
    sweep: z.literal(true).optional(),
    limit: z.number().int().min(1).max(5000).optional(),
    referral_id: z.guid().optional(),
  })
  .strict();

interface Outcome {
  outcome: string;
  referral_id?: string;
  amount_cents?: number;
  transaction_id?: number;
  reason?: string;
  status?: string;
}

// The documented answer for every outcome of the SQL functions.
const refusals: Record<string, [number, string]> = {
  already_credited: [409, "This referral has already been credited"],
  email_not_verified: [422, "Verify your email address first; the referral is credited after that"],
  no_referral: [404, "No referral is linked to this account"],
  unknown_code: [404, "No member has this referral code"],
  self_referral: [422, "You cannot refer yourself"],
  already_referred: [409, "This account is already linked to another referral code"],
  not_eligible: [422, "This code cannot be claimed by this account"],
  not_a_member: [404, "No member profile exists for this account"],
  referrer_inactive: [403, "The referring member's account is suspended, deactivated or deleted"],
  referred_inactive: [403, "This account is suspended or deactivated"],
  referral_rejected: [409, "This referral was rejected"],
};

function answer(result: Outcome): Response {
  if (result.outcome === "credited") {
    return json({ status: "credited", referral_id: result.referral_id, amount_cents: result.amount_cents, transaction_id: result.transaction_id });
  }
  const [status, message] = refusals[result.outcome] ?? [500, `Unexpected outcome ${result.outcome}`];
  const { outcome: _, ...details } = result;
  throw new HttpError(status, result.outcome, message, Object.keys(details).length ? details : undefined);
}

/** One statement as the service role (the crediting functions are executable by it alone). */
async function asServiceRole<T>(run: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  return (await sql.begin(async (tx) => {
    await tx`select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true)`;
    return await run(tx);
  })) as T;
}
serve(["POST"], async (req) => {
  const service = await isServiceCaller(req);
  const input = await parseBody(req, body);

  if (service) {
    if (input.sweep) {
      const [row] = await asServiceRole((tx) => tx`select private.credit_qualified_referrals(${input.limit ?? 500}) as result`);
      return json(row.result);
    }
    const referralId = input.referral_id;
    if (!referralId) throw new HttpError(400, "invalid_request", 'Send { "sweep": true } or { "referral_id": "..." }');
    const [row] = await asServiceRole((tx) => tx`select private.credit_referral(${referralId}) as result`);
    return answer(row.result as Outcome);
  }

  const claims = await memberClaims(req); // 401 for anon keys and anything but a member's token
  if (input.sweep || input.referral_id || input.limit) {
    throw new HttpError(403, "forbidden", "Only the service role may sweep or name a referral");
  }
  const [row] = await asServiceRole((tx) => tx`select private.claim_referral_credit(${claims.sub}, ${input.code ?? null}) as result`);
  return answer(row.result as Outcome);
}, { verifyJwt: false }); // the schedule's secret key is no JWT: checked by isServiceCaller / memberClaims
