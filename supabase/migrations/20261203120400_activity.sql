-- Activity feed: the member's own actions (favorited, booked, reviewed, searched, credits...),
-- written only by triggers of the capabilities through private.record_activity(); readable only
-- by the member.

-- Tables
create table public.activity (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.profiles (id) on delete cascade,
  kind text not null check (kind ~ '^[a-z_]{1,40}$'),
  subject_type text check (char_length(subject_type) <= 40),
  subject_id text check (char_length(subject_id) <= 64),
  details jsonb not null default '{}' check (pg_column_size(details) <= 4096),
  created_at timestamptz not null default now()
);
comment on table public.activity is 'The member''s own actions, newest first; written by triggers, never by clients.';
comment on column public.activity.kind is 'e.g. favorited, unfavorited, booked, booking_cancelled, reviewed, searched, credits_earned, credits_spent.';

-- Indexes
create index activity_user_created_idx on public.activity (user_id, created_at desc, id desc);

-- Grants and row level security
alter table public.activity enable row level security;

revoke all on public.activity from anon, authenticated;
grant select on public.activity to authenticated;

-- Functions
create or replace function private.record_activity(user_id uuid, kind text, subject_type text default null, subject_id text default null, details jsonb default '{}')
returns void
language sql
security definer
set search_path = ''
as $$
  insert into public.activity (user_id, kind, subject_type, subject_id, details)
  select record_activity.user_id, record_activity.kind, record_activity.subject_type, record_activity.subject_id, coalesce(record_activity.details, '{}')
  where exists (select 1 from public.profiles p where p.id = record_activity.user_id);
$$;
comment on function private.record_activity(uuid, text, text, text, jsonb) is 'Appends to a member''s activity feed; call from capability triggers.';

-- Policies
create policy "Members can read their own activity" on public.activity
  for select to authenticated using ((select auth.uid()) = user_id);
