-- Applying a verified Stripe event to the billing mirror, in ONE statement (so one transaction):
-- apply it only where it is newer than what the row reflects, and claim the event id in
-- stripe_events in the same transaction (a concurrent second delivery fails on the key and rolls
-- back; the function answers it as a duplicate). The stripe-webhook function verifies the signature and calls private.apply_stripe_event.
--
-- Handled: customer.subscription.*, invoice.*, payment_method.attached/updated/detached,
-- customer.updated (default payment method), checkout.session.completed (customer link),
-- payment_intent.* and charge.refunded (booking card payments). Anything else is recorded as
-- 'ignored' and answered 2xx, as Stripe expects.

-- Functions
create or replace function private.stripe_time(epoch jsonb)
returns timestamptz
language sql
immutable
set search_path = ''
as $$
  select case when jsonb_typeof(epoch) = 'number' then to_timestamp((epoch #>> '{}')::double precision) end;
$$;
comment on function private.stripe_time(jsonb) is 'A Stripe epoch-seconds field as timestamptz (null when absent or null).';

-- The member a Stripe object belongs to: our customer link first, else the member_id we put in metadata.
create or replace function private.stripe_member(customer text, metadata jsonb)
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  member uuid;
begin
  select c.user_id into member from public.billing_customers c where c.stripe_customer_id = customer;
  if member is null and coalesce(metadata ->> 'member_id', '') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    select p.id into member from public.profiles p where p.id = (metadata ->> 'member_id')::uuid;
  end if;
  return member;
end;
$$;

create or replace function private.apply_stripe_subscription(obj jsonb, event_at timestamptz, event_id text)
returns text
language plpgsql
set search_path = ''
as $$
declare
  member uuid := private.stripe_member(obj ->> 'customer', obj -> 'metadata');
  item jsonb := obj #> '{items,data,0}';
  plan uuid;
  written uuid;
begin
  if member is null then
    return 'unknown_customer';
  end if;
  select p.id into plan from public.plans p where p.stripe_price_id = item #>> '{price,id}';
  if plan is null then
    return 'unknown_price';
  end if;
  insert into public.subscriptions as s (
    user_id, stripe_subscription_id, stripe_customer_id, plan_id, status, quantity,
    current_period_start, current_period_end, trial_start, trial_end,
    cancel_at_period_end, cancel_at, canceled_at, ended_at, stripe_event_at, stripe_event_id)
  values (
    member, obj ->> 'id', obj ->> 'customer', plan, (obj ->> 'status')::public.subscription_status,
    coalesce((item ->> 'quantity')::integer, 1),
    -- Newer API versions keep the period on the subscription item.
    coalesce(private.stripe_time(obj -> 'current_period_start'), private.stripe_time(item -> 'current_period_start')),
    coalesce(private.stripe_time(obj -> 'current_period_end'), private.stripe_time(item -> 'current_period_end')),
    private.stripe_time(obj -> 'trial_start'), private.stripe_time(obj -> 'trial_end'),
    coalesce((obj ->> 'cancel_at_period_end')::boolean, false),
    private.stripe_time(obj -> 'cancel_at'), private.stripe_time(obj -> 'canceled_at'), private.stripe_time(obj -> 'ended_at'),
    event_at, event_id)
  on conflict (stripe_subscription_id) do update set
    plan_id = excluded.plan_id, status = excluded.status, quantity = excluded.quantity,
    current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end,
    trial_start = excluded.trial_start, trial_end = excluded.trial_end,
    cancel_at_period_end = excluded.cancel_at_period_end, cancel_at = excluded.cancel_at,
    canceled_at = excluded.canceled_at, ended_at = excluded.ended_at,
    -- A scheduled downgrade is done once Stripe shows the new plan, moot once the subscription ends.
    scheduled_plan_id = case when excluded.plan_id = s.scheduled_plan_id or excluded.status = 'canceled' then null else s.scheduled_plan_id end,
    scheduled_change_at = case when excluded.plan_id = s.scheduled_plan_id or excluded.status = 'canceled' then null else s.scheduled_change_at end,
    stripe_event_at = excluded.stripe_event_at, stripe_event_id = excluded.stripe_event_id
  where (excluded.stripe_event_at, excluded.stripe_event_id) > (s.stripe_event_at, s.stripe_event_id)
  returning s.id into written;
  return case when written is null then 'stale' else 'applied' end;
end;
$$;

create or replace function private.apply_stripe_invoice(obj jsonb, event_at timestamptz, event_id text)
returns text
language plpgsql
set search_path = ''
as $$
declare
  member uuid := private.stripe_member(obj ->> 'customer', obj -> 'metadata');
  written uuid;
begin
  if member is null then
    return 'unknown_customer';
  end if;
  insert into public.invoices as i (
    user_id, stripe_invoice_id, stripe_subscription_id, number, status, amount_due_cents, amount_paid_cents, currency,
    period_start, period_end, hosted_invoice_url, stripe_event_at, stripe_event_id)
  values (
    member, obj ->> 'id',
    coalesce(obj ->> 'subscription', obj #>> '{parent,subscription_details,subscription}'),
    obj ->> 'number', (obj ->> 'status')::public.invoice_status,
    coalesce((obj ->> 'amount_due')::integer, 0), coalesce((obj ->> 'amount_paid')::integer, 0), upper(obj ->> 'currency'),
    private.stripe_time(obj -> 'period_start'), private.stripe_time(obj -> 'period_end'), obj ->> 'hosted_invoice_url',
    event_at, event_id)
  on conflict (stripe_invoice_id) do update set
    stripe_subscription_id = excluded.stripe_subscription_id, number = excluded.number, status = excluded.status,
    amount_due_cents = excluded.amount_due_cents, amount_paid_cents = excluded.amount_paid_cents, currency = excluded.currency,
    period_start = excluded.period_start, period_end = excluded.period_end, hosted_invoice_url = excluded.hosted_invoice_url,
    stripe_event_at = excluded.stripe_event_at, stripe_event_id = excluded.stripe_event_id
  where i.user_id is not null -- an anonymised (deleted member's) invoice stays anonymised
    and (excluded.stripe_event_at, excluded.stripe_event_id) > (coalesce(i.stripe_event_at, '-infinity'), coalesce(i.stripe_event_id, ''))
  returning i.id into written;
  return case when written is null then 'stale' else 'applied' end;
end;
$$;

-- A booking's card payment: the row booking-payment created (or one made here from the metadata it set).
create or replace function private.apply_stripe_booking_payment(obj jsonb, status public.invoice_status, refunded integer,
                                                                event_at timestamptz, event_id text)
returns text
language plpgsql
set search_path = ''
as $$
declare
  member uuid := private.stripe_member(obj ->> 'customer', obj -> 'metadata');
  booking uuid;
  written uuid;
begin
  if member is null then
    return 'unknown_customer';
  end if;
  select b.id into booking from public.bookings b
   where b.id::text = obj #>> '{metadata,booking_id}' and b.member_id = member;
  insert into public.invoices as i (
    user_id, stripe_payment_intent_id, booking_id, status, amount_due_cents, amount_paid_cents, amount_refunded_cents,
    currency, stripe_event_at, stripe_event_id)
  values (
    member, obj ->> 'id', booking, status, coalesce((obj ->> 'amount')::integer, 0),
    case when status in ('paid', 'refunded') then coalesce((obj ->> 'amount_received')::integer, (obj ->> 'amount')::integer, 0) else 0 end,
    coalesce(refunded, 0), upper(obj ->> 'currency'), event_at, event_id)
  on conflict (stripe_payment_intent_id) do update set
    status = excluded.status, amount_due_cents = excluded.amount_due_cents,
    amount_paid_cents = greatest(i.amount_paid_cents, excluded.amount_paid_cents),
    amount_refunded_cents = greatest(i.amount_refunded_cents, excluded.amount_refunded_cents),
    stripe_event_at = excluded.stripe_event_at, stripe_event_id = excluded.stripe_event_id
  where i.user_id is not null
    and (excluded.stripe_event_at, excluded.stripe_event_id) > (coalesce(i.stripe_event_at, '-infinity'), coalesce(i.stripe_event_id, ''))
  returning i.id into written;
  return case when written is null then 'stale' else 'applied' end;
end;
$$;

create or replace function private.apply_stripe_payment_method(obj jsonb, previous jsonb, detached boolean, event_at timestamptz, event_id text)
returns text
language plpgsql
set search_path = ''
as $$
declare
  -- A detached method no longer names its customer: the event's previous_attributes does.
  customer text := coalesce(obj ->> 'customer', previous ->> 'customer');
  member uuid := private.stripe_member(customer, obj -> 'metadata');
  default_pm text;
  written uuid;
begin
  if member is null then
    return 'unknown_customer';
  end if;
  -- Shared lock: a concurrent customer.updated either sees this card or is seen by it (is_default stays right).
  select c.default_payment_method_id into default_pm from public.billing_customers c where c.user_id = member for share;
  insert into public.payment_methods as m (
    user_id, stripe_payment_method_id, brand, last4, exp_month, exp_year, is_default, detached_at, stripe_event_at, stripe_event_id)
  values (
    member, obj ->> 'id', obj #>> '{card,brand}', obj #>> '{card,last4}',
    (obj #>> '{card,exp_month}')::smallint, (obj #>> '{card,exp_year}')::smallint,
    not detached and obj ->> 'id' is not distinct from default_pm, case when detached then event_at end, event_at, event_id)
  on conflict (stripe_payment_method_id) do update set
    brand = excluded.brand, last4 = excluded.last4, exp_month = excluded.exp_month, exp_year = excluded.exp_year,
    is_default = excluded.is_default, detached_at = excluded.detached_at,
    stripe_event_at = excluded.stripe_event_at, stripe_event_id = excluded.stripe_event_id
  where m.user_id = excluded.user_id
    and (excluded.stripe_event_at, excluded.stripe_event_id) > (m.stripe_event_at, m.stripe_event_id)
  returning m.id into written;
  return case when written is null then 'stale' else 'applied' end;
end;
$$;

create or replace function private.apply_stripe_customer(obj jsonb, event_at timestamptz, event_id text)
returns text
language plpgsql
set search_path = ''
as $$
declare
  member uuid;
  default_pm text := obj #>> '{invoice_settings,default_payment_method}';
begin
  update public.billing_customers c
     set default_payment_method_id = default_pm, stripe_event_at = event_at, stripe_event_id = event_id
   where c.stripe_customer_id = obj ->> 'id'
     and (event_at, event_id) > (coalesce(c.stripe_event_at, '-infinity'), coalesce(c.stripe_event_id, ''))
  returning c.user_id into member;
  if member is null then
    return case when exists (select 1 from public.billing_customers c where c.stripe_customer_id = obj ->> 'id')
                then 'stale' else 'unknown_customer' end;
  end if;
  update public.payment_methods m
     set is_default = m.detached_at is null and m.stripe_payment_method_id is not distinct from default_pm
   where m.user_id = member and m.is_default is distinct from (m.detached_at is null and m.stripe_payment_method_id is not distinct from default_pm);
  return 'applied';
end;
$$;

-- Checkout links the customer to the member who started it (client_reference_id), once.
create or replace function private.apply_stripe_checkout(obj jsonb)
returns text
language plpgsql
set search_path = ''
as $$
declare
  member uuid;
begin
  if coalesce(obj ->> 'client_reference_id', '') !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     or obj ->> 'customer' is null then
    return 'ignored';
  end if;
  select p.id into member from public.profiles p where p.id = (obj ->> 'client_reference_id')::uuid;
  if member is null then
    return 'unknown_customer';
  end if;
  insert into public.billing_customers (user_id, stripe_customer_id) values (member, obj ->> 'customer')
  on conflict do nothing;
  return 'applied';
end;
$$;

create or replace function private.apply_stripe_event(event jsonb)
returns text
language plpgsql
security definer -- the service role applies events; the helpers stay closed to every API role
set search_path = ''
as $$
declare
  event_id text := event ->> 'id';
  kind text := event ->> 'type';
  event_at timestamptz := private.stripe_time(event -> 'created');
  obj jsonb := event #> '{data,object}';
  result text;
begin
  if event_id is null or kind is null or event_at is null or jsonb_typeof(obj) <> 'object' then
    raise exception 'not a Stripe event (id, type, created and data.object are required)' using errcode = '22023';
  end if;
  -- A redelivery of a committed event: answered from the index, without writing anything.
  perform from public.stripe_events e where e.id = event_id;
  if found then
    return 'duplicate';
  end if;
  result := case
    when kind like 'customer.subscription.%' then private.apply_stripe_subscription(obj, event_at, event_id)
    when kind in ('invoice.created', 'invoice.updated', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded',
                  'invoice.payment_failed', 'invoice.voided', 'invoice.marked_uncollectible')
      then private.apply_stripe_invoice(obj, event_at, event_id)
    when kind in ('payment_method.attached', 'payment_method.updated', 'payment_method.automatically_updated')
      then private.apply_stripe_payment_method(obj, event #> '{data,previous_attributes}', false, event_at, event_id)
    when kind = 'payment_method.detached'
      then private.apply_stripe_payment_method(obj, event #> '{data,previous_attributes}', true, event_at, event_id)
    when kind = 'customer.updated' then private.apply_stripe_customer(obj, event_at, event_id)
    when kind = 'checkout.session.completed' then private.apply_stripe_checkout(obj)
    when kind in ('payment_intent.created', 'payment_intent.processing', 'payment_intent.requires_action')
      then private.apply_stripe_booking_payment(obj, 'open', null, event_at, event_id)
    when kind = 'payment_intent.succeeded' then private.apply_stripe_booking_payment(obj, 'paid', null, event_at, event_id)
    when kind = 'payment_intent.payment_failed' then private.apply_stripe_booking_payment(obj, 'open', null, event_at, event_id)
    when kind = 'payment_intent.canceled' then private.apply_stripe_booking_payment(obj, 'void', null, event_at, event_id)
    when kind = 'charge.refunded' and obj ->> 'payment_intent' is not null
      then private.apply_stripe_booking_payment(
             jsonb_build_object('id', obj ->> 'payment_intent', 'customer', obj ->> 'customer', 'metadata', obj -> 'metadata',
                                'amount', obj -> 'amount', 'amount_received', obj -> 'amount_captured', 'currency', obj -> 'currency'),
             case when (obj ->> 'refunded')::boolean then 'refunded' else 'paid' end::public.invoice_status,
             (obj ->> 'amount_refunded')::integer, event_at, event_id)
    else 'ignored'
  end;
  -- The claim, in the same transaction as the effect: of two concurrent deliveries of one event the
  -- second fails here on the primary key (unique_violation) and its whole effect rolls back with it.
  insert into public.stripe_events (id, type, stripe_created_at, livemode, outcome)
  values (event_id, kind, event_at, coalesce((event ->> 'livemode')::boolean, false), result);
  return result;
end;
$$;
comment on function private.apply_stripe_event(jsonb) is
  'Applies one signature-verified Stripe event in one transaction: ''duplicate'' if its id is recorded; else applies it where newer than the mirrored state and records the id (a concurrent duplicate fails with unique_violation); returns the outcome.';

revoke execute on function private.stripe_time(jsonb), private.stripe_member(text, jsonb),
  private.apply_stripe_subscription(jsonb, timestamptz, text), private.apply_stripe_invoice(jsonb, timestamptz, text),
  private.apply_stripe_booking_payment(jsonb, public.invoice_status, integer, timestamptz, text),
  private.apply_stripe_payment_method(jsonb, jsonb, boolean, timestamptz, text), private.apply_stripe_customer(jsonb, timestamptz, text),
  private.apply_stripe_checkout(jsonb), private.apply_stripe_event(jsonb)
  from public, anon, authenticated;
grant execute on function private.apply_stripe_event(jsonb) to service_role;
