-- Privacy: which public tables hold a member's rows, derived from the catalog (foreign keys), so
-- the data export and the deletion check follow every table other capabilities add without a
-- hand-kept list; plus scrubbing of the member's free text from rows kept after account deletion.
--
-- A table is member-linked when a column references the member directly (a foreign key to
-- public.profiles(id) or auth.users(id)) or references rows of a member-linked table (e.g. the
-- messages of the member's support tickets). A booking where the member is the expert is still the
-- member's booking, so every path counts; the few links that would hand a member other people's
-- data are excluded, each with its reason: the capability owning the table adds the row to
-- private.excluded_member_links (foundation).
--
-- Claimed work is never stranded by a run that dies. A deletion request is claimed with an owner
-- and a lease (claimed_by, lease_expires_at; the lease length is private.privacy_settings): a run
-- takes due pending requests AND processing ones whose lease is over (private.claim_deletion_request),
-- and every step of a deletion is safe to do twice (Stripe calls with idempotency keys, Auth's
-- delete of a gone user counts as done). An export is owned by the connection streaming it, which
-- holds an advisory lock on the request (data-export); a processing export whose lock nobody holds
-- died with its process and is recorded failed (private.fail_abandoned_exports). Recovery entry
-- points for a scheduler: private.retake_expired_deletion_claims(), private.fail_abandoned_exports().

-- Tables
create table private.privacy_settings (
  id boolean primary key default true check (id),
  deletion_lease interval not null default '15 minutes' check (deletion_lease > interval '0')
);
comment on table private.privacy_settings is 'The one row of privacy work settings: how long a run may hold a deletion request before another run takes it again.';
insert into private.privacy_settings default values;
revoke all on private.privacy_settings from public, anon, authenticated, service_role;

-- Functions
create or replace function private.member_link_exclusions()
returns table (table_name text, column_name text, reason text)
language sql
stable
set search_path = ''
as $$
  select x.table_name, x.column_name, x.reason from private.excluded_member_links x order by x.table_name, x.column_name;
$$;
comment on function private.member_link_exclusions() is 'Foreign keys deliberately not followed as member links, with the reason (table, column).';
revoke execute on function private.member_link_exclusions() from public, anon, authenticated;
grant execute on function private.member_link_exclusions() to service_role;

create or replace function private.member_linked_tables()
returns table (table_name text, link_column text, references_table text, references_column text, depth integer, path text, predicate text, excluded_reason text)
language sql
stable
security definer
set search_path = ''
as $$
  with recursive fk as (
    select c.conrelid as child, c.confrelid as parent,
           array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i)
                   join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i) as cols,
           array(select a.attname::text from unnest(c.confkey) with ordinality k(n, i)
                   join pg_catalog.pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i) as pcols
      from pg_catalog.pg_constraint c
      join pg_catalog.pg_class r on r.oid = c.conrelid
     where c.contype = 'f' and r.relnamespace = 'public'::regnamespace and r.relkind in ('r', 'p')
  ),
  edge as (
    select fk.*, fk.child::regclass::text as child_name, fk.parent::regclass::text as parent_name,
           (select string_agg(format('t.%I', col), ', ') from unnest(fk.cols) col) as col_list,
           (select string_agg(format('t.%I', col), ', ') from unnest(fk.pcols) col) as pcol_list,
           x.reason
      from fk
      left join private.member_link_exclusions() x
        on x.table_name = (select relname::text from pg_catalog.pg_class where oid = fk.child) and x.column_name = array_to_string(fk.cols, ',')
  ),
  link as (
    -- A foreign key straight to the member: the column holds the member's id ($1).
    select e.child, e.child_name, e.cols, e.parent_name, e.pcols, 1 as depth, array[e.child] as visited,
           format('%s.%s -> %s.%s', e.child_name, array_to_string(e.cols, ','), e.parent_name, array_to_string(e.pcols, ',')) as path,
           format('%s = $1', e.col_list) as predicate,
           e.reason
      from edge e
     where e.parent in ('public.profiles'::regclass, 'auth.users'::regclass) and cardinality(e.cols) = 1
    union all
    -- A foreign key to rows of a member-linked table: select through the parent's own path.
    -- Rows of profiles are the member's id itself, so tables referencing profiles are direct links.
    select e.child, e.child_name, e.cols, e.parent_name, e.pcols, l.depth + 1, l.visited || e.child,
           format('%s.%s -> %s', e.child_name, array_to_string(e.cols, ','), l.path),
           format('(%s) in (select %s from %s t where %s)', e.col_list, e.pcol_list, e.parent_name, l.predicate),
           e.reason
      from link l
      join edge e on e.parent = l.child
     where l.reason is null and l.child <> 'public.profiles'::regclass
       and not e.child = any (l.visited) and l.depth < 6
  )
  select (select relname::text from pg_catalog.pg_class where oid = l.child), array_to_string(l.cols, ','),
         l.parent_name, array_to_string(l.pcols, ','), l.depth, l.path, l.predicate, l.reason
    from link l
   order by 1, 4, 5;
$$;
comment on function private.member_linked_tables() is
  'Every foreign-key path from a public table to the member, from the catalog: predicate selects the member''s rows (alias t, member id $1); excluded_reason is set for links deliberately not followed.';
revoke execute on function private.member_linked_tables() from public, anon, authenticated;
grant execute on function private.member_linked_tables() to service_role;

