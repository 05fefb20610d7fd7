-- A stand-in for supautils (hosted Supabase's C library, not packaged by Debian), as the superuser
-- supabase_admin, per database, after database.sql. It reproduces what supautils 3.4.0, configured
-- as the hosted image configures it, answered on a reference cluster (test/supautils-standin.test.ts
-- holds those answers and compares; docs/security.md explains the approach):
--   * CREATE EXTENSION of an extension on the privileged list, by ANY role, runs as supabase_admin,
--     then the image's after-create script for it runs. Without a schema clause the extension goes
--     to the first existing schema of the search path ("$user" meaning supabase_admin, so `public`
--     for postgres); pg_cron always goes to pg_catalog (the image's parameter override). Everything
--     else about the statement (if not exists, version, cascade, errors) is PostgreSQL's own.
--   * An extension off the list follows PostgreSQL's rules (untrusted: superuser only; trusted:
--     CREATE on the database, created as the caller).
--   * DROP EXTENSION and ALTER EXTENSION … SET SCHEMA of privileged extensions work for any role;
--     ALTER EXTENSION UPDATE / ADD / DROP do not (supautils 3.4.0 runs them as the caller, who is
--     not the owner); COMMENT ON EXTENSION works for postgres only.
--
-- How, without the C hook that sees the parse tree: supautils decides before the statement runs,
-- from its parse tree; an event trigger cannot see the parse tree of CREATE EXTENSION (PG 15 has no
-- ddl_command_start accessor for it), and reading the query text gets comments, quoting, several
-- statements and DO blocks wrong. So the statement itself is left to PostgreSQL, and the
-- catalog decides afterwards:
--   ddl_command_start: the calling role is made a superuser for this one statement (ALTER ROLE is
--     transactional: any error rolls it back with the statement), "$user" in the search path is
--     read as supabase_admin, the existing extensions are noted (ALTER EXTENSION likewise, without
--     the search path). For DROP, and COMMENT by postgres, the privileged extensions are lent to
--     the caller (pg_extension.extowner) instead: those statements check only the owner.
--   ddl_command_end: superuser taken back, the search path and owners restored; an ALTER other
--     than SET SCHEMA of a privileged extension is refused as PostgreSQL refuses a non-owner; each new
--     extension off the list and untrusted is refused with PostgreSQL's own error; each new
--     privileged one is dropped and created again as supabase_admin in the same schema and version
--     (pg_cron: pg_catalog), so it and its objects belong to supabase_admin and get its default
--     privileges, as on hosted; then the after-create script of the extension named runs.
-- Known differences (none reachable by this project's migrations): CREATE EXTENSION inside a
-- SECURITY DEFINER function elevates the session's role, not the function's owner; `if not exists`
-- on an existing extension does not re-run its after-create script; an untrusted extension's
-- script runs (and is rolled back) before it is refused.

create function extensions.supautils_privileged(extname text) returns boolean
language sql immutable set search_path = '' as $$
  -- supautils.privileged_extensions of the hosted image (ansible/files/postgresql_config/supautils.conf.j2).
  select extname = any (array[
    'address_standardizer', 'address_standardizer_data_us', 'autoinc', 'bloom', 'btree_gin', 'btree_gist',
    'citext', 'cube', 'dblink', 'dict_int', 'dict_xsyn', 'earthdistance', 'fuzzystrmatch', 'hstore', 'http',
    'hypopg', 'index_advisor', 'insert_username', 'intarray', 'isn', 'ltree', 'moddatetime', 'orioledb',
    'pg_cron', 'pg_graphql', 'pg_hashids', 'pg_jsonschema', 'pg_net', 'pg_partman', 'pg_repack',
    'pg_stat_monitor', 'pg_stat_statements', 'pg_tle', 'pg_trgm', 'pg_walinspect', 'pgaudit', 'pgcrypto',
    'pgjwt', 'pg_prewarm', 'pgmq', 'pgroonga', 'pgroonga_database', 'pgrouting', 'pgrowlocks',
    'pgstattuple', 'pgsodium', 'pgtap', 'plcoffee', 'pljava', 'plls', 'plpgsql', 'plpgsql_check', 'plv8',
    'postgis', 'postgis_raster', 'postgis_sfcgal', 'postgis_tiger_geocoder', 'postgis_topology',
    'postgres_fdw', 'refint', 'rum', 'seg', 'sslinfo', 'supabase_vault', 'supautils', 'tablefunc', 'tcn',
    'timescaledb', 'tsm_system_rows', 'tsm_system_time', 'unaccent', 'uuid-ossp', 'vector', 'wrappers'])
$$;

-- What the image's after-create script of an extension does (the image has them for pg_cron,
-- dblink, postgis_tiger_geocoder and postgres_fdw; pg_tle and pgsodium are not installable here).
create function extensions.supautils_after_create(extname text) returns void
language plpgsql security definer set search_path = '' as $$
declare
  r record;
  kind text;
begin
  case extname
  when 'pg_cron' then
    -- As observed on the reference cluster: postgres may use (and pass on) everything in cron, now
    -- and what supabase_admin adds later, except that cron.job is read-only to it (jobs change
    -- through cron.schedule/unschedule).
    execute 'grant usage on schema cron to postgres with grant option';
    foreach kind in array array['tables', 'functions'] loop
      execute format('grant all on all %s in schema cron to postgres with grant option', kind);
    end loop;
    foreach kind in array array['tables', 'functions', 'sequences'] loop
      execute format('alter default privileges for user supabase_admin in schema cron grant all on %s to postgres with grant option', kind);
    end loop;
    revoke all on table cron.job from postgres;
    grant select on table cron.job to postgres with grant option;
  when 'dblink' then
    -- dblink_connect_u connects as its owner without a password: only supabase_admin keeps it.
    for r in select p.oid, a.grantee from pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
              where p.proname = 'dblink_connect_u' loop
      continue when r.grantee = 'supabase_admin'::regrole;
      execute format('revoke all on function %s(%s) from %s', r.oid::regproc,
        pg_catalog.pg_get_function_identity_arguments(r.oid), case when r.grantee = 0 then 'public' else r.grantee::regrole::text end);
    end loop;
  when 'postgis_tiger_geocoder' then
    -- As observed: everything in the geocoder's two schemas, now and later, is postgres' to use and pass on.
    execute 'grant usage on schema tiger, tiger_data to postgres with grant option';
    foreach kind in array array['tables', 'routines', 'sequences'] loop
      execute format('grant all on all %s in schema tiger, tiger_data to postgres with grant option', kind);
      execute format('alter default privileges in schema tiger, tiger_data grant all on %s to postgres with grant option', kind);
    end loop;
  when 'postgres_fdw' then
    -- Only a superuser may own a foreign data wrapper: postgres is one for this statement.
    alter role postgres superuser;
    alter foreign data wrapper postgres_fdw owner to postgres;
    alter role postgres nosuperuser;
  else
    null;
  end case;
end $$;
revoke all on function extensions.supautils_after_create(text) from public;

-- The role a statement runs as. Inside this SECURITY DEFINER function current_user is
-- supabase_admin; the caller is the SET ROLE role, else the login role.
create function extensions.supautils_caller() returns name
language sql stable set search_path = '' as $$
  select case when pg_catalog.current_setting('role') = 'none' then session_user
              else pg_catalog.current_setting('role')::name end
$$;

-- ddl_command_start. Returns the search path the statement must run with, or null to leave it.
create function extensions.supautils_before(tag text, caller_path text) returns text
language plpgsql security definer set search_path = '' as $$
declare
  caller constant name := extensions.supautils_caller();
  lent text;
begin
  -- Statements of our own re-creation, and those inside an extension's script (its COMMENTs, a
  -- nested CREATE EXTENSION: counted, so its ddl_command_end is told apart), are not the caller's.
  if pg_catalog.current_setting('supautils_standin.busy', true) = 'on' then return null; end if;
  if pg_catalog.current_setting('supautils_standin.active', true) = 'on' then
    if tag in ('CREATE EXTENSION', 'ALTER EXTENSION') then
      perform pg_catalog.set_config('supautils_standin.nested',
        (coalesce(nullif(pg_catalog.current_setting('supautils_standin.nested', true), ''), '0')::int + 1)::text, true);
    end if;
    return null;
  end if;
  if tag in ('CREATE EXTENSION', 'ALTER EXTENSION') then
    perform pg_catalog.set_config('supautils_standin.active', 'on', true);
    perform pg_catalog.set_config('supautils_standin.extensions',
      (select coalesce(pg_catalog.string_agg(oid::text || ':' || extnamespace::text, ','), '') from pg_catalog.pg_extension), true);
    if (select rolsuper from pg_catalog.pg_roles where rolname = caller) then
      perform pg_catalog.set_config('supautils_standin.elevated', '', true);
      return null;
    end if;
    perform pg_catalog.set_config('supautils_standin.elevated', caller, true);
    execute pg_catalog.format('alter role %I superuser', caller);
    if tag = 'ALTER EXTENSION' then return null; end if;
    perform pg_catalog.set_config('supautils_standin.search_path', caller_path, true);
    -- supautils runs the statement as supabase_admin, so "$user" in the search path means supabase_admin.
    return pg_catalog.regexp_replace(caller_path, '"?\$user"?', 'supabase_admin', 'g');
  -- (A COMMENT whose query never says "extension" cannot be COMMENT ON EXTENSION: its catalog rows are
  -- left alone, so the many COMMENTs of migrations neither write pg_extension nor wait on each other.)
  elsif tag = 'DROP EXTENSION' or (tag = 'COMMENT' and caller = 'postgres' and pg_catalog.current_query() ~* 'extension') then
    -- These statements check only the extension's ownership: the privileged ones are lent to the caller.
    with lent_now as (
      update pg_catalog.pg_extension set extowner = (select oid from pg_catalog.pg_roles where rolname = caller)
       where extowner = 'supabase_admin'::regrole and extensions.supautils_privileged(extname)
      returning oid)
    select coalesce(pg_catalog.string_agg(oid::text, ','), '') into lent from lent_now;
    perform pg_catalog.set_config('supautils_standin.lent', lent, true);
  end if;
  return null;
