-- Supabase's platform baseline, written from its documented behaviour (see shared/RESEARCH.md):
-- what a NEW HOSTED PROJECT starts with (including the 2025 changes), and nothing more: every
-- extension the project uses is created by a migration. What cannot match here is listed in the
-- README, "Differences from hosted Supabase".
-- This file: the cluster's roles, once per data dir, as the bootstrap superuser supabase_admin.
-- database.sql sets up each database.

-- Roles. On Supabase, `postgres` is not a superuser.
create role postgres login password 'postgres' nosuperuser createdb createrole replication bypassrls;
-- The API roles are INHERIT on hosted projects (since 2023).
create role anon nologin;
create role authenticated nologin;
create role service_role nologin bypassrls;
create role authenticator login password 'postgres' noinherit;
create role supabase_auth_admin login password 'postgres' noinherit createrole;
create role dashboard_user nologin createdb createrole replication;
create role supabase_read_only_user login password 'postgres' bypassrls;
grant pg_read_all_data to supabase_read_only_user;

grant anon, authenticated, service_role to authenticator;
-- Since 2025 postgres holds the API roles without admin option and is no member of
-- supabase_auth_admin (so it cannot create objects in schema auth).
grant anon, authenticated, service_role to postgres;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role postgres set search_path = "$user", public, extensions;
alter role supabase_auth_admin set search_path = auth;
alter role supabase_auth_admin set idle_in_transaction_session_timeout = '60s';

