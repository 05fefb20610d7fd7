// The API gateway on 54321, routed as `supabase start` routes: /auth/v1 -> Auth, /rest/v1 ->
// PostgREST, /functions/v1/<name> -> that function (JWT verified first unless verify_jwt = false).
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { pipeline } from "node:stream";
import { jwtVerify } from "jose";
import { anonKey, jwtSecret, ports, publishableKey, secretKey, serviceRoleKey } from "../core/config.ts";
import { availability } from "./auth.ts";
import { findFunction } from "./functions.ts";
import { postgrest } from "./postgrest.ts";
import { allowAnyOrigin, answerPreflight, isPreflight } from "./cors.ts";
import type { Service } from "../core/service.ts";

const secret = new TextEncoder().encode(jwtSecret);
const apiKeys = new Set([anonKey, serviceRoleKey, publishableKey, secretKey]);
/** The new API keys are not JWTs: Auth and PostgREST get the key's role as a JWT in their place. */
const roleTokens = new Map([[publishableKey, anonKey], [secretKey, serviceRoleKey]]);

/** A request that carries a new API key and no JWT of its own (supabase-js sends the key as the
 * bearer too) reaches Auth and PostgREST with the key's role token, as on Supabase's gateway;
 * a user's session token is left as it is. */
function withRoleToken(req: IncomingMessage, key: string | undefined): void {
  const token = key === undefined ? undefined : roleTokens.get(key);
  if (!token) return;
  const authorization = req.headers.authorization;
  if (authorization === undefined || authorization === `Bearer ${key}`) req.headers.authorization = `Bearer ${token}`;
}
function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", ...allowAnyOrigin });
  res.end(JSON.stringify(body));
}

/** The one error shape, plus the `msg` Supabase's edge runtime answers with, which apps written
 * against hosted projects read. */
const invalidJwt = { error: { code: "invalid_jwt", message: "Invalid JWT" }, msg: "Invalid JWT" };

function gatewayError(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code, message } });
}

/** Auth routes a browser opens from a mail link or an OAuth redirect, which carry no apikey:
 * Supabase's gateway routes them without key-auth (auth-v1-open, -open-callback, -open-authorize). */
const authOpenRoutes = new Set(["verify", "callback", "authorize"]);

/** The connecting client's IP address (IPv4-mapped IPv6 written as plain IPv4). */
function clientAddress(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
}

function apiKeyOf(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.apikey;
  return (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get("apikey") ?? undefined;
}

export async function validJwt(authorization: string | undefined): Promise<boolean> {
  const m = /^Bearer (.+)$/i.exec(authorization ?? "");
  if (!m) return false;
  try {
    await jwtVerify(m[1], secret, { algorithms: ["HS256"] });
    return true;
  } catch {
    return false;
  }
}

function forward(req: IncomingMessage, res: ServerResponse, port: number, path: string): void {
  const upstream = request({ host: "127.0.0.1", port, path, method: req.method, headers: { ...req.headers, host: `127.0.0.1:${port}` } }, (up) => {
    const headers = { ...up.headers };
    if (!headers["access-control-allow-origin"]) Object.assign(headers, allowAnyOrigin);
    res.writeHead(up.statusCode ?? 502, headers);
    // pipeline, not pipe: an upstream that dies mid-body (a killed functions host) destroys the
    // client's connection, so the client sees a cut-off (errored) stream rather than one left open
    // forever; a client that goes away likewise ends the upstream request.
    pipeline(up, res, () => {});
  });
  upstream.on("error", (e) => {
    if (!res.headersSent) gatewayError(res, 502, "upstream_unreachable", `upstream on port ${port}: ${e.message}`);
    else res.destroy();
  });
  // A client gone before the answer ends the upstream request too (the function stops its work).
  res.once("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://gateway");
  const [, area, version, ...rest] = url.pathname.split("/");
  const prefix = `${area}/${version}`;
  // Preflights on the Auth and REST routes are the gateway's to answer, before any apikey check, as
  // Kong's cors plugin runs first (./cors.ts); a plain OPTIONS goes on like any request. Functions
  // answer their own preflights (_shared/handler.ts), as on hosted Supabase.
  if ((prefix === "auth/v1" || prefix === "rest/v1") && isPreflight(req)) return answerPreflight(req, res);
  const key = apiKeyOf(req, url);
  if (key !== undefined && !apiKeys.has(key)) return gatewayError(res, 401, "invalid_api_key", "Invalid API key");

  if (prefix === "functions/v1") {
    const name = rest[0] ?? "";
    const fn = findFunction(name);
    if (!fn) return gatewayError(res, 404, "NOT_FOUND", "Requested function was not found");
    // The edge runtime lets OPTIONS through (CORS preflight) and honours verify_jwt per function.
    if (req.method !== "OPTIONS" && fn.verifyJwt && !(await validJwt(req.headers.authorization))) return send(res, 401, invalidJwt);
    return forward(req, res, ports.functions, `/${rest.join("/")}${url.search}`);
  }

  const openAuthRoute = prefix === "auth/v1" && rest.length === 1 && authOpenRoutes.has(rest[0]);
  if (key === undefined && !openAuthRoute) return gatewayError(res, 401, "no_api_key", "No API key found in request (send the anon or service_role key as the apikey header)");
  withRoleToken(req, key);
  if (prefix === "auth/v1") {
    if (!availability.server) return gatewayError(res, 503, "auth_unavailable", `Supabase Auth is not running in this stack: ${availability.reason?.split("\n")[0] ?? "unknown"}`);
    // Auth rate-limits and records sessions by the client address it reads from X-Forwarded-For
    // (GOTRUE_RATE_LIMIT_HEADER): the gateway is the edge, so it sets the header from the socket
    // and never passes on a value the client sent (which would let a client pick its own bucket).
    req.headers["x-forwarded-for"] = clientAddress(req);
    return forward(req, res, ports.auth, `/${rest.join("/")}${url.search}`);
  }
  if (prefix === "rest/v1") {
    if (postgrest.available) return forward(req, res, ports.rest, `/${rest.join("/")}${url.search}`);
    return gatewayError(res, 503, "postgrest_unavailable", "PostgREST is not running in this stack (see the postgrest line of the stack's start)");
  }
  return gatewayError(res, 404, "not_found", `no route for ${url.pathname}`);
}

let server: Server | undefined;

export const gatewayService: Service = {
  name: "gateway",
  url: `http://127.0.0.1:${ports.api}`,
  detail: "/auth/v1 /rest/v1 /functions/v1",
  async start() {
    server = createServer((req, res) => {
      handle(req, res).catch((e) => {
        if (!res.headersSent) gatewayError(res, 502, "gateway_error", (e as Error).message);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server!.once("error", reject);
      server!.listen(ports.api, "127.0.0.1", () => resolve());
    });
  },
  async stop() {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server?.closeAllConnections();
    server = undefined;
  },
};
