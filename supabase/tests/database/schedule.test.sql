-- The schedule: the periodic jobs and their commands, private.call_function (pg_net's
-- net.http_post with Vault's URL and key; outcomes settled from net._http_response, by restart or
-- by lease; failed calls linked to the call that repeats them), the retention purge's periods, and
-- the calls, the periods and the admin views closed to members.
begin;
select plan(20);

select results_eq(
  $$select jobname::text collate "default", schedule::text collate "default" from cron.job order by jobname$$,
  $$values ('expire-parked-stripe-events', '41 3 * * *'), ('process-deletion-requests', '* * * * *'),
           ('purge-expired-rows', '17 3 * * *'), ('recover-expired-claims', '* * * * *'),
           ('referral-sweep', '* * * * *'), ('send-notifications', '* * * * *')$$,
  'every periodic job is scheduled');
select is((select command from cron.job where jobname = 'referral-sweep'),
  $$select private.call_function('affiliate-credit', '{"sweep": true}')$$, 'the referral sweep calls affiliate-credit with sweep');
select is((select command from cron.job where jobname = 'purge-expired-rows'), 'select private.purge_expired_rows()', 'the purge job runs the purge');

-- A call is a pg_net request to <project_url>/functions/v1/<name> with the key from Vault as bearer.
delete from vault.secrets where name in ('project_url', 'service_role_key');
select throws_ok($$select private.call_function('health', '{}')$$, 'P0001', null, 'without the Vault secrets a call fails, naming them');
select vault.create_secret('http://functions.test/', 'project_url');
select vault.create_secret('sb_secret_pgtap', 'service_role_key');
create temporary table first_call as select private.call_function('health', '{"probe": 1}') as id;
select results_eq(
  $$select q.url, q.headers, convert_from(q.body, 'UTF8')::jsonb, q.timeout_milliseconds
      from net.http_request_queue q join private.function_calls f on f.net_request_id = q.id join first_call c on c.id = f.id$$,
  $$values ('http://functions.test/functions/v1/health'::text,
            '{"Content-Type": "application/json", "Authorization": "Bearer sb_secret_pgtap"}'::jsonb, '{"probe": 1}'::jsonb, 150000)$$,
  'call_function posts with pg_net: URL and key from Vault, the body, the edge runtime''s 150 s');
select results_eq(
  $$select function_name, body, status, lease_expires_at > now() + interval '150 seconds', server_started_at = pg_postmaster_start_time()
      from private.function_calls f join first_call c using (id)$$,
  $$values ('health'::text, '{"probe": 1}'::jsonb, 'running'::text, true, true)$$,
  'the call is running, with a lease past pg_net''s timeout');

-- pg_net's answer settles it: a 5xx is a failure, and the next call of the job repeats it.
insert into net._http_response (id, status_code, content_type, content, timed_out)
select net_request_id, 503, 'application/json', '{"error":{"code":"auth_unavailable"}}', false from private.function_calls join first_call using (id);
select is(private.settle_function_calls(), 1, 'settling finishes the answered call');
select results_eq(
  $$select status, status_code, response from private.function_calls join first_call using (id)$$,
  $$values ('failed'::text, 503, '{"error":{"code":"auth_unavailable"}}'::text)$$,
  'a 5xx answer fails the call, with its status and body');
create temporary table second_call as select private.call_function('health', '{"probe": 1}') as id;
select is((select retried_by from private.function_calls join first_call using (id)), (select id from second_call), 'the next call of the job is linked as the retry of the failed one');

-- No answer: across a restart of the server, or past the lease, the call is failed.
update private.function_calls set server_started_at = server_started_at - interval '1 hour' where id = (select id from second_call);
insert into private.function_calls (function_name, net_request_id, server_started_at, lease_expires_at)
values ('health', -1, pg_postmaster_start_time(), now() - interval '1 second');
select is((select function_calls_stuck from private.operations_health), 2::bigint, 'calls past a restart or their lease count as stuck');
select is(private.settle_function_calls(), 2, 'settling fails both');
select results_eq(
  $$select response from private.function_calls where id = (select id from second_call) or net_request_id = -1 order by id$$,
  $$values ('no answer: the database restarted during the call (pg_net loses requests under way)'::text), ('no answer within the call''s lease'::text)$$,
  'each says why');
select is((select function_calls_stuck from private.operations_health), 0::bigint, 'nothing is stuck after settling');
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
       and not has_table_privilege('anon', 'private.function_calls', 'select'), 'the calls are closed to members');
select ok(not has_table_privilege('authenticated', 'private.scheduled_jobs', 'select')
       and not has_table_privilege('authenticated', 'private.operations_health', 'select'), 'the admin views are closed to members');
select ok(not has_function_privilege('authenticated', 'private.call_function(text, jsonb)', 'execute')
       and not has_function_privilege('anon', 'private.purge_expired_rows()', 'execute'), 'members cannot call functions or purge');

select * from finish();
rollback;
