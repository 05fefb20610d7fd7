-- Reports and moderation of direct messages (messaging). Members report messages into an admin
-- moderation queue; each report keeps an immutable copy of the text reported, so a sender's later
-- edit or soft delete erases nothing the admins judge; admins hide messages (deleted or edited ones
-- too) and suspend senders, through the API or in Studio (an operator's session), audited. The read policy of public.messages is here, beside
-- private.reported_message_ids(), which its admin arm calls. Inactive members report nothing, as
-- they write nothing anywhere (see messaging).

-- Types
create type public.report_status as enum ('open', 'actioned', 'dismissed');

-- Tables
create table public.message_reports (
  id bigint generated always as identity primary key,
  message_id bigint not null references public.messages (id) on delete cascade,
  reporter_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  reason text not null check (char_length(btrim(reason)) between 1 and 1000),
  reported_body text not null default '',
  status public.report_status not null default 'open',
  created_at timestamptz not null default now(),
  resolved_at timestamptz,
  resolved_by uuid references public.profiles (id) on delete set null,
  constraint message_reports_once unique (message_id, reporter_id),
  constraint message_reports_reason_plain check (private.is_plain_text(reason))
);
comment on table public.message_reports is 'Reports of direct messages; the open ones are the admins'' moderation queue. Reporters see their own reports, admins all.';
comment on column public.message_reports.reported_body is 'The message''s text when it was reported (server-set, immutable): what the admin judges, whatever the sender edits or deletes later.';
comment on column public.message_reports.resolved_by is 'The admin who resolved the report (moderate_message); null when an operator resolved it in Studio (admin_audit_log names the session).';

-- Links the data export and the deletion check do not follow (privacy), with the reason.
insert into private.excluded_member_links (table_name, column_name, reason) values
  ('message_reports', 'message_id',
   'a report belongs to its reporter; the reported party (and the other participant) must not learn who reported them'),
  ('message_reports', 'resolved_by',
   'an admin resolving other people''s reports does not make the reports the admin''s data');

-- Indexes
create index message_reports_reporter_idx on public.message_reports (reporter_id);
create index message_reports_open_idx on public.message_reports (status, created_at) where status = 'open';
create index message_reports_resolved_by_idx on public.message_reports (resolved_by);

-- Grants and row level security
-- Grants: members report; reports are resolved only through the functions below.
revoke all on public.message_reports from anon, authenticated;
grant select on public.message_reports to authenticated;
grant insert (message_id, reason) on public.message_reports to authenticated;
alter table public.message_reports enable row level security;

-- Functions
-- Policies on messages ask this instead of reading message_reports under RLS (whose insert policy
-- reads messages: the two policies would recurse).
-- A set, not a per-row check: `id = any(...)` is an index condition, so the admin arm of the read
-- policy never turns a member's read into a scan of every message.
create or replace function private.reported_message_ids()
returns bigint[]
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not private.is_admin() then
    return '{}'::bigint[];
  end if;
  return array(select distinct r.message_id from public.message_reports r);
end;
$$;
comment on function private.reported_message_ids() is 'For an active admin, the ids of every reported message (admins may read reported messages only); empty for anyone else.';
grant execute on function private.reported_message_ids() to authenticated, service_role;

-- A report keeps the reported text as it was when reported.
create or replace function private.copy_reported_message()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  new.reported_body := coalesce((select m.body from public.messages m where m.id = new.message_id), '');
  return new;
end;
$$;
revoke execute on function private.copy_reported_message() from public, anon, authenticated;

-- Admins through the API, and operators in a direct database session (Studio's SQL editor), moderate
-- the same way; every decision is recorded in admin_audit_log (admins read it; the sender does not).
create or replace function private.moderate_message(message_id bigint, hide boolean, reason text, suspend_sender boolean)
returns public.messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  m public.messages;
  resolved integer;
begin
  perform private.require_text_value('reason', moderate_message.reason);
  if not (private.is_admin() or ((select auth.uid()) is null and private.is_operator_session())) then
    raise exception 'only admins moderate messages' using errcode = '42501';
  end if;
  select * into m from public.messages x where x.id = moderate_message.message_id for update;
  if not found then
    raise exception 'no message %', message_id using errcode = 'PT404';
  end if;
  if hide then
    update public.messages x set hidden_at = coalesce(x.hidden_at, now()), hidden_reason = left(moderate_message.reason, 500)
     where x.id = m.id returning * into m;
  end if;
  update public.message_reports r
     set status = case when hide or suspend_sender then 'actioned' else 'dismissed' end::public.report_status,
         resolved_at = now(), resolved_by = (select auth.uid())
   where r.message_id = m.id and r.status = 'open';
  get diagnostics resolved = row_count;
  if suspend_sender then
    update public.profiles p set status = 'suspended' where p.id = m.sender_id and p.role <> 'admin';
  end if;
  -- No subject: members read the entries about them, and an entry about the sender would tell them
  -- they were reported (in a direct conversation, by the other participant). The sender is in details.
  perform private.record_admin_action('moderate_message', null,
    jsonb_build_object('message_id', m.id, 'sender_id', m.sender_id, 'hide', hide, 'suspend_sender', suspend_sender,
                       'reason', left(moderate_message.reason, 500), 'reports_resolved', resolved));
  return m;
end;
$$;
revoke execute on function private.moderate_message(bigint, boolean, text, boolean) from public, anon, authenticated;
grant execute on function private.moderate_message(bigint, boolean, text, boolean) to authenticated, service_role;

-- Public RPCs (security invoker; the private helpers above hold the elevated parts)
create or replace function public.moderate_message(message_id bigint, hide boolean default true, reason text default null,
                                                   suspend_sender boolean default false)
returns public.messages
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform private.require_member();
  return private.moderate_message(message_id, coalesce(hide, false), reason, coalesce(suspend_sender, false));
end;
$$;
comment on function public.moderate_message(bigint, boolean, text, boolean) is 'Admins: hide a message (or not), resolve its open reports (actioned / dismissed), optionally suspend its sender.';
revoke execute on function public.moderate_message(bigint, boolean, text, boolean) from public, anon;
grant execute on function public.moderate_message(bigint, boolean, text, boolean) to authenticated, service_role;

-- Triggers
create trigger message_reports_copy before insert on public.message_reports for each row execute function private.copy_reported_message();

-- Policies
create policy "Participants read visible messages, admins read reported ones" on public.messages
  for select to authenticated
  -- Both arms are index conditions (conversation_id, id), so reading messages without naming a
  -- conversation fetches the caller's conversations' messages, never walks the whole table.
  using ((hidden_at is null and (sender_id = (select auth.uid()) or not private.is_withheld_message(id))
          and conversation_id = any (array(select c.id from public.conversations c
                                           where c.member_id = (select auth.uid()) or c.expert_id = (select auth.uid()))))
         or id = any ((select private.reported_message_ids())::bigint[]));

create policy "Reporters and admins can read reports" on public.message_reports
  for select to authenticated using ((select auth.uid()) = reporter_id or id between (select private.admin_bigint_floor()) and 9223372036854775807);

create policy "Participants can report messages they received" on public.message_reports
  for insert to authenticated
  with check ((select auth.uid()) = reporter_id
              and exists (select 1 from public.messages m where m.id = message_id and m.sender_id <> (select auth.uid())));

create policy "Inactive members cannot report messages" on public.message_reports
  as restrictive for insert to authenticated with check ((select private.is_active_member()));
