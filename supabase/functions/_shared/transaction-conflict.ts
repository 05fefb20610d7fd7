// A transaction Postgres undid because it collided with another (a deadlock, 40P01, or a
// serialization failure, 40001) is no fault of the request: running it again succeeds. Every
// function answers it 503 `transaction_conflict` with Retry-After, never 500 internal_error (the
// work may have called Stripe or Auth, so the function does not re-run it by itself). errors.ts maps
// it for every function at once.

/** Seconds a client should wait before retrying: the other transaction has finished by then. */
export const conflictRetryAfterSeconds = 1;

const conflictStates = new Set(["40001", "40P01"]);

/** The SQLSTATE in `e` (or its cause) that says the transaction lost a conflict, or undefined. */
export function transactionConflictCause(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== "object" || depth > 3) return undefined;
  const { code, cause } = e as { code?: unknown; cause?: unknown };
  if (typeof code === "string" && conflictStates.has(code)) return code;
  return cause === undefined ? undefined : transactionConflictCause(cause, depth + 1);
}
