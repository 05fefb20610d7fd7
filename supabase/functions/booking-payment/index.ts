// POST /functions/v1/booking-payment — the card part of a booking:
//   { booking_id }                    a PaymentIntent for price - credits applied (credits pay at most
//                                     50%, see apply_credits), one per booking (Stripe idempotency key
//                                     per booking); answers its client_secret for Stripe.js. Asking again
//                                     answers the same PaymentIntent.
//   { booking_id, action: "cancel" }  cancels the booking before completion: the card part is refunded
//                                     through Stripe (or the unpaid PaymentIntent cancelled), the credit
//                                     part through the ledger (set_booking_status' refund trigger).
//                                     A booking the database cancelled (cancelled_by null: its expert
//                                     stopped being listed) whose card part is still paid or open is
//                                     settled the same way; one a person cancelled is closed (409).
// Only a listed expert (private.is_listed_expert: role expert, active, verified) is paid: 409
// expert_unavailable otherwise.
// The payment's state (paid, refunded) follows from Stripe's events through stripe-webhook.
import { z } from "zod";
import { parseBody, serve } from "../_shared/handler.ts";
import { HttpError, json } from "../_shared/errors.ts";
import { requireActiveSession } from "../_shared/session.ts";
import { memberClaims, type MemberClaims } from "../_shared/claims.ts";
import { sql, type Tx } from "../_shared/db.ts";
import { ensureCustomer } from "../_shared/billing.ts";
import { stripeCall } from "../_shared/stripe.ts";

const body = z.object({ booking_id: z.guid(), action: z.enum(["pay", "cancel"]).default("pay") }).strict();

interface Booking {
  id: string;
  member_id: string | null;
  status: string;
  cancelled_by_nobody: boolean;
  expert_listed: boolean;
  price_cents: number;
  credits_applied_cents: number;
  card_amount_cents: number;
  currency: string;
  payment_intent_id: string | null;
  payment_status: string | null;
  payment_amount_cents: number | null;
}

async function ownBooking(db: Tx | typeof sql, claims: MemberClaims, id: string, lock: boolean, settling = false): Promise<Booking> {
  // Lock first, read after, in two statements: a statement that waited for the lock still sees
  // the invoices of its own (older) snapshot, so it would miss a payment started meanwhile.
  if (lock) await db`select 1 from public.bookings b where b.id = ${id} for update`;
  const [booking] = await db<Booking[]>`
    select b.id, b.member_id, b.status, b.status = 'cancelled' and b.cancelled_by is null as cancelled_by_nobody,
           private.is_listed_expert(b.expert_id) as expert_listed, b.price_cents, b.credits_applied_cents, b.card_amount_cents, b.currency,
           i.stripe_payment_intent_id as payment_intent_id, i.status as payment_status, i.amount_due_cents as payment_amount_cents
      from public.bookings b left join public.invoices i on i.booking_id = b.id
     where b.id = ${id}`;
  if (!booking || booking.member_id !== claims.sub) throw new HttpError(404, "booking_not_found", "No booking of yours has this id");
  const unsettled = booking.cancelled_by_nobody && (booking.payment_status === "paid" || booking.payment_status === "open");
  if (booking.status !== "requested" && booking.status !== "confirmed" && !(settling && unsettled)) {
    throw new HttpError(409, "booking_closed", `The booking is ${booking.status}: only requested or confirmed bookings are paid or cancelled here`);
  }
  return booking;
}

async function pay(claims: MemberClaims, bookingId: string): Promise<Response> {
  // The booking row stays locked from the check until the payment is recorded (Stripe call
  // included), as in cancel: a cancel or apply_credits at the same time waits and then sees it.
  return await sql.begin((tx) => payLocked(tx, claims, bookingId)) as Response;
}

async function payLocked(tx: Tx, claims: MemberClaims, bookingId: string): Promise<Response> {
  const booking = await ownBooking(tx, claims, bookingId, true);
  if (!booking.expert_listed) throw new HttpError(409, "expert_unavailable", "The expert of this booking is no longer listed");
  const card = booking.card_amount_cents;
  // apply_credits caps credits at 50%; a booking that says otherwise is refused, never charged.
  if (card * 2 < booking.price_cents) throw new HttpError(409, "credits_over_cap", "Credits cover more than half of this booking");
  if (card <= 0) throw new HttpError(422, "nothing_to_pay", "This booking has no card amount to pay");
  if (booking.payment_intent_id) {
    if (booking.payment_amount_cents !== card) {
      throw new HttpError(409, "payment_already_started", "A card payment for a different amount exists for this booking (credits changed after it started)");
    }
  }
  const customer = await ensureCustomer(claims);
  const intent = booking.payment_intent_id
    ? await stripeCall("reading the payment", (s) => s.paymentIntents.retrieve(booking.payment_intent_id!))
    : await stripeCall("creating the payment", (s) =>
        s.paymentIntents.create(
          { amount: card, currency: booking.currency.toLowerCase(), customer, automatic_payment_methods: { enabled: true },
            metadata: { booking_id: booking.id, member_id: claims.sub }, description: `Booking ${booking.id}` },
          { idempotencyKey: `booking-payment-${booking.id}` }));
  await tx`insert into public.invoices (user_id, stripe_payment_intent_id, booking_id, status, amount_due_cents, currency)
            values (${claims.sub}, ${intent.id}, ${booking.id}, 'open', ${card}, ${booking.currency})
            on conflict do nothing`;
  return json({ booking_id: booking.id, payment_intent_id: intent.id, client_secret: intent.client_secret, amount_cents: card,
                price_cents: booking.price_cents, credits_applied_cents: booking.credits_applied_cents, currency: booking.currency });
}

async function cancel(claims: MemberClaims, bookingId: string): Promise<Response> {
  // The booking row stays locked from the check to the cancellation, Stripe call included.
  return await sql.begin(async (tx) => {
    const booking = await ownBooking(tx, claims, bookingId, true, true);
    let card: { refund_id?: string; refunded_cents?: number; canceled_payment_intent?: string } = {};
    if (booking.payment_intent_id && booking.payment_status === "paid") {
      const refund = await stripeCall("refunding the card payment", (s) =>
        s.refunds.create({ payment_intent: booking.payment_intent_id!, reason: "requested_by_customer", metadata: { booking_id: booking.id } },
                         { idempotencyKey: `booking-refund-${booking.id}` }));
      card = { refund_id: refund.id, refunded_cents: refund.amount };
    } else if (booking.payment_intent_id && booking.payment_status === "open") {
      await stripeCall("cancelling the payment", (s) => s.paymentIntents.cancel(booking.payment_intent_id!, {}, { idempotencyKey: `booking-payment-cancel-${booking.id}` }));
      card = { canceled_payment_intent: booking.payment_intent_id };
    }
    // As the member, so the lifecycle rules and the credit refund trigger run as for the RPC.
    if (booking.status !== "cancelled") {
      await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
      await tx`select public.set_booking_status(${booking.id}, 'cancelled')`;
      await tx`reset role`;
    }
    return json({ booking_id: booking.id, status: "cancelled", card, credits_refunded_cents: booking.credits_applied_cents });
  }) as Response;
}

serve(["POST"], async (req) => {
  const claims = await memberClaims(req);
  await requireActiveSession(claims); // billing is sensitive: a signed-out session's token is refused
  const input = await parseBody(req, body);
  return input.action === "cancel" ? await cancel(claims, input.booking_id) : await pay(claims, input.booking_id);
});
