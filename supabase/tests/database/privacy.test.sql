-- Privacy: the catalog of member-linked tables (who may read it, what it finds, what it excludes),
-- the export plan's read modes, what account deletion keeps of public.bookings, and the claims of
-- deletion requests (owner and lease) and abandoned exports.
begin;
select plan(35);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('erin');
select tests.make_role('erin', 'expert', true);
update public.expert_profiles set hourly_rate_cents = 6000 where id = tests.user_id('erin');

-- Only the service side may read the catalog of member data.
select tests.authenticate_as('alice');
select throws_ok($$select * from private.member_linked_tables()$$, '42501', null, 'a member cannot list member-linked tables');
select throws_ok($$select * from private.member_export_plan()$$, '42501', null, 'a member cannot read the export plan');
select tests.authenticate_as_anon();
select throws_ok($$select * from private.member_linked_tables()$$, '42501', null, 'anon cannot list member-linked tables');
select tests.authenticate_as_service_role();
select ok((select count(*) > 0 from private.member_linked_tables()), 'the service role lists member-linked tables');
select tests.clear_authentication();

-- Paths found from the foreign keys, direct and through a parent.
select is((select predicate from private.member_linked_tables() where table_name = 'profiles'), 't.id = $1', 'profiles: its id is the member (-> auth.users)');
select is((select depth from private.member_linked_tables() where table_name = 'activity'), 1, 'activity.user_id is a direct link');
select is((select path from private.member_linked_tables() where table_name = 'bookings' and link_column = 'expert_id'),
          'public.bookings.expert_id -> public.expert_profiles.id -> public.profiles.id', 'bookings with the member as expert are found through expert_profiles');
select is((select excluded_reason is not null from private.member_linked_tables() where table_name = 'bookings' and link_column = 'cancelled_by'), true,
          'bookings.cancelled_by is listed as excluded, with its reason');
select is((select count(*)::int from private.member_linked_tables() l join private.member_link_exclusions() x
             on x.table_name = l.table_name and x.column_name = l.link_column where l.excluded_reason is null), 0,
          'every exclusion that matches a link is applied');
select is((select count(*)::int from private.member_linked_tables() where excluded_reason is null and predicate !~ '\$1'), 0,
          'every predicate is parameterised by the member id');

-- A table added later (here inside this rolled-back transaction) is found without editing anything.
create table public.zz_probe (id bigint generated always as identity primary key, owner_id uuid not null references public.profiles (id) on delete cascade);
create table public.zz_probe_child (id bigint generated always as identity primary key, probe_id bigint references public.zz_probe (id) on delete cascade);
alter table public.zz_probe enable row level security;
alter table public.zz_probe_child enable row level security;
select is((select path from private.member_linked_tables() where table_name = 'zz_probe_child'),
          'public.zz_probe_child.probe_id -> public.zz_probe.owner_id -> public.profiles.id', 'a new table and its child table are linked from the catalog');
select is((select read_as from private.member_export_plan() where table_name = 'zz_probe'), 'service', 'a table members cannot read is exported through the service connection');
grant select on public.zz_probe to authenticated;
create policy "Members can read their own probes" on public.zz_probe for select to authenticated using ((select auth.uid()) = owner_id);
select is((select read_as from private.member_export_plan() where table_name = 'zz_probe'), 'member', 'a table members can read is exported under RLS');
select is((select read_as from private.member_export_plan() where table_name = 'profiles'), 'member', 'profiles are exported under RLS');

-- The predicates select exactly the member's rows.
insert into public.zz_probe (owner_id) values (tests.user_id('alice')), (tests.user_id('bob'));
insert into public.zz_probe_child (probe_id) select id from public.zz_probe;
create function pg_temp.member_rows(tbl text, member uuid) returns integer language plpgsql as $$
declare n integer;
begin
  execute format('select count(*) from public.%I t where %s', tbl,
                 (select string_agg('(' || predicate || ')', ' or ') from private.member_linked_tables() where table_name = tbl and excluded_reason is null))
    into n using member;
  return n;
end $$;
select is(pg_temp.member_rows('zz_probe_child', tests.user_id('alice')), 1, 'the child predicate finds the member''s child row only');
select tests.authenticate_as('alice');
select is((select (public.create_booking(tests.user_id('erin'), now() + interval '2 days', 60, 'alice''s private note')).price_cents), 6000, 'alice books erin');
select tests.clear_authentication();
select is(pg_temp.member_rows('bookings', tests.user_id('alice')), 1, 'the member''s booking is hers');
select is(pg_temp.member_rows('bookings', tests.user_id('erin')), 1, 'and the expert''s');
select is(pg_temp.member_rows('bookings', tests.user_id('bob')), 0, 'and nobody else''s');

