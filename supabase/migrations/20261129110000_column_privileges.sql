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
-- link_referral (from 20261125133100_referrals.sql), changed: the 30-day window and the "referrer
-- joined first" rule compare auth.users.created_at instead of profiles.created_at.
create or replace function private.link_referral(referred_id uuid, code text, via text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  norm text := private.normalise_referral_code(code);
  c public.referral_codes;
  r public.referrals;
  referrer public.profiles;
  referred public.profiles;
  confirmed timestamptz;
  new_status public.referral_status;
  why text;
begin
  if via not in ('signup', 'claim') then
    raise exception 'via must be signup or claim' using errcode = '22023';
  end if;
  select * into c from public.referral_codes x where x.code = norm;
  if not found then
    return jsonb_build_object('outcome', 'unknown_code');
  end if;
  if c.user_id = link_referral.referred_id then
    return jsonb_build_object('outcome', 'self_referral');
  end if;
  select * into referred from public.profiles p where p.id = link_referral.referred_id;
  if not found then
    return jsonb_build_object('outcome', 'not_a_member');
  end if;

  for attempt in 1..2 loop
    select * into r from public.referrals x where x.referred_id = link_referral.referred_id;
    if found then
      if r.code = norm then
        return jsonb_build_object('outcome', case when r.status = 'rejected' then 'referrer_inactive' else 'linked' end,
                                  'referral_id', r.id, 'status', r.status, 'reason', r.reason);
      end if;
      return jsonb_build_object('outcome', 'already_referred', 'referral_id', r.id, 'status', r.status);
    end if;

    select * into referrer from public.profiles p where p.id = c.user_id;
    if referrer.id is null then
      why := 'referrer_deleted';
    elsif referrer.status <> 'active' then
      why := 'referrer_' || referrer.status;
    end if;
    if via = 'claim' then
      if why is not null then
        return jsonb_build_object('outcome', 'referrer_inactive', 'reason', why);
      end if;
      if (select u.created_at from auth.users u where u.id = referred.id) < now() - interval '30 days' then
        return jsonb_build_object('outcome', 'not_eligible', 'reason', 'a code can be claimed only within 30 days of sign-up');
      end if;
      if (select u.created_at from auth.users u where u.id = referrer.id) >= (select u.created_at from auth.users u where u.id = referred.id) then
        return jsonb_build_object('outcome', 'not_eligible', 'reason', 'a code refers only members who joined after its owner');
      end if;
    end if;
    select u.email_confirmed_at into confirmed from auth.users u where u.id = link_referral.referred_id;
    new_status := case when why is not null then 'rejected' when confirmed is not null then 'qualified' else 'pending' end::public.referral_status;

    insert into public.referrals (referrer_id, referred_id, code, status, reason, via, qualified_at, rejected_at)
    values (referrer.id, link_referral.referred_id, norm, new_status, why, link_referral.via,
            case when new_status = 'qualified' then now() end, case when new_status = 'rejected' then now() end)
    on conflict on constraint referrals_referred_id_key do nothing
    returning * into r;
    if found then
      return jsonb_build_object('outcome', case when new_status = 'rejected' then 'referrer_inactive' else 'linked' end,
                                'referral_id', r.id, 'status', r.status, 'reason', r.reason);
    end if;
    -- A concurrent link won the race for this member: answer as if it had come first.
  end loop;
  return jsonb_build_object('outcome', 'already_referred');
end;
$$;

-- Triggers (named to run after expert_profiles_guard, which refuses non-admins first)
create trigger expert_profiles_stamp_verification before update of verification_status on public.expert_profiles
  for each row execute function private.stamp_expert_verification();
