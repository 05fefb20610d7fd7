// The stack the suite runs against (started by global-setup or given by env), and clients for it.
import { request } from "node:http";
import { request as httpsRequest } from "node:https";
import { createClient } from "@supabase/supabase-js";
import { inject } from "vitest";
import WebSocket from "ws";
import type { Database } from "../../types/database.ts";

export const stack = inject("stack");

// Node 20 has no global WebSocket; supabase-js wants one for realtime even when unused.
const options = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }, realtime: { transport: WebSocket as never } };

/**
 * A client IP address of its own: any 127.x.y.z reaches the stack (all of 127/8 is loopback), and
 * Auth rate-limits and records sessions per client IP. Each app user comes from their own address,
 * as in production, so the suite's many sign-ups are many users' normal use, not one burst.
 */
export function newClientAddress(): string {
  const byte = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
  return `127.${byte(10, 250)}.${byte(0, 255)}.${byte(1, 254)}`;
}

/** fetch() that connects from the given local address (no redirects followed, as `redirect: "manual"`). */
export function fetchFrom(localAddress: string): typeof fetch {
  return async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    const headers = Object.fromEntries(req.headers);
    if (body) headers["content-length"] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const send = url.protocol === "https:" ? httpsRequest : request;
      const out = send(url, { method: req.method, headers, localAddress }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const status = res.statusCode ?? 502;
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) for (const one of Array.isArray(v) ? v : [v ?? ""]) h.append(k, one);
          resolve(new Response([101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage, headers: h }));
        });
      });
      out.on("error", reject);
      out.end(body);
    });
  };
}

/** A supabase-js client as an app would make it (anon key, its own session), from its own client address. */
export function anonClient(address = newClientAddress(), userAgent = "memberbase-tests") {
  return createClient<Database>(stack.apiUrl, stack.anonKey, { ...options, global: { fetch: fetchFrom(address), headers: { "user-agent": userAgent } } });
}

export function serviceClient() {
  return createClient<Database>(stack.apiUrl, stack.serviceRoleKey, options);
}

/** Why a test that needs the Auth API cannot run here (undefined when it can). */
export const authSkipReason = stack.authServer ? undefined : `Supabase Auth API not running: ${stack.authUnavailableReason ?? "unknown"}`;

export function uniqueEmail(tag: string): string {
  return `${tag}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.test`;
}
