// supabase-js clients that act as a member (or anon, or the service role) through the gateway and
// PostgREST, with an access token signed as Supabase Auth signs it — so table and RPC tests run the
// path clients take (supabase-js → gateway → PostgREST → RLS) without needing an Auth server.
import { createClient } from "@supabase/supabase-js";
import type { Database } from "../../types/database.ts";
import { memberClaims, type Claims } from "../../stack/test-kit/tokens.ts";
import { signAccessToken } from "./jwt.ts";
import { stack } from "./stack.ts";

export type ApiClient = ReturnType<typeof clientWithToken>;

/** A client sending this access token (an Auth-issued one, or any string a test forges). */
export function clientWithToken(token: string | undefined) {
  return createClient<Database>(stack.apiUrl, stack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
  });
}

/** A client carrying a token with these claims (anon claims: the anon key alone). */
export async function clientAs(claims: Claims): Promise<ApiClient> {
  if (claims.role === "anon") return clientWithToken(undefined);
  if (claims.role === "service_role") return clientWithToken(stack.serviceRoleKey);
  return clientWithToken(await signAccessToken(claims));
}

/** A signed-in member's client: a token with every claim Auth issues (aal, amr, session_id...). */
export function memberClient(userId: string, extra: Partial<Claims> = {}): Promise<ApiClient> {
  return clientAs(memberClaims(userId, extra));
}

/** The client of someone without a session (the anon key). */
export function anonApi(): ApiClient {
  return clientWithToken(undefined);
}

/** The service role's client (server code; bypasses RLS). */
export function serviceApi(): ApiClient {
  return clientWithToken(stack.serviceRoleKey);
}

/** What a refused call looks like to the client: HTTP status and PostgREST's error code. */
export interface Refusal {
  status: number;
  code: string | undefined;
}

/** Throws with the error when a call failed; answers its data. */
export function ok<T>(result: { data: T; error: { message: string; code?: string } | null; status?: number }): NonNullable<T> {
  if (result.error) throw new Error(`HTTP ${result.status}: ${result.error.code} ${result.error.message}`);
  if (result.data === null || result.data === undefined) throw new Error(`HTTP ${result.status}: no data`);
  return result.data as NonNullable<T>;
}

/** The status and code of a call that must fail (a success throws). */
export function refusal(result: { error: { code?: string; message: string } | null; status: number; data?: unknown }): Refusal {
  if (!result.error) throw new Error(`expected a refusal, got HTTP ${result.status} ${JSON.stringify(result.data)?.slice(0, 200)}`);
  return { status: result.status, code: result.error.code };
}

/** Checks that a call without a representation (an insert or update without select()) succeeded. */
export function succeeded(result: { error: { message: string; code?: string } | null; status: number }): void {
  if (result.error || result.status >= 300) throw new Error(`HTTP ${result.status}: ${result.error?.code} ${result.error?.message}`);
}
