-- Account security: login history taken from Auth's own sessions, data export and deletion
-- requests, and aal2 enforced by restrictive policies on them once a member has enrolled MFA.

-- Types
create type public.request_status as enum ('pending', 'processing', 'completed', 'cancelled', 'failed');

-- Tables
create table public.login_history (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.profiles (id) on delete cascade,
  session_id uuid not null,
  signed_in_at timestamptz not null default now(),
  aal text not null default 'aal1',
  ip inet,
  user_agent text
);
comment on table public.login_history is 'One row per Auth session (sign-in), written by a trigger on auth.sessions; members read their own.';

create table public.data_deletion_requests (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references public.profiles (id) on delete set null,
  reason text check (char_length(reason) <= 2000),
  status public.request_status not null default 'pending',
  source text not null default 'member' check (source in ('member', 'account-delete', 'admin')),
  requested_at timestamptz not null default now(),
  process_after timestamptz not null default now(),
  processed_at timestamptz,
  claimed_by text check (char_length(claimed_by) <= 100),
  lease_expires_at timestamptz
);
comment on table public.data_deletion_requests is 'Audit trail of account deletions; user_id and reason are cleared when the account is deleted.';
comment on column public.data_deletion_requests.claimed_by is 'The run that took the request (processing), or last took it.';
comment on column public.data_deletion_requests.lease_expires_at is 'A processing request whose lease is over belongs to a run that died: the next run takes it again (privacy: private.claim_deletion_request).';

create table public.data_export_requests (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  status public.request_status not null default 'processing',
  requested_at timestamptz not null default now(),
  completed_at timestamptz,
  tables_exported integer,
  rows_exported bigint
);
comment on table public.data_export_requests is 'Each data export a member ran (written by the data-export function).';

-- Indexes
create index login_history_user_idx on public.login_history (user_id, signed_in_at desc);
create unique index login_history_session_idx on public.login_history (session_id);
create index data_deletion_requests_user_idx on public.data_deletion_requests (user_id);
create index data_deletion_requests_due_idx on public.data_deletion_requests (process_after) where status = 'pending';
create index data_deletion_requests_lease_idx on public.data_deletion_requests (lease_expires_at) where status = 'processing';
create index data_export_requests_processing_idx on public.data_export_requests (requested_at) where status = 'processing';
create index data_export_requests_user_idx on public.data_export_requests (user_id, requested_at desc);

-- Grants and row level security
alter table public.login_history enable row level security;

-- Grants: clients only read these; writes go through functions.
revoke all on public.login_history from anon, authenticated;
grant select on public.login_history to authenticated;

alter table public.data_deletion_requests enable row level security;

revoke all on public.data_deletion_requests from anon, authenticated;
grant select on public.data_deletion_requests to authenticated;

alter table public.data_export_requests enable row level security;

revoke all on public.data_export_requests from anon, authenticated;
grant select on public.data_export_requests to authenticated;

-- Functions
create or replace function private.record_login()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  begin
    insert into public.login_history (user_id, session_id, signed_in_at, aal, ip, user_agent)
    select new.user_id, new.id, coalesce(new.created_at, now()), coalesce(new.aal::text, 'aal1'), new.ip, left(new.user_agent, 512)
    where exists (select 1 from public.profiles p where p.id = new.user_id)
    on conflict (session_id) do update set aal = excluded.aal;
  exception when others then
    raise warning 'login history for session % not recorded: %', new.id, sqlerrm; -- never fail a sign-in
  end;
  return new;
end;
$$;

create or replace function private.request_account_deletion(reason text default null)
returns public.data_deletion_requests
language plpgsql
security definer
set search_path = ''
as $$
declare
  result public.data_deletion_requests;