create or replace function private.member_export_plan()
returns table (table_name text, read_as text, predicate text, paths text[], columns text[], omitted_columns text[])
language sql
stable
security definer
set search_path = ''
as $$
  with linked as (
    select l.table_name, string_agg(format('(%s)', l.predicate), ' or ' order by l.path) as predicate,
           array_agg(l.path order by l.path) as paths
      from private.member_linked_tables() l
     where l.excluded_reason is null
     group by l.table_name
  ),
  tbl as (
    select l.*, c.oid as relid,
           -- The member reads a table under RLS when they may select from it and a policy lets them.
           (pg_catalog.has_any_column_privilege('authenticated', c.oid, 'SELECT')
            and exists (select 1 from pg_catalog.pg_policy p
                         where p.polrelid = c.oid and p.polpermissive and p.polcmd in ('r', '*')
                           and (p.polroles = '{0}' or 'authenticated'::regrole = any (p.polroles)))) as readable
      from linked l
      join pg_catalog.pg_class c on c.relname = l.table_name and c.relnamespace = 'public'::regnamespace
  )
  select t.table_name,
         case when t.readable then 'member' else 'service' end,
         t.predicate, t.paths,
         array(select a.attname::text from pg_catalog.pg_attribute a
                where a.attrelid = t.relid and a.attnum > 0 and not a.attisdropped
                  and (not t.readable or pg_catalog.has_column_privilege('authenticated', t.relid, a.attnum, 'SELECT'))
                  and a.attname !~* '(secret|password|token|hash)'
                order by a.attnum),
         array(select a.attname::text from pg_catalog.pg_attribute a
                where a.attrelid = t.relid and a.attnum > 0 and not a.attisdropped
                  and ((t.readable and not pg_catalog.has_column_privilege('authenticated', t.relid, a.attnum, 'SELECT'))
                       or a.attname ~* '(secret|password|token|hash)')
                order by a.attnum)
    from tbl t
   order by t.table_name;
$$;
comment on function private.member_export_plan() is
  'One row per member-linked table for the data export: read as the member under RLS (member) when they can read the table, else by the service connection (service); columns the member cannot read and credential-like columns (secret, password, token, hash) are omitted.';
revoke execute on function private.member_export_plan() from public, anon, authenticated;
grant execute on function private.member_export_plan() to service_role;

-- A processing request whose lease is over goes back to pending: its run died mid-work.
create or replace function private.retake_expired_deletion_claims()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  retaken integer;
begin
  update public.data_deletion_requests d set status = 'pending', lease_expires_at = null
   where d.status = 'processing' and d.lease_expires_at < now();
  get diagnostics retaken = row_count;
  return retaken;
end;
$$;
comment on function private.retake_expired_deletion_claims() is 'Puts deletion requests whose run died (processing, lease over) back to pending; returns how many. Safe on a schedule.';
revoke execute on function private.retake_expired_deletion_claims() from public, anon, authenticated;
grant execute on function private.retake_expired_deletion_claims() to service_role;

-- One due request for worker: the oldest pending one past its grace period, or a processing one
-- whose lease is over (skip locked: concurrent runs never take the same one).
create or replace function private.claim_deletion_request(worker text)
returns table (id uuid, user_id uuid)
language plpgsql
security definer
set search_path = ''
as $$
begin
  if worker is null or char_length(worker) not between 1 and 100 then
    raise exception 'worker must be 1-100 characters' using errcode = '22023';
  end if;
  return query
    update public.data_deletion_requests d
       set status = 'processing', claimed_by = worker,
           lease_expires_at = now() + (select s.deletion_lease from private.privacy_settings s)
     where d.id = (select x.id from public.data_deletion_requests x
                    where (x.status = 'pending' and x.process_after <= now())
                       or (x.status = 'processing' and x.lease_expires_at < now())
                    order by x.process_after, x.id
                    limit 1
                      for update skip locked)
    returning d.id, d.user_id;
end;
$$;
comment on function private.claim_deletion_request(text) is 'Claims one due deletion request for worker (pending past its grace period, or processing with its lease over), with a lease of privacy_settings.deletion_lease.';
revoke execute on function private.claim_deletion_request(text) from public, anon, authenticated;
grant execute on function private.claim_deletion_request(text) to service_role;

-- A processing export whose advisory lock no connection holds: the export died with its process.
-- An export inserts its request and takes the lock a moment later, so requests younger than
-- `grace` are left be.
create or replace function private.fail_abandoned_exports(grace interval default '1 minute')
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  failed integer;
begin
  update public.data_export_requests r set status = 'failed', completed_at = now()
   where r.status = 'processing' and r.requested_at < now() - grace
     and pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('memberbase.data-export'), pg_catalog.hashtext(r.id::text));
  get diagnostics failed = row_count;
  return failed;
end;
$$;
comment on function private.fail_abandoned_exports(interval) is 'Records as failed every processing export older than grace (1 minute) whose stream died (its advisory lock is free); returns how many. Safe on a schedule.';
revoke execute on function private.fail_abandoned_exports(interval) from public, anon, authenticated;
grant execute on function private.fail_abandoned_exports(interval) to service_role;

-- A booking outlives a deleted member (the expert's record) with member_id set null by the foreign
-- key; the member's own note goes with them.
create or replace function private.scrub_booking_of_deleted_member()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.member_id is not null and new.member_id is null then
    new.note := null;
  end if;
  return new;
end;
$$;

-- Triggers
create trigger bookings_scrub_deleted_member
  before update of member_id on public.bookings
  for each row execute function private.scrub_booking_of_deleted_member();
