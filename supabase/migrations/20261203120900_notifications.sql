-- In-app notifications: written by the capabilities' triggers and RPCs through private.notify()
-- (delivery), which honours the member's in_app notification preferences. Members read their own
-- and mark them read (read_at is the only column they may write); nobody else reads them.

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

grant update (read_at) on public.notifications to authenticated;

-- Policies
create policy "Members can read their own notifications" on public.notifications
  for select to authenticated using ((select auth.uid()) = user_id);

create policy "Members can mark their own notifications read" on public.notifications
  for update to authenticated using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

-- Realtime: a member's client subscribes to their new notifications (RLS decides what it gets).
alter publication supabase_realtime add table public.notifications;
