-- Billing with Stripe: Stripe is the source of truth, these tables are its mirror. Members read
-- their own rows under RLS and write nothing; the billing functions and the stripe-webhook function
-- (service side, over SUPABASE_DB_URL) write. Plans are public reference data.
--
-- How the mirror stays right (private.apply_stripe_event, called once per webhook delivery):
-- - the event id is claimed in stripe_events in the same statement, hence the same transaction, as
--   its effect: a redelivery finds the id taken and changes nothing;
-- - state only moves forward: each mirrored row remembers the Stripe event (created, id) it
--   reflects and takes an event's data only when that event is newer, so deliveries in any order
--   end in the state of the newest event (ties on Stripe's one-second `created` broken by event id);
-- - an event whose customer is not linked to a member yet is not done: it is kept in stripe_events
--   as 'pending_link' with its payload and applied, in event order, in the transaction that links
--   the customer (a billing_customers row appears: checkout.session.completed or the billing
--   functions). So any arrival order, checkout last included, ends in the same state. A redelivery
--   of a parked event is tried again, never answered 'duplicate'. Parking and linking take the same
--   per-customer lock, so an event parked concurrently with the link is never left behind. A parked
--   event nobody links within 30 days OF ITS PARKING (stripe_events.parked_at, not Stripe's
--   `created`: an event created weeks before it reached us still waits its 30 days) is dropped
--   (private.expire_parked_stripe_events, daily).
-- - a checkout links a customer to one member only: a checkout.session.completed naming a customer
--   already linked to another member (or a member already linked to another customer) changes
--   nothing and is refused (SQLSTATE PT409; the webhook answers 409 stripe_customer_conflict and
--   records nothing, so Stripe keeps retrying and the delivery shows failed until someone resolves it).
--
-- Member deletion (see README): billing_customers, subscriptions and payment_methods go with the
-- member (the account-delete path cancels the subscription and detaches cards in Stripe first);
-- invoices are kept for accounting with user_id nulled and the Stripe-hosted URL cleared.

-- Applying a verified Stripe event to the billing mirror, in ONE statement (so one transaction):
-- apply it only where it is newer than what the row reflects, and claim the event id in
-- stripe_events in the same transaction (a concurrent second delivery fails on the key and rolls
-- back; the function answers it as a duplicate). The stripe-webhook function verifies the signature and calls private.apply_stripe_event.
--
-- Handled: customer.subscription.*, invoice.*, payment_method.attached/updated/detached,
-- customer.updated (default payment method), checkout.session.completed (customer link),
-- payment_intent.* and charge.refunded (booking card payments). Anything else is recorded as
-- 'ignored' and answered 2xx, as Stripe expects.

-- A booking's card payment points at its booking (invoices.booking_id is a real foreign key), and
-- the catalog keeps it the payer's record only (an entry in private.excluded_member_links).

-- What a member's plan lets them do (private.entitlements and the features that use it) is the
-- entitlements migration's: it reads the plans and subscriptions mirrored here.

-- Types
-- Billing events notify their member in this notification category (private.notify_billing_event,
-- delivery). A new enum value is used only by later migrations: Postgres refuses it before it commits.
alter type public.notification_category add value 'billing';

create type public.plan_interval as enum ('month', 'year');

create type public.subscription_status as enum
  ('incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'unpaid', 'paused', 'canceled');

create type public.invoice_status as enum ('draft', 'open', 'paid', 'void', 'uncollectible', 'refunded');

-- Tables
create table public.plans (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
  name text not null check (char_length(btrim(name)) between 1 and 80),
  interval public.plan_interval not null default 'month',
  price_cents integer not null check (price_cents >= 0),
  currency char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  features jsonb not null,
  stripe_price_id text unique check (stripe_price_id ~ '^price_[A-Za-z0-9_]+$'),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Exactly the three entitlements, typed: nothing a typo could silently switch off.
  constraint plans_features_shape check (
    jsonb_typeof(features) = 'object'
    and features ?& array['saved_search_notify_limit', 'booking_fee_discount_percent', 'priority_support']
    and (features - array['saved_search_notify_limit', 'booking_fee_discount_percent', 'priority_support']) = '{}'::jsonb
    and jsonb_typeof(features -> 'saved_search_notify_limit') = 'number'
    and (features ->> 'saved_search_notify_limit')::numeric between 0 and 50
    and jsonb_typeof(features -> 'booking_fee_discount_percent') = 'number'
    and (features ->> 'booking_fee_discount_percent')::numeric between 0 and 100
    and jsonb_typeof(features -> 'priority_support') = 'boolean'),
  -- The free plan is what members without a subscription have: it has no Stripe price.
  constraint plans_paid_have_price check ((code = 'free') = (stripe_price_id is null) and (code <> 'free' or price_cents = 0))
);
comment on table public.plans is 'Subscription plans (public reference data). The plan with code ''free'' is what a member without a subscription has.';
comment on column public.plans.features is 'Entitlements under the plan: saved_search_notify_limit (int), booking_fee_discount_percent (0-100), priority_support (bool); read through public.my_entitlements().';
comment on column public.plans.stripe_price_id is 'The Stripe Price members subscribe to; null only for the free plan.';

-- The free plan: what every member has without a subscription (entitlements read it).
insert into public.plans (code, name, interval, price_cents, currency, features)
values ('free', 'Free', 'month', 0, 'USD', '{"saved_search_notify_limit": 3, "booking_fee_discount_percent": 0, "priority_support": false}');

create table public.billing_customers (
  user_id uuid primary key references public.profiles (id) on delete cascade,
  stripe_customer_id text not null unique check (stripe_customer_id ~ '^cus_[A-Za-z0-9_]+$'),
  default_payment_method_id text check (default_payment_method_id ~ '^pm_[A-Za-z0-9_]+$'),
  stripe_event_at timestamptz,
  stripe_event_id text,
  created_at timestamptz not null default now()
);
comment on table public.billing_customers is 'The member''s Stripe customer (created by the billing functions, idempotently per member).';
comment on column public.billing_customers.default_payment_method_id is 'invoice_settings.default_payment_method from the newest customer.updated event.';
comment on column public.billing_customers.stripe_event_at is 'Created time of the Stripe event the default payment method reflects (with stripe_event_id: the order key).';

create table public.subscriptions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  stripe_subscription_id text not null unique check (stripe_subscription_id ~ '^sub_[A-Za-z0-9_]+$'),
  stripe_customer_id text not null,
  plan_id uuid not null references public.plans (id),
  status public.subscription_status not null,
  quantity integer not null default 1 check (quantity > 0),
  current_period_start timestamptz,
  current_period_end timestamptz,
  trial_start timestamptz,
  trial_end timestamptz,
  cancel_at_period_end boolean not null default false,
  cancel_at timestamptz,
  canceled_at timestamptz,
  ended_at timestamptz,
  scheduled_plan_id uuid references public.plans (id),
  scheduled_change_at timestamptz,
  stripe_event_at timestamptz not null,
  stripe_event_id text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.subscriptions is 'Mirror of the member''s Stripe subscriptions, written only from Stripe events (and the scheduled downgrade noted by billing-change-plan).';
comment on column public.subscriptions.stripe_event_at is 'Created time of the Stripe event this row reflects; an older event never overwrites it (ties: stripe_event_id).';
comment on column public.subscriptions.scheduled_plan_id is 'A downgrade Stripe will apply at current_period_end (subscription schedule); cleared once an event shows the new plan.';

create table public.payment_methods (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  stripe_payment_method_id text not null unique check (stripe_payment_method_id ~ '^pm_[A-Za-z0-9_]+$'),
  brand text check (char_length(brand) <= 40),
  last4 text check (last4 ~ '^[0-9]{4}$'),
  exp_month smallint check (exp_month between 1 and 12),
  exp_year smallint check (exp_year between 2000 and 2200),
  is_default boolean not null default false,
  detached_at timestamptz,
  stripe_event_at timestamptz not null,
  stripe_event_id text not null,
  created_at timestamptz not null default now()
);
comment on table public.payment_methods is 'Display data of the member''s saved cards (brand, last4, expiry) from Stripe events; never card numbers. Detached cards keep a row with detached_at set.';
comment on column public.payment_methods.is_default is 'Whether this is the customer''s default payment method (billing_customers.default_payment_method_id).';

create table public.invoices (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references public.profiles (id) on delete set null,
  stripe_invoice_id text unique check (stripe_invoice_id ~ '^in_[A-Za-z0-9_]+$'),
  stripe_payment_intent_id text unique check (stripe_payment_intent_id ~ '^pi_[A-Za-z0-9_]+$'),
  stripe_subscription_id text,
  -- No foreign key on purpose: the catalog follows foreign keys as member links, and through the
  -- booking the EXPERT would reach the payer's card payment (bookings are kept, never deleted, when
  -- either party goes, so the id stays meaningful).
  booking_id uuid unique,
  number text,
  status public.invoice_status not null,
  amount_due_cents integer not null default 0 check (amount_due_cents >= 0),
  amount_paid_cents integer not null default 0 check (amount_paid_cents >= 0),
  amount_refunded_cents integer not null default 0 check (amount_refunded_cents >= 0),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  period_start timestamptz,
  period_end timestamptz,
  hosted_invoice_url text,
  stripe_event_at timestamptz,
  stripe_event_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- A subscription invoice (Stripe Invoice) or a booking's card payment (PaymentIntent).
  constraint invoices_one_source check ((stripe_invoice_id is null) <> (stripe_payment_intent_id is null)),
  constraint invoices_booking_id_fkey foreign key (booking_id) references public.bookings (id) on delete set null
);
comment on table public.invoices is 'Billing history: Stripe invoices of subscriptions and the card payments of bookings. Kept for accounting when the member is deleted (user_id nulled, hosted URL cleared).';
comment on column public.invoices.booking_id is 'The booking a card payment pays (price minus credits); null for subscription invoices and once the booking is gone. The payer''s record only (member_link_exclusions).';
comment on column public.invoices.stripe_event_at is 'Created time of the Stripe event the row reflects (null until the first event); older events never overwrite it.';

create table public.stripe_events (
  id text primary key check (id ~ '^evt_[A-Za-z0-9_]+$'),
  type text not null,
  stripe_created_at timestamptz not null,
  livemode boolean not null default false,
  outcome text not null check (outcome in ('applied', 'stale', 'ignored', 'unknown_customer', 'unknown_price', 'pending_link')),
  processed_at timestamptz not null default now(),
  stripe_customer_id text,
  payload jsonb,
  parked_at timestamptz,
  constraint stripe_events_parked_payload check ((outcome = 'pending_link') = (payload is not null)),
  constraint stripe_events_parked_since check (outcome <> 'pending_link' or parked_at is not null)
);
comment on table public.stripe_events is 'Every Stripe event id processed, claimed in the same transaction as its effect, with the outcome (applied, stale = older than the mirrored state, ignored = unhandled type, pending_link = kept until its customer is linked, unknown_*).';
comment on column public.stripe_events.stripe_customer_id is 'The Stripe customer the event is about (the key its parked events are applied by when the customer is linked).';
comment on column public.stripe_events.payload is 'The whole event while it waits for its customer''s link (pending_link); cleared once applied.';
comment on column public.stripe_events.parked_at is 'When the event was first kept as pending_link: its 30 days of waiting for a link count from here (private.expire_parked_stripe_events).';

-- Links the data export and the deletion check do not follow (privacy), with the reason.
insert into private.excluded_member_links (table_name, column_name, reason) values
  ('invoices', 'booking_id',
   'a booking''s card payment is the paying member''s billing record (reached through user_id), not the expert''s, though the booking is both of theirs');

-- Indexes
create index subscriptions_user_idx on public.subscriptions (user_id, status);
create index subscriptions_plan_idx on public.subscriptions (plan_id);
create index subscriptions_scheduled_plan_idx on public.subscriptions (scheduled_plan_id);
create index subscriptions_customer_idx on public.subscriptions (stripe_customer_id);
create index payment_methods_user_idx on public.payment_methods (user_id);
create index invoices_user_idx on public.invoices (user_id, created_at desc);
create index stripe_events_parked_idx on public.stripe_events (stripe_customer_id, stripe_created_at, id) where outcome = 'pending_link';

-- Grants and row level security
-- Grants: members and anon only read (plans: everyone); the service side writes.
revoke all on public.plans from public, anon, authenticated;
grant select on public.plans to anon, authenticated;
grant select, insert, update, delete on public.plans to service_role;

alter table public.plans enable row level security;
revoke all on public.billing_customers from public, anon, authenticated;
grant select on public.billing_customers to authenticated;
grant select, insert, update, delete on public.billing_customers to service_role;
alter table public.billing_customers enable row level security;
revoke all on public.subscriptions from public, anon, authenticated;
grant select on public.subscriptions to authenticated;
grant select, insert, update, delete on public.subscriptions to service_role;
alter table public.subscriptions enable row level security;
revoke all on public.payment_methods from public, anon, authenticated;
grant select on public.payment_methods to authenticated;
grant select, insert, update, delete on public.payment_methods to service_role;
alter table public.payment_methods enable row level security;
revoke all on public.invoices from public, anon, authenticated;
grant select on public.invoices to authenticated;
grant select, insert, update, delete on public.invoices to service_role;
alter table public.invoices enable row level security;
revoke all on public.stripe_events from public, anon, authenticated;
grant select, insert, update, delete on public.stripe_events to service_role;
alter table public.stripe_events enable row level security;

-- Functions
-- A kept invoice names nobody: the Stripe-hosted page shows the customer's name and address.
create or replace function private.scrub_invoice_of_deleted_member()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.user_id is not null and new.user_id is null then
    new.hosted_invoice_url := null;
  end if;
  return new;
end;
$$;

create or replace function private.stripe_time(epoch jsonb)
returns timestamptz
language sql
immutable
set search_path = ''
as $$
  select case when jsonb_typeof(epoch) = 'number' then to_timestamp((epoch #>> '{}')::double precision) end;
$$;
comment on function private.stripe_time(jsonb) is 'A Stripe epoch-seconds field as timestamptz (null when absent or null).';
revoke execute on function private.stripe_time(jsonb) from public, anon, authenticated;

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
revoke execute on function private.stripe_member(text, jsonb) from public, anon, authenticated;

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
revoke execute on function private.apply_stripe_subscription(jsonb, timestamptz, text) from public, anon, authenticated;

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
revoke execute on function private.apply_stripe_invoice(jsonb, timestamptz, text) from public, anon, authenticated;

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
revoke execute on function private.apply_stripe_booking_payment(jsonb, public.invoice_status, integer, timestamptz, text) from public, anon, authenticated;

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
revoke execute on function private.apply_stripe_payment_method(jsonb, jsonb, boolean, timestamptz, text) from public, anon, authenticated;

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
revoke execute on function private.apply_stripe_customer(jsonb, timestamptz, text) from public, anon, authenticated;

-- Checkout links the customer to the member who started it (client_reference_id), once. A link
-- that would take a customer from another member, or give a linked member a second customer, is
-- refused (PT409): one customer is one member's, and answering "applied" would hide that nothing
-- changed.
create or replace function private.apply_stripe_checkout(obj jsonb)
returns text
language plpgsql
set search_path = ''
as $$
declare
  member uuid;
  holder uuid;
  held text;
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
  if not found then
    select c.user_id into holder from public.billing_customers c where c.stripe_customer_id = obj ->> 'customer';
    select c.stripe_customer_id into held from public.billing_customers c where c.user_id = member;
    if holder is distinct from member or held is distinct from obj ->> 'customer' then
      raise exception 'checkout % links Stripe customer % to member %, but %', obj ->> 'id', obj ->> 'customer', member,
        case when holder is distinct from member then 'that customer is linked to another member'
             else 'that member is linked to another customer' end
        using errcode = 'PT409', hint = 'Resolve the link in billing_customers; Stripe retries the delivery until then.';
    end if;
  end if;
  return 'applied';
end;
$$;
revoke execute on function private.apply_stripe_checkout(jsonb) from public, anon, authenticated;

-- Every Stripe event type the webhook acts on: the one list the Stripe endpoint must subscribe to
-- (docs/deploy.md, step 5, is checked against it); any other type is recorded and ignored.
create or replace function private.stripe_webhook_events()
returns text[]
language sql
immutable
set search_path = ''
as $$
  select array[
    'checkout.session.completed',
    'customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted',
    'customer.subscription.paused', 'customer.subscription.resumed', 'customer.subscription.trial_will_end',
    'customer.subscription.pending_update_applied', 'customer.subscription.pending_update_expired',
    'customer.updated',
    'invoice.created', 'invoice.updated', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded',
    'invoice.payment_failed', 'invoice.voided', 'invoice.marked_uncollectible',
    'payment_method.attached', 'payment_method.updated', 'payment_method.automatically_updated', 'payment_method.detached',
    'payment_intent.created', 'payment_intent.processing', 'payment_intent.requires_action', 'payment_intent.succeeded',
    'payment_intent.payment_failed', 'payment_intent.canceled',
    'charge.refunded'
  ]
$$;
revoke execute on function private.stripe_webhook_events() from public, anon, authenticated;

-- What one event does to the mirror (its outcome), without recording it: apply_stripe_event and
-- the parked events' replay both use it.
create or replace function private.dispatch_stripe_event(event jsonb)
returns text
language plpgsql
set search_path = ''
as $$
declare
  event_id text := event ->> 'id';
  kind text := event ->> 'type';
  event_at timestamptz := private.stripe_time(event -> 'created');
  obj jsonb := event #> '{data,object}';
begin
  return case
    when not kind = any(private.stripe_webhook_events()) then 'ignored'
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
end;
$$;
revoke execute on function private.dispatch_stripe_event(jsonb) from public, anon, authenticated;

-- The Stripe customer an event is about: its object's customer (a detached card names it in
-- previous_attributes), or the customer itself.
create or replace function private.stripe_event_customer(event jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select coalesce(event #>> '{data,object,customer}', event #>> '{data,previous_attributes,customer}',
                  case when event #>> '{data,object,object}' = 'customer' then event #>> '{data,object,id}' end);
$$;
revoke execute on function private.stripe_event_customer(jsonb) from public, anon, authenticated;

-- One lock per Stripe customer, taken by whoever parks an event of it and by whoever links it.
create or replace function private.lock_stripe_customer(customer text)
returns void
language sql
set search_path = ''
as $$
  select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('memberbase.stripe-customer:' || customer, 0));
$$;
revoke execute on function private.lock_stripe_customer(text) from public, anon, authenticated;

create or replace function private.apply_stripe_event(event jsonb)
returns text
language plpgsql
security definer -- the service role applies events; the helpers stay closed to every API role
set search_path = ''
as $$
declare
  customer text := private.stripe_event_customer(event);
  event_id text := event ->> 'id';
  kind text := event ->> 'type';
  event_at timestamptz := private.stripe_time(event -> 'created');
  prior text;
  result text;
begin
  if event_id is null or kind is null or event_at is null or jsonb_typeof(event #> '{data,object}') <> 'object' then
    raise exception 'not a Stripe event (id, type, created and data.object are required)' using errcode = '22023';
  end if;
  if customer is not null then
    perform private.lock_stripe_customer(customer);
  end if;
  -- A redelivery of a committed event: answered from the index, without writing anything; a parked
  -- one is tried again (its customer may be known by now).
  select e.outcome into prior from public.stripe_events e where e.id = event_id for update;
  if prior is not null and prior <> 'pending_link' then
    return 'duplicate';
  end if;
  result := private.dispatch_stripe_event(event);
  -- Not linked yet: kept with its payload and applied when the link appears (checkout's own
  -- unknown member is no link to wait for).
  if result = 'unknown_customer' and customer is not null and kind <> 'checkout.session.completed' then
    result := 'pending_link';
  end if;
  if prior is not null then
    update public.stripe_events e
       set outcome = result, payload = case when result = 'pending_link' then event end, processed_at = now(),
           parked_at = case when result = 'pending_link' then coalesce(e.parked_at, now()) else e.parked_at end
     where e.id = event_id;
    return result;
  end if;
  -- The claim, in the same transaction as the effect: of two concurrent deliveries of one event the
  -- second fails here on the primary key (unique_violation) and its whole effect rolls back with it.
  insert into public.stripe_events (id, type, stripe_created_at, livemode, outcome, stripe_customer_id, payload, parked_at)
  values (event_id, kind, event_at, coalesce((event ->> 'livemode')::boolean, false), result, customer,
          case when result = 'pending_link' then event end, case when result = 'pending_link' then now() end);
  return result;
end;
$$;
comment on function private.apply_stripe_event(jsonb) is
  'Applies one signature-verified Stripe event in one transaction: ''duplicate'' if its id is recorded (unless parked); else applies it where newer than the mirrored state and records the id (a concurrent duplicate fails with unique_violation); an event of a customer not linked yet is kept as ''pending_link''; returns the outcome.';
revoke execute on function private.apply_stripe_event(jsonb) from public, anon, authenticated;
grant execute on function private.apply_stripe_event(jsonb) to service_role;

-- The parked events of a customer, applied in event order (created, id) once it is linked; each
-- keeps the "state only moves forward" rule, so the result is that of any in-order delivery.
create or replace function private.apply_parked_stripe_events(customer text)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  parked record;
  result text;
  applied integer := 0;
begin
  perform private.lock_stripe_customer(customer);
  for parked in
    select e.id, e.payload from public.stripe_events e
     where e.stripe_customer_id = customer and e.outcome = 'pending_link'
     order by e.stripe_created_at, e.id
       for update
  loop
    result := private.dispatch_stripe_event(parked.payload);
    if result <> 'unknown_customer' then
      update public.stripe_events e set outcome = result, payload = null, processed_at = now() where e.id = parked.id;
      applied := applied + 1;
    end if;
  end loop;
  return applied;
end;
$$;
comment on function private.apply_parked_stripe_events(text) is 'Applies the events parked as pending_link for a Stripe customer now linked, in event order; returns how many were applied.';
revoke execute on function private.apply_parked_stripe_events(text) from public, anon, authenticated;
grant execute on function private.apply_parked_stripe_events(text) to service_role;

-- A customer nobody links within the retention (a deleted member's customer, whose later events
-- find no member, or a checkout that never completes): its parked events are dropped as
-- unknown_customer, payload and all, so nothing of a gone member is kept indefinitely. Counted from
-- parked_at: Stripe's `created` can be weeks old when an event first reaches us (a resent or
-- replayed event), and such an event must still wait its full window for the link.
create or replace function private.expire_parked_stripe_events(older_than interval default '30 days')
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  expired integer;
begin
  update public.stripe_events e set outcome = 'unknown_customer', payload = null, processed_at = now()
   where e.outcome = 'pending_link' and e.parked_at < now() - older_than;
  get diagnostics expired = row_count;
  return expired;
end;
$$;
comment on function private.expire_parked_stripe_events(interval) is 'Drops Stripe events parked (pending_link) longer than older_than (30 days, counted from parked_at) as unknown_customer, clearing their payload; returns how many. Safe on a schedule (daily).';
revoke execute on function private.expire_parked_stripe_events(interval) from public, anon, authenticated;
grant execute on function private.expire_parked_stripe_events(interval) to service_role;

create or replace function private.apply_parked_on_link()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.apply_parked_stripe_events(new.stripe_customer_id);
  return null;
end;
$$;
revoke execute on function private.apply_parked_on_link() from public, anon, authenticated;

-- Credits lower a booking's card amount: once its card payment has started (an open or paid
-- invoice), more credits would make the member pay twice, so they are refused (booking-payment
-- holds the booking row while it starts the payment, so the two cannot cross).
create or replace function private.refuse_credits_after_card_payment()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.credits_applied_cents > old.credits_applied_cents
     and exists (select 1 from public.invoices i where i.booking_id = new.id and i.status in ('open', 'paid')) then
    raise exception 'the card payment of this booking has started: credits can no longer be applied' using errcode = '22023', detail = 'payment_started';
  end if;
  return new;
end;
$$;
revoke execute on function private.refuse_credits_after_card_payment() from public, anon, authenticated;

-- Triggers
create trigger bookings_credits_after_card_payment before update of credits_applied_cents on public.bookings
  for each row execute function private.refuse_credits_after_card_payment();
create trigger plans_touch before update on public.plans for each row execute function private.touch_updated_at();
create trigger subscriptions_touch before update on public.subscriptions for each row execute function private.touch_updated_at();
create trigger invoices_touch before update on public.invoices for each row execute function private.touch_updated_at();
create trigger billing_customers_apply_parked after insert or update of stripe_customer_id on public.billing_customers
  for each row execute function private.apply_parked_on_link();
create trigger invoices_scrub_deleted_member before update of user_id on public.invoices
  for each row execute function private.scrub_invoice_of_deleted_member();

-- Policies
create policy "Anyone can read the plans" on public.plans
  for select to anon, authenticated using (true);

create policy "Members can read their own billing customer" on public.billing_customers
  for select to authenticated using ((select auth.uid()) = user_id or user_id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');

create policy "Members can read their own subscriptions" on public.subscriptions
  for select to authenticated using ((select auth.uid()) = user_id or id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');

create policy "Members can read their own payment methods" on public.payment_methods
  for select to authenticated using ((select auth.uid()) = user_id or id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');

create policy "Members can read their own invoices" on public.invoices
  for select to authenticated using ((select auth.uid()) = user_id or id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');
