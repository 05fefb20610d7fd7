-- In-app notifications: written by the capabilities' triggers and RPCs through private.notify(),
-- which honours the member's in_app notification preferences. Members read their own and mark
-- them read (read_at is the only column they may write); nobody else reads them.

-- Tables
create table public.notifications (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.profiles (id) on delete cascade,
  kind text not null check (kind ~ '^[a-z_]{1,40}$'),
  title text not null check (char_length(title) between 1 and 200),
  body text check (char_length(body) <= 2000),
  data jsonb not null default '{}' check (jsonb_typeof(data) = 'object' and pg_column_size(data) <= 4096),
  read_at timestamptz,
  created_at timestamptz not null default now()
);
comment on table public.notifications is 'In-app notifications for one member, newest first; created by the system, members only mark them read.';
comment on column public.notifications.kind is 'e.g. review_received, support_reply, ticket_status; clients route on it.';
comment on column public.notifications.data is 'Ids the client needs to open the subject (ticket_id, review_id, ...); never another member''s private data.';
comment on column public.notifications.read_at is 'Null while unread; the member sets it (or clears it to mark unread again).';

-- Indexes
-- Indexes (the partial one serves the unread badge)
create index notifications_user_created_idx on public.notifications (user_id, created_at desc, id desc);
create index notifications_user_unread_idx on public.notifications (user_id) where read_at is null;

-- Grants and row level security
alter table public.notifications enable row level security;

revoke all on public.notifications from anon, authenticated;
grant select on public.notifications to authenticated;

-- Engagement.
grant update (read_at) on public.notifications to authenticated;

-- Functions
create or replace function private.notify(user_id uuid, kind text, category public.notification_category, title text,
                                          body text default null, data jsonb default '{}')
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- One statement (it runs inside every message send): the member's switches, then the in-app
  -- row and the email. Security notices always appear in-app.
  with member as (
    select coalesce((select not p.enabled from public.notification_preferences p
                      where p.user_id = pr.id and p.channel = 'in_app' and p.category = notify.category), false) as in_app_off,
           coalesce((select not p.enabled from public.notification_preferences p
                      where p.user_id = pr.id and p.channel = 'email' and p.category = notify.category), false) as email_off,
           coalesce((select e.notification_emails from public.email_preferences e where e.user_id = pr.id), 'immediate') as mode
      from public.profiles pr where pr.id = notify.user_id),
  in_app as (
    insert into public.notifications (user_id, kind, title, body, data)
    select notify.user_id, notify.kind, left(notify.title, 200), left(notify.body, 2000), coalesce(notify.data, '{}')
      from member m where notify.category = 'security' or not m.in_app_off)
  insert into public.email_outbox (user_id, kind, category, subject, body, data, digest, next_attempt_at)
  select notify.user_id, notify.kind, notify.category, left(notify.title, 200), left(notify.body, 2000), coalesce(notify.data, '{}'),
         m.mode = 'daily_digest', case when m.mode = 'daily_digest' then private.next_digest_at(notify.user_id) else now() end
    from member m where not m.email_off and m.mode <> 'off';
end;
$$;
comment on function private.notify(uuid, text, public.notification_category, text, text, jsonb) is
  'Tells a member something: in-app unless that category is off in-app (security always), and by email (outbox) unless off for email or notification emails are off; call from capability triggers/RPCs.';

-- Explicitly: a per-schema default privilege cannot take back the global EXECUTE for PUBLIC.
revoke execute on function private.notify(uuid, text, public.notification_category, text, text, jsonb) from public, anon, authenticated;

-- Policies
create policy "Members can read their own notifications" on public.notifications
  for select to authenticated using ((select auth.uid()) = user_id);

create policy "Members can mark their own notifications read" on public.notifications
  for update to authenticated using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

-- Realtime: a member's client subscribes to their new notifications (RLS decides what it gets).
alter publication supabase_realtime add table public.notifications;
