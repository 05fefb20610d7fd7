-- Member settings: preferences, notification and email preferences, privacy, location preferences
-- and onboarding state. One row each per member (notification preferences: one per channel x
-- category), created at sign-up; members read and change only their own.

-- Types
create type public.notification_channel as enum ('email', 'push', 'sms', 'in_app');

-- The categories of the capabilities so far; a later capability adds its own (search: search_alerts,
-- billing: billing), and sign-up gives every member a preference row per channel x category.
create type public.notification_category as enum ('bookings', 'messages', 'reviews', 'credits', 'security', 'marketing');

create type public.profile_visibility as enum ('public', 'members', 'private');

create type public.email_digest as enum ('never', 'daily', 'weekly');

create type public.consultation_mode as enum ('online', 'in_person', 'any');

create type public.distance_unit as enum ('km', 'mi');

create type public.email_delivery as enum ('immediate', 'daily_digest', 'off');

-- Tables
create table public.member_preferences (
  user_id uuid primary key references public.profiles (id) on delete cascade,
  locale text not null default 'en' check (locale ~ '^[a-z]{2}(-[A-Z]{2})?$'),
  timezone text not null default 'UTC' check (char_length(timezone) <= 64),
  currency char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  consultation_mode public.consultation_mode not null default 'any',
  preferred_categories text[] not null default '{}' check (cardinality(preferred_categories) <= 20),
  updated_at timestamptz not null default now()
);
comment on table public.member_preferences is 'General member preferences (language, time zone, currency, how they like to consult).';

create table public.notification_preferences (
  user_id uuid not null references public.profiles (id) on delete cascade,
  channel public.notification_channel not null,
  category public.notification_category not null,
  enabled boolean not null,
  updated_at timestamptz not null default now(),
  primary key (user_id, channel, category)
);
comment on table public.notification_preferences is 'One switch per channel x category; all rows exist from sign-up, members update them.';

create table public.email_preferences (
  user_id uuid primary key references public.profiles (id) on delete cascade,
  digest public.email_digest not null default 'weekly',
  product_updates boolean not null default false,
  newsletter boolean not null default false,
  booking_reminders boolean not null default true,
  updated_at timestamptz not null default now(),
  notification_emails public.email_delivery not null default 'immediate'
);
comment on table public.email_preferences is 'What mail a member wants besides transactional mail (which Auth always sends).';
comment on column public.email_preferences.notification_emails is 'How notification emails arrive: immediate, one daily digest (at digest_hour in the member''s time zone), or off. Categories are switched per channel in notification_preferences.';

create table public.privacy_settings (
  user_id uuid primary key references public.profiles (id) on delete cascade,
  profile_visibility public.profile_visibility not null default 'members',
  show_location boolean not null default false,
  marketing_consent boolean not null default false,
  marketing_consent_at timestamptz,
  search_history_enabled boolean not null default true,
  updated_at timestamptz not null default now()
);
comment on table public.privacy_settings is 'Privacy choices; private by default except search history, which the member can switch off.';
comment on column public.privacy_settings.marketing_consent_at is 'When consent was last given (set by trigger).';

create table public.location_preferences (
  user_id uuid primary key references public.profiles (id) on delete cascade,
  search_radius_km integer not null default 25 check (search_radius_km between 1 and 500),
  preferred_city text check (char_length(preferred_city) <= 100),
  country_code char(2) check (country_code ~ '^[A-Z]{2}$'),
  distance_unit public.distance_unit not null default 'km',
  use_current_location boolean not null default false,
  updated_at timestamptz not null default now()
);
comment on table public.location_preferences is 'How a member searches nearby experts (radius, city, units).';

create table public.onboarding (
  user_id uuid primary key references public.profiles (id) on delete cascade,
  profile_completed_at timestamptz,
  terms_accepted_at timestamptz,
  terms_version text check (char_length(terms_version) <= 32),
  privacy_initialised_at timestamptz,
  location_set_at timestamptz,
  completed_at timestamptz,
  updated_at timestamptz not null default now()
);
comment on table public.onboarding is 'Server-side wizard state; members change it only through complete_onboarding_step() and accept_terms().';
comment on column public.onboarding.completed_at is 'Set when every step is done and terms are accepted.';

-- Grants and row level security
alter table public.member_preferences enable row level security;

revoke all on public.member_preferences from anon, authenticated;
grant select on public.member_preferences to authenticated;

-- Settings rows exist from sign-up; members change the choices, never the keys or timestamps.
grant update (locale, timezone, currency, consultation_mode, preferred_categories) on public.member_preferences to authenticated;

alter table public.notification_preferences enable row level security;

revoke all on public.notification_preferences from anon, authenticated;
grant select on public.notification_preferences to authenticated;
grant update (enabled) on public.notification_preferences to authenticated;

alter table public.email_preferences enable row level security;

revoke all on public.email_preferences from anon, authenticated;
grant select on public.email_preferences to authenticated;
grant update (digest, product_updates, newsletter, booking_reminders) on public.email_preferences to authenticated;

-- Grants: members choose how notification emails arrive (email_preferences' other columns keep
-- their grants).
grant update (notification_emails) on public.email_preferences to authenticated;

alter table public.privacy_settings enable row level security;

revoke all on public.privacy_settings from anon, authenticated;
grant select on public.privacy_settings to authenticated;
grant update (profile_visibility, show_location, marketing_consent, search_history_enabled) on public.privacy_settings to authenticated;

alter table public.location_preferences enable row level security;

