// The stack the suite runs against (started by global-setup or given by env), and clients for it.
import { createClient } from "@supabase/supabase-js";
import { inject } from "vitest";
import type { Database } from "../../types/database.ts";
import { fetchFrom, newClientAddress } from "../../stack/test-kit/client-address.ts";

export { fetchFrom, newClientAddress };

export const stack = inject("stack");

const options = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };

/** A supabase-js client as an app would make it (anon key, its own session), from its own client address. */
export function anonClient(address = newClientAddress(), userAgent = "memberbase-tests") {
  return createClient<Database>(stack.apiUrl, stack.anonKey, { ...options, global: { fetch: fetchFrom(address), headers: { "user-agent": userAgent } } });
}

export function serviceClient() {
  return createClient<Database>(stack.apiUrl, stack.serviceRoleKey, options);
}

/** Why a test that needs the Auth API cannot run here (undefined when it can). */
export const authSkipReason = stack.authServer ? undefined : `Supabase Auth API not running: ${stack.authUnavailableReason ?? "unknown"}`;

/** Why a test that needs stripe-mock cannot run here (undefined when it can). */
export const stripeSkipReason = stack.stripe.available ? undefined : `stripe-mock not running: ${stack.stripe.unavailableReason ?? "unknown"}`;

/** Why signed webhook deliveries cannot be tested (the functions' STRIPE_WEBHOOK_SECRET is unknown); stripe-mock is not needed for them. */
export const webhookSkipReason = stack.stripe.webhookSecret ? undefined : "the functions' STRIPE_WEBHOOK_SECRET is not known for this stack";

export function uniqueEmail(tag: string): string {
  return `${tag}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.test`;
}
