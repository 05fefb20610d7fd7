-- Supabase's platform baseline, written from its documented behaviour (see shared/RESEARCH.md):
-- what a NEW HOSTED PROJECT starts with (including the 2025 changes), and nothing more: every
-- extension the project uses is created by a migration. What cannot match here is listed in the
-- README, "Differences from hosted Supabase".
-- This file: one database's schemas, grants, default privileges and extensions, as the bootstrap
-- superuser supabase_admin (after roles.sql; run per database, so a deploy check can
-- build a fresh one).

-- The database belongs to postgres, so grants on schema public made by postgres take effect.
do $$
begin
  execute format('alter database %I owner to postgres', current_database());
  execute format('grant all on database %I to postgres', current_database());
end $$;

-- Schemas.
create schema if not exists extensions;
-- On the image `extensions` is created by postgres (then a superuser), so postgres owns it.
alter schema extensions owner to postgres;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant all on schema extensions to postgres with grant option;
-- What supabase_admin creates in extensions (e.g. PostGIS's spatial_ref_sys) is granted to postgres only.
alter default privileges in schema extensions grant all on tables to postgres with grant option;
alter default privileges in schema extensions grant all on routines to postgres with grant option;
alter default privileges in schema extensions grant all on sequences to postgres with grant option;

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

-- The other schemas a new hosted project has, empty here (their services and extensions are not
-- run or not packaged: Storage, Realtime, Supavisor's pgbouncer auth, pg_graphql, Vault, pgsodium),
-- with the image's owners and grants, so a migration that creates one of these names fails here
-- as it fails there.
create schema if not exists storage authorization supabase_admin;
grant usage on schema storage to postgres, anon, authenticated, service_role;
grant all on schema storage to supabase_storage_admin;
create schema if not exists realtime authorization supabase_admin;
grant usage on schema realtime to postgres;
create schema if not exists pgbouncer authorization pgbouncer;
create schema if not exists graphql authorization supabase_admin;
grant usage on schema graphql to postgres, anon, authenticated, service_role;
create schema if not exists vault authorization supabase_admin;
grant usage on schema vault to postgres with grant option;
create schema if not exists pgsodium authorization supabase_admin;

-- Extensions a new hosted project has enabled (pg_graphql, pg_net, vault and pgjwt too, which
-- Debian does not ship). Everything else is created by a migration.
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_stat_statements with schema extensions;

-- Realtime's publication exists on every project (empty unless tables are added), owned by
-- postgres as on hosted projects, so migrations can add their tables to it.
create publication supabase_realtime;
alter publication supabase_realtime owner to postgres;
