-- Notifications that deliver. private.notify() (every capability's one way to tell a member
-- something) decides per channel at creation: an in-app row unless the member switched the
-- category off in-app, and an email in the outbox unless they switched it off for email or turned
-- notification emails off (email_preferences.notification_emails: immediate | daily_digest | off).
-- The send-notifications function (service role, safe on a schedule) claims due outbox rows with
-- `for update skip locked`, sends them over SMTP, and records every attempt; failures retry with
-- exponential backoff up to max_attempts. Delivery is AT LEAST ONCE: every claim has an owner
-- (claimed_by) and a lease (lease_expires_at = claim time + claim_timeout); a claim whose lease
-- is over belongs to a sender that died, and whether its mail went out is unknown, so the row is
-- taken again (an attempt recorded 'unknown', counted against max_attempts) and re-sent with the
-- same Message-ID, derived from the outbox row(s): a second copy is recognisable as the same mail.
-- Recovery entry point for a scheduler: private.retake_expired_email_claims() (claim_emails runs it
-- too). A run sends its batch one mail at a time and renews the lease of the claims it still holds
-- right before each send (private.hold_email_claims), sending only those: a send that stalls past
-- the lease loses the rest of the batch to the next run, which sends them once, so a stall costs at
-- most one duplicate, of the stalled mail (not one of every mail queued behind it). Unsubscribe links carry a signed, single-use token per category.

