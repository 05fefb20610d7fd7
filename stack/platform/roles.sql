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
-- The image's other service roles (supabase/postgres init scripts, pgbouncer setup, pgsodium's
-- key roles). Nothing here logs in as them; they exist so a migration that creates or grants one
-- of these names fails here as it fails on hosted (most are supautils reserved roles there).
create role supabase_replication_admin login replication;
create role supabase_storage_admin login noinherit createrole noreplication;
create role supabase_functions_admin login noinherit createrole noreplication;
create role supabase_realtime_admin nologin noinherit;
create role pgbouncer login;
create role pgsodium_keyiduser nologin;
create role pgsodium_keyholder nologin;
create role pgsodium_keymaker nologin;
grant pgsodium_keyiduser to pgsodium_keyholder;
grant pgsodium_keyholder to pgsodium_keymaker;
grant authenticator to supabase_storage_admin;
grant anon, authenticated, service_role to supabase_storage_admin;

grant anon, authenticated, service_role to authenticator;
-- Since 2025 postgres holds the API roles without admin option and is no member of
-- supabase_auth_admin (so it cannot create objects in schema auth).
grant anon, authenticated, service_role to postgres;
-- The image grants postgres these predefined roles (read everything, signal backends, monitoring)
-- and pgsodium's key roles with admin option.
grant pg_read_all_data, pg_signal_backend, pg_monitor to postgres;
grant pgsodium_keyiduser, pgsodium_keyholder, pgsodium_keymaker to postgres with admin option;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role postgres set search_path = "$user", public, extensions;
alter role supabase_auth_admin set search_path = auth;
alter role supabase_auth_admin set idle_in_transaction_session_timeout = '60s';

