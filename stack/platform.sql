-- Supabase's platform baseline, written from its documented behaviour (see shared/RESEARCH.md):
-- the roles, schemas, extensions, grants and default privileges a Supabase project starts with.
-- Runs once as the bootstrap superuser supabase_admin on a fresh data dir.

-- Roles. On Supabase, `postgres` is not a superuser.
create role postgres login password 'postgres' nosuperuser createdb createrole replication bypassrls;
create role anon nologin noinherit;
create role authenticated nologin noinherit;
create role service_role nologin noinherit bypassrls;
create role authenticator login password 'postgres' noinherit;
create role supabase_auth_admin login password 'postgres' noinherit createrole;
create role dashboard_user nologin createdb createrole replication;
create role supabase_read_only_user login password 'postgres' bypassrls;
grant pg_read_all_data to supabase_read_only_user;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres with admin option;
grant supabase_auth_admin to postgres;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
-- As on hosted Supabase: PostgREST's sessions wait at most 8 s for a lock.
alter role authenticator set lock_timeout = '8s';
alter role postgres set search_path = "$user", public, extensions;
alter role supabase_auth_admin set search_path = auth;
alter role supabase_auth_admin set idle_in_transaction_session_timeout = '60s';

grant all on database postgres to postgres;

-- Schemas.
create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant all on schema extensions to postgres with grant option;
alter default privileges in schema extensions grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema extensions grant all on functions to postgres, anon, authenticated, service_role;

-- auth belongs to supabase_admin; supabase_auth_admin owns what is inside (so `supabase db reset` keeps it).
create schema if not exists auth authorization supabase_admin;
grant create, usage on schema auth to supabase_auth_admin;
grant usage on schema auth to postgres, anon, authenticated, service_role, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth grant all on tables to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth grant all on sequences to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth grant all on functions to postgres, dashboard_user;

alter schema public owner to pg_database_owner;
grant usage, create on schema public to postgres;
grant usage on schema public to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on sequences to postgres, anon, authenticated, service_role;

create schema if not exists graphql_public;
grant usage on schema graphql_public to postgres, anon, authenticated, service_role;

-- Extensions. The untrusted ones (postgis, pgtap, plpgsql_check) need a superuser here; on hosted
-- Supabase supautils lets `postgres` create them, so migrations still say `create extension if not exists`.
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_stat_statements with schema extensions;
create extension if not exists postgis with schema extensions;
create extension if not exists pgtap with schema extensions;
create extension if not exists plpgsql_check with schema extensions;

-- Realtime's publication exists on every project (empty unless tables are added), owned by
-- postgres as on hosted projects, so migrations can add their tables to it.
create publication supabase_realtime;
alter publication supabase_realtime owner to postgres;
