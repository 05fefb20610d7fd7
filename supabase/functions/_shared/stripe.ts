// The Stripe client of every billing function, and the ONE place that reads Stripe's environment:
// STRIPE_SECRET_KEY / STRIPE_WEBHOOK_SECRET are function secrets (config.toml [edge_runtime.secrets],
// supabase/functions/.env); STRIPE_API_HOST / _PORT / _PROTOCOL point the SDK at stripe-mock in
// the local stack and are unset on hosted Supabase (the SDK then talks to api.stripe.com).
import Stripe from "stripe";
import { HttpError } from "./errors.ts";
import { secretProblem } from "./secrets.ts";

const env = (name: string) => Deno.env.get(name) || undefined;

let client: Stripe | undefined;

export function stripe(): Stripe {
  const key = env("STRIPE_SECRET_KEY");
  if (!key) throw new HttpError(503, "stripe_unconfigured", "Billing is not configured: STRIPE_SECRET_KEY is not set");
  client ??= new Stripe(key, {
    httpClient: Stripe.createFetchHttpClient(),
    host: env("STRIPE_API_HOST"),
    port: env("STRIPE_API_PORT") ? Number(env("STRIPE_API_PORT")) : undefined,
    protocol: env("STRIPE_API_PROTOCOL") as "http" | "https" | undefined,
    maxNetworkRetries: 1,
    timeout: 10000,
    appInfo: { name: "memberbase" },
  });
  return client;
}

export function webhookSecret(): string {
  const secret = env("STRIPE_WEBHOOK_SECRET");
  if (!secret) throw new HttpError(503, "stripe_unconfigured", "Billing is not configured: STRIPE_WEBHOOK_SECRET is not set");
  const problem = secretProblem("STRIPE_WEBHOOK_SECRET", secret);
  if (problem) throw new HttpError(503, "stripe_unconfigured", `Billing is not configured: ${problem}`);
  return secret;
}

export const cryptoProvider = Stripe.createSubtleCryptoProvider();

/** Runs a Stripe call; Stripe's failures become our error shape (unreachable: 503, card declined: 402). */
export async function stripeCall<T>(what: string, call: (s: Stripe) => Promise<T>): Promise<T> {
  const s = stripe();
  try {
    return await call(s);
  } catch (e) {
    if (!(e instanceof Stripe.errors.StripeError)) throw e;
    if (e instanceof Stripe.errors.StripeConnectionError) throw new HttpError(503, "stripe_unavailable", `Stripe could not be reached (${what}); nothing was changed`);
    if (e instanceof Stripe.errors.StripeCardError) throw new HttpError(402, "card_declined", e.message, { decline_code: e.decline_code });
    if (e instanceof Stripe.errors.StripeAuthenticationError) throw new HttpError(503, "stripe_unconfigured", `Stripe refused our API key (${what}); nothing was changed`);
    if (e instanceof Stripe.errors.StripeRateLimitError) throw new HttpError(503, "stripe_busy", `Stripe asked us to slow down (${what}); try again shortly`);
    throw new HttpError(502, "stripe_error", `Stripe refused ${what}: ${e.message}`, { type: e.type, code: e.code, request_id: e.requestId });
  }
}
