-- Test helpers in schema `tests` (never shipped by a migration): users created the way Supabase Auth
-- writes them, and requests authenticated as PostgREST authenticates them (role + full claims).
-- This file commits so the other files (each rolled back) can use the helpers.
create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

create or replace function tests.create_user(identifier text, metadata jsonb default '{}')
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := extensions.gen_random_uuid();
begin
  -- As Auth writes its rows: token columns '' (Auth cannot read NULL there).
  insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                          raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                          confirmation_token, recovery_token, email_change_token_new, email_change)
  values ('00000000-0000-0000-0000-000000000000', uid, 'authenticated', 'authenticated', identifier || '@test.local',
          '', now(), '{"provider":"email","providers":["email"]}', metadata, now(), now(), '', '', '', '');
  return uid;
end;
$$;

create or replace function tests.user_id(identifier text)
returns uuid
language sql
stable
security definer
set search_path = ''
as $$ select id from auth.users where email = identifier || '@test.local' $$;

-- Sets the role and claims for the rest of the transaction, as PostgREST does per request.
create or replace function tests.authenticate_as(identifier text, aal text default 'aal1')
returns void
language plpgsql
set search_path = ''
as $$
declare
  uid uuid := tests.user_id(identifier);
begin
  if uid is null then
    raise exception 'tests.authenticate_as: no user %', identifier;
  end if;
  perform set_config('request.jwt.claims', json_build_object(
    'iss', 'http://127.0.0.1:54321/auth/v1', 'sub', uid, 'aud', 'authenticated', 'role', 'authenticated',
    'email', identifier || '@test.local', 'phone', '', 'aal', aal,
    'amr', json_build_array(json_build_object('method', case when aal = 'aal2' then 'totp' else 'password' end, 'timestamp', extract(epoch from now())::bigint)),
    'session_id', extensions.gen_random_uuid(), 'is_anonymous', false,
    'exp', extract(epoch from now())::bigint + 3600, 'iat', extract(epoch from now())::bigint,
    'app_metadata', json_build_object('provider', 'email'), 'user_metadata', '{}'::json)::text, true);
  execute 'set local role authenticated';
end;
$$;

create or replace function tests.authenticate_as_anon()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', '{"role":"anon","iss":"supabase-demo"}', true);
  execute 'set local role anon';
end;
$$;

create or replace function tests.authenticate_as_service_role()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', '{"role":"service_role","iss":"supabase-demo"}', true);
  execute 'set local role service_role';
end;
$$;

create or replace function tests.clear_authentication()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', null, true);
  execute 'reset role';
end;
$$;

-- Makes a user an expert (optionally verified) or an admin, bypassing the guards as the owner would.
create or replace function tests.make_role(identifier text, new_role public.member_role, verified boolean default true)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := tests.user_id(identifier);
begin
  update public.profiles set role = new_role where id = uid;
  if new_role = 'expert' then
    insert into public.expert_profiles (id, headline, verification_status, verified_at)
    values (uid, identifier || ' expert', case when verified then 'verified' else 'unverified' end::public.verification_status,
            case when verified then now() end)
    on conflict (id) do update set verification_status = excluded.verification_status, verified_at = excluded.verified_at;
  end if;
end;
$$;

-- Enrols a verified TOTP factor for a user, as Auth records one after mfa.verify.
create or replace function tests.enroll_mfa(identifier text)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  fid uuid := extensions.gen_random_uuid();
begin
  insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret)
  values (fid, tests.user_id(identifier), 'test totp ' || fid, 'totp', 'verified', now(), now(), 'JBSWY3DPEHPK3PXP');
  return fid;
end;
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role;

begin;
select plan(1);
select has_function('tests', 'authenticate_as', array['text', 'text'], 'test helpers are installed');
select * from finish();
rollback;
