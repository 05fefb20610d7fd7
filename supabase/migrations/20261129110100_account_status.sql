-- Account status, enforced in the database. profiles.status is set by admins (audited) or the
-- service role. 'suspended' (an admin's measure, may be lifted) and 'deactivated' (the account is
-- closed, e.g. before deletion) mean the same for every capability: the member is INACTIVE.
--
--   capability                                          active   inactive (suspended / deactivated)
--   read own rows, member_stats/dashboard/histories     yes      yes
--   data export, account deletion (request / cancel)    yes      yes
--   delete own rows (favorites, searches, locations,    yes      yes
--     reviews), clear search history
--   privacy, notification, email and other settings;    yes      yes  (withdrawing consent and
--     mark notifications read                                         muting mail stay possible)
--   cancel own bookings (credits are refunded)          yes      yes
--   reply to own support tickets                        yes      yes
--   open a support ticket                               yes      only category 'account' (an appeal)
--   edit profile / expert profile, favorite, review,    yes      no (42501)
--     save searches, record searches, set a location,
--     nearby search, book, confirm/complete bookings,
--     apply credits, onboarding steps, see a member's
--     area
--   be listed or booked as an expert, public profile,   yes      no (hidden as if unverified)
--     public reviews, favorites count
--   admin powers                                        yes      no (private.is_admin() needs active)
--   earn referral credits                               yes      no (credit_referral: *_inactive)

-- Functions
create or replace function private.account_active(user_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.profiles p where p.id = account_active.user_id and p.status = 'active');
end;
$$;
comment on function private.account_active(uuid) is 'True when the member exists and is active; for policies and RPCs that show or book experts.';
grant execute on function private.account_active(uuid) to anon, authenticated, service_role;

create or replace function private.is_active_member()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return private.account_active((select auth.uid()));
end;
$$;
comment on function private.is_active_member() is 'True when the caller is a signed-in, active member; restrictive write policies use it as (select private.is_active_member()).';
grant execute on function private.is_active_member() to authenticated, service_role;

-- Signed in, whatever the status: for reading and deleting one's own data.
create or replace function private.require_signed_in()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  if me is null then
    raise exception 'sign in first' using errcode = '28000';
  end if;
  return me;
end;
$$;
comment on function private.require_signed_in() is 'Raises unless a member is signed in (any status); for RPCs that read or delete the caller''s own data.';
grant execute on function private.require_signed_in() to authenticated, service_role;

-- Every member RPC that acts (rather than reads) starts with this one: signed in AND active.
create or replace function private.require_member()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  me uuid := private.require_signed_in();
begin
  if not private.account_active(me) then
    raise exception 'your account is %: this is not available until it is active again',
      coalesce((select p.status::text from public.profiles p where p.id = me), 'not set up') using errcode = '42501';
  end if;
  return me;
end;
$$;
comment on function private.require_member() is 'Raises unless the caller is a signed-in, active member (suspended and deactivated members are refused).';