-- Notification triggers for the events that matter, all through private.notify() (so each honours
-- the member's channel x category switches at creation): booking requested / confirmed / cancelled
-- / completed, credits earned, and a newly verified or newly available expert matching a saved
-- search whose notify is on. New messages (direct_messages), reviews on an expert's booking
-- (reviews) and answered tickets (support_tickets) notify from their own capabilities.
-- Billing: private.notify_billing_event() is the hook the billing capability calls for
-- subscription events (category billing).

-- Types
create type public.email_status as enum ('pending', 'sending', 'sent', 'failed', 'suppressed');

-- Tables
create table private.email_settings (
  id boolean primary key default true check (id),
  max_attempts integer not null default 5 check (max_attempts between 1 and 20),
  retry_base interval not null default '1 minute' check (retry_base > interval '0'),
  claim_timeout interval not null default '10 minutes' check (claim_timeout > interval '0'), -- the lease of a claim
  digest_hour integer not null default 8 check (digest_hour between 0 and 23),
  updated_at timestamptz not null default now()
);
comment on table private.email_settings is 'The one row of email delivery settings: attempts per email, backoff base (doubles per attempt), how long a claim may last, the local hour of the daily digest.';
insert into private.email_settings default values;

create table public.email_outbox (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.profiles (id) on delete cascade,
  kind text not null check (kind ~ '^[a-z_]{1,40}$'),
  category public.notification_category not null,
  subject text not null check (char_length(subject) between 1 and 200),
  body text check (char_length(body) <= 2000),
  data jsonb not null default '{}' check (jsonb_typeof(data) = 'object'),
  digest boolean not null default false,
  status public.email_status not null default 'pending',
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  claimed_at timestamptz,
  claimed_by text check (char_length(claimed_by) <= 100),
  lease_expires_at timestamptz,
  sent_at timestamptz,
  last_error text check (char_length(last_error) <= 1000),
  created_at timestamptz not null default now()
);
comment on table public.email_outbox is 'Notification emails waiting for, or done with, delivery by send-notifications. The address is read from auth.users at send time, so it is never copied here.';
comment on column public.email_outbox.digest is 'Part of the member''s daily digest: due at the next digest hour, sent together with the member''s other digest rows.';
comment on column public.email_outbox.status is 'pending -> sending (claimed) -> sent | pending again (retry) | failed; suppressed when the member unsubscribed before it went out.';
comment on column public.email_outbox.next_attempt_at is 'Not claimed before this time: creation, the digest hour, or the backoff after a failed attempt.';
comment on column public.email_outbox.lease_expires_at is 'While sending: the claim''s end; past it the sender is taken for dead and the row is sent again (same Message-ID).';

create table public.email_delivery_attempts (
  id bigint generated always as identity primary key,
  outbox_id bigint not null references public.email_outbox (id) on delete cascade,
  attempt integer not null check (attempt >= 1),
  worker text not null check (char_length(worker) <= 100),
  started_at timestamptz not null,
  finished_at timestamptz not null default now(),
  outcome text not null check (outcome in ('sent', 'retry', 'failed', 'unknown')),
  error text check (char_length(error) <= 1000)
);
comment on table public.email_delivery_attempts is 'Every delivery attempt of an outbox email: who tried, when, and how it ended (unknown = the claim''s lease ran out before its sender reported back; the mail is sent again with the same Message-ID).';

create table public.email_unsubscribes (
  token_id uuid primary key,
  user_id uuid not null references public.profiles (id) on delete cascade,
  category public.notification_category not null,
  used_at timestamptz not null default now()
);
comment on table public.email_unsubscribes is 'Unsubscribe tokens that were used (single use: a second use is refused), and what they switched off.';

-- Indexes
create index email_outbox_due_idx on public.email_outbox (next_attempt_at, id) where status = 'pending';
create index email_outbox_lease_idx on public.email_outbox (lease_expires_at) where status = 'sending';
create index email_outbox_user_idx on public.email_outbox (user_id, created_at desc);
create index email_delivery_attempts_outbox_idx on public.email_delivery_attempts (outbox_id, attempt);
create index email_unsubscribes_user_idx on public.email_unsubscribes (user_id);

-- Grants and row level security
-- The outbox tables: the delivery side only (send-notifications runs as the database owner; service_role may
-- inspect). Members see their notifications in-app; their settings are in the preference tables.
revoke all on private.email_settings from public, anon, authenticated, service_role;
revoke all on public.email_outbox from public, anon, authenticated;
revoke insert, update, delete, truncate on public.email_outbox from service_role;
grant select on public.email_outbox to service_role;

-- Row level security (no policies: no client role reads these tables)
alter table public.email_outbox enable row level security;
revoke all on public.email_delivery_attempts from public, anon, authenticated;
revoke insert, update, delete, truncate on public.email_delivery_attempts from service_role;
grant select on public.email_delivery_attempts to service_role;
alter table public.email_delivery_attempts enable row level security;
revoke all on public.email_unsubscribes from public, anon, authenticated;
revoke insert, update, delete, truncate on public.email_unsubscribes from service_role;
grant select on public.email_unsubscribes to service_role;
alter table public.email_unsubscribes enable row level security;

-- Functions
create or replace function private.notify(user_id uuid, kind text, category public.notification_category, title text,
                                          body text default null, data jsonb default '{}')
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- One statement (it runs inside every message send): the member's switches, then the in-app
  -- row and the email. Security notices always appear in-app.
  with member as (
    select coalesce((select not p.enabled from public.notification_preferences p
                      where p.user_id = pr.id and p.channel = 'in_app' and p.category = notify.category), false) as in_app_off,
           coalesce((select not p.enabled from public.notification_preferences p
                      where p.user_id = pr.id and p.channel = 'email' and p.category = notify.category), false) as email_off,
           coalesce((select e.notification_emails from public.email_preferences e where e.user_id = pr.id), 'immediate') as mode
      from public.profiles pr where pr.id = notify.user_id),
  in_app as (
    insert into public.notifications (user_id, kind, title, body, data)
    select notify.user_id, notify.kind, left(notify.title, 200), left(notify.body, 2000), coalesce(notify.data, '{}')
      from member m where notify.category = 'security' or not m.in_app_off)
  insert into public.email_outbox (user_id, kind, category, subject, body, data, digest, next_attempt_at)
  select notify.user_id, notify.kind, notify.category, left(notify.title, 200), left(notify.body, 2000), coalesce(notify.data, '{}'),
         m.mode = 'daily_digest', case when m.mode = 'daily_digest' then private.next_digest_at(notify.user_id) else now() end
    from member m where not m.email_off and m.mode <> 'off';
end;
$$;
comment on function private.notify(uuid, text, public.notification_category, text, text, jsonb) is
  'Tells a member something: in-app unless that category is off in-app (security always), and by email (outbox) unless off for email or notification emails are off; call from capability triggers/RPCs.';

-- Explicitly: a per-schema default privilege cannot take back the global EXECUTE for PUBLIC.
revoke execute on function private.notify(uuid, text, public.notification_category, text, text, jsonb) from public, anon, authenticated;

create or replace function private.next_digest_at(user_id uuid)
returns timestamptz
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  tz text := coalesce((select m.timezone from public.member_preferences m where m.user_id = next_digest_at.user_id), 'UTC');
  at_hour integer := (select s.digest_hour from private.email_settings s);
  local_now timestamp;
  due timestamp;
begin
  begin
    local_now := now() at time zone tz;
  exception when others then
    tz := 'UTC';
    local_now := now() at time zone tz;
  end;
  due := date_trunc('day', local_now) + make_interval(hours => at_hour);
  if due <= local_now then
    due := due + interval '1 day';
  end if;
  return due at time zone tz;
end;
$$;
comment on function private.next_digest_at(uuid) is 'The next digest hour in the member''s time zone (UTC when it is unknown).';
revoke execute on function private.next_digest_at(uuid) from public, anon, authenticated;

-- Claims whose lease is over: their sender died, and may or may not have sent the mail. Each is
-- recorded as an 'unknown' attempt and taken again now (at least once: the re-send carries the same
-- Message-ID), or failed when that was its last attempt.
create or replace function private.retake_expired_email_claims()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  s private.email_settings := (select x from private.email_settings x);
  retaken integer;
begin
  with stale as (
    select o.id, o.claimed_by, o.claimed_at from public.email_outbox o
     where o.status = 'sending' and o.lease_expires_at < now()
       for update skip locked),
  retake as (
    update public.email_outbox o
       set status = case when o.attempts >= s.max_attempts then 'failed' else 'pending' end::public.email_status,
           next_attempt_at = now(), claimed_at = null, claimed_by = null, lease_expires_at = null,
           last_error = 'the sender did not report back within claim_timeout: outcome unknown'
      from stale
     where o.id = stale.id
    returning o.id, o.attempts, o.status, stale.claimed_by, stale.claimed_at)
  insert into public.email_delivery_attempts (outbox_id, attempt, worker, started_at, outcome, error)
  select r.id, r.attempts, coalesce(r.claimed_by, 'unknown'), coalesce(r.claimed_at, now()), 'unknown',
         case when r.status = 'failed' then 'claim expired: outcome unknown; last attempt, not sent again'
              else 'claim expired: outcome unknown; sent again with the same Message-ID' end
    from retake r;
  get diagnostics retaken = row_count;
  return retaken;
end;
$$;
comment on function private.retake_expired_email_claims() is 'Takes back outbox claims whose lease ran out (sender died): an ''unknown'' attempt each, then due again (same Message-ID) or failed after max_attempts; returns how many. Safe on a schedule.';
revoke execute on function private.retake_expired_email_claims() from public, anon, authenticated;
grant execute on function private.retake_expired_email_claims() to service_role;

-- Claims due emails for one worker, with a lease of claim_timeout; expired claims are taken back first.
create or replace function private.claim_emails(worker text, batch_size integer)
returns table (id bigint, user_id uuid, email text, kind text, category public.notification_category, subject text, body text,
               data jsonb, digest boolean, attempts integer, created_at timestamptz)
language plpgsql
security definer
set search_path = ''
as $$
declare
  s private.email_settings := (select x from private.email_settings x);
begin
  if worker is null or char_length(worker) not between 1 and 100 or batch_size is null or batch_size not between 1 and 500 then
    raise exception 'worker must be 1-100 characters and batch_size 1-500' using errcode = '22023';
  end if;
  perform private.retake_expired_email_claims();

  return query
    with due as (
      select o.id from public.email_outbox o
       where o.status = 'pending' and o.next_attempt_at <= now()
       order by o.next_attempt_at, o.id
       limit batch_size
       for update skip locked)
    update public.email_outbox o
       set status = 'sending', claimed_at = now(), claimed_by = worker, lease_expires_at = now() + s.claim_timeout,
           attempts = o.attempts + 1
      from due, auth.users u
     where o.id = due.id and u.id = o.user_id
    returning o.id, o.user_id, u.email::text, o.kind, o.category, o.subject, o.body, o.data, o.digest, o.attempts, o.created_at;
end;
$$;
comment on function private.claim_emails(text, integer) is 'Claims up to batch_size due outbox emails for worker (for update skip locked: overlapping runs never share a row).';
revoke execute on function private.claim_emails(text, integer) from public, anon, authenticated;
grant execute on function private.claim_emails(text, integer) to service_role;

-- Before each send: the lease of every claim this worker still holds among outbox_ids starts
-- again (now() + claim_timeout); returns those ids. A row not returned was taken back (its lease ran
-- out while an earlier send stalled) and is another run's to send.
create or replace function private.hold_email_claims(worker text, outbox_ids bigint[])
returns setof bigint
language sql
security definer
set search_path = ''
as $$
  update public.email_outbox o
     set lease_expires_at = now() + (select s.claim_timeout from private.email_settings s)
   where o.id = any (hold_email_claims.outbox_ids) and o.status = 'sending' and o.claimed_by = hold_email_claims.worker
  returning o.id;
$$;
comment on function private.hold_email_claims(text, bigint[]) is 'Renews the lease of the worker''s claims still held among outbox_ids (now() + claim_timeout), right before a send; returns the ids still held.';
revoke execute on function private.hold_email_claims(text, bigint[]) from public, anon, authenticated;
grant execute on function private.hold_email_claims(text, bigint[]) to service_role;

create or replace function private.finish_email(outbox_id bigint, worker text, sent boolean, error text default null, permanent boolean default false)
returns public.email_status
language plpgsql
security definer
set search_path = ''
as $$
declare
  o public.email_outbox;
  s private.email_settings := (select x from private.email_settings x);
  outcome text;
begin
  select * into o from public.email_outbox x where x.id = finish_email.outbox_id for update;
  if not found or o.status <> 'sending' or o.claimed_by is distinct from worker then
    return null; -- not this worker's claim (any more)
  end if;
  outcome := case when sent then 'sent' when permanent or o.attempts >= s.max_attempts then 'failed' else 'retry' end;
  insert into public.email_delivery_attempts (outbox_id, attempt, worker, started_at, outcome, error)
  values (o.id, o.attempts, worker, o.claimed_at, outcome, left(error, 1000));
  update public.email_outbox x
     set status = case outcome when 'sent' then 'sent' when 'failed' then 'failed' else 'pending' end::public.email_status,
         sent_at = case when sent then now() end,
         last_error = case when sent then null else left(error, 1000) end,
         next_attempt_at = case when outcome = 'retry' then now() + s.retry_base * power(2, o.attempts - 1) else x.next_attempt_at end,
         claimed_at = null, claimed_by = null, lease_expires_at = null
   where x.id = o.id
  returning x.status into o.status;
  return o.status;
end;
$$;
comment on function private.finish_email(bigint, text, boolean, text, boolean) is 'Records one attempt of a claimed email: sent, retried after retry_base * 2^(attempt-1), or failed (permanent error or max_attempts reached).';
revoke execute on function private.finish_email(bigint, text, boolean, text, boolean) from public, anon, authenticated;
grant execute on function private.finish_email(bigint, text, boolean, text, boolean) to service_role;

create or replace function private.consume_unsubscribe(token_id uuid, user_id uuid, category public.notification_category)
returns text
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from public.profiles p where p.id = consume_unsubscribe.user_id) then
    return 'unknown_member';
  end if;
  insert into public.email_unsubscribes (token_id, user_id, category) values (token_id, user_id, category)
  on conflict on constraint email_unsubscribes_pkey do nothing;
  if not found then
    return 'used';
  end if;
  update public.notification_preferences p set enabled = false
   where p.user_id = consume_unsubscribe.user_id and p.channel = 'email' and p.category = consume_unsubscribe.category;
  update public.email_outbox o set status = 'suppressed', last_error = 'unsubscribed'
   where o.user_id = consume_unsubscribe.user_id and o.category = consume_unsubscribe.category and o.status = 'pending';
  return 'unsubscribed';
