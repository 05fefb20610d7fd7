-- Bookings (consultations) between a member and an expert. Lifecycle: requested -> confirmed ->
-- completed, or cancelled from requested/confirmed. Members book and cancel; experts confirm,
-- complete or cancel; the price comes from the expert's rate, never from the client. The payment
-- split (credits vs card) is written by the credits capability. Admins, and operators in a direct
-- database session (Studio), move any booking along the same lifecycle; that is audited.

-- Types
create type public.booking_status as enum ('requested', 'confirmed', 'completed', 'cancelled');

-- Tables
create table public.bookings (
  id uuid primary key default gen_random_uuid(),
  member_id uuid references public.profiles (id) on delete set null,
  expert_id uuid references public.expert_profiles (id) on delete set null,
  status public.booking_status not null default 'requested',
  scheduled_at timestamptz not null,
  duration_minutes integer not null check (duration_minutes between 15 and 480),
  price_cents integer not null default 0 check (price_cents >= 0),
  currency char(3) not null default 'USD',
  credits_applied_cents integer not null default 0 check (credits_applied_cents >= 0),
  card_amount_cents integer generated always as (price_cents - credits_applied_cents) stored,
  note text check (char_length(note) <= 2000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  confirmed_at timestamptz,
  completed_at timestamptz,
  cancelled_at timestamptz,
  cancelled_by uuid references public.profiles (id) on delete set null,
  check (credits_applied_cents <= price_cents),
  check (member_id <> expert_id) -- null once either account is deleted: the row stays as the other side's record
);
comment on table public.bookings is 'Consultations; members see theirs, experts see bookings with them. Kept (with member_id null) when a member is deleted: the expert''s records.';
comment on column public.bookings.credits_applied_cents is 'Credits applied at checkout (credits capability); card pays the rest.';

-- Links the data export and the deletion check do not follow (privacy), with the reason.
insert into private.excluded_member_links (table_name, column_name, reason) values
  ('bookings', 'cancelled_by',
   'who cancelled: a member or expert who cancels is already a party (member_id / expert_id); an admin cancelling other people''s bookings does not make them the admin''s data');

-- Indexes
create index bookings_member_idx on public.bookings (member_id, scheduled_at desc);
create index bookings_expert_idx on public.bookings (expert_id, scheduled_at desc);
create index bookings_cancelled_by_idx on public.bookings (cancelled_by);

-- Grants and row level security
alter table public.bookings enable row level security;

revoke all on public.bookings from anon, authenticated;
grant select on public.bookings to authenticated;

-- Functions
create or replace function private.touch_booking()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  if new.status is distinct from old.status then
    case new.status
      when 'confirmed' then new.confirmed_at := now();
      when 'completed' then new.completed_at := now();
      when 'cancelled' then new.cancelled_at := now();
      else null;
    end case;
  end if;
  return new;
end;
$$;

create or replace function private.create_booking(expert_id uuid, scheduled_at timestamptz, duration_minutes integer, note text default null)
returns public.bookings
language plpgsql
security definer
set search_path = ''
as $$
declare
  e public.expert_profiles;
  result public.bookings;
begin
  perform private.require_text_value('note', create_booking.note);
  perform private.require_member();
  select * into e from public.expert_profiles x where x.id = create_booking.expert_id;
  if not found or not private.is_bookable_expert(e.id) then
    raise exception 'expert % is not available for booking', create_booking.expert_id using errcode = 'PT404';
  end if;
  if e.id = (select auth.uid()) then
    raise exception 'you cannot book yourself' using errcode = '22023';
  end if;
  if scheduled_at is null or scheduled_at < now() then
    raise exception 'scheduled_at must be in the future' using errcode = '22023';
  end if;
  if duration_minutes is null or duration_minutes not between 15 and 480 then
    raise exception 'duration_minutes must be between 15 and 480' using errcode = '22023';
  end if;
  insert into public.bookings (member_id, expert_id, scheduled_at, duration_minutes, price_cents, currency, note)
  values ((select auth.uid()), e.id, scheduled_at, duration_minutes,
          round(coalesce(e.hourly_rate_cents, 0) * duration_minutes / 60.0)::integer, e.currency, note)
  returning * into result;
  perform private.record_activity(result.member_id, 'booked', 'booking', result.id::text,
                                  jsonb_build_object('expert_id', e.id, 'scheduled_at', scheduled_at));
  return result;
end;
$$;
grant execute on function private.create_booking(uuid, timestamptz, integer, text) to authenticated, service_role;

comment on function private.create_booking(uuid, timestamp with time zone, integer, text) is 'The elevated body of public.create_booking() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.create_booking(expert_id uuid, scheduled_at timestamp with time zone, duration_minutes integer, note text default null)
returns public.bookings
language sql
volatile
security invoker
set search_path = ''
as $$ select private.create_booking($1, $2, $3, $4) $$;
comment on function public.create_booking(uuid, timestamp with time zone, integer, text) is 'Member requests a consultation; price = expert rate x duration.';
revoke execute on function public.create_booking(uuid, timestamp with time zone, integer, text) from public, anon, authenticated, service_role;
grant execute on function public.create_booking(uuid, timestamp with time zone, integer, text) to authenticated, service_role;

create or replace function private.set_booking_status(booking_id uuid, new_status public.booking_status)
returns public.bookings
language plpgsql
security definer
set search_path = ''
as $$
declare
  b public.bookings;
  me uuid := (select auth.uid());
  -- Support staff: an admin, or an operator in a direct database session (Studio's SQL editor). They
  -- move any booking along the same lifecycle as its parties, and each such change is audited.
  operator boolean := me is null and private.is_operator_session();
  staff boolean;
  allowed boolean;
begin
  select * into b from public.bookings x where x.id = booking_id for update;
  staff := operator or (me is distinct from b.member_id and me is distinct from b.expert_id and private.is_admin());
  if not found or (me is null and not operator) or (me is distinct from b.member_id and me is distinct from b.expert_id and not staff) then
    raise exception 'no booking % of yours', booking_id using errcode = 'PT404';
  end if;
  if new_status <> 'cancelled' and not operator then
    perform private.require_member();
  end if;
  allowed := case
    -- Only a listed expert takes on work (a delisted one's open bookings are cancelled anyway).
    when new_status = 'confirmed' then b.status = 'requested' and (me = b.expert_id or staff)
                                       and private.is_listed_expert(b.expert_id)
    when new_status = 'completed' then b.status = 'confirmed' and (me = b.expert_id or staff)
    when new_status = 'cancelled' then b.status in ('requested', 'confirmed')
    else false
  end;
  if not allowed then
    raise exception 'cannot move booking from % to % as %', b.status, new_status,
      case when me = b.expert_id then 'the expert' when me = b.member_id then 'the member' else 'an admin' end
      using errcode = '22023';
  end if;
  if staff then
    perform private.record_admin_action('set_booking_status', b.member_id,
      jsonb_build_object('booking_id', b.id, 'from', b.status, 'to', new_status, 'credits_applied_cents', b.credits_applied_cents));
  end if;
  update public.bookings x set status = new_status, cancelled_by = case when new_status = 'cancelled' then me end
   where x.id = booking_id returning * into b;
  if new_status = 'cancelled' then
    perform private.record_activity(b.member_id, 'booking_cancelled', 'booking', b.id::text, '{}');
  elsif new_status = 'completed' then
    perform private.record_activity(b.member_id, 'booking_completed', 'booking', b.id::text, '{}');
  end if;
  return b;
end;
$$;
grant execute on function private.set_booking_status(uuid, public.booking_status) to authenticated, service_role;

comment on function private.set_booking_status(uuid, public.booking_status) is 'The elevated body of public.set_booking_status() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.set_booking_status(booking_id uuid, new_status public.booking_status)
returns public.bookings
language sql
volatile
security invoker
set search_path = ''
as $$ select private.set_booking_status($1, $2) $$;
comment on function public.set_booking_status(uuid, public.booking_status) is 'The lifecycle: experts confirm/complete, either side cancels before completion; admins and operators (Studio) act on any booking, audited.';
revoke execute on function public.set_booking_status(uuid, public.booking_status) from public, anon, authenticated, service_role;
grant execute on function public.set_booking_status(uuid, public.booking_status) to authenticated, service_role;

-- An expert who stops being listed (demoted to member, suspended, deactivated, verification
-- withdrawn) does no more business: their open bookings are cancelled in the same transaction,
-- by nobody (cancelled_by null), so both sides are notified (delivery) and the credits spent go
-- back through the ledger (checkout's refund trigger); a card part is settled by booking-payment's
-- cancel. Fired by both tables' deciding columns; compares the listing rule before and after.
create or replace function private.cancel_bookings_of_delisted_expert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  was_listed boolean;
begin
  if tg_table_name = 'profiles' then
    was_listed := private.expert_listing_rule(old.role, old.status,
                                              (select e.verification_status from public.expert_profiles e where e.id = new.id));
  else
    was_listed := private.expert_listing_rule((select p.role from public.profiles p where p.id = new.id),
                                              (select p.status from public.profiles p where p.id = new.id), old.verification_status);
  end if;
  if was_listed and not private.is_listed_expert(new.id) then
    update public.bookings b set status = 'cancelled', cancelled_by = null
     where b.expert_id = new.id and b.status in ('requested', 'confirmed');
  end if;
  return null;
end;
$$;
comment on function private.cancel_bookings_of_delisted_expert() is 'Trigger: when an expert stops being listed, cancels their open bookings (both sides notified, credits refunded).';
revoke execute on function private.cancel_bookings_of_delisted_expert() from public, anon, authenticated;

-- Triggers
-- Later capabilities hang triggers on public.bookings beside the functions they run:
-- bookings_credits_match_ledger, bookings_refund_credits (checkout); bookings_scrub_deleted_member
-- (privacy); bookings_notify_requested, bookings_notify_status (delivery).
create trigger bookings_touch before update on public.bookings for each row execute function private.touch_booking();
create trigger profiles_cancel_bookings_of_delisted_expert after update of role, status on public.profiles
  for each row when (old.role is distinct from new.role or old.status is distinct from new.status)
  execute function private.cancel_bookings_of_delisted_expert();
create trigger expert_profiles_cancel_bookings_of_delisted_expert after update of verification_status on public.expert_profiles
  for each row when (old.verification_status is distinct from new.verification_status)
  execute function private.cancel_bookings_of_delisted_expert();

-- Policies
create policy "Members and experts read their bookings, admins every one" on public.bookings
  for select to authenticated
  using ((select auth.uid()) = member_id or (select auth.uid()) = expert_id or id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');
