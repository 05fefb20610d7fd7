// Account deletion, shared by account-delete (immediate, the member asks in-app) and
// process-deletion-requests (requests filed with request_account_deletion() once their 7-day
// cancellable grace period is over).
//
// Deleting means deleting the Auth user through the Auth admin API, as Supabase does it; the
// foreign keys then act: every member-owned row cascades away, rows other people keep (bookings
// with an expert, the deletion request itself) are anonymised by ON DELETE SET NULL and the
// triggers that clear the member's free text. Nothing is deleted table by table here, so a table
// another capability adds is covered by its own foreign key (test/account-deletion.test.ts checks
// that no column anywhere still holds the member's id afterwards).
import { createClient, isAuthRetryableFetchError } from "@supabase/supabase-js";
import { sql } from "./db.ts";
import { HttpError } from "./errors.ts";
import { stripeCall } from "./stripe.ts";

const admin = createClient(Deno.env.get("SUPABASE_URL")!, Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")!, {
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
});

const authUnavailable = (detail: string) =>
  new HttpError(503, "auth_unavailable", "The Auth service is unavailable, so the account cannot be deleted now; nothing was changed", { detail });

/** Fails (503 auth_unavailable) before anything is done in Stripe when Auth cannot delete the user now. */
async function requireAuthReachable(userId: string): Promise<void> {
  const { error } = await admin.auth.admin.getUserById(userId);
  // No answer, or a gateway saying Auth is down; any other answer is for deleteAuthUser to judge.
  if (error && isAuthRetryableFetchError(error) && [0, 502, 503, 504].includes(error.status ?? 0)) throw authUnavailable(`${error.status}: ${error.message}`);
}

/** Deletes the Auth user; a user Auth no longer knows counts as deleted. */
async function deleteAuthUser(userId: string): Promise<void> {
  const { error } = await admin.auth.admin.deleteUser(userId);
  if (!error) return;
  // supabase-js calls every 5xx "retryable"; only no answer (0) or a gateway's 502/503/504 means Auth
  // is unavailable. A 500 is Auth failing on this user (say, a row it cannot read): an error, not an outage.
  if (isAuthRetryableFetchError(error) && [0, 502, 503, 504].includes(error.status)) throw authUnavailable(`${error.status}: ${error.message}`);
  if (error.status === 404) return;
  throw new HttpError(502, "auth_error", `The Auth service refused to delete the user: ${error.message}`);
}

export interface BillingCleanup {
  subscriptions_canceled: number;
  payment_methods_detached: number;
}

/**
 * Before the account goes: cancel the member's Stripe subscriptions now (no further charges) and
 * detach their saved cards, so nothing in Stripe can bill a deleted member. A Stripe failure stops
 * the deletion (nothing deleted; retried later). Invoices stay, anonymised, for accounting.
 */
export async function cancelBilling(userId: string): Promise<BillingCleanup> {
  const subs = await sql<{ stripe_subscription_id: string }[]>`
    select stripe_subscription_id from public.subscriptions where user_id = ${userId} and status not in ('canceled', 'incomplete_expired')`;
  const cards = await sql<{ stripe_payment_method_id: string }[]>`
    select stripe_payment_method_id from public.payment_methods where user_id = ${userId} and detached_at is null`;
  for (const s of subs) {
    await stripeCall("cancelling the subscription", (stripe) =>
      stripe.subscriptions.cancel(s.stripe_subscription_id, { prorate: false }, { idempotencyKey: `account-delete-${s.stripe_subscription_id}` }));
  }
  for (const c of cards) {
    await stripeCall("detaching a card", (stripe) => stripe.paymentMethods.detach(c.stripe_payment_method_id));
  }
  return { subscriptions_canceled: subs.length, payment_methods_detached: cards.length };
}

/** Deletes the member's account now; returns the id of the data_deletion_requests audit row. */
export async function deleteAccountNow(userId: string): Promise<{ requestId: string; billing: BillingCleanup }> {
  const [request] = await sql<{ id: string }[]>`
    insert into public.data_deletion_requests (user_id, status, source, process_after, claimed_by, lease_expires_at)
    select p.id, 'processing', 'account-delete', now(), 'account-delete', now() + s.deletion_lease
      from public.profiles p, private.privacy_settings s where p.id = ${userId}
    returning id`;
  if (!request) throw new HttpError(404, "not_found", "There is no account for this user (already deleted?)");
  let billing: BillingCleanup;
  try {
    await requireAuthReachable(userId);
    billing = await cancelBilling(userId);
    await deleteAuthUser(userId);
  } catch (e) {
    // The account is untouched: the audit row says so rather than staying "processing" forever.
    await sql`update public.data_deletion_requests set status = 'failed', processed_at = now() where id = ${request.id}`;
    throw e;
  }
  // The profile's delete trigger completed and anonymised the row; make sure it is closed either way.
  await sql`update public.data_deletion_requests set status = 'completed', processed_at = coalesce(processed_at, now())
             where id = ${request.id} and status = 'processing'`;
  return { requestId: request.id, billing };
}

export interface ProcessResult {
  processed: string[];
  failed: Array<{ request_id: string; error: string }>;
}

/**
 * Deletes the accounts of pending requests whose grace period is over, oldest first, at most `limit`.
 * Each request is claimed with this run as owner and a lease (private.claim_deletion_request, skip
 * locked) so concurrent runs never take the same one; a request whose run died mid-work (still
 * processing, lease over) is taken again, and every step below is safe to repeat.
 * When Auth is unavailable the claimed request goes back to pending (retried on the next run) and
 * the run stops with 503 auth_unavailable.
 */
export async function processDueRequests(limit: number): Promise<ProcessResult> {
  const result: ProcessResult = { processed: [], failed: [] };
  const worker = `process-deletion-requests/${crypto.randomUUID()}`;
  for (let i = 0; i < limit; i++) {
    const [claimed] = await sql<{ id: string; user_id: string | null }[]>`select * from private.claim_deletion_request(${worker})`;
    if (!claimed) break;
    try {
      if (claimed.user_id) {
        await requireAuthReachable(claimed.user_id);
        await cancelBilling(claimed.user_id);
        await deleteAuthUser(claimed.user_id);
      }
      await sql`update public.data_deletion_requests set status = 'completed', processed_at = coalesce(processed_at, now())
                 where id = ${claimed.id} and status = 'processing'`;
      result.processed.push(claimed.id);
    } catch (e) {
      if (e instanceof HttpError && (e.code === "auth_unavailable" || e.code === "stripe_unavailable")) {
        await sql`update public.data_deletion_requests set status = 'pending', lease_expires_at = null
                   where id = ${claimed.id} and status = 'processing' and claimed_by = ${worker}`;
        throw new HttpError(e.status, e.code, e.message, { ...(e.details as object), ...result });
      }
      await sql`update public.data_deletion_requests set status = 'failed', processed_at = now() where id = ${claimed.id}`;
      result.failed.push({ request_id: claimed.id, error: (e as Error).message });
    }
  }
  return result;
}
