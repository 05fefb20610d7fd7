-- The schedule: the periodic jobs and their commands, private.call_function without pg_net
-- (queued for the stack's dispatcher and announced), the retention purge's periods, and the
-- queue, the periods and the admin views closed to members.
begin;
select plan(12);

select results_eq(
  $$select jobname::text collate "default", schedule::text collate "default" from cron.job order by jobname$$,
  $$values ('expire-parked-stripe-events', '41 3 * * *'), ('process-deletion-requests', '* * * * *'),
           ('purge-expired-rows', '17 3 * * *'), ('recover-expired-claims', '* * * * *'),
           ('referral-sweep', '* * * * *'), ('send-notifications', '* * * * *')$$,
  'every periodic job is scheduled');
select is((select command from cron.job where jobname = 'referral-sweep'),
  $$select private.call_function('affiliate-credit', '{"sweep": true}')$$, 'the referral sweep calls affiliate-credit with sweep');
select is((select command from cron.job where jobname = 'purge-expired-rows'), 'select private.purge_expired_rows()', 'the purge job runs the purge');

-- Without pg_net a call is queued for the dispatcher.
select ok(not exists (select from pg_extension where extname = 'pg_net'), 'no pg_net in this database');
select private.call_function('health', '{"probe": 1}');
select results_eq(
  $$select function_name, body, transport, status from private.function_calls order by id desc limit 1$$,
  $$values ('health'::text, '{"probe": 1}'::jsonb, 'dispatcher'::text, 'queued'::text)$$,
  'call_function queues the call for the dispatcher');
select throws_ok($$select private.call_function('../etc', '{}')$$, '23514', null, 'a function name is a plain name');

-- Retention: every subject the purge handles has a period, and each is at least a day.
select results_eq(
  $$select subject from private.retention_periods order by subject$$,
  $$values ('cron_run_details'), ('email_delivery_attempts'), ('email_outbox'), ('function_calls'),
           ('login_history'), ('read_notifications'), ('search_history'), ('stripe_events')$$,
  'retention periods for every purged subject');
select is((select keep from private.retention_periods where subject = 'login_history'), interval '1 year', 'login history is kept a year');
select ok((select private.purge_expired_rows() ?& array['search_history', 'login_history', 'email_outbox', 'cron_run_details']), 'the purge reports per subject');

-- Members see none of it.
select ok(not has_table_privilege('authenticated', 'private.function_calls', 'select')
       and not has_table_privilege('anon', 'private.function_calls', 'select'), 'the call queue is closed to members');
select ok(not has_table_privilege('authenticated', 'private.scheduled_jobs', 'select')
       and not has_table_privilege('authenticated', 'private.operations_health', 'select'), 'the admin views are closed to members');
select ok(not has_function_privilege('authenticated', 'private.call_function(text, jsonb)', 'execute')
       and not has_function_privilege('anon', 'private.purge_expired_rows()', 'execute'), 'members cannot call functions or purge');

select * from finish();
rollback;