-- Deletion keeps the booking for the expert, without alice's id or note; then the expert can go too.
select throws_ok(format('insert into public.bookings (member_id, expert_id, scheduled_at, duration_minutes) values (%L, %L, now(), 60)',
                        tests.user_id('erin'), tests.user_id('erin')), '23514', null, 'an expert still cannot book themselves');
create temp table alice_booking as select id from public.bookings where member_id = tests.user_id('alice');
delete from auth.users where id = tests.user_id('alice');
select is((select count(*)::int from public.bookings where id = (select id from alice_booking) and member_id is null and expert_id = tests.user_id('erin') and note is null), 1,
          'the booking is kept for the expert, member and note cleared');
select lives_ok(format('delete from auth.users where id = %L', tests.user_id('erin')), 'the expert can be deleted after their member was');
select is((select count(*)::int from public.bookings where id = (select id from alice_booking) and member_id is null and expert_id is null), 1, 'a booking can outlive both parties');
select is((select count(*)::int from pg_constraint where conrelid = 'public.bookings'::regclass and pg_get_constraintdef(oid) ~* 'distinct from'), 0,
          'no constraint refuses a booking without both parties');

-- Claims with an owner and a lease: a deletion request whose run died is taken again
select tests.create_user('carol');
update private.privacy_settings set deletion_lease = '5 minutes';
-- Other files' requests in the shared database are out of this (rolled-back) transaction's way.
update public.data_deletion_requests set status = 'cancelled' where status in ('pending', 'processing');
update public.data_export_requests set status = 'failed' where status = 'processing';
insert into public.data_deletion_requests (user_id, process_after) values
  (tests.user_id('bob'), now() - interval '2 minutes'), (tests.user_id('carol'), now() + interval '1 day');
select tests.authenticate_as('bob');
select throws_ok($$select * from private.claim_deletion_request('me')$$, '42501', null, 'a member cannot claim deletion requests');
select tests.clear_authentication();
select is((select user_id from private.claim_deletion_request('run-1')), tests.user_id('bob'), 'a run claims the due request');
select ok((select status = 'processing' and claimed_by = 'run-1' and lease_expires_at between now() + interval '299 seconds' and now() + interval '301 seconds'
             from public.data_deletion_requests where user_id = tests.user_id('bob')), 'with itself as owner and a lease of deletion_lease');
select is((select count(*)::int from private.claim_deletion_request('run-2')), 0, 'a live lease is not taken, nor a request in its grace period');
update public.data_deletion_requests set lease_expires_at = now() - interval '1 second' where user_id = tests.user_id('bob');
select is((select user_id from private.claim_deletion_request('run-2')), tests.user_id('bob'), 'an expired lease is taken by the next run');
select is((select claimed_by from public.data_deletion_requests where user_id = tests.user_id('bob')), 'run-2', 'which owns it now');
update public.data_deletion_requests set lease_expires_at = now() - interval '1 second' where user_id = tests.user_id('bob');
select is(private.retake_expired_deletion_claims(), 1, 'the scheduler''s sweep puts an expired claim back');
select is((select status from public.data_deletion_requests where user_id = tests.user_id('bob')), 'pending'::public.request_status, 'as pending');

-- An export whose stream died (its advisory lock is free) is recorded failed, not left processing
insert into public.data_export_requests (user_id, status, requested_at) values
  (tests.user_id('bob'), 'processing', now() - interval '2 minutes'), (tests.user_id('carol'), 'completed', now() - interval '2 minutes'),
  (tests.user_id('carol'), 'processing', now());
select is(private.fail_abandoned_exports(), 1, 'the sweep fails the abandoned export');
select is((select status from public.data_export_requests where user_id = tests.user_id('carol') and requested_at = now()), 'processing'::public.request_status,
          'but not one just requested (its export takes the lock a moment after the insert)');
select is((select array_agg(status::text order by status) from public.data_export_requests where user_id in (tests.user_id('bob'), tests.user_id('carol')) and requested_at < now()),
          array['completed', 'failed'], 'and leaves a finished one alone');

select * from finish();
rollback;