begin
  perform private.require_text_value('reason', request_account_deletion.reason);
  perform private.require_signed_in(); -- reading or deleting own data: any account status
  if not private.aal_satisfied() then
    raise exception 'this needs an aal2 session: verify your MFA factor first' using errcode = '42501';
  end if;
  if char_length(reason) > 2000 then
    raise exception 'reason is longer than 2000 characters' using errcode = '22001';
  end if;
  select * into result from public.data_deletion_requests d
   where d.user_id = (select auth.uid()) and d.status = 'pending';
  if found then
    return result; -- one pending request at a time: asking again returns it
  end if;
  insert into public.data_deletion_requests (user_id, reason, process_after)
  values ((select auth.uid()), reason, now() + interval '7 days')
  returning * into result;
  return result;
end;
$$;
grant execute on function private.request_account_deletion(text) to authenticated, service_role;

comment on function private.request_account_deletion(text) is 'The elevated body of public.request_account_deletion() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.request_account_deletion(reason text default null)
returns public.data_deletion_requests
language sql
volatile
security invoker
set search_path = ''
as $$ select private.request_account_deletion($1) $$;
comment on function public.request_account_deletion(text) is 'Files a deletion request, processed after a 7-day grace period the member can cancel.';
revoke execute on function public.request_account_deletion(text) from public, anon, authenticated, service_role;
grant execute on function public.request_account_deletion(text) to authenticated, service_role;

create or replace function private.cancel_account_deletion(request_id uuid)
returns public.data_deletion_requests
language plpgsql
security definer
set search_path = ''
as $$
declare
  result public.data_deletion_requests;
begin
  if not private.aal_satisfied() then
    raise exception 'this needs an aal2 session: verify your MFA factor first' using errcode = '42501';
  end if;
  update public.data_deletion_requests d set status = 'cancelled', processed_at = now()
   where d.id = request_id and d.user_id = (select auth.uid()) and d.status = 'pending'
  returning * into result;
  if not found then
    raise exception 'no pending deletion request % of yours', request_id using errcode = 'PT404';
  end if;
  return result;
end;
$$;
grant execute on function private.cancel_account_deletion(uuid) to authenticated, service_role;

comment on function private.cancel_account_deletion(uuid) is 'The elevated body of public.cancel_account_deletion() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.cancel_account_deletion(request_id uuid)
returns public.data_deletion_requests
language sql
volatile
security invoker
set search_path = ''
as $$ select private.cancel_account_deletion($1) $$;
revoke execute on function public.cancel_account_deletion(uuid) from public, anon, authenticated, service_role;
grant execute on function public.cancel_account_deletion(uuid) to authenticated, service_role;

-- The audit row outlives the account: clear what identified the member when the profile goes.
create or replace function private.anonymise_deletion_requests()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.data_deletion_requests
     set reason = null,
         status = case when status in ('pending', 'processing') then 'completed'::public.request_status else status end,
         processed_at = coalesce(processed_at, now())
   where user_id = old.id;
  return old;
end;
$$;

-- Triggers
create trigger on_auth_session_created_login_history
  after insert or update of aal on auth.sessions
  for each row execute function private.record_login();
create trigger profiles_anonymise_deletion_requests
  before delete on public.profiles
  for each row execute function private.anonymise_deletion_requests();

-- Policies
create policy "Members can read their own login history" on public.login_history
  for select to authenticated using ((select auth.uid()) = user_id);

create policy "Members with MFA need aal2 for login history" on public.login_history
  as restrictive for all to authenticated using ((select private.aal_satisfied()));

create policy "Members with MFA need aal2 for deletion requests" on public.data_deletion_requests
  as restrictive for all to authenticated using ((select private.aal_satisfied()));

create policy "Members read their own deletion requests, admins every one" on public.data_deletion_requests
  for select to authenticated using ((select auth.uid()) = user_id or id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');

create policy "Members can read their own export requests" on public.data_export_requests
  for select to authenticated using ((select auth.uid()) = user_id);

create policy "Members with MFA need aal2 for export requests" on public.data_export_requests
  as restrictive for all to authenticated using ((select private.aal_satisfied()));
