-- Billing with Stripe: Stripe is the source of truth, these tables are its mirror. Members read
-- their own rows under RLS and write nothing; the billing functions and the stripe-webhook function
-- (service side, over SUPABASE_DB_URL) write. Plans are public reference data.
--
-- How the mirror stays right (private.apply_stripe_event, called once per webhook delivery):
-- - the event id is claimed in stripe_events in the same statement, hence the same transaction, as
--   its effect: a redelivery finds the id taken and changes nothing;
-- - state only moves forward: each mirrored row remembers the Stripe event (created, id) it
--   reflects and takes an event's data only when that event is newer, so deliveries in any order
--   end in the state of the newest event (ties on Stripe's one-second `created` broken by event id).
--
-- Member deletion (see README): billing_customers, subscriptions and payment_methods go with the
-- member (the account-delete path cancels the subscription and detaches cards in Stripe first);
-- invoices are kept for accounting with user_id nulled and the Stripe-hosted URL cleared.

-- Types
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
  constraint invoices_one_source check ((stripe_invoice_id is null) <> (stripe_payment_intent_id is null))
);
comment on table public.invoices is 'Billing history: Stripe invoices of subscriptions and the card payments of bookings. Kept for accounting when the member is deleted (user_id nulled, hosted URL cleared).';
comment on column public.invoices.booking_id is 'The booking a card payment pays (price minus credits); null for subscription invoices. Not a foreign key: the payment is the payer''s record only (see the table''s migration).';
comment on column public.invoices.stripe_event_at is 'Created time of the Stripe event the row reflects (null until the first event); older events never overwrite it.';

create table public.stripe_events (
  id text primary key check (id ~ '^evt_[A-Za-z0-9_]+$'),
  type text not null,
  stripe_created_at timestamptz not null,
  livemode boolean not null default false,
  outcome text not null check (outcome in ('applied', 'stale', 'ignored', 'unknown_customer', 'unknown_price')),
  processed_at timestamptz not null default now()
);
comment on table public.stripe_events is 'Every Stripe event id processed, claimed in the same transaction as its effect, with the outcome (applied, stale = older than the mirrored state, ignored = unhandled type, unknown_*).';

-- Indexes
create index subscriptions_user_idx on public.subscriptions (user_id, status);
create index subscriptions_plan_idx on public.subscriptions (plan_id);
create index subscriptions_scheduled_plan_idx on public.subscriptions (scheduled_plan_id);
create index subscriptions_customer_idx on public.subscriptions (stripe_customer_id);
create index payment_methods_user_idx on public.payment_methods (user_id);
create index invoices_user_idx on public.invoices (user_id, created_at desc);

-- Grants: members and anon only read (plans: everyone); the service side writes.
revoke all on public.plans, public.billing_customers, public.subscriptions, public.payment_methods, public.invoices, public.stripe_events
  from public, anon, authenticated;
grant select on public.plans to anon, authenticated;
grant select on public.billing_customers, public.subscriptions, public.payment_methods, public.invoices to authenticated;
grant select, insert, update, delete on public.plans, public.billing_customers, public.subscriptions, public.payment_methods,
  public.invoices, public.stripe_events to service_role;

-- Row level security
alter table public.plans enable row level security;
alter table public.billing_customers enable row level security;
alter table public.subscriptions enable row level security;
alter table public.payment_methods enable row level security;
alter table public.invoices enable row level security;
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

-- Triggers
create trigger plans_touch before update on public.plans for each row execute function private.touch_updated_at();
create trigger subscriptions_touch before update on public.subscriptions for each row execute function private.touch_updated_at();
create trigger invoices_touch before update on public.invoices for each row execute function private.touch_updated_at();
create trigger invoices_scrub_deleted_member before update of user_id on public.invoices
  for each row execute function private.scrub_invoice_of_deleted_member();

-- The free plan: what every member has without a subscription (entitlements read it).
insert into public.plans (code, name, interval, price_cents, currency, features)
values ('free', 'Free', 'month', 0, 'USD', '{"saved_search_notify_limit": 3, "booking_fee_discount_percent": 0, "priority_support": false}');

-- Policies
create policy "Anyone can read the plans" on public.plans
  for select to anon, authenticated using (true);
create policy "Members can read their own billing customer" on public.billing_customers
  for select to authenticated using ((select auth.uid()) = user_id or (select private.is_admin()));
create policy "Members can read their own subscriptions" on public.subscriptions
  for select to authenticated using ((select auth.uid()) = user_id or (select private.is_admin()));
create policy "Members can read their own payment methods" on public.payment_methods
  for select to authenticated using ((select auth.uid()) = user_id or (select private.is_admin()));
create policy "Members can read their own invoices" on public.invoices
  for select to authenticated using ((select auth.uid()) = user_id or (select private.is_admin()));
