-- Profiles and roles: one profile per Auth user (member | expert | admin), expert details, and the
-- private helpers every later policy uses. Role, status and verification are never client-writable.

-- Types
create type public.member_role as enum ('member', 'expert', 'admin');
create type public.account_status as enum ('active', 'suspended', 'deactivated');
create type public.verification_status as enum ('unverified', 'pending', 'verified', 'rejected');

-- Private helpers live in a schema PostgREST does not expose.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to anon, authenticated, service_role;
-- Functions are not executable by PUBLIC unless granted: a per-schema default cannot take back the
-- global default, so revoke it for everything this role creates (public-schema RPCs keep
-- Supabase's explicit grants to the API roles; internal helpers get none).
alter default privileges for role postgres revoke execute on functions from public;

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
  updated_at timestamptz not null default now()
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
  updated_at timestamptz not null default now()
);
comment on table public.expert_profiles is 'Public details of an expert; readable by anyone once verified.';
comment on column public.expert_profiles.verification_status is 'Set by admins only (trigger-guarded).';
comment on column public.expert_profiles.rating_avg is 'Kept by review triggers; not client-writable.';

-- Indexes
create index profiles_role_idx on public.profiles (role) where role <> 'member';
create index expert_profiles_verified_idx on public.expert_profiles (verification_status, is_available);
create index expert_profiles_expertise_idx on public.expert_profiles using gin (expertise);

-- Row level security
alter table public.profiles enable row level security;
alter table public.expert_profiles enable row level security;

-- Helper functions
-- The policy helpers are PL/pgSQL on purpose: a SQL function with a SET clause is never inlined and
-- is parsed and planned again at every call, while PL/pgSQL keeps its plans for the session.
create or replace function private.is_admin()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.profiles
    where id = (select auth.uid()) and role = 'admin' and status = 'active'
  );
end;
$$;
comment on function private.is_admin() is 'True when the caller is an active admin; used in policies as (select private.is_admin()).';
grant execute on function private.is_admin() to authenticated, service_role;

create or replace function private.has_verified_mfa(user_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from auth.mfa_factors f where f.user_id = has_verified_mfa.user_id and f.status = 'verified');
end;
$$;

create or replace function private.aal_satisfied()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  -- A member who has enrolled MFA must present an aal2 session; one who has not, any session.
  return coalesce((select auth.jwt()) ->> 'aal', 'aal1') = 'aal2'
      or not private.has_verified_mfa((select auth.uid()));
end;
$$;
comment on function private.aal_satisfied() is 'Restrictive policies on sensitive tables: aal2 required once MFA is enrolled.';
grant execute on function private.aal_satisfied() to authenticated, service_role;

-- The one "the caller must be signed in" check every member RPC starts with.
create or replace function private.require_member()
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
grant execute on function private.require_member() to authenticated, service_role;

create or replace function private.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

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

-- Triggers
create trigger profiles_guard before update on public.profiles for each row execute function private.guard_profile_columns();
create trigger profiles_touch before update on public.profiles for each row execute function private.touch_updated_at();
create trigger expert_profiles_guard before insert or update on public.expert_profiles for each row execute function private.guard_expert_columns();
create trigger expert_profiles_touch before update on public.expert_profiles for each row execute function private.touch_updated_at();

-- Policies: profiles
create policy "Members can read their own profile" on public.profiles
  for select to authenticated using ((select auth.uid()) = id);
create policy "Anyone can read the profiles of verified experts" on public.profiles
  for select to anon, authenticated
  using (role = 'expert' and exists (select 1 from public.expert_profiles e where e.id = profiles.id and e.verification_status = 'verified'));
create policy "Admins can read every profile" on public.profiles
  for select to authenticated using ((select private.is_admin()));
create policy "Members can update their own profile" on public.profiles
  for update to authenticated using ((select auth.uid()) = id) with check ((select auth.uid()) = id);
create policy "Admins can update every profile" on public.profiles
  for update to authenticated using ((select private.is_admin())) with check ((select private.is_admin()));

-- Policies: expert_profiles
create policy "Anyone can read verified experts" on public.expert_profiles
  for select to anon, authenticated using (verification_status = 'verified');
create policy "Experts can read their own expert profile" on public.expert_profiles
  for select to authenticated using ((select auth.uid()) = id);
create policy "Admins can read every expert profile" on public.expert_profiles
  for select to authenticated using ((select private.is_admin()));
create policy "Experts can create their own expert profile" on public.expert_profiles
  for insert to authenticated
  with check ((select auth.uid()) = id and (select private.my_role()) = 'expert');
create policy "Experts can update their own expert profile" on public.expert_profiles
  for update to authenticated using ((select auth.uid()) = id) with check ((select auth.uid()) = id);
create policy "Admins can update every expert profile" on public.expert_profiles
  for update to authenticated using ((select private.is_admin())) with check ((select private.is_admin()));
