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

-- Extensions a new hosted project has enabled (pg_graphql, pg_net, vault and pgjwt too, which
-- Debian does not ship). Everything else is created by a migration.
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_stat_statements with schema extensions;

-- Privileged extensions. On hosted Supabase the supautils library lets postgres create the
-- allow-listed extensions, running the CREATE as supabase_admin; supautils is not in Debian.
-- This event trigger does the same for the same list: before a non-superuser's CREATE EXTENSION
-- of a listed extension runs, it creates the extension as supabase_admin, and the statement's
-- `if not exists` then finds it (a migration must say `if not exists`, as it should anyway).
create function extensions.create_privileged_extension() returns event_trigger
language plpgsql security definer set search_path = '' as $$
declare
  wanted text[];
  privileged constant text[] := array[
    'address_standardizer', 'address_standardizer_data_us', 'autoinc', 'bloom', 'btree_gin',
    'btree_gist', 'citext', 'cube', 'dblink', 'dict_int', 'dict_xsyn', 'earthdistance',
    'fuzzystrmatch', 'hstore', 'insert_username', 'intarray', 'isn', 'ltree', 'moddatetime',
    'pg_cron', 'pg_stat_statements', 'pg_trgm', 'pg_walinspect', 'pgcrypto', 'pg_prewarm',
    'pgrowlocks', 'pgstattuple', 'pgtap', 'plpgsql', 'plpgsql_check', 'postgis', 'postgis_raster',
    'postgis_sfcgal', 'postgis_tiger_geocoder', 'postgis_topology', 'postgres_fdw', 'refint',
    'seg', 'sslinfo', 'tablefunc', 'tcn', 'tsm_system_rows', 'tsm_system_time', 'unaccent',
    'uuid-ossp'];
begin
  -- The nested CREATE below fires this trigger again.
  if current_setting('memberbase.creating_privileged_extension', true) = 'on' then return; end if;
  perform set_config('memberbase.creating_privileged_extension', 'on', true);
  for wanted in
    select regexp_matches(current_query(),
      'create\s+extension\s+(?:if\s+not\s+exists\s+)?"?([a-z0-9_-]+)"?(?:\s+(?:with\s+)?schema\s+"?([a-z0-9_]+)"?)?', 'gi')
  loop
    if lower(wanted[1]) = any (privileged) and not exists (select 1 from pg_extension where extname = lower(wanted[1])) then
      -- As supautils' parameter override on hosted projects, pg_cron always goes into pg_catalog.
      execute format('create extension %I with schema %I cascade', lower(wanted[1]),
        case when lower(wanted[1]) = 'pg_cron' then 'pg_catalog' else coalesce(lower(wanted[2]), 'extensions') end);
    end if;
  end loop;
  perform set_config('memberbase.creating_privileged_extension', 'off', true);
end $$;
revoke all on function extensions.create_privileged_extension() from public;
create event trigger create_privileged_extension on ddl_command_start when tag in ('CREATE EXTENSION')
  execute function extensions.create_privileged_extension();

-- Once pg_cron exists, postgres may schedule jobs and read their runs, but not write cron.job
-- directly (as on hosted projects: jobs change through cron.schedule / cron.unschedule).
create function extensions.grant_pg_cron_access() returns event_trigger
language plpgsql security definer set search_path = '' as $$
begin
  if exists (select from pg_event_trigger_ddl_commands() c join pg_extension e on e.oid = c.objid where e.extname = 'pg_cron') then
    grant usage on schema cron to postgres with grant option;
    grant all on all tables in schema cron to postgres with grant option;
    grant all on all sequences in schema cron to postgres with grant option;
    grant all on all routines in schema cron to postgres with grant option;
    revoke all on table cron.job from postgres;
    grant select on table cron.job to postgres with grant option;
  end if;
end $$;
revoke all on function extensions.grant_pg_cron_access() from public;
create event trigger grant_pg_cron_access on ddl_command_end when tag in ('CREATE EXTENSION')
  execute function extensions.grant_pg_cron_access();

-- Realtime's publication exists on every project (empty unless tables are added), owned by
-- postgres as on hosted projects, so migrations can add their tables to it.
create publication supabase_realtime;
alter publication supabase_realtime owner to postgres;