end;
$$;
comment on function private.consume_unsubscribe(uuid, uuid, public.notification_category) is 'Uses a (signature-checked) unsubscribe token once: switches that category''s email off and drops its pending emails; ''used'' when the token was used before.';
revoke execute on function private.consume_unsubscribe(uuid, uuid, public.notification_category) from public, anon, authenticated;
grant execute on function private.consume_unsubscribe(uuid, uuid, public.notification_category) to service_role;

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
revoke execute on function private.booking_notifications() from public, anon, authenticated;

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
revoke execute on function private.credits_earned_notification() from public, anon, authenticated;

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
  if not found or not private.is_listed_expert(e.id) then
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
              -- As nearby_experts measures: to the expert's ~500 m cell, the radius rounded up to whole
              -- km, so which alerts arrive never tells a distance finer than nearby search does.
              and extensions.st_dwithin(m.location, l.cell, ceil((filters ->> 'radius_km')::numeric) * 1000, false)));
end;
$$;
comment on function private.expert_matches_search(uuid, uuid, text, jsonb) is 'Whether a listed expert matches a member''s saved search (query text and search_filters).';
revoke execute on function private.expert_matches_search(uuid, uuid, text, jsonb) from public, anon, authenticated;

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
  -- Announced only when bookable (the listing rule: a suspended or demoted expert never is).
  if not private.is_bookable_expert(new.id) then
    return null;
  end if;
  if tg_op = 'UPDATE' and old.is_available
     and private.expert_listing_rule((select p.role from public.profiles p where p.id = new.id),
                                     (select p.status from public.profiles p where p.id = new.id), old.verification_status) then
    return null; -- bookable before this change too: nothing new about this expert
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
revoke execute on function private.saved_search_alerts() from public, anon, authenticated;

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
revoke execute on function private.notify_billing_event(uuid, text, text, text, jsonb) from public, anon, authenticated;
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
