// The one error shape every function answers with: { error: { code, message, details? } }.
import { databaseRetryAfterSeconds, databaseUnavailableCause } from "./database-unavailable.ts";
import { conflictRetryAfterSeconds, transactionConflictCause } from "./transaction-conflict.ts";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

// Functions answer their own preflights (the gateway passes OPTIONS through, as hosted Supabase
// does): every header supabase-js sends is allowed, as its own list (`@supabase/supabase-js/cors`)
// names them, or a browser blocks the call before it reaches the function.
export const corsHeaders: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, x-client-info, apikey, content-type, x-retry-count",
  "access-control-allow-methods": "GET, POST, OPTIONS",
};

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...corsHeaders, ...headers } });
}

export function errorResponse(e: unknown): Response {
  if (e instanceof HttpError) {
    return json({ error: { code: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) } }, e.status);
  }
  const cause = databaseUnavailableCause(e);
  if (cause) {
    console.error(`database unavailable (${cause}): ${(e as Error).message}`);
    return json(
      { error: { code: "database_unavailable", message: "The database is not accepting connections right now: retry shortly", details: { cause } } },
      503,
      // exposed so that a browser's client can read it across origins
      { "retry-after": String(databaseRetryAfterSeconds), "access-control-expose-headers": "retry-after" },
    );
  }
  const conflict = transactionConflictCause(e);
  if (conflict) {
    console.error(`transaction conflict (${conflict}): ${(e as Error).message}`);
    return json(
      { error: { code: "transaction_conflict", message: "Another request changed the same data at the same moment and this one was undone: retry it", details: { sqlstate: conflict } } },
      503,
      { "retry-after": String(conflictRetryAfterSeconds), "access-control-expose-headers": "retry-after" },
    );
  }
  console.error(e);
  return json({ error: { code: "internal_error", message: "Something went wrong on our side" } }, 500);
}
