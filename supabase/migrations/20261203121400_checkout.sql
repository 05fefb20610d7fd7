-- Spending credits at checkout: a member applies credits to their own requested or confirmed
-- booking, up to min(balance, floor(price x cap)), cap 50% by default (private.credit_settings).
-- One spend per booking, keyed ('booking', booking id, 'spend'); cancelling the booking refunds
-- exactly that spend, keyed ('booking', booking id, 'refund'). bookings.credits_applied_cents
-- always equals the booking's spend in the ledger (a guard checks it); it stays as the record of
-- checkout after a cancellation, when the refund entry returns the credits.
-- Lock order everywhere: booking row, then credit account row (no deadlocks between paths).

-- Types
create type public.credit_quote as (
  booking_id uuid,
  price_cents integer,
  cap_percent integer,
  cap_cents integer,
  balance_cents integer,
  applied_cents integer,
  applicable_cents integer
);

-- Functions
create or replace function private.credit_cap_cents(price_cents integer)
returns integer
language sql
stable
security definer
set search_path = ''
as $$
  -- Integer division of non-negative numbers is floor: price 999 at 50% -> 499.
  select (greatest(price_cents, 0)::bigint * s.spend_cap_percent / 100)::integer from private.credit_settings s where s.id;
$$;
revoke execute on function private.credit_cap_cents(integer) from public, anon, authenticated;

create or replace function private.quote_credits(booking_id uuid)
returns public.credit_quote
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  b public.bookings;
  q public.credit_quote;
begin
  perform private.require_member();
  select * into b from public.bookings x where x.id = quote_credits.booking_id;
  if not found or b.member_id is distinct from me then
    raise exception 'no booking % of yours', quote_credits.booking_id using errcode = 'PT404';
  end if;
  q.booking_id := b.id;
  q.price_cents := b.price_cents;
  q.cap_percent := (private.credit_settings()).spend_cap_percent;
  q.cap_cents := private.credit_cap_cents(b.price_cents);
  q.balance_cents := coalesce((select a.balance_cents from public.credit_accounts a where a.user_id = me), 0);
  q.applied_cents := b.credits_applied_cents;
  q.applicable_cents := case when b.status in ('requested', 'confirmed') and b.credits_applied_cents = 0
                             then least(q.balance_cents, q.cap_cents) else 0 end;
  return q;
end;
$$;
grant execute on function private.quote_credits(uuid) to authenticated, service_role;

comment on function private.quote_credits(uuid) is 'The elevated body of public.quote_credits() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.quote_credits(booking_id uuid)
returns public.credit_quote
language sql
stable
security invoker
set search_path = ''
as $$ select private.quote_credits($1) $$;
comment on function public.quote_credits(uuid) is 'How many credits the caller may apply to their booking: min(balance, floor(price x cap)); 0 once applied or when the booking is closed.';
revoke execute on function public.quote_credits(uuid) from public, anon, authenticated, service_role;
grant execute on function public.quote_credits(uuid) to authenticated, service_role;

create or replace function private.apply_credits(booking_id uuid, amount_cents integer default null)
returns public.bookings
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  b public.bookings;
  spent public.credit_transactions;
  account uuid;
  balance integer;
  cap integer;
  amount integer;
begin
  perform private.require_member();
  select * into b from public.bookings x where x.id = apply_credits.booking_id for update;
  if not found or b.member_id is distinct from me then
    raise exception 'no booking % of yours', apply_credits.booking_id using errcode = 'PT404';
  end if;
  select * into spent from public.credit_transactions t
   where t.source = 'booking' and t.source_id = b.id::text and t.kind = 'spend';
  if found then
    -- A retry of the same checkout answers with the booking as it is; a different amount is refused.
    if apply_credits.amount_cents is null or apply_credits.amount_cents = -spent.amount_cents then
      return b;
    end if;
    raise exception 'credits (% cents) are already applied to booking %', -spent.amount_cents, b.id using errcode = '22023';
  end if;
  if b.status not in ('requested', 'confirmed') then
    raise exception 'credits apply only to requested or confirmed bookings, not % ones', b.status using errcode = '22023';
  end if;

  account := private.ensure_credit_account(me);
  select a.balance_cents into balance from public.credit_accounts a where a.id = account for update;
  cap := private.credit_cap_cents(b.price_cents);
  amount := coalesce(apply_credits.amount_cents, least(balance, cap));
  if amount <= 0 then
    raise exception '%', case when apply_credits.amount_cents is null then 'no credits to apply' else 'amount_cents must be positive' end
      using errcode = '22023';
  end if;
  if amount > cap then
    raise exception 'at most % cents (% of the price) may be paid with credits', cap, (private.credit_settings()).spend_cap_percent || '%'
      using errcode = '22023';
  end if;
  if amount > balance then
    raise exception 'insufficient credits: balance % cents, % cents asked', balance, amount using errcode = '22023';
  end if;

  perform private.post_credit(account, -amount, 'spend', 'booking', b.id::text, me, 'Applied at checkout');
  update public.bookings x set credits_applied_cents = amount where x.id = b.id returning * into b;
  return b;
end;
$$;
grant execute on function private.apply_credits(uuid, integer) to authenticated, service_role;

comment on function private.apply_credits(uuid, integer) is 'The elevated body of public.apply_credits() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.apply_credits(booking_id uuid, amount_cents integer default null)
returns public.bookings
language sql
volatile
security invoker
set search_path = ''
as $$ select private.apply_credits($1, $2) $$;
comment on function public.apply_credits(uuid, integer) is 'Pays part of the caller''s booking with credits (default: as much as allowed); atomic and idempotent per booking.';
revoke execute on function public.apply_credits(uuid, integer) from public, anon, authenticated, service_role;
grant execute on function public.apply_credits(uuid, integer) to authenticated, service_role;

create or replace function private.refund_booking_credits()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  spent public.credit_transactions;
  actor uuid := (select auth.uid());
begin
  select * into spent from public.credit_transactions t
   where t.source = 'booking' and t.source_id = new.id::text and t.kind = 'spend';
  if found then
    perform private.post_credit(spent.account_id, -spent.amount_cents, 'refund', 'booking', new.id::text,
                                (select p.id from public.profiles p where p.id = actor), 'Booking cancelled');
  end if;
  return null;
end;
$$;

-- credits_applied_cents is whatever the ledger says was spent on the booking, nothing else.
create or replace function private.guard_booking_credits()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.credits_applied_cents <> coalesce((select -t.amount_cents from public.credit_transactions t
                                             where t.source = 'booking' and t.source_id = new.id::text and t.kind = 'spend'), 0) then
    raise exception 'credits_applied_cents must match the credits spent in the ledger; use apply_credits()' using errcode = '42501';
  end if;
  return new;
end;
$$;

-- Triggers
create trigger bookings_credits_match_ledger before insert or update of credits_applied_cents on public.bookings
  for each row execute function private.guard_booking_credits();
create trigger bookings_refund_credits after update of status on public.bookings
  for each row when (new.status = 'cancelled' and old.status is distinct from 'cancelled')
  execute function private.refund_booking_credits();