end $$;

-- ddl_command_end. Returns the search path to restore, or null.
create function extensions.supautils_after(tag text) returns text
language plpgsql security definer set search_path = '' as $$
declare
  elevated text;
  existing text[];
  lent oid[];
  e record;
  named text;
  recreate text[] := '{}';
  restore text;
begin
  if pg_catalog.current_setting('supautils_standin.busy', true) = 'on' then return null; end if;
  if tag in ('CREATE EXTENSION', 'ALTER EXTENSION') then
    if pg_catalog.current_setting('supautils_standin.active', true) is distinct from 'on' then return null; end if;
    if coalesce(nullif(pg_catalog.current_setting('supautils_standin.nested', true), ''), '0')::int > 0 then
      perform pg_catalog.set_config('supautils_standin.nested',
        (pg_catalog.current_setting('supautils_standin.nested')::int - 1)::text, true);
      return null;
    end if;
    elevated := pg_catalog.current_setting('supautils_standin.elevated');
    existing := pg_catalog.string_to_array(pg_catalog.current_setting('supautils_standin.extensions'), ',');
    if elevated <> '' then
      execute pg_catalog.format('alter role %I nosuperuser', elevated);
      if tag = 'CREATE EXTENSION' then restore := pg_catalog.current_setting('supautils_standin.search_path'); end if;
    end if;
  end if;

  if tag = 'ALTER EXTENSION' then
    -- As the superuser only SET SCHEMA of a privileged extension; otherwise the caller must own it
    -- (supautils 3.4.0 runs UPDATE, ADD and DROP as the caller).
    for e in select x.extname from pg_catalog.pg_event_trigger_ddl_commands() c join pg_catalog.pg_extension x on x.oid = c.objid
              where elevated <> '' and not pg_catalog.pg_has_role(elevated, x.extowner, 'usage')
                and not (extensions.supautils_privileged(x.extname) and (x.oid::text || ':' || x.extnamespace::text) <> all (existing)) loop
      raise exception 'must be owner of extension %', e.extname using errcode = 'insufficient_privilege';
    end loop;
    -- An UPDATE to the version installed changes nothing and reports no command, so the catalog
    -- cannot name its extension; supautils refuses it all the same when the caller is not the
    -- owner. The name is taken from the statement text here, only for this no-op and its message.
    if elevated <> '' and not exists (select from pg_catalog.pg_event_trigger_ddl_commands()) then
      for e in select x.extname from pg_catalog.pg_extension x
                where extensions.supautils_privileged(x.extname) and not pg_catalog.pg_has_role(elevated, x.extowner, 'usage')
                  and pg_catalog.lower(pg_catalog.current_query()) ~ ('alter\s+extension\s+"?' || pg_catalog.regexp_replace(x.extname, '([^a-z0-9_])', '\\\1', 'g') || '"?\s+update') loop
        raise exception 'must be owner of extension %', e.extname using errcode = 'insufficient_privilege';
      end loop;
    end if;
    perform pg_catalog.set_config('supautils_standin.active', 'off', true);
    return restore;
  end if;

  if tag = 'CREATE EXTENSION' then
    -- The new extensions, requirements (cascade) first; the last is the one the statement named.
    for e in select x.oid, x.extname, x.extversion, x.extnamespace::regnamespace::text as schema, a.trusted
               from pg_catalog.pg_extension x
               left join pg_catalog.pg_available_extension_versions a on a.name = x.extname and a.version = x.extversion
              where (x.oid::text || ':' || x.extnamespace::text) <> all (existing) order by x.oid loop
      named := e.extname;
      if extensions.supautils_privileged(e.extname) then
        if elevated <> '' or (e.extname = 'pg_cron' and e.schema <> 'pg_catalog') then
          recreate := recreate || array[e.extname, case when e.extname = 'pg_cron' then 'pg_catalog' else e.schema end, e.extversion];
        end if;
      elsif elevated <> '' and not coalesce(e.trusted, false) then
        raise exception 'permission denied to create extension "%"', e.extname
          using errcode = 'insufficient_privilege', hint = 'Must be superuser to create this extension.';
      elsif elevated <> '' and not pg_catalog.has_database_privilege(elevated, pg_catalog.current_database(), 'create') then
        raise exception 'permission denied to create extension "%"', e.extname
          using errcode = 'insufficient_privilege', hint = 'Must have CREATE privilege on current database to create this extension.';
      end if;
    end loop;
    perform pg_catalog.set_config('supautils_standin.busy', 'on', true);
    if pg_catalog.cardinality(recreate) > 0 then
      execute 'drop extension ' || (select pg_catalog.string_agg(pg_catalog.quote_ident(recreate[i]), ', ')
                                      from pg_catalog.generate_series(1, pg_catalog.cardinality(recreate), 3) i);
      for i in 1 .. pg_catalog.cardinality(recreate) by 3 loop
        execute pg_catalog.format('create extension %I schema %I version %L', recreate[i], recreate[i + 1], recreate[i + 2]);
      end loop;
    end if;
    if named is not null then perform extensions.supautils_after_create(named); end if;
    perform pg_catalog.set_config('supautils_standin.busy', 'off', true);
    perform pg_catalog.set_config('supautils_standin.active', 'off', true);
    return restore;
  end if;

  -- DROP EXTENSION, COMMENT: give the lent extensions back.
  lent := pg_catalog.string_to_array(coalesce(pg_catalog.current_setting('supautils_standin.lent', true), ''), ',')::oid[];
  if pg_catalog.cardinality(lent) > 0 then
    perform pg_catalog.set_config('supautils_standin.lent', '', true);
    update pg_catalog.pg_extension set extowner = 'supabase_admin'::regrole where oid = any (lent);
  end if;
  return null;