revoke all on public.location_preferences from anon, authenticated;
grant select on public.location_preferences to authenticated;
grant update (search_radius_km, preferred_city, country_code, distance_unit, use_current_location) on public.location_preferences to authenticated;

alter table public.onboarding enable row level security;

-- Onboarding is written only by its functions.
revoke all on public.onboarding from anon, authenticated;
grant select on public.onboarding to authenticated;

-- Functions
create or replace function private.stamp_marketing_consent()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.marketing_consent and (tg_op = 'INSERT' or not old.marketing_consent) then
    new.marketing_consent_at := now();
  elsif not new.marketing_consent then
    new.marketing_consent_at := null;
  end if;
  return new;
end;
$$;

create or replace function private.settle_onboarding()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  new.completed_at := case
    when new.profile_completed_at is not null and new.terms_accepted_at is not null
         and new.privacy_initialised_at is not null and new.location_set_at is not null
    then coalesce(old.completed_at, now()) end;
  return new;
end;
$$;

create or replace function private.accept_terms(version text)
returns public.onboarding
language plpgsql
security definer
set search_path = ''
as $$
declare
  result public.onboarding;
begin
  perform private.require_member();
  if version is null or version !~ '^[A-Za-z0-9._-]{1,32}$' then
    raise exception 'terms version must be 1-32 letters, digits, dots, dashes or underscores' using errcode = '22023';
  end if;
  update public.onboarding o set terms_accepted_at = now(), terms_version = version
   where o.user_id = (select auth.uid()) returning * into result;
  return result;
end;
$$;
grant execute on function private.accept_terms(text) to authenticated, service_role;

comment on function private.accept_terms(text) is 'The elevated body of public.accept_terms() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.accept_terms(version text)
returns public.onboarding
language sql
volatile
security invoker
set search_path = ''
as $$ select private.accept_terms($1) $$;
comment on function public.accept_terms(text) is 'Records the member accepting a terms version (time + version).';
revoke execute on function public.accept_terms(text) from public, anon, authenticated, service_role;
grant execute on function public.accept_terms(text) to authenticated, service_role;

create or replace function private.complete_onboarding_step(step text)
returns public.onboarding
language plpgsql
security definer
set search_path = ''
as $$
declare
  result public.onboarding;
begin
  perform private.require_member();
  if step not in ('profile', 'privacy', 'location') then
    raise exception 'unknown onboarding step %; use profile, privacy or location (terms: accept_terms)', step using errcode = '22023';
  end if;
  update public.onboarding o set
    profile_completed_at = case when step = 'profile' then coalesce(o.profile_completed_at, now()) else o.profile_completed_at end,
    privacy_initialised_at = case when step = 'privacy' then coalesce(o.privacy_initialised_at, now()) else o.privacy_initialised_at end,
    location_set_at = case when step = 'location' then coalesce(o.location_set_at, now()) else o.location_set_at end
  where o.user_id = (select auth.uid()) returning * into result;
  return result;
end;
$$;
grant execute on function private.complete_onboarding_step(text) to authenticated, service_role;

comment on function private.complete_onboarding_step(text) is 'The elevated body of public.complete_onboarding_step() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.complete_onboarding_step(step text)
returns public.onboarding
language sql
volatile
security invoker
set search_path = ''
as $$ select private.complete_onboarding_step($1) $$;
comment on function public.complete_onboarding_step(text) is 'Marks one wizard step (profile | privacy | location) done for the caller.';
revoke execute on function public.complete_onboarding_step(text) from public, anon, authenticated, service_role;
grant execute on function public.complete_onboarding_step(text) to authenticated, service_role;

-- Triggers
create trigger member_preferences_touch before update on public.member_preferences for each row execute function private.touch_updated_at();
create trigger notification_preferences_touch before update on public.notification_preferences for each row execute function private.touch_updated_at();
create trigger email_preferences_touch before update on public.email_preferences for each row execute function private.touch_updated_at();
create trigger privacy_settings_touch before update on public.privacy_settings for each row execute function private.touch_updated_at();
create trigger privacy_settings_consent before insert or update on public.privacy_settings for each row execute function private.stamp_marketing_consent();
create trigger location_preferences_touch before update on public.location_preferences for each row execute function private.touch_updated_at();
create trigger onboarding_settle before insert or update on public.onboarding for each row execute function private.settle_onboarding();

-- Policies
-- Rows are created at sign-up; members read and update their own, never insert or delete.
create policy "Members can read their own preferences" on public.member_preferences for select to authenticated using ((select auth.uid()) = user_id);

create policy "Members can update their own preferences" on public.member_preferences for update to authenticated using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

create policy "Members can read their own notification preferences" on public.notification_preferences for select to authenticated using ((select auth.uid()) = user_id);

create policy "Members can update their own notification preferences" on public.notification_preferences for update to authenticated using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

create policy "Members can read their own email preferences" on public.email_preferences for select to authenticated using ((select auth.uid()) = user_id);

create policy "Members can update their own email preferences" on public.email_preferences for update to authenticated using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

create policy "Members can read their own privacy settings" on public.privacy_settings for select to authenticated using ((select auth.uid()) = user_id);

create policy "Members can update their own privacy settings" on public.privacy_settings for update to authenticated using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

create policy "Members can read their own location preferences" on public.location_preferences for select to authenticated using ((select auth.uid()) = user_id);

create policy "Members can update their own location preferences" on public.location_preferences for update to authenticated using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

create policy "Members can read their own onboarding" on public.onboarding for select to authenticated using ((select auth.uid()) = user_id);
