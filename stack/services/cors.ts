// CORS as Supabase's gateway answers it. `supabase start`'s kong.yml puts Kong's `cors` plugin, with
// no configuration, on the Auth and REST routes (and the hosted gateway answers the same way), so its
// defaults are the behaviour clients meet:
// - a preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered by the gateway
//   itself, before the apikey is looked at: 200, any origin, the requested headers allowed as asked
//   (whatever a client library adds later, say postgrest-js's X-Retry-Count on a retry, passes),
//   Kong's default method list, no Max-Age and no credentials;
// - any other answer carries Access-Control-Allow-Origin: *.
import type { IncomingMessage, ServerResponse } from "node:http";

/** Kong's cors plugin's methods when none are configured. */
export const preflightMethods = "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT";

/** The header every answer carries (Kong sets it on every response to a request with an Origin). */
export const allowAnyOrigin = { "access-control-allow-origin": "*" } as const;

/** A browser's CORS preflight, as Kong's plugin tells it from a plain OPTIONS request. */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === "OPTIONS" && req.headers.origin !== undefined && req.headers["access-control-request-method"] !== undefined;
}

/** Answers a preflight as Kong's cors plugin does with its defaults. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  const requested = req.headers["access-control-request-headers"];
  res.writeHead(200, {
    ...allowAnyOrigin,
    ...(requested ? { "access-control-allow-headers": requested } : {}),
    "access-control-allow-methods": preflightMethods,
    "content-length": "0",
  });
  res.end();
}
