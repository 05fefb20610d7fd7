-- Admin power needs MFA, is bounded, and leaves an append-only trail. The attack from the security
-- review: an admin on an aal1 session (password only) grants 2^31 - 1 cents in one call.
begin;
select plan(28);

select tests.create_user('adam');
select tests.create_user('bob');
select tests.create_user('uma');
select tests.make_role('adam', 'admin');
select tests.make_role('uma', 'expert', false);
create temporary table audit_start on commit drop as select coalesce(max(id), 0) as id from public.admin_audit_log;
grant select on audit_start to authenticated;

-- ===== aal1: refused =====
select tests.authenticate_as('adam', 'aal1');
select throws_ok(format($$select public.admin_adjust_credits(%L, 2147483647, 'jackpot')$$, tests.user_id('bob')), '42501',
                 'admins need an aal2 session (verify your MFA factor) to adjust credits', 'an aal1 admin cannot grant 2^31 - 1 cents');
select throws_ok(format($$select public.admin_adjust_credits(%L, 100, 'small')$$, tests.user_id('bob')), '42501', null,
                 'nor any amount');
select throws_ok(format($$update public.profiles set role = 'admin' where id = %L$$, tests.user_id('bob')), '42501',
                 'admins need an aal2 session (verify your MFA factor) to change a member''s role or status', 'an aal1 admin cannot promote a member');
select throws_ok(format($$update public.profiles set status = 'suspended' where id = %L$$, tests.user_id('bob')), '42501', null,
                 'nor suspend one');
select throws_ok(format($$update public.expert_profiles set verification_status = 'verified' where id = %L$$, tests.user_id('uma')), '42501', null,
                 'nor verify an expert');
select tests.clear_authentication();
select is((select coalesce(sum(balance_cents), 0)::int from public.credit_accounts where user_id = tests.user_id('bob')), 0, 'bob got nothing');

-- ===== aal2: bounded =====
select tests.authenticate_as('adam', 'aal2');
select throws_ok(format($$select public.admin_adjust_credits(%L, 2147483647, 'jackpot')$$, tests.user_id('bob')), '22023',
                 'an adjustment is at most 50000 cents either way', 'even on aal2, 2^31 - 1 cents is refused');
select throws_ok(format($$select public.admin_adjust_credits(%L, -50001, 'wipe')$$, tests.user_id('bob')), '22023', null,
                 'the bound holds for debits too');
select is((select amount_cents from public.admin_adjust_credits(tests.user_id('bob'), 50000, 'goodwill-1')), 50000, 'an aal2 admin adjusts within the bound');
select is((select amount_cents from public.admin_adjust_credits(tests.user_id('bob'), 50000, 'goodwill-1')), 50000, 'a retry with the same reference is the same entry');
select lives_ok(format($$select public.admin_adjust_credits(%L, 50000, 'goodwill-2'); select public.admin_adjust_credits(%L, -50000, 'goodwill-3');
                         select public.admin_adjust_credits(%L, 50000, 'goodwill-4')$$, tests.user_id('bob'), tests.user_id('bob'), tests.user_id('bob')),
                'up to the daily limit (200000 cents moved)');
select throws_ok(format($$select public.admin_adjust_credits(%L, 1, 'goodwill-5')$$, tests.user_id('bob')), '22023',
                 'this would exceed your daily adjustment limit of 200000 cents', 'one cent more in the same 24 hours is refused');
select lives_ok(format($$update public.profiles set status = 'suspended' where id = %L$$, tests.user_id('bob')), 'an aal2 admin suspends a member');
select lives_ok(format($$update public.expert_profiles set verification_status = 'verified' where id = %L$$, tests.user_id('uma')), 'and verifies an expert');

-- ===== The trail =====
select is((select count(*)::int from public.admin_audit_log l, audit_start s
            where l.id > s.id and l.action = 'adjust_credits' and l.actor_id = tests.user_id('adam') and l.actor_role = 'admin' and l.aal = 'aal2'), 5,
          'every adjustment call, the retry included, is recorded with the admin, role and aal');
select is((select details ->> 'reference' from public.admin_audit_log l, audit_start s
            where l.id > s.id and l.action = 'adjust_credits' order by l.id limit 1), 'goodwill-1', 'with its reference');
select is((select (details ->> 'from') || '->' || (details ->> 'to') from public.admin_audit_log l, audit_start s
            where l.id > s.id and l.action = 'set_status' and l.target_id = tests.user_id('bob')), 'active->suspended', 'the suspension is recorded');
select is((select count(*)::int from public.admin_audit_log l, audit_start s
            where l.id > s.id and l.action = 'set_verification' and l.target_id = tests.user_id('uma')), 1, 'the verification is recorded');
select throws_ok($$update public.admin_audit_log set details = '{}'$$, '42501', null, 'an admin cannot edit the log');
select throws_ok($$delete from public.admin_audit_log$$, '42501', null, 'an admin cannot delete from the log');
select throws_ok($$insert into public.admin_audit_log (actor_role, action) values ('admin', 'nothing_happened')$$, '42501', null, 'an admin cannot write the log');
select throws_ok($$select private.record_admin_action('set_role', null, '{}')$$, '42501', null, 'nor call the recorder');
select tests.clear_authentication();

-- Not even the table owner (Studio) rewrites history.
select throws_ok($$update public.admin_audit_log set details = '{"edited":true}' where action = 'adjust_credits'$$, '42501',
                 'the admin audit log is append-only', 'the owner cannot edit the log');
select throws_ok($$delete from public.admin_audit_log$$, '42501', 'the admin audit log is append-only', 'nor delete from it');
select throws_ok($$truncate public.admin_audit_log$$, '42501', null, 'nor truncate it');

-- Operators are recorded as such.
select tests.authenticate_as_service_role();
select lives_ok(format($$select private.adjust_credits(%L, 100, 'ops-1', 'operator correction')$$, tests.user_id('uma')), 'the service role adjusts credits');
select tests.clear_authentication();
select is((select actor_role from public.admin_audit_log l, audit_start s where l.id > s.id and l.details ->> 'reference' = 'ops-1'), 'service_role',
          'and is recorded as the service role');

-- Studio (a direct session as postgres, no claims) is recorded as postgres, named by its client.
set local application_name = 'pgtap studio';
update public.profiles set status = 'suspended' where id = tests.user_id('uma');
select results_eq(
  format($$select actor_role, actor_id, client from public.admin_audit_log l, audit_start s
            where l.id > s.id and l.action = 'set_status' and l.target_id = %L$$, tests.user_id('uma')),
  $$values ('postgres'::text, null::uuid, 'pgtap studio'::text)$$,
  'a direct session as postgres (Studio) is recorded as postgres with its application_name');

select * from finish();
rollback;
