// POST /functions/v1/stripe-webhook — Stripe's event deliveries (verify_jwt = false: Stripe signs
// instead). The Stripe-Signature header is verified on the raw body with the async (SubtleCrypto)
// verifier, default 5-minute tolerance; a missing or bad signature answers 400 and writes nothing.
// The verified event goes to private.apply_stripe_event in one statement: the event id is claimed
// in the same transaction as its effect, older events never overwrite newer state, and unhandled
// types are recorded and answered 200 (Stripe retries only non-2xx answers). An event of a customer
// not linked to a member yet answers 200 `pending_link`: it is kept and applied when the link appears.
// A checkout that would link a customer already linked to another member answers 409
// `stripe_customer_conflict` and records nothing.
import { readBody, serve } from "../_shared/handler.ts";
import { HttpError, json } from "../_shared/errors.ts";
import { sql } from "../_shared/db.ts";
import Stripe from "stripe";
import { cryptoProvider, stripe, webhookSecret } from "../_shared/stripe.ts";

// Stripe's events are JSON documents of a few KiB; an invoice with many lines can reach a few hundred.
const maxEventBytes = 1024 * 1024;

serve(["POST"], async (req) => {
  const raw = await readBody(req, maxEventBytes); // 413 beyond it, before any work
  const signature = req.headers.get("stripe-signature");
  if (!signature) throw new HttpError(400, "missing_signature", "No Stripe-Signature header");
  try {
    await stripe().webhooks.constructEventAsync(raw, signature, webhookSecret(), undefined, cryptoProvider);
  } catch (e) {
    if (e instanceof Stripe.errors.StripeSignatureVerificationError) {
      throw new HttpError(400, "invalid_signature", "The Stripe signature does not match this body, secret and time");
    }
    if (e instanceof SyntaxError) throw new HttpError(400, "invalid_event", "The signed body is not JSON");
    throw e;
  }
  try {
    // The verified raw text itself, parsed by Postgres: what was signed is what is applied.
    const [{ outcome }] = await sql<{ outcome: string }[]>`select private.apply_stripe_event(${raw}::text::jsonb) as outcome`;
    return json({ received: true, outcome });
  } catch (e) {
    const { code, constraint_name } = e as { code?: string; constraint_name?: string };
    // A concurrent delivery of the same event committed first: this one's effect was rolled back.
    if (code === "23505" && constraint_name === "stripe_events_pkey") return json({ received: true, outcome: "duplicate" });
    // A checkout naming a customer linked to another member (or a linked member with another
    // customer): nothing changed and nothing was recorded. Not 2xx: Stripe retries and shows the
    // delivery failed until the link is resolved; a later retry then applies.
    if (code === "PT409") throw new HttpError(409, "stripe_customer_conflict", (e as Error).message);
    // Data errors (class 22) and constraint checks: a signed body that is no event we can apply.
    if (code?.startsWith("22") || code === "23514" || code === "23502") throw new HttpError(400, "invalid_event", (e as Error).message);
    throw e;
  }
}, { verifyJwt: false });
