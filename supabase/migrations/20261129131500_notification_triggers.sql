-- Notification triggers for the events that matter, all through private.notify() (so each honours
-- the member's channel x category switches at creation): booking requested / confirmed / cancelled
-- / completed, credits earned, and a newly verified or newly available expert matching a saved
-- search whose notify is on. New messages (direct_messages), reviews on an expert's booking
-- (reviews) and answered tickets (support_tickets) notify from their own capabilities.
-- Billing: private.notify_billing_event() is the hook the billing capability calls for
-- subscription events (category billing).

-- Functions
create or replace function private.booking_notifications()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  data jsonb := jsonb_build_object('booking_id', new.id, 'scheduled_at', new.scheduled_at, 'status', new.status);
  at_text text := to_char(new.scheduled_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"');
begin
  if tg_op = 'INSERT' then
    perform private.notify(new.expert_id, 'booking_requested', 'bookings', 'New booking request',
                           format('%s asks for %s minutes on %s', private.party_name(new.member_id), new.duration_minutes, at_text), data);
    return null;
  end if;
  case new.status
    when 'confirmed' then
      perform private.notify(new.member_id, 'booking_confirmed', 'bookings', 'Your booking is confirmed',
                             format('%s confirmed %s', private.party_name(new.expert_id), at_text), data);
    when 'completed' then
      perform private.notify(new.member_id, 'booking_completed', 'bookings', 'Your consultation is complete',
                             format('How was it with %s? You can leave a review now.', private.party_name(new.expert_id)), data);
    when 'cancelled' then
      -- Whoever did not cancel hears about it (both, when an admin or the system cancelled).
      if new.cancelled_by is distinct from new.member_id then
        perform private.notify(new.member_id, 'booking_cancelled', 'bookings', 'A booking was cancelled', format('The booking on %s was cancelled', at_text), data);
      end if;
      if new.cancelled_by is distinct from new.expert_id then
        perform private.notify(new.expert_id, 'booking_cancelled', 'bookings', 'A booking was cancelled', format('The booking on %s was cancelled', at_text), data);
      end if;
    else
      null;
  end case;
  return null;
end;
$$;

create or replace function private.credits_earned_notification()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  member uuid := (select a.user_id from public.credit_accounts a where a.id = new.account_id);
begin
  perform private.notify(member, 'credits_earned', 'credits',
                         format('You received $%s in credits', to_char(new.amount_cents / 100.0, 'FM999999990.00')),
                         case new.kind when 'referral_bonus' then 'A member you referred verified their email.'
                                       when 'refund' then 'Credits from a cancelled booking are back in your balance.'
                                       else new.memo end,
                         jsonb_build_object('transaction_id', new.id, 'amount_cents', new.amount_cents, 'kind', new.kind));
  return null;
end;
$$;

-- Does an expert match a saved search? Same filter vocabulary as search (public.search_filters);
-- radius_km needs both the member's and the expert's stored locations.
create or replace function private.expert_matches_search(expert_id uuid, member_id uuid, query text, filters jsonb)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  e public.expert_profiles;
  q text := btrim(coalesce(query, ''));
begin
  select * into e from public.expert_profiles x where x.id = expert_matches_search.expert_id;
  if not found or e.verification_status <> 'verified' then
    return false;
  end if;
  return (q = '' or e.headline ilike '%' || q || '%' or e.bio ilike '%' || q || '%'
                 or exists (select 1 from unnest(e.expertise) x where x ilike '%' || q || '%'))
     and (not filters ? 'expertise' or exists (
           select 1 from jsonb_array_elements_text(filters -> 'expertise') f, unnest(e.expertise) x where lower(x) = lower(f)))
     and (not filters ? 'min_rating' or e.rating_avg >= (filters ->> 'min_rating')::numeric)
     and (not filters ? 'max_rate_cents' or coalesce(e.hourly_rate_cents, 0) <= (filters ->> 'max_rate_cents')::integer)
     and (not filters ? 'city' or lower(e.city) = lower(filters ->> 'city'))
     and (not filters ? 'area' or lower(e.area) = lower(filters ->> 'area'))
     and (not coalesce((filters ->> 'available_only')::boolean, false) or e.is_available)
     and (not filters ? 'radius_km' or exists (
           select 1 from public.member_locations m, public.expert_locations l
            where m.member_id = expert_matches_search.member_id and l.expert_id = e.id
              and extensions.st_dwithin(m.location, l.location, (filters ->> 'radius_km')::numeric * 1000)));
end;
$$;
comment on function private.expert_matches_search(uuid, uuid, text, jsonb) is 'Whether a verified expert matches a member''s saved search (query text and search_filters).';

-- One notice per member (naming their first matching search) when an expert becomes verified, or
-- becomes available again while verified.
create or replace function private.saved_search_alerts()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  hit record;
begin
  if new.verification_status <> 'verified' or not new.is_available then
    return null;
  end if;
  if tg_op = 'UPDATE' and old.verification_status = 'verified' and old.is_available then
    return null; -- nothing new about this expert
  end if;
  for hit in
    select distinct on (s.member_id) s.member_id, s.id, s.name
      from public.saved_searches s
     where s.notify and s.member_id <> new.id
       and private.expert_matches_search(new.id, s.member_id, s.query, s.filters)
     order by s.member_id, s.created_at, s.id
  loop
    perform private.notify(hit.member_id, 'saved_search_match', 'search_alerts',
                           format('New expert for "%s"', hit.name),
                           format('%s matches your saved search', coalesce(nullif(btrim(new.headline), ''), private.party_name(new.id))),
                           jsonb_build_object('saved_search_id', hit.id, 'expert_id', new.id));
  end loop;
  return null;
end;
$$;

-- The hook for subscription events: billing calls this (e.g. from its Stripe webhook handling).
create or replace function private.notify_billing_event(user_id uuid, kind text, title text, body text default null, data jsonb default '{}')
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if kind !~ '^subscription_[a-z_]{1,27}$' and kind !~ '^invoice_[a-z_]{1,32}$' and kind !~ '^payment_[a-z_]{1,32}$' then
    raise exception 'billing notification kinds start with subscription_, invoice_ or payment_' using errcode = '22023';
  end if;
  perform private.notify(user_id, kind, 'billing', title, body, data);
end;
$$;
comment on function private.notify_billing_event(uuid, text, text, text, jsonb) is
  'Hook for the billing capability: notify a member of a subscription/invoice/payment event (category billing; in-app and email per their preferences).';

revoke execute on function private.booking_notifications(), private.credits_earned_notification(), private.saved_search_alerts(),
  private.expert_matches_search(uuid, uuid, text, jsonb), private.notify_billing_event(uuid, text, text, text, jsonb)
  from public, anon, authenticated;
grant execute on function private.notify_billing_event(uuid, text, text, text, jsonb) to service_role;

-- Triggers
create trigger bookings_notify_requested after insert on public.bookings
  for each row execute function private.booking_notifications();
create trigger bookings_notify_status after update of status on public.bookings
  for each row when (new.status is distinct from old.status) execute function private.booking_notifications();
create trigger credit_transactions_notify_earned after insert on public.credit_transactions
  for each row when (new.amount_cents > 0) execute function private.credits_earned_notification();
create trigger expert_profiles_saved_search_alerts after insert or update of verification_status, is_available on public.expert_profiles
  for each row execute function private.saved_search_alerts();
