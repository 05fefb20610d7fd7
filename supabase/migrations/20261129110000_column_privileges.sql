-- Column privileges: API clients get exactly the columns they may edit, on every table, and nothing
-- else (Supabase's default privileges had given anon and authenticated every privilege on every
-- table, RLS being the only guard: members could write their own profiles.created_at,
-- expert_profiles.created_at, privacy_settings.marketing_consent_at, ...). Server-owned facts
-- (ids, timestamps, money, status, verification) are written only by triggers and functions.
-- The referral rules, which decide money, now read when a member joined from auth.users (written
-- by Supabase Auth alone), not from a profile column. test/access-matrix.txt lists the result.

-- Grants. Start from nothing for the API roles on every table of the capabilities so far (named,
-- so tables other branches add keep their own grants whichever order migrations land in; the
-- access matrix makes every table's grants explicit) ...
revoke all on public.profiles, public.expert_profiles, public.member_preferences, public.notification_preferences,
  public.email_preferences, public.privacy_settings, public.location_preferences, public.onboarding, public.login_history,
  public.data_deletion_requests, public.data_export_requests, public.activity, public.bookings, public.favorites,
  public.search_history, public.saved_searches, public.member_locations, public.expert_locations, public.notifications,
  public.reviews, public.support_tickets, public.ticket_messages, public.credit_accounts, public.credit_transactions,
  public.referral_codes, public.referrals from anon, authenticated;

-- ... then give back what each table is for. Reading is decided row by row by RLS.
grant select on public.profiles, public.expert_profiles to anon;
grant select on public.profiles, public.expert_profiles, public.member_preferences, public.notification_preferences,
  public.email_preferences, public.privacy_settings, public.location_preferences, public.onboarding, public.login_history,
  public.data_deletion_requests, public.data_export_requests, public.activity, public.bookings, public.favorites,
  public.search_history, public.saved_searches, public.member_locations, public.expert_locations, public.notifications,
  public.reviews, public.support_tickets, public.ticket_messages, public.credit_accounts, public.credit_transactions,
  public.referral_codes, public.referrals to authenticated;

-- Profile: the member's own presentation; role and status only by admins (trigger-guarded, audited).
grant update (first_name, last_name, display_name, avatar_url, bio, role, status) on public.profiles to authenticated;
-- Expert profile: what the expert says about themselves; verification by admins (trigger-guarded);
-- ratings, timestamps and verified_at never.
grant insert (id, headline, expertise, credentials, experience_years, hourly_rate_cents, currency, bio, is_available, city, area)
  on public.expert_profiles to authenticated;
grant update (headline, expertise, credentials, experience_years, hourly_rate_cents, currency, bio, is_available, city, area, verification_status)
  on public.expert_profiles to authenticated;
-- Settings rows exist from sign-up; members change the choices, never the keys or timestamps.
grant update (locale, timezone, currency, consultation_mode, preferred_categories) on public.member_preferences to authenticated;
grant update (enabled) on public.notification_preferences to authenticated;
grant update (digest, product_updates, newsletter, booking_reminders) on public.email_preferences to authenticated;
grant update (profile_visibility, show_location, marketing_consent, search_history_enabled) on public.privacy_settings to authenticated;
grant update (search_radius_km, preferred_city, country_code, distance_unit, use_current_location) on public.location_preferences to authenticated;
-- Discovery.
grant insert (member_id, expert_id), delete on public.favorites to authenticated;
grant delete on public.search_history to authenticated;
grant insert (member_id, name, query, filters, notify), update (name, query, filters, notify), delete on public.saved_searches to authenticated;
grant delete on public.member_locations, public.expert_locations to authenticated;
-- Engagement.
grant update (read_at) on public.notifications to authenticated;
grant insert (booking_id, expert_id, rating, title, body), update (rating, title, body, is_hidden, hidden_reason), delete
  on public.reviews to authenticated;
grant update (status, priority, category) on public.support_tickets to authenticated;
grant insert (ticket_id, body, is_internal) on public.ticket_messages to authenticated;

-- Functions
-- Fix-forward helper for later migrations: rewrite one landed function by replacing a fragment of
-- its definition, failing loudly when the fragment is not there (so a patch never silently misses).
create or replace function private.patch_function(fn regprocedure, fragment text, replacement text)
returns void
language plpgsql
set search_path = ''
as $$
declare
  def text := pg_catalog.pg_get_functiondef(fn);
begin
  if pg_catalog.strpos(def, fragment) = 0 then
    raise exception 'patch_function: % does not contain %', fn, fragment;
  end if;
  execute pg_catalog.replace(def, fragment, replacement);
end;
$$;
comment on function private.patch_function(regprocedure, text, text) is 'Migration helper: replaces a fragment of a function''s definition (fix forward without copying its body); raises when the fragment is missing.';
revoke execute on function private.patch_function(regprocedure, text, text) from public, anon, authenticated, service_role;



-- verified_at is the database's record of when an admin verified an expert (no client writes it).
create or replace function private.stamp_expert_verification()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.verification_status is distinct from old.verification_status then
    new.verified_at := case when new.verification_status = 'verified' then now() end;
  end if;
  return new;
end;
$$;

-- The referral rules decide money: when a member joined is Auth's record, which no client writes.
select private.patch_function('private.link_referral(uuid, text, text)'::regprocedure,
  'if referred.created_at < now() - interval ''30 days'' then',
  'if (select u.created_at from auth.users u where u.id = referred.id) < now() - interval ''30 days'' then');
select private.patch_function('private.link_referral(uuid, text, text)'::regprocedure,
  'if referrer.created_at >= referred.created_at then',
  'if (select u.created_at from auth.users u where u.id = referrer.id) >= (select u.created_at from auth.users u where u.id = referred.id) then');

-- Triggers (named to run after expert_profiles_guard, which refuses non-admins first)
create trigger expert_profiles_stamp_verification before update of verification_status on public.expert_profiles
  for each row execute function private.stamp_expert_verification();