end $$;
revoke all on function extensions.supautils_before(text, text) from public;
revoke all on function extensions.supautils_after(text) from public;

-- The event triggers' own functions have no `set search_path` clause, so that the search path
-- they set stays in force for the statement; they only call the schema-qualified functions above.
create function extensions.supautils_ddl_command_start() returns event_trigger
language plpgsql security definer as $$
declare
  -- (The caller's search path is read here: inside supautils_before it is its own, empty one.)
  path text := extensions.supautils_before(tg_tag, pg_catalog.current_setting('search_path'));
begin
  if path is not null then perform pg_catalog.set_config('search_path', path, true); end if;
end $$;
create function extensions.supautils_ddl_command_end() returns event_trigger
language plpgsql security definer as $$
declare
  path text := extensions.supautils_after(tg_tag);
begin
  if path is not null then perform pg_catalog.set_config('search_path', path, true); end if;
end $$;
revoke all on function extensions.supautils_ddl_command_start() from public;
revoke all on function extensions.supautils_ddl_command_end() from public;
create event trigger supautils_ddl_command_start on ddl_command_start
  when tag in ('CREATE EXTENSION', 'DROP EXTENSION', 'ALTER EXTENSION', 'COMMENT')
  execute function extensions.supautils_ddl_command_start();
create event trigger supautils_ddl_command_end on ddl_command_end
  when tag in ('CREATE EXTENSION', 'DROP EXTENSION', 'ALTER EXTENSION', 'COMMENT')
  execute function extensions.supautils_ddl_command_end();
