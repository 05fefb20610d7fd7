-- The admin console: the queues operators open in Supabase Studio's Table Editor, spanning the
-- capabilities (moderation, verification, support, privacy requests). docs/admin.md is the operator's
-- guide to them and to every admin task; test/admin-guide.test.ts runs it.
--
-- Studio is a direct database session as `postgres` (the owner): it reads every row and bypasses
-- RLS, so what it may do is decided by the triggers and functions every write path meets (the same
-- guards as the API) and recorded in admin_audit_log as actor_role 'postgres' with the session's
-- application_name (accounts and roles). The queues live in their own schema, `admin`, which
-- PostgREST does not expose (supabase/config.toml [api] schemas) and no API role may use: members,
-- anon and the service role's clients never read them. The schedule's queues (stuck jobs, recent
-- failures) and admin.run_job() join this schema in the schedule migration, beside the jobs.

-- Schema
create schema if not exists admin;
comment on schema admin is 'Queues and actions for operators in Supabase Studio (as postgres). Not exposed by PostgREST; no API role has USAGE.';
revoke all on schema admin from public;

-- Views (security invoker: they read with the rights of the operator who opens them)
create view admin.open_reports
with (security_invoker = true)
as
select r.id as report_id, r.created_at as reported_at, r.reason, r.reported_body,
       r.message_id, m.conversation_id,
       case when m.deleted_at is not null then null else m.body end as message_now,
       m.edited_at as message_edited_at, m.deleted_at as message_deleted_at, m.hidden_at as message_hidden_at,
       m.sender_id, nullif(btrim(concat_ws(' ', sp.first_name, sp.last_name)), '') as sender_name, su.email as sender_email,
       sp.status as sender_status,
       r.reporter_id, nullif(btrim(concat_ws(' ', rp.first_name, rp.last_name)), '') as reporter_name,
       (select count(*) from public.message_reports o where o.message_id = r.message_id and o.status = 'open') as open_reports_on_message
  from public.message_reports r
  join public.messages m on m.id = r.message_id
  left join public.profiles sp on sp.id = m.sender_id
  left join auth.users su on su.id = m.sender_id
  left join public.profiles rp on rp.id = r.reporter_id
 where r.status = 'open'
 order by r.created_at, r.id;
comment on view admin.open_reports is 'The moderation queue: open reports of direct messages, oldest first, with the text as reported (immutable) and the message as it is now. Act with private.moderate_message() (docs/admin.md).';

create view admin.experts_awaiting_verification
with (security_invoker = true)
as
select e.id as expert_id, nullif(btrim(concat_ws(' ', p.first_name, p.last_name)), '') as name, u.email,
       e.verification_status, e.headline, e.expertise, e.credentials, e.experience_years, e.hourly_rate_cents, e.currency,
       p.status as account_status, e.created_at, e.updated_at
  from public.expert_profiles e
  join public.profiles p on p.id = e.id
  left join auth.users u on u.id = e.id
 where e.verification_status in ('unverified', 'pending') and p.role = 'expert'
 order by e.created_at, e.id;
comment on view admin.experts_awaiting_verification is 'Experts whose profile is not verified (unverified or pending) yet, oldest first, with what they claim. Verify or reject by updating public.expert_profiles.verification_status (audited).';

create view admin.support_queue
with (security_invoker = true)
as
select t.id as ticket_id, t.subject, t.category, t.priority, t.status, t.member_id,
       nullif(btrim(concat_ws(' ', p.first_name, p.last_name)), '') as member_name, u.email as member_email,
       p.status as member_status, t.created_at, t.last_message_at,
       (select left(m.body, 280) from public.ticket_messages m
         where m.ticket_id = t.id and not m.is_internal order by m.created_at desc, m.id desc limit 1) as last_message,
       (select count(*) from public.ticket_messages m where m.ticket_id = t.id and m.is_internal) as internal_notes
  from public.support_tickets t
  join public.profiles p on p.id = t.member_id
  left join auth.users u on u.id = t.member_id
 where t.status = 'open'
 order by case t.priority when 'urgent' then 0 when 'high' then 1 when 'normal' then 2 else 3 end, t.last_message_at, t.id;
comment on view admin.support_queue is 'Tickets waiting for support (status open), most urgent first, then longest waiting, with the member''s last message.';

create view admin.privacy_requests
with (security_invoker = true)
as
select 'deletion' as kind, d.id as request_id, d.user_id, u.email, d.status, d.source, d.requested_at,
       d.process_after, d.processed_at as finished_at, d.claimed_by, d.lease_expires_at,
       case when d.status = 'pending' and d.process_after < now() - interval '1 hour' then 'overdue: the deletion job has not taken it'
            when d.status = 'processing' and d.lease_expires_at < now() then 'claim expired: recover-expired-claims takes it again'
       end as attention
  from public.data_deletion_requests d
  left join auth.users u on u.id = d.user_id
 where d.status in ('pending', 'processing', 'failed') or d.requested_at > now() - interval '30 days'
union all
select 'export', x.id, x.user_id, u.email, x.status, 'member', x.requested_at,
       null, x.completed_at, null, null,
       case when x.status = 'processing' and x.requested_at < now() - interval '15 minutes' then 'stuck: recover-expired-claims records it failed'
       end
  from public.data_export_requests x
  left join auth.users u on u.id = x.user_id
 where x.status in ('processing', 'failed') or x.requested_at > now() - interval '30 days';
comment on view admin.privacy_requests is 'Deletion and export requests: every unfinished or failed one and the last 30 days, with what needs attention.';

-- Nobody but the owner (Studio's postgres) reads the console; the API roles get nothing.
revoke all on all tables in schema admin from public, anon, authenticated, service_role;
