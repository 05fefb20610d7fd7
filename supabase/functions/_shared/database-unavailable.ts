// A database that refuses connections (out of connection slots, starting up or shutting down,
// unreachable, the connection cut) is a passing condition of the platform, not a fault of the
// request: every function answers it as PostgREST does (503 PGRST000), with a code a client can act
// on and Retry-After, never 500 internal_error. errors.ts maps it for every function at once.

/** Seconds a client should wait before retrying: a connection slot or a restart takes seconds. */
export const databaseRetryAfterSeconds = 5;

/** SQLSTATEs of a server that will not take (or keep) a connection now. */
const refusingStates = new Set([
  "53300", // too_many_connections: max_connections, or the role's CONNECTION LIMIT
  "57P01", // admin_shutdown: terminated by a fast/immediate shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up, shutting down, in recovery
]);

/** Socket errors (Node's net, as postgres.js sees them) and postgres.js's own connection errors. */
const connectionErrors = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/** Deno's own names for the same socket errors, should one reach us unwrapped. */
const denoConnectionErrors = new Set(["ConnectionRefused", "ConnectionReset", "ConnectionAborted", "BrokenPipe"]);

/** What in `e` says the database refused or lost the connection (a SQLSTATE or socket code), or undefined. */
export function databaseUnavailableCause(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== "object" || depth > 3) return undefined;
  const { code, name, errors, cause } = e as { code?: unknown; name?: unknown; errors?: unknown; cause?: unknown };
  if (typeof code === "string") {
    // Class 08 is connection_exception (08000, 08001 can't establish, 08006 failure, ...).
    if (refusingStates.has(code) || /^08[0-9A-Z]{3}$/.test(code) || connectionErrors.has(code)) return code;
  }
  if (typeof name === "string" && denoConnectionErrors.has(name)) return name;
  // Node's happy-eyeballs connect (localhost: ::1 and 127.0.0.1) reports an AggregateError.
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = databaseUnavailableCause(inner, depth + 1);
      if (found) return found;
    }
  }
  return cause === undefined ? undefined : databaseUnavailableCause(cause, depth + 1);
}
