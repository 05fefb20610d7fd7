-- The schedule: every periodic job of the product, as Supabase Cron (pg_cron) jobs. One file, last
-- in order, because a job names work of many capabilities (delivery's outbox, privacy's deletions,
-- referrals' sweep, the retention of several tables): reading this file tells what runs when, and
-- every object a job calls exists by the time it is scheduled.
--
-- Jobs that need an edge function call private.call_function(name, body), the same everywhere:
-- net.http_post (pg_net) to <project_url>/functions/v1/<name> with the secret key as bearer, both
-- read from Vault (secrets `project_url`, `service_role_key`, which the operator sets once; see
-- docs/deploy.md). This file creates pg_net where the server has it (hosted Supabase and
-- `supabase start` always do); a server without it must provide the `net` schema itself (the
-- Docker-free stack does, outside the migrations: stack/platform/pg-net.sql).
-- Every call is a row of private.function_calls with pg_net's request id and a lease. Each call
-- (each tick) first settles earlier ones from net._http_response: 2xx done, anything else failed;
-- a call whose server restarted since (pg_net's queue and worker do not survive one) or whose lease
-- ran out without an answer is failed too. A failed call is retried by the next tick of its job,
-- which links it (retried_by): every function job here is safe to repeat (each claims its rows with
-- leases or credits under a unique grant key; see docs/operations.md).
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
-- pg_net where the server has it. Guarded because a server may lack it (Debian packages none), and
-- there the `net` schema must come from elsewhere; on hosted Supabase it is always available.
do $$
begin
  if exists (select from pg_catalog.pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_net with schema extensions;
  end if;
end;
$$;

-- Tables
create table private.function_calls (
  id bigint generated always as identity primary key,
  function_name text not null check (function_name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  body jsonb not null default '{}' check (jsonb_typeof(body) = 'object'),
  status text not null default 'running' check (status in ('running', 'done', 'failed')),
  net_request_id bigint not null,
  server_started_at timestamptz not null,
  requested_at timestamptz not null default now(),
  lease_expires_at timestamptz not null,
  finished_at timestamptz,
  status_code integer,
  response text check (char_length(response) <= 2000),
  retried_by bigint references private.function_calls (id) on delete set null,
  check ((status = 'running') = (finished_at is null))
);
comment on table private.function_calls is 'Every edge function call made by a scheduled job: pg_net''s request id, the call''s lease, and its outcome (settled from net._http_response by the next call).';
comment on column private.function_calls.server_started_at is 'pg_postmaster_start_time() when the call was made: pg_net loses requests under way when the server restarts, so a call from an earlier server with no answer is failed.';
comment on column private.function_calls.lease_expires_at is 'pg_net''s timeout plus a margin: a call still running then got no answer and is failed.';
comment on column private.function_calls.retried_by is 'The next call of the same job, which repeated this failed one.';

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
create index function_calls_running_idx on private.function_calls (lease_expires_at) where status = 'running';
create index function_calls_unretried_idx on private.function_calls (function_name) where status = 'failed' and retried_by is null;
create index function_calls_retried_by_idx on private.function_calls (retried_by);
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
-- Records the outcome of running calls (see the header): pg_net's answer by request id, else a
-- restart or an expired lease. Returns the number of calls finished. Invoker: jobs run as postgres.
create or replace function private.settle_function_calls()
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  n integer;
  total integer := 0;
begin
  -- pg_net's answer.
  update private.function_calls f
     set status = case when r.status_code between 200 and 299 then 'done' else 'failed' end,
         finished_at = r.created, status_code = r.status_code,
         response = left(case when r.timed_out then 'timed out: ' || coalesce(r.error_msg, '')
                              when r.status_code is null then coalesce(r.error_msg, 'no answer')
                              else coalesce(r.content, '') end, 2000)
    from net._http_response r
   where f.status = 'running' and r.id = f.net_request_id and r.created >= f.requested_at
     -- an answer from the call's own server: after a crash pg_net's request ids start over
     and (f.server_started_at = pg_catalog.pg_postmaster_start_time() or r.created < pg_catalog.pg_postmaster_start_time());
  get diagnostics n = row_count;
  total := total + n;
  -- No answer and the server restarted since the call: pg_net's worker lost it.
  update private.function_calls
     set status = 'failed', finished_at = now(),
         response = 'no answer: the database restarted during the call (pg_net loses requests under way)'
   where status = 'running' and server_started_at <> pg_catalog.pg_postmaster_start_time();
  get diagnostics n = row_count;
  total := total + n;
  update private.function_calls
     set status = 'failed', finished_at = now(), response = 'no answer within the call''s lease'
   where status = 'running' and lease_expires_at < now();
  get diagnostics n = row_count;
  return total + n;
end;
$$;
comment on function private.settle_function_calls() is 'Finishes running scheduled calls: pg_net''s answer (2xx done, else failed), or failed when the server restarted or the lease ran out.';
revoke execute on function private.settle_function_calls() from public, anon, authenticated;

-- Calls an edge function for a scheduled job (see the header) and returns the private.function_calls
-- id. Invoker: jobs run as their owner (postgres), who reads Vault.
create or replace function private.call_function(name text, body jsonb default '{}')
returns bigint
language plpgsql
security invoker
set search_path = ''
as $$
declare
  -- The edge runtime's wall clock on hosted projects; pg_net records a timeout after it.
  timeout_ms constant integer := 150000;
  url text;
  secret_key text;
  request_id bigint;
  call_id bigint;
begin
  perform private.settle_function_calls();
  select decrypted_secret into url from vault.decrypted_secrets where decrypted_secrets.name = 'project_url';
  select decrypted_secret into secret_key from vault.decrypted_secrets where decrypted_secrets.name = 'service_role_key';
  if url is null or secret_key is null then
    raise exception 'call_function(%): set the Vault secrets project_url and service_role_key (docs/deploy.md, step 6)', name;
  end if;
  -- The key as bearer only: a secret key (sb_secret_...) is no JWT, so the called functions run
  -- without verify_jwt and check the key themselves (supabase/functions/_shared/service-role.ts).
  request_id := net.http_post(
    url := rtrim(url, '/') || '/functions/v1/' || name,
    body := body,
    headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || secret_key),
    timeout_milliseconds := timeout_ms);
  insert into private.function_calls (function_name, body, net_request_id, server_started_at, lease_expires_at)
  values (name, body, request_id, pg_catalog.pg_postmaster_start_time(), now() + make_interval(secs => timeout_ms / 1000 + 60))
  returning id into call_id;
  -- This call repeats the job's failed ones (same function and body).
  update private.function_calls f set retried_by = call_id
   where f.function_name = name and f.body = call_function.body and f.status = 'failed' and f.retried_by is null;
  return call_id;
end;
$$;
comment on function private.call_function(text, jsonb) is 'Calls an edge function for a scheduled job with pg_net, Vault''s project_url and service_role_key; settles earlier calls and links the failed ones it repeats.';
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
  (select count(*) from private.function_calls where status = 'running' and (lease_expires_at < now() or server_started_at <> pg_catalog.pg_postmaster_start_time())) as function_calls_stuck,
  (select count(*) from private.function_calls where status = 'failed' and requested_at > now() - interval '1 day') as function_calls_failed_today,
  (select count(*) from private.function_calls where status = 'failed' and retried_by is null) as function_calls_failed_unretried;
comment on view private.operations_health is 'One row: outbox backlog and its oldest due row, expired claims, stuck exports and deletions, scheduled calls stuck (running past their lease or across a restart), failed today, and failed with no retry yet.';

revoke all on private.scheduled_jobs, private.operations_health from public, anon, authenticated;

-- The admin console's queues of the schedule (schema admin: admin_console), for Studio's Table Editor.
create view admin.stuck_jobs
with (security_invoker = true)
as
select 'function_call' as kind, f.function_name as name, f.id as call_id, null::bigint as run_id, f.status,
       f.requested_at as since, f.body::text as detail
  from private.function_calls f
 where f.status = 'running'
   and (f.lease_expires_at < now() or f.server_started_at <> pg_catalog.pg_postmaster_start_time())
union all
select 'cron_run', j.jobname, null, d.runid, d.status, d.start_time, d.command
  from cron.job_run_details d
  join cron.job j on j.jobid = d.jobid
 where d.status in ('starting', 'running') and d.start_time < now() - interval '15 minutes';
comment on view admin.stuck_jobs is 'Scheduled work that should have finished: function calls still running past their lease or across a server restart (the next tick fails and retries them), job runs still running after 15 minutes.';

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
-- none runs, and the exports, which nothing else sweeps. It settles the scheduled calls too, so
-- their outcomes are recorded while the function jobs are paused.
select cron.schedule('recover-expired-claims', '* * * * *',
  $$select private.retake_expired_email_claims(), private.retake_expired_deletion_claims(), private.fail_abandoned_exports(), private.settle_function_calls()$$);
-- Parked Stripe events nobody links within 30 days are dropped (billing).
select cron.schedule('expire-parked-stripe-events', '41 3 * * *', $$select private.expire_parked_stripe_events()$$);
select cron.schedule('purge-expired-rows', '17 3 * * *', $$select private.purge_expired_rows()$$);