-- RPCs that only read or delete the caller's own data stay available to inactive members.
-- member_stats, member_dashboard, spending_history, consultation_history, clear_search_history and
-- request_account_deletion: as before, except that they start with require_signed_in() instead of
-- require_member().
-- member_stats (from 20261125132300_member_stats.sql).
create or replace function public.member_stats()
returns table (
  bookings_total integer, bookings_upcoming integer, bookings_completed integer, bookings_cancelled integer,
  minutes_consulted integer, experts_consulted integer,
  spent_cents bigint, credits_spent_cents bigint, card_spent_cents bigint,
  reviews_written integer, average_rating_given numeric, open_tickets integer, unread_notifications integer,
  member_since timestamptz, last_consultation_at timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  perform private.require_signed_in(); -- reading or deleting own data: any account status
  return query
    select count(*)::integer,
           (count(*) filter (where b.status in ('requested', 'confirmed') and b.scheduled_at >= now()))::integer,
           (count(*) filter (where b.status = 'completed'))::integer,
           (count(*) filter (where b.status = 'cancelled'))::integer,
           coalesce(sum(b.duration_minutes) filter (where b.status = 'completed'), 0)::integer,
           (count(distinct b.expert_id) filter (where b.status = 'completed'))::integer,
           coalesce(sum(b.price_cents) filter (where b.status = 'completed'), 0)::bigint,
           coalesce(sum(b.credits_applied_cents) filter (where b.status = 'completed'), 0)::bigint,
           coalesce(sum(b.card_amount_cents) filter (where b.status = 'completed'), 0)::bigint,
           (select count(*)::integer from public.reviews r where r.author_id = me),
           (select round(avg(r.rating), 2) from public.reviews r where r.author_id = me),
           (select count(*)::integer from public.support_tickets t where t.member_id = me and t.status in ('open', 'pending')),
           (select count(*)::integer from public.notifications n where n.user_id = me and n.read_at is null),
           (select p.created_at from public.profiles p where p.id = me),
           max(coalesce(b.completed_at, b.scheduled_at)) filter (where b.status = 'completed')
      from public.bookings b
     where b.member_id = me;
end;
$$;

-- member_dashboard (from 20261125132400_member_dashboard.sql).
create or replace function public.member_dashboard()
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  perform private.require_signed_in(); -- reading or deleting own data: any account status
  return (
    select jsonb_build_object(
      'profile', (select jsonb_build_object('id', p.id, 'first_name', p.first_name, 'last_name', p.last_name,
                                            'display_name', p.display_name, 'avatar_url', p.avatar_url,
                                            'role', p.role, 'status', p.status, 'member_since', p.created_at)
                    from public.profiles p where p.id = me),
      'counts', (select to_jsonb(s) from public.member_stats() s) || private.member_dashboard_extras(),
      'next_bookings', coalesce((
        select jsonb_agg(jsonb_build_object('id', x.id, 'status', x.status, 'scheduled_at', x.scheduled_at,
                                            'duration_minutes', x.duration_minutes, 'price_cents', x.price_cents,
                                            'currency', x.currency, 'expert_id', x.expert_id, 'expert_name', x.expert_name,
                                            'expert_headline', x.headline) order by x.scheduled_at, x.id)
          from (select b.id, b.status, b.scheduled_at, b.duration_minutes, b.price_cents, b.currency, b.expert_id,
                       coalesce(p.display_name, nullif(btrim(concat_ws(' ', p.first_name, p.last_name)), '')) as expert_name,
                       e.headline
                  from public.bookings b
                  left join public.expert_profiles e on e.id = b.expert_id
                  left join public.profiles p on p.id = e.id
                 where b.member_id = me and b.status in ('requested', 'confirmed') and b.scheduled_at >= now()
                 order by b.scheduled_at, b.id
                 limit 5) x), '[]'::jsonb),
      'recent_activity', coalesce((
        select jsonb_agg(jsonb_build_object('id', a.id, 'kind', a.kind, 'subject_type', a.subject_type,
                                            'subject_id', a.subject_id, 'details', a.details, 'created_at', a.created_at)
                         order by a.created_at desc, a.id desc)
          from (select * from public.activity act where act.user_id = me
                 order by act.created_at desc, act.id desc limit 10) a), '[]'::jsonb),
      'spending_by_month', coalesce((
        select jsonb_agg(to_jsonb(h) order by h.month, h.currency) from public.spending_history(12) h), '[]'::jsonb),
      'generated_at', now()));
end;
$$;

-- spending_history (from 20261125132300_member_stats.sql).
create or replace function public.spending_history(months integer default 12)
returns table (month date, currency char(3), bookings integer, total_cents bigint, credits_cents bigint, card_cents bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  first_month date;
begin
  perform private.require_signed_in(); -- reading or deleting own data: any account status
  if months is null or months not between 1 and 120 then
    raise exception 'months must be between 1 and 120' using errcode = '22023';
  end if;
  first_month := (date_trunc('month', now() at time zone 'UTC') - make_interval(months => months - 1))::date;
  return query
    with spent as (
      -- Money counts when the consultation was completed (the booking price, split as paid).
      select date_trunc('month', coalesce(b.completed_at, b.scheduled_at) at time zone 'UTC')::date as month,
             b.currency, count(*)::integer as n, sum(b.price_cents)::bigint as total,
             sum(b.credits_applied_cents)::bigint as credits, sum(b.card_amount_cents)::bigint as card
        from public.bookings b
       where b.member_id = me and b.status = 'completed'
         and coalesce(b.completed_at, b.scheduled_at) >= (first_month::timestamp at time zone 'UTC')
       group by 1, 2
    ), calendar as (
      select generate_series(first_month, (date_trunc('month', now() at time zone 'UTC'))::date, interval '1 month')::date as month
    )
    -- Months without spending still appear (zeros, in the member's preferred currency) so charts have no gaps.
    select c.month,
           coalesce(s.currency, (select mp.currency from public.member_preferences mp where mp.user_id = me), 'USD')::char(3),
           coalesce(s.n, 0), coalesce(s.total, 0), coalesce(s.credits, 0), coalesce(s.card, 0)
      from calendar c left join spent s on s.month = c.month
     order by c.month, 2;
end;
$$;

-- consultation_history (from 20261125132300_member_stats.sql).
create or replace function public.consultation_history(page_size integer default 20, page_offset integer default 0)
returns table (
  booking_id uuid, status public.booking_status, scheduled_at timestamptz, duration_minutes integer,
  price_cents integer, currency char(3), credits_applied_cents integer, card_amount_cents integer,
  completed_at timestamptz, cancelled_at timestamptz,
  expert_id uuid, expert_name text, expert_headline text, expert_avatar_url text,
  review_id uuid, review_rating smallint, can_review boolean
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  perform private.require_signed_in(); -- reading or deleting own data: any account status
  if page_size is null or page_size not between 1 and 100 then
    raise exception 'page_size must be between 1 and 100' using errcode = '22023';
  end if;
  if page_offset is null or page_offset < 0 then
    raise exception 'page_offset must be 0 or more' using errcode = '22023';
  end if;
  -- Past = finished (completed/cancelled) or scheduled before now. Expert details come through
  -- the caller's RLS (verified experts are public), so an expert no longer listed shows only the id.
  return query
    select b.id, b.status, b.scheduled_at, b.duration_minutes, b.price_cents, b.currency,
           b.credits_applied_cents, b.card_amount_cents, b.completed_at, b.cancelled_at,
           b.expert_id, coalesce(p.display_name, nullif(btrim(concat_ws(' ', p.first_name, p.last_name)), '')),
           e.headline, p.avatar_url,
           r.id, r.rating, (b.status = 'completed' and r.id is null and b.expert_id is not null)
      from public.bookings b
      left join public.expert_profiles e on e.id = b.expert_id
      left join public.profiles p on p.id = e.id
      left join public.reviews r on r.booking_id = b.id and r.author_id = me
     where b.member_id = me and (b.status in ('completed', 'cancelled') or b.scheduled_at < now())
     order by b.scheduled_at desc, b.id
     limit page_size offset page_offset;
end;
$$;

-- clear_search_history (from 20261125131100_search.sql).
create or replace function public.clear_search_history()
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  removed integer;
begin
  perform private.require_signed_in(); -- reading or deleting own data: any account status
  delete from public.search_history h where h.member_id = (select auth.uid());
  get diagnostics removed = row_count;
  return removed;
end;
$$;

-- request_account_deletion (from 20261125120400_account_security.sql).
create or replace function public.request_account_deletion(reason text default null)
returns public.data_deletion_requests
language plpgsql
security definer
set search_path = ''
as $$
declare
  result public.data_deletion_requests;
begin
  perform private.require_signed_in(); -- reading or deleting own data: any account status
  if not private.aal_satisfied() then
    raise exception 'this needs an aal2 session: verify your MFA factor first' using errcode = '42501';
  end if;
  if char_length(reason) > 2000 then
    raise exception 'reason is longer than 2000 characters' using errcode = '22001';
  end if;
  select * into result from public.data_deletion_requests d
   where d.user_id = (select auth.uid()) and d.status = 'pending';
  if found then
    return result; -- one pending request at a time: asking again returns it
  end if;
  insert into public.data_deletion_requests (user_id, reason, process_after)
  values ((select auth.uid()), reason, now() + interval '7 days')
  returning * into result;
  return result;
end;
$$;

-- Support: an inactive member may still open an 'account' ticket, to appeal or ask why.
-- open_support_ticket (from 20261125132200_support_tickets.sql), changed: require_signed_in(), then
-- refuse any category but 'account' while the caller is inactive.
create or replace function public.open_support_ticket(subject text, body text, category public.ticket_category default 'other')
returns public.support_tickets
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  result public.support_tickets;
begin
  perform private.require_signed_in();
  if coalesce(category, 'other') <> 'account' and not private.account_active(me) then
    raise exception 'your account is not active: you can open tickets in the account category only' using errcode = '42501';
  end if;
  if subject is null or char_length(btrim(subject)) not between 1 and 200 then
    raise exception 'subject must be 1-200 characters' using errcode = '22023';
  end if;
  if body is null or char_length(btrim(body)) not between 1 and 8000 then
    raise exception 'body must be 1-8000 characters' using errcode = '22023';
  end if;
  -- A bound on unanswered tickets per member keeps the support queue from being flooded.
  if (select count(*) from public.support_tickets t where t.member_id = me and t.status in ('open', 'pending')) >= 20 then
    raise exception 'you have 20 tickets in progress; reply to one of them instead' using errcode = '22023';
  end if;
  insert into public.support_tickets (member_id, subject, category)
  values (me, btrim(subject), coalesce(category, 'other'))
  returning * into result;
  insert into public.ticket_messages (ticket_id, author_id, body) values (result.id, me, body);
  perform private.record_activity(me, 'ticket_opened', 'support_ticket', result.id::text,
                                  jsonb_build_object('subject', result.subject, 'category', result.category));
  return result;
end;
$$;

-- Bookings: an inactive member may cancel, nothing else; an inactive expert cannot be booked.
-- set_booking_status (from 20261125120600_bookings.sql), changed: require_member() only for
-- transitions other than 'cancelled'.
create or replace function public.set_booking_status(booking_id uuid, new_status public.booking_status)
returns public.bookings
language plpgsql
security definer
set search_path = ''
as $$
declare
  b public.bookings;
  me uuid := (select auth.uid());
  allowed boolean;
begin
  select * into b from public.bookings x where x.id = booking_id for update;
  if not found or me is null or (me is distinct from b.member_id and me is distinct from b.expert_id and not private.is_admin()) then
    raise exception 'no booking % of yours', booking_id using errcode = 'P0002';
  end if;
  if new_status <> 'cancelled' then
    perform private.require_member();
  end if;
  allowed := case
    when new_status = 'confirmed' then b.status = 'requested' and (me = b.expert_id or private.is_admin())
    when new_status = 'completed' then b.status = 'confirmed' and (me = b.expert_id or private.is_admin())
    when new_status = 'cancelled' then b.status in ('requested', 'confirmed')
    else false
  end;
  if not allowed then
    raise exception 'cannot move booking from % to % as %', b.status, new_status,
      case when me = b.expert_id then 'the expert' when me = b.member_id then 'the member' else 'an admin' end
      using errcode = '22023';
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
-- create_booking (from 20261125120600_bookings.sql), changed: the expert must also be active.
create or replace function public.create_booking(expert_id uuid, scheduled_at timestamptz, duration_minutes integer, note text default null)
returns public.bookings
language plpgsql
security definer
set search_path = ''
as $$
declare
  e public.expert_profiles;
  result public.bookings;
begin
  perform private.require_member();
  select * into e from public.expert_profiles x where x.id = create_booking.expert_id;
  if not found or e.verification_status <> 'verified' or not e.is_available or not private.account_active(e.id) then
    raise exception 'expert % is not available for booking', create_booking.expert_id using errcode = 'P0002';
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

-- An inactive expert is not public: no reviews list, no favorites count; and sees no member's area.
-- expert_reviews (from 20261125132100_reviews.sql), changed: the expert join also needs an active account.
create or replace function public.expert_reviews(expert_id uuid, page_size integer default 20, page_offset integer default 0)
returns table (id uuid, rating smallint, title text, body text, author_name text, created_at timestamptz, updated_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if page_size is null or page_size not between 1 and 100 then
    raise exception 'page_size must be between 1 and 100' using errcode = '22023';
  end if;
  if page_offset is null or page_offset < 0 then
    raise exception 'page_offset must be 0 or more' using errcode = '22023';
  end if;
  return query
    select r.id, r.rating, r.title, r.body,
           -- The author as "First L." only; private profiles and deleted accounts stay anonymous.
           case
             when p.id is null then 'Former member'
             when ps.profile_visibility = 'private' or nullif(btrim(p.first_name), '') is null then 'A member'
             else btrim(p.first_name) || coalesce(' ' || upper(left(nullif(btrim(p.last_name), ''), 1)) || '.', '')
           end,
           r.created_at, r.updated_at
      from public.reviews r
      join public.expert_profiles e on e.id = r.expert_id and e.verification_status = 'verified' and private.account_active(e.id)
      left join public.profiles p on p.id = r.author_id
      left join public.privacy_settings ps on ps.user_id = r.author_id
     where r.expert_id = expert_reviews.expert_id and not r.is_hidden
     order by r.created_at desc, r.id
     limit page_size offset page_offset;
end;
$$;
-- expert_favorites_count (from 20261125131000_favorites.sql), changed: others see the count of a
-- verified expert only while the expert is active.
create or replace function public.expert_favorites_count(expert_id uuid)
returns integer
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  -- Definer so the count covers every member's row; only a number leaves, never an identity.
  -- Unverified experts are as invisible here as in expert_profiles (except to themselves and admins).
  if not exists (
    select 1 from public.expert_profiles e
    where e.id = expert_favorites_count.expert_id
      and ((e.verification_status = 'verified' and private.account_active(e.id)) or e.id = me or private.is_admin())
  ) then
    raise exception 'no expert %', expert_favorites_count.expert_id using errcode = 'P0002';
  end if;
  return (select count(*)::integer from public.favorites f where f.expert_id = expert_favorites_count.expert_id);
end;
$$;
-- member_area (from 20261125131200_locations.sql), changed: a booked expert sees the area only while
-- the expert is active (private.is_active_member()).
create or replace function public.member_area(member_id uuid)
returns table (city text, area text)
language sql
stable
security definer
set search_path = ''
as $$
  -- City and area only, never the point: to the member, and to experts they have a live or past
  -- booking with, when the member lets others see their location.
  select m.city, m.area
  from public.member_locations m
  where m.member_id = member_area.member_id
    and (
      m.member_id = (select auth.uid())
      or (
        coalesce((select s.show_location from public.privacy_settings s where s.user_id = m.member_id), false)
        and exists (select 1 from public.bookings b
                    where b.member_id = m.member_id and b.expert_id = (select auth.uid()) and b.status <> 'cancelled')
        and private.is_active_member()
      )
    );
$$;

-- Policies
-- Inactive members keep reading and deleting, but write nothing that others see or that acts.
create policy "Inactive members cannot edit profiles" on public.profiles
  as restrictive for update to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot create expert profiles" on public.expert_profiles
  as restrictive for insert to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot edit expert profiles" on public.expert_profiles
  as restrictive for update to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot write reviews" on public.reviews
  as restrictive for insert to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot edit reviews" on public.reviews
  as restrictive for update to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot add favorites" on public.favorites
  as restrictive for insert to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot save searches" on public.saved_searches
  as restrictive for insert to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot edit saved searches" on public.saved_searches
  as restrictive for update to authenticated with check ((select private.is_active_member()));

-- Inactive experts leave the public listing (their own and admins' views are unchanged).
alter policy "Anyone can read the profiles of verified experts" on public.profiles
  using (role = 'expert' and status = 'active'
         and exists (select 1 from public.expert_profiles e where e.id = profiles.id and e.verification_status = 'verified'));
alter policy "Anyone can read verified experts" on public.expert_profiles
  using (verification_status = 'verified' and private.account_active(id));
