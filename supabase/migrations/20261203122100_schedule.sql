-- The schedule: every periodic job of the product, as Supabase Cron (pg_cron) jobs. One file, last
-- in order, because a job names work of many capabilities (delivery's outbox, privacy's deletions,
-- referrals' sweep, the retention of several tables): reading this file tells what runs when, and
-- every object a job calls exists by the time it is scheduled.
--
-- Jobs that need an edge function call private.call_function(name, body). Its transport depends
-- on where the database runs, the schedule does not:
--   * pg_net present (hosted Supabase, `supabase start`): net.http_post to <project_url>/functions/v1/<name>
--     with the service role key, both read from Vault (secrets `project_url`, `service_role_key`,
--     which the operator sets once; see the README's "Scheduled jobs").
--   * pg_net absent (the Docker-free stack: Debian has no pg_net): the call is queued here and
--     announced with pg_notify; the stack's dispatcher (stack/platform/cron-dispatch.ts) posts it to the
--     gateway with the service role key and records the answer.
-- Every call is a row of private.function_calls either way (pg_net's request id, or the
-- dispatcher's outcome), so a run is visible beside cron.job_run_details.
-- Recovery sweeps (expired claims of the outbox and of deletions, exports whose process died) and
-- the expiry of parked Stripe events are SQL jobs calling those capabilities' own functions.
-- Daily digests need no job of their own: digest rows become due at each member's local digest
-- hour (private.next_digest_at), so the every-minute send delivers them then.
-- Retention periods are rows of private.retention_periods (admins may change them); one daily job
-- purges what outlived them. private.scheduled_jobs and private.operations_health are for admins
-- in Studio; members never see them; so are the admin console's admin.stuck_jobs,
-- admin.recent_failures and admin.run_job() (docs/admin.md).

-- Extensions
create extension if not exists pg_cron;

-- Tables
create table private.function_calls (
  id bigint generated always as identity primary key,
  function_name text not null check (function_name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  body jsonb not null default '{}' check (jsonb_typeof(body) = 'object'),
  transport text not null check (transport in ('pg_net', 'dispatcher')),
  status text not null default 'queued' check (status in ('queued', 'running', 'done', 'failed')),
  net_request_id bigint,
  requested_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  status_code integer,
  response text check (char_length(response) <= 2000)
);
comment on table private.function_calls is 'Every edge function call made by a scheduled job: sent by pg_net (net_request_id; its answer is in net._http_response) or queued for the local stack''s dispatcher, which records status_code and response.';

create table private.retention_periods (
  subject text primary key,
  keep interval not null check (keep >= interval '1 day'),
  description text not null
);
comment on table private.retention_periods is 'How long each kind of history is kept before the daily purge (job purge-expired-rows) deletes it.';
insert into private.retention_periods (subject, keep, description) values
  ('search_history', '90 days', 'A member''s searches, by created_at.'),
  ('login_history', '1 year', 'Sign-ins, by signed_in_at: a year of security history for the member and support.'),
  ('email_outbox', '90 days', 'Outbox emails that are done (sent, failed, suppressed), by created_at, with their delivery attempts.'),
  ('email_delivery_attempts', '90 days', 'Delivery attempts, by finished_at.'),
  ('stripe_events', '90 days', 'Processed Stripe event ids, by processed_at (Stripe retries an event for 3 days at most).'),
  ('read_notifications', '90 days', 'In-app notifications read, by read_at; unread ones stay.'),
  ('function_calls', '30 days', 'Calls made by scheduled jobs, by requested_at.'),
  ('cron_run_details', '14 days', 'cron.job_run_details, by start_time.');

-- Indexes
create index function_calls_queued_idx on private.function_calls (id) where status = 'queued';
create index function_calls_requested_idx on private.function_calls (requested_at);
create index login_history_signed_in_idx on public.login_history (signed_in_at);
create index search_history_created_idx on public.search_history (created_at);
create index email_delivery_attempts_finished_idx on public.email_delivery_attempts (finished_at);
create index stripe_events_processed_idx on public.stripe_events (processed_at);
create index notifications_read_idx on public.notifications (read_at) where read_at is not null;

-- Grants and row level security
revoke all on table private.function_calls, private.retention_periods from public, anon, authenticated;
alter table private.function_calls enable row level security;
alter table private.retention_periods enable row level security;

-- Functions
-- Calls an edge function for a scheduled job (see the header for the two transports). Returns the
-- private.function_calls id. Without pg_net it only queues: the dispatcher does the HTTP. Invoker:
-- jobs run as their owner (postgres), who reads Vault on hosted projects.
create or replace function private.call_function(name text, body jsonb default '{}')
returns bigint
language plpgsql
security invoker
set search_path = ''
as $$
declare
  url text;
  service_key text;
  request_id bigint;
  call_id bigint;
begin
  if exists (select from pg_catalog.pg_extension where extname = 'pg_net') then
    -- Dynamic SQL with the schema as a parameter: vault and net exist only where pg_net does, and
    -- this file loads (and plpgsql_check checks it) without them.
    execute format('select decrypted_secret from %I.decrypted_secrets where name = $1', 'vault') into url using 'project_url';
    execute format('select decrypted_secret from %I.decrypted_secrets where name = $1', 'vault') into service_key using 'service_role_key';
    if url is null or service_key is null then
      raise exception 'call_function(%): set the Vault secrets project_url and service_role_key (see the README, "Scheduled jobs")', name;
    end if;
    execute format('select %I.http_post(url := $1, body := $2, headers := $3, timeout_milliseconds := 150000)', 'net')
      into request_id
      using rtrim(url, '/') || '/functions/v1/' || name, body,
            jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || service_key, 'apikey', service_key);
    insert into private.function_calls (function_name, body, transport, status, net_request_id, started_at)
    values (name, body, 'pg_net', 'running', request_id, now())
    returning id into call_id;
  else
    insert into private.function_calls (function_name, body, transport)
    values (name, body, 'dispatcher')
    returning id into call_id;
    perform pg_notify('memberbase_function_calls', call_id::text);
  end if;
  return call_id;
end;
$$;
comment on function private.call_function(text, jsonb) is 'Calls an edge function for a scheduled job: pg_net with Vault''s project_url and service_role_key where pg_net exists, else queued for the local stack''s dispatcher.';
revoke execute on function private.call_function(text, jsonb) from public, anon, authenticated;

-- Deletes what outlived its retention period (private.retention_periods); returns the rows deleted
-- per subject. What each subject's rows are, and which timestamp ages them, is the list below.
create or replace function private.purge_expired_rows()
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  target record;
  n integer;
  result jsonb := '{}'::jsonb;
begin
  for target in
    select p.subject, t.tbl, t.aged_by, t.also, p.keep
      from (values
        ('search_history', 'public.search_history', 'created_at', ''),
        ('login_history', 'public.login_history', 'signed_in_at', ''),
        ('email_delivery_attempts', 'public.email_delivery_attempts', 'finished_at', ''),
        ('email_outbox', 'public.email_outbox', 'created_at', ' and status in (''sent'', ''failed'', ''suppressed'')'),
        ('stripe_events', 'public.stripe_events', 'processed_at', ''),
        ('read_notifications', 'public.notifications', 'read_at', ''),
        ('function_calls', 'private.function_calls', 'requested_at', ''),
        ('cron_run_details', 'cron.job_run_details', 'start_time', '')
      ) as t (subject, tbl, aged_by, also)
      join private.retention_periods p on p.subject = t.subject
  loop
    execute format('delete from %s where %I < $1%s', target.tbl, target.aged_by, target.also) using now() - target.keep;
    get diagnostics n = row_count;
    result := result || jsonb_build_object(target.subject, n);
  end loop;
  return result;
end;
$$;
comment on function private.purge_expired_rows() is 'The daily retention purge: deletes rows older than their private.retention_periods entry; returns counts per subject.';
revoke execute on function private.purge_expired_rows() from public, anon, authenticated;

-- Views (admins in Studio; revoked from members)
create view private.scheduled_jobs
with (security_invoker = true)
as
select j.jobname, j.schedule, j.command, j.active,
       r.start_time as last_run_at, r.status as last_status, r.return_message as last_message,
       c.function_name, c.requested_at as last_call_at, c.status as last_call_status,
       c.status_code as last_call_status_code, c.response as last_call_response
  from cron.job j
  left join lateral (select d.start_time, d.status, d.return_message from cron.job_run_details d
                      where d.jobid = j.jobid order by d.runid desc limit 1) r on true
  left join lateral (select f.function_name, f.requested_at, f.status, f.status_code, f.response from private.function_calls f
                      where f.function_name = substring(j.command from $r$call_function\('([a-z0-9_-]+)'$r$)
                      order by f.id desc limit 1) c on true;
comment on view private.scheduled_jobs is 'Each scheduled job with its last run (cron.job_run_details) and, for function jobs, the last call and its answer.';

create view private.operations_health
with (security_invoker = true)
as
select
  (select count(*) from public.email_outbox where status = 'pending' and next_attempt_at <= now()) as outbox_due,
  (select min(next_attempt_at) from public.email_outbox where status = 'pending' and next_attempt_at <= now()) as outbox_oldest_due_at,
  (select count(*) from public.email_outbox where status = 'sending' and lease_expires_at < now()) as outbox_expired_claims,
  (select count(*) from public.data_export_requests where status = 'processing' and requested_at < now() - interval '15 minutes') as exports_stuck,
  (select count(*) from public.data_deletion_requests where status = 'pending' and process_after < now() - interval '1 hour') as deletions_overdue,
  (select count(*) from public.data_deletion_requests where status = 'processing' and lease_expires_at < now()) as deletions_expired_claims,
  (select count(*) from private.function_calls where status = 'queued' and requested_at < now() - interval '5 minutes') as function_calls_waiting,
  (select count(*) from private.function_calls where status = 'failed' and requested_at > now() - interval '1 day') as function_calls_failed_today;
comment on view private.operations_health is 'One row: outbox backlog and its oldest due row, expired claims, stuck exports and deletions, scheduled calls waiting or failed.';

revoke all on private.scheduled_jobs, private.operations_health from public, anon, authenticated;

-- The admin console's queues of the schedule (schema admin: admin_console), for Studio's Table Editor.
create view admin.stuck_jobs
with (security_invoker = true)
as
select 'function_call' as kind, f.function_name as name, f.id as call_id, null::bigint as run_id, f.status,
       coalesce(f.started_at, f.requested_at) as since, f.body::text as detail
  from private.function_calls f
 where f.transport = 'dispatcher'
   and ((f.status = 'queued' and f.requested_at < now() - interval '5 minutes')
        or (f.status = 'running' and f.started_at < now() - interval '15 minutes'))
union all
select 'cron_run', j.jobname, null, d.runid, d.status, d.start_time, d.command
  from cron.job_run_details d
  join cron.job j on j.jobid = d.jobid
 where d.status in ('starting', 'running') and d.start_time < now() - interval '15 minutes';
comment on view admin.stuck_jobs is 'Scheduled work that should have finished: function calls queued over 5 minutes or running over 15 (the local dispatcher), job runs still running after 15 minutes.';

create view admin.recent_failures
with (security_invoker = true)
as
select 'cron_run' as kind, j.jobname as name, d.start_time as at, null::integer as status_code, d.return_message as message,
       j.jobname as job_to_rerun
  from cron.job_run_details d
  join cron.job j on j.jobid = d.jobid
 where d.status = 'failed' and d.start_time > now() - interval '1 day'
union all
select 'function_call', f.function_name, f.requested_at, f.status_code, f.response,
       (select j.jobname from cron.job j
         where substring(j.command from $r$call_function\('([a-z0-9_-]+)'$r$) = f.function_name order by j.jobid limit 1)
  from private.function_calls f
 where f.status = 'failed' and f.requested_at > now() - interval '1 day'
 order by at desc;
comment on view admin.recent_failures is 'The last day''s failed job runs and failed function calls, newest first, with the job that runs them again (admin.run_job).';

revoke all on admin.stuck_jobs, admin.recent_failures from public, anon, authenticated, service_role;

-- Functions (admin console)
-- Runs a scheduled job once, now, with the job's own command: a failed run is re-run exactly as the
-- schedule would run it (a function job queues a new call). Audited as 'run_job'.
create or replace function admin.run_job(job_name text)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  command text;
  result jsonb;
begin
  select j.command into command from cron.job j where j.jobname = run_job.job_name;
  if command is null then
    raise exception 'no scheduled job named %', job_name using errcode = 'PT404';
  end if;
  perform private.record_admin_action('run_job', null, jsonb_build_object('job', job_name, 'command', command));
  -- Every job's command is one select (this file): its answer is the run's result.
  execute format('select to_jsonb(r) from (%s) r', command) into result;
  return result;
end;
$$;
comment on function admin.run_job(text) is 'Studio: run a scheduled job now with its own command (cron.job), audited; answers what the command answered.';
revoke execute on function admin.run_job(text) from public, anon, authenticated, service_role;

-- The schedule (cron.schedule with a job name replaces that job's schedule and command). Function
-- jobs run every minute: a run with nothing due is one query, and a message's email, a deletion
-- past its grace period and a qualified referral's bonus then wait a minute at most.
select cron.schedule('send-notifications', '* * * * *', $$select private.call_function('send-notifications', '{"limit": 200}')$$);
select cron.schedule('process-deletion-requests', '* * * * *', $$select private.call_function('process-deletion-requests', '{"limit": 25}')$$);
select cron.schedule('referral-sweep', '* * * * *', $$select private.call_function('affiliate-credit', '{"sweep": true}')$$);
-- Recovery (the leases of delivery and privacy): outbox rows and deletion requests whose claim
-- outlived its lease are taken again, and exports whose streaming connection died are recorded
-- failed. The send and deletion runs retake on their own too; this job covers the minutes when
-- none runs, and the exports, which nothing else sweeps.
select cron.schedule('recover-expired-claims', '* * * * *',
  $$select private.retake_expired_email_claims(), private.retake_expired_deletion_claims(), private.fail_abandoned_exports()$$);
-- Parked Stripe events nobody links within 30 days are dropped (billing).
select cron.schedule('expire-parked-stripe-events', '41 3 * * *', $$select private.expire_parked_stripe_events()$$);
select cron.schedule('purge-expired-rows', '17 3 * * *', $$select private.purge_expired_rows()$$);
