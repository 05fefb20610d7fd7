-- Profiles and roles: one profile per Auth user (member | expert | admin), and expert details
-- (the helpers every policy uses are in the foundation). Role, status and verification are never
-- client-writable.

-- Sign-up: when Supabase Auth creates a user, create the member's rows from validated
-- raw_user_meta_data. It must never fail a sign-up: bad or hostile metadata is ignored or
-- normalised, and if anything still goes wrong the bare rows are created and a warning logged.

-- Custom access token hook: Supabase Auth calls this (as supabase_auth_admin) before issuing a JWT;
-- it adds the member's role and account status so policies and clients can read them.
-- Wired in config.toml [auth.hook.custom_access_token].

-- Admin audit: every money and role operation an admin (or an operator) performs is recorded in an
-- append-only log nobody edits, admins included. Admins need an aal2 session (MFA verified) for
-- them, always, and credit adjustments are bounded per call and per day (private.credit_settings).
--   money: admin_adjust_credits() / private.adjust_credits()     -> action 'adjust_credits'
--   roles: profiles.role / profiles.status changes                 -> 'set_role' / 'set_status'
--          expert_profiles.verification_status changes             -> 'set_verification'
-- Later capabilities record their admin actions here too (reviews, rooms, messaging, bookings, the
-- admin console's job runs). Each entry names its actor: an admin (actor_id, aal), the service role,
-- or a direct database session such as Supabase Studio's (actor_id null, actor_role 'postgres' for
-- the postgres role, client = the session's application_name): see docs/admin.md.

grant usage on schema public to supabase_auth_admin;

-- Types
create type public.member_role as enum ('member', 'expert', 'admin');

create type public.account_status as enum ('active', 'suspended', 'deactivated');

create type public.verification_status as enum ('unverified', 'pending', 'verified', 'rejected');

-- Tables
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  role public.member_role not null default 'member',
  status public.account_status not null default 'active',
  first_name text check (char_length(first_name) <= 100),
  last_name text check (char_length(last_name) <= 100),
  display_name text check (char_length(display_name) <= 100),
  avatar_url text check (char_length(avatar_url) <= 2048),
  bio text check (char_length(bio) <= 4000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Input hygiene (foundation): the rule of each field others see.
  constraint profiles_first_name_plain check (private.is_plain_line(first_name)),
  constraint profiles_last_name_plain check (private.is_plain_line(last_name)),
  constraint profiles_display_name_plain check (private.is_plain_line(display_name)),
  constraint profiles_bio_plain check (private.is_plain_text(bio)),
  constraint profiles_avatar_url_https check (private.is_safe_link(avatar_url))
);
comment on table public.profiles is 'One row per Auth user, created at sign-up. role/status change only through admins.';
comment on column public.profiles.role is 'member | expert | admin; copied into the JWT as user_role by the access token hook.';

create table public.expert_profiles (
  id uuid primary key references public.profiles (id) on delete cascade,
  headline text check (char_length(headline) <= 200),
  expertise text[] not null default '{}' check (cardinality(expertise) <= 20),
  credentials text[] not null default '{}' check (cardinality(credentials) <= 20),
  experience_years smallint check (experience_years between 0 and 80),
  hourly_rate_cents integer check (hourly_rate_cents between 0 and 10000000),
  currency char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  bio text check (char_length(bio) <= 8000),
  is_available boolean not null default true,
  verification_status public.verification_status not null default 'unverified',
  verified_at timestamptz,
  rating_avg numeric(3, 2) not null default 0,
  rating_count integer not null default 0,
  city text check (char_length(city) <= 100),
  area text check (char_length(area) <= 100),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Input hygiene (foundation): the rule of each field others see.
  constraint expert_profiles_headline_plain check (private.is_plain_line(headline)),
  constraint expert_profiles_city_plain check (private.is_plain_line(city)),
  constraint expert_profiles_area_plain check (private.is_plain_line(area)),
  constraint expert_profiles_bio_plain check (private.is_plain_text(bio))
);
comment on table public.expert_profiles is 'Public details of an expert; readable by anyone once verified.';
comment on column public.expert_profiles.verification_status is 'Set by admins only (trigger-guarded).';
comment on column public.expert_profiles.rating_avg is 'Kept by review triggers; not client-writable.';

create table public.admin_audit_log (
  id bigint generated always as identity primary key,
  actor_id uuid references public.profiles (id) on delete set null,
  actor_role text not null check (actor_role in ('admin', 'service_role', 'postgres', 'database')),
  action text not null check (action ~ '^[a-z_]{1,40}$'),
  target_id uuid references public.profiles (id) on delete set null,
  details jsonb not null default '{}' check (jsonb_typeof(details) = 'object' and pg_column_size(details) <= 4096),
  aal text check (aal in ('aal1', 'aal2', 'aal3')),
  client text check (char_length(client) <= 64),
  created_at timestamptz not null default now()
);
comment on table public.admin_audit_log is 'Append-only record of admin and operator money/role operations; admins read it all, members the entries about them; nobody edits or deletes it.';
comment on column public.admin_audit_log.actor_role is 'admin (a signed-in admin, actor_id), service_role (an operator''s server code), postgres (a direct session as postgres: Supabase Studio, psql, scheduled SQL jobs) or database (a direct session as another role, e.g. supabase_admin).';
comment on column public.admin_audit_log.client is 'For a direct database session: its application_name, as the client named itself (Studio, psql...); null for API requests.';
comment on column public.admin_audit_log.details is 'What changed: old and new values, amounts, references.';

-- Indexes
create index profiles_role_idx on public.profiles (role) where role <> 'member';
create index expert_profiles_verified_idx on public.expert_profiles (verification_status, is_available);
create index expert_profiles_expertise_idx on public.expert_profiles using gin (expertise);

create index admin_audit_log_actor_idx on public.admin_audit_log (actor_id, created_at desc);
create index admin_audit_log_target_idx on public.admin_audit_log (target_id, created_at desc);

-- Grants and row level security
alter table public.profiles enable row level security;

revoke all on public.profiles from anon, authenticated;

grant select on public.profiles to anon;
grant select on public.profiles to authenticated;

-- Profile: the member's own presentation; role and status only by admins (trigger-guarded, audited).
grant update (first_name, last_name, display_name, avatar_url, bio, role, status) on public.profiles to authenticated;

grant select (id, role, status) on table public.profiles to supabase_auth_admin;

alter table public.expert_profiles enable row level security;

revoke all on public.expert_profiles from anon, authenticated;
grant select on public.expert_profiles to anon;
grant select on public.expert_profiles to authenticated;

-- Expert profile: what the expert says about themselves; verification by admins (trigger-guarded);
-- ratings, timestamps and verified_at never.
grant insert (id, headline, expertise, credentials, experience_years, hourly_rate_cents, currency, bio, is_available, city, area)
  on public.expert_profiles to authenticated;
grant update (headline, expertise, credentials, experience_years, hourly_rate_cents, currency, bio, is_available, city, area, verification_status)
  on public.expert_profiles to authenticated;

-- Grants: read-only for the API roles (rows by policy); written only by the functions below.
revoke all on public.admin_audit_log from public, anon, authenticated, service_role;
grant select on public.admin_audit_log to authenticated, service_role;

alter table public.admin_audit_log enable row level security;

-- Functions
create or replace function private.my_role()
returns public.member_role
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (select role from public.profiles where id = (select auth.uid()) and status = 'active');
end;
$$;
comment on function private.my_role() is 'The caller''s role when active; lets policies ask without recursing through profiles'' own policies.';
grant execute on function private.my_role() to authenticated, service_role;

-- THE LISTING RULE, written once: an expert is listed (public profile, reviews, favourites count,
-- conversations, booking confirmations and payments) while their role is 'expert', their account
-- is active and their expert profile is verified; a deleted account has no row, so it is not listed.
-- Bookable (nearby search, new bookings, saved-search alerts) = listed and is_available, the
-- expert's own switch for taking new bookings. Every policy, trigger, RPC and function asks these
-- three functions and nothing else; a change of any deciding column is seen everywhere at once.
create or replace function private.expert_listing_rule(role public.member_role, status public.account_status,
                                                       verification public.verification_status)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select coalesce(role = 'expert' and status = 'active' and verification = 'verified', false);
$$;
comment on function private.expert_listing_rule(public.member_role, public.account_status, public.verification_status) is
  'The one definition of a listed expert, on the deciding values (so triggers can compare before and after): role expert, account active, expert profile verified.';
grant execute on function private.expert_listing_rule(public.member_role, public.account_status, public.verification_status) to service_role;

create or replace function private.is_listed_expert(expert_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.profiles p join public.expert_profiles e on e.id = p.id
                  where p.id = is_listed_expert.expert_id
                    and private.expert_listing_rule(p.role, p.status, e.verification_status));
end;
$$;
comment on function private.is_listed_expert(uuid) is 'True while the expert is listed (private.expert_listing_rule on their current rows); the expert_profiles and profiles read policies use it.';
-- The read policies of profiles and expert_profiles call it for anon and members; it answers only
-- what those policies show anyway (whether a listed expert's row is readable).
grant execute on function private.is_listed_expert(uuid) to anon, authenticated, service_role;

create or replace function private.is_bookable_expert(expert_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return private.is_listed_expert(is_bookable_expert.expert_id)
     and exists (select 1 from public.expert_profiles e where e.id = is_bookable_expert.expert_id and e.is_available);
end;
$$;
comment on function private.is_bookable_expert(uuid) is 'Listed and available: may be found nearby, booked and announced to saved searches.';
revoke execute on function private.is_bookable_expert(uuid) from public, anon, authenticated;
grant execute on function private.is_bookable_expert(uuid) to service_role;

-- Only admins (or the service role / database owner, e.g. Studio) change role, status or verification.
-- Security invoker on purpose: current_user must be the caller's role, not a definer's.
create or replace function private.is_privileged_session()
returns boolean
language sql
stable
set search_path = ''
as $$
  select current_user::text not in ('authenticated', 'anon') or private.is_admin();
$$;
grant execute on function private.is_privileged_session() to authenticated, anon, service_role;

create or replace function private.guard_profile_columns()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if (new.role is distinct from old.role or new.status is distinct from old.status or new.id is distinct from old.id)
     and not private.is_privileged_session() then
    raise exception 'only an admin can change role or status' using errcode = '42501';
  end if;
  return new;
end;
$$;

create or replace function private.guard_expert_columns()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if (new.verification_status <> 'unverified' or new.verified_at is not null or new.rating_avg <> 0 or new.rating_count <> 0)
       and not private.is_privileged_session() then
      raise exception 'verification and ratings are set by the marketplace, not by clients' using errcode = '42501';
    end if;
  elsif (new.verification_status is distinct from old.verification_status or new.verified_at is distinct from old.verified_at
         or new.id is distinct from old.id)
        and not private.is_privileged_session() then
    raise exception 'only an admin can change verification' using errcode = '42501';
  end if;
  -- Rating aggregates belong to the review triggers, which run as the table owner.
  if tg_op = 'UPDATE' and (new.rating_avg is distinct from old.rating_avg or new.rating_count is distinct from old.rating_count)
     and current_user::text in ('authenticated', 'anon') then
    raise exception 'ratings are computed from reviews' using errcode = '42501';
  end if;
  return new;
end;
$$;

create or replace function private.meta_text(meta jsonb, keys text[], max_len integer)
returns text
language sql
immutable
set search_path = ''
as $$
  -- First key present as a JSON string; control characters dropped, trimmed, cut to max_len, '' -> null.
  select nullif(left(btrim(private.plain_line(meta ->> k)), max_len), '')
  from unnest(keys) with ordinality as t(k, i)
  where jsonb_typeof(meta -> k) = 'string'
  order by i
  limit 1;
$$;

create or replace function private.meta_true(meta jsonb, keys text[])
returns boolean
language sql
immutable
set search_path = ''
as $$
  select coalesce(bool_or(meta -> k = 'true'::jsonb or lower(meta ->> k) in ('true', 'yes', '1') and jsonb_typeof(meta -> k) = 'string'), false)
  from unnest(keys) as k;
$$;

create or replace function private.create_member_rows(user_id uuid, meta jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  m jsonb := case when jsonb_typeof(meta) = 'object' then meta else '{}'::jsonb end;
  first_name text := private.meta_text(m, array['first_name', 'firstName', 'given_name'], 100);
  last_name text := private.meta_text(m, array['last_name', 'lastName', 'family_name'], 100);
  locale text := private.meta_text(m, array['locale', 'language'], 16);
  terms_version text := private.meta_text(m, array['terms_version', 'termsVersion'], 32);
  terms boolean := private.meta_true(m, array['terms_accepted', 'agreesToTerms', 'accepted_terms']);
begin
  if locale is not null and locale !~ '^[a-z]{2}(-[A-Z]{2})?$' then
    locale := case when lower(left(locale, 2)) ~ '^[a-z]{2}$' then lower(left(locale, 2)) end;
  end if;
  if terms_version is not null and terms_version !~ '^[A-Za-z0-9._-]{1,32}$' then
    terms_version := null;
  end if;

  insert into public.profiles (id, first_name, last_name, display_name)
  values (user_id, first_name, last_name, nullif(btrim(concat_ws(' ', first_name, last_name)), ''))
  on conflict (id) do nothing;
  insert into public.member_preferences (user_id, locale) values (user_id, coalesce(locale, 'en')) on conflict do nothing;
  insert into public.notification_preferences (user_id, channel, category, enabled)
  select user_id, ch, cat, not (cat = 'marketing' or ch = 'sms')
  from unnest(enum_range(null::public.notification_channel)) ch, unnest(enum_range(null::public.notification_category)) cat
  on conflict do nothing;
  insert into public.email_preferences (user_id) values (user_id) on conflict do nothing;
  insert into public.privacy_settings (user_id) values (user_id) on conflict do nothing;
  insert into public.location_preferences (user_id) values (user_id) on conflict do nothing;
  insert into public.onboarding (user_id, terms_accepted_at, terms_version)
  values (user_id, case when terms and terms_version is not null then now() end, case when terms then terms_version end)
  on conflict do nothing;
end;
$$;
comment on function private.create_member_rows(uuid, jsonb) is 'Creates every per-member row; idempotent (on conflict do nothing).';

create or replace function private.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  begin
    perform private.create_member_rows(new.id, new.raw_user_meta_data);
  exception when others then
    -- Never fail the sign-up: fall back to rows without metadata.
    raise warning 'member rows for % from metadata failed (%): creating defaults', new.id, sqlerrm;
    begin
      perform private.create_member_rows(new.id, '{}'::jsonb);
    exception when others then
      raise warning 'member rows for % failed: %', new.id, sqlerrm;
    end;
  end;
  return new;
end;
$$;

create or replace function public.custom_access_token_hook(event jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  claims jsonb := coalesce(event -> 'claims', '{}'::jsonb);
  p record;
begin
  select role, status into p from public.profiles where id = (event ->> 'user_id')::uuid;
  claims := jsonb_set(claims, '{user_role}', to_jsonb(coalesce(p.role::text, 'member')));
  claims := jsonb_set(claims, '{account_status}', to_jsonb(coalesce(p.status::text, 'active')));
  return jsonb_build_object('claims', claims);
end;
$$;
comment on function public.custom_access_token_hook(jsonb) is 'Auth hook: adds user_role and account_status claims from public.profiles.';
grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;
revoke execute on function public.custom_access_token_hook(jsonb) from authenticated, anon, public;

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

create or replace function private.session_is_aal2()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return coalesce((select auth.jwt()) ->> 'aal', 'aal1') = 'aal2';
end;
$$;
comment on function private.session_is_aal2() is 'True when the request''s JWT is an aal2 (MFA-verified) session.';
-- Asked only inside definer functions (through require_admin_aal2): no API role needs it.
grant execute on function private.session_is_aal2() to service_role;

-- A direct database session (Supabase Studio's SQL editor and Table Editor, psql, pg_cron's jobs):
-- no API request claims and not PostgREST's login role. Such a session is the database owner or
-- another platform role, never a member: operator paths (moderation, booking cancellation) accept it
-- as they accept an admin, and the audit names it. Works inside security definer functions too
-- (session_user and the request's claims do not change with the definer).
create or replace function private.is_operator_session()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return (select auth.jwt()) ->> 'role' is null and session_user::text <> 'authenticator';
end;
$$;
comment on function private.is_operator_session() is 'True in a direct database session (Studio, psql, cron): no API claims and not PostgREST''s authenticator.';
-- Only definer functions (the audit, moderation, booking and room actions) ask it: no API role runs it.
revoke execute on function private.is_operator_session() from public, anon, authenticated;
grant execute on function private.is_operator_session() to service_role;

create or replace function private.record_admin_action(action text, target_id uuid, details jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  who uuid := (select auth.uid());
  -- The API role of the request (definer code runs as the owner, so ask the claims, not current_user).
  api_role text := coalesce((select auth.jwt()) ->> 'role', '');
  direct boolean := private.is_operator_session();
begin
  insert into public.admin_audit_log (actor_id, actor_role, action, target_id, details, aal, client)
  values ((select p.id from public.profiles p where p.id = who),
          case when who is not null then 'admin' when api_role = 'service_role' then 'service_role'
               when direct and session_user::text = 'postgres' then 'postgres' else 'database' end,
          record_admin_action.action, (select p.id from public.profiles p where p.id = record_admin_action.target_id),
          coalesce(record_admin_action.details, '{}'), (select auth.jwt()) ->> 'aal',
          -- The client's own name for itself: Studio's connection, psql, a function's pool.
          case when direct then left(nullif(pg_catalog.current_setting('application_name', true), ''), 64) end);
end;
$$;
comment on function private.record_admin_action(text, uuid, jsonb) is 'Appends one entry to public.admin_audit_log for the current actor.';
revoke execute on function private.record_admin_action(text, uuid, jsonb) from public, anon, authenticated;

-- An admin acting through the API must be on an aal2 session; operators (service role, Studio) are not admins.
create or replace function private.require_admin_aal2(what text)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if (select auth.uid()) is not null and not private.session_is_aal2() then
    raise exception 'admins need an aal2 session (verify your MFA factor) to %', what using errcode = '42501';
  end if;
end;
$$;
-- Called only by definer functions (the audit triggers, admin_adjust_credits): no API role needs it.
grant execute on function private.require_admin_aal2(text) to service_role;

-- Role, status and verification changes: checked and recorded after the guards let them through.
create or replace function private.audit_profile_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.role is distinct from old.role or new.status is distinct from old.status then
    perform private.require_admin_aal2('change a member''s role or status');
  end if;
  if new.role is distinct from old.role then
    perform private.record_admin_action('set_role', new.id, jsonb_build_object('from', old.role, 'to', new.role));
  end if;
  if new.status is distinct from old.status then
    perform private.record_admin_action('set_status', new.id, jsonb_build_object('from', old.status, 'to', new.status));
  end if;
  return null;
end;
$$;

create or replace function private.audit_expert_verification()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_admin_aal2('change an expert''s verification');
  perform private.record_admin_action('set_verification', new.id,
                                      jsonb_build_object('from', old.verification_status, 'to', new.verification_status));
  return null;
end;
$$;

-- The log is append-only; the one exception is a foreign key anonymising a deleted member's id.
create or replace function private.guard_admin_audit_log()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE'
     and (new.id, new.actor_role, new.action, new.details, new.aal, new.created_at)
         is not distinct from (old.id, old.actor_role, old.action, old.details, old.aal, old.created_at)
     and (new.actor_id is not distinct from old.actor_id or (new.actor_id is null and not exists (select 1 from public.profiles p where p.id = old.actor_id)))
     and (new.target_id is not distinct from old.target_id or (new.target_id is null and not exists (select 1 from public.profiles p where p.id = old.target_id))) then
    return new;
  end if;
  raise exception 'the admin audit log is append-only' using errcode = '42501';
end;
$$;

-- Triggers
-- Later capabilities hang triggers on public.profiles beside the functions they run:
-- profiles_anonymise_deletion_requests (security_and_sessions); profiles_close_referrals
-- (referrals).
-- Later capabilities hang triggers on public.expert_profiles beside the functions they run:
-- expert_profiles_saved_search_alerts (delivery).
create trigger profiles_guard before update on public.profiles for each row execute function private.guard_profile_columns();
create trigger profiles_touch before update on public.profiles for each row execute function private.touch_updated_at();

create trigger profiles_audit_admin_change after update of role, status on public.profiles
  for each row when (new.role is distinct from old.role or new.status is distinct from old.status)
  execute function private.audit_profile_change();

create trigger expert_profiles_guard before insert or update on public.expert_profiles for each row execute function private.guard_expert_columns();
create trigger expert_profiles_touch before update on public.expert_profiles for each row execute function private.touch_updated_at();

-- Named to run after expert_profiles_guard, which refuses non-admins first.
create trigger expert_profiles_stamp_verification before update of verification_status on public.expert_profiles
  for each row execute function private.stamp_expert_verification();

create trigger expert_profiles_audit_verification after update of verification_status on public.expert_profiles
  for each row when (new.verification_status is distinct from old.verification_status)
  execute function private.audit_expert_verification();

-- Named so later capabilities' sign-up triggers sort after this one.
create trigger on_auth_user_created_10_member
  after insert on auth.users
  for each row execute function private.handle_new_user();

create trigger admin_audit_log_append_only before update or delete on public.admin_audit_log
  for each row execute function private.guard_admin_audit_log();
create trigger admin_audit_log_no_truncate before truncate on public.admin_audit_log
  for each statement execute function private.refuse_truncate();

-- Policies
create policy "Auth can read roles for access tokens" on public.profiles
  for select to supabase_auth_admin using (true);

-- Inactive members keep reading and deleting, but write nothing that others see or that acts.
create policy "Inactive members cannot edit profiles" on public.profiles
  as restrictive for update to authenticated with check ((select private.is_active_member()));

create policy "Anon can read the profiles of listed experts" on public.profiles
  for select to anon
  -- The column tests keep the read index-driven; the listing rule decides.
  using (role = 'expert' and status = 'active' and private.is_listed_expert(id));

create policy "Members read own profile and listed experts, admins all" on public.profiles
  for select to authenticated
  using ((select auth.uid()) = id
         or (role = 'expert' and status = 'active' and private.is_listed_expert(id))
         or id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');

create policy "Members update their own profile, admins every profile" on public.profiles
  for update to authenticated
  using ((select auth.uid()) = id or (select private.is_admin()))
  with check ((select auth.uid()) = id or (select private.is_admin()));

create policy "Experts can create their own expert profile" on public.expert_profiles
  for insert to authenticated
  with check ((select auth.uid()) = id and (select private.my_role()) = 'expert');

create policy "Inactive members cannot create expert profiles" on public.expert_profiles
  as restrictive for insert to authenticated with check ((select private.is_active_member()));

create policy "Inactive members cannot edit expert profiles" on public.expert_profiles
  as restrictive for update to authenticated with check ((select private.is_active_member()));

create policy "Anon can read listed experts" on public.expert_profiles
  for select to anon using (verification_status = 'verified' and private.is_listed_expert(id));

create policy "Members read listed experts and their own, admins all" on public.expert_profiles
  for select to authenticated
  using ((verification_status = 'verified' and private.is_listed_expert(id)) or (select auth.uid()) = id
         or id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');

create policy "Experts update their own expert profile, admins every one" on public.expert_profiles
  for update to authenticated
  using ((select auth.uid()) = id or (select private.is_admin()))
  with check ((select auth.uid()) = id or (select private.is_admin()));

-- Members see what was done to their account (and it is part of their data export); admins see all.
create policy "Members can read admin actions about them and admins all" on public.admin_audit_log
  for select to authenticated using ((select auth.uid()) = target_id or id between (select private.admin_bigint_floor()) and 9223372036854775807);
