-- Admin audit: every money and role operation an admin (or an operator) performs is recorded in an
-- append-only log nobody edits, admins included. Admins need an aal2 session (MFA verified) for
-- them, always, and credit adjustments are bounded per call and per day (private.credit_settings).
--   money: admin_adjust_credits() / private.adjust_credits()     -> action 'adjust_credits'
--   roles: profiles.role / profiles.status changes                 -> 'set_role' / 'set_status'
--          expert_profiles.verification_status changes             -> 'set_verification'

-- Tables
create table public.admin_audit_log (
  id bigint generated always as identity primary key,
  actor_id uuid references public.profiles (id) on delete set null,
  actor_role text not null check (actor_role in ('admin', 'service_role', 'database')),
  action text not null check (action ~ '^[a-z_]{1,40}$'),
  target_id uuid references public.profiles (id) on delete set null,
  details jsonb not null default '{}' check (jsonb_typeof(details) = 'object' and pg_column_size(details) <= 4096),
  aal text check (aal in ('aal1', 'aal2', 'aal3')),
  created_at timestamptz not null default now()
);
comment on table public.admin_audit_log is 'Append-only record of admin and operator money/role operations; admins read it all, members the entries about them; nobody edits or deletes it.';
comment on column public.admin_audit_log.actor_role is 'admin (a signed-in admin, aal2), service_role (an operator''s server code) or database (Studio / migrations as the owner).';
comment on column public.admin_audit_log.details is 'What changed: old and new values, amounts, references.';

alter table private.credit_settings
  add column admin_adjustment_limit_cents integer not null default 50000 check (admin_adjustment_limit_cents between 1 and 10000000),
  add column admin_daily_limit_cents integer not null default 200000 check (admin_daily_limit_cents between 1 and 100000000);
comment on column private.credit_settings.admin_adjustment_limit_cents is 'Largest |amount| one admin adjustment may post ($500 by default).';
comment on column private.credit_settings.admin_daily_limit_cents is 'Largest sum of |amounts| one admin may adjust in 24 hours ($2000 by default).';

-- Indexes
create index admin_audit_log_actor_idx on public.admin_audit_log (actor_id, created_at desc);
create index admin_audit_log_target_idx on public.admin_audit_log (target_id, created_at desc);

-- Grants: read-only for the API roles (rows by policy); written only by the functions below.
revoke all on public.admin_audit_log from public, anon, authenticated, service_role;
grant select on public.admin_audit_log to authenticated, service_role;

-- Row level security
alter table public.admin_audit_log enable row level security;

-- Functions
create or replace function private.session_is_aal2()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return coalesce((select auth.jwt()) ->> 'aal', 'aal1') = 'aal2';
end;
$$;
comment on function private.session_is_aal2() is 'True when the request''s JWT is an aal2 (MFA-verified) session.';
grant execute on function private.session_is_aal2() to authenticated, service_role;

create or replace function private.record_admin_action(action text, target_id uuid, details jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  who uuid := (select auth.uid());
  -- The API role of the request (definer code runs as the owner, so ask the claims, not current_user).
  api_role text := coalesce((select auth.jwt()) ->> 'role', '');
begin
  insert into public.admin_audit_log (actor_id, actor_role, action, target_id, details, aal)
  values ((select p.id from public.profiles p where p.id = who),
          case when who is not null then 'admin' when api_role = 'service_role' then 'service_role' else 'database' end,
          record_admin_action.action, (select p.id from public.profiles p where p.id = record_admin_action.target_id),
          coalesce(record_admin_action.details, '{}'), (select auth.jwt()) ->> 'aal');
end;
$$;
comment on function private.record_admin_action(text, uuid, jsonb) is 'Appends one entry to public.admin_audit_log for the current actor.';
revoke execute on function private.record_admin_action(text, uuid, jsonb) from public, anon, authenticated;

-- An admin acting through the API must be on an aal2 session; operators (service role, Studio) are not admins.
create or replace function private.require_admin_aal2(what text)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if (select auth.uid()) is not null and not private.session_is_aal2() then
    raise exception 'admins need an aal2 session (verify your MFA factor) to %', what using errcode = '42501';
  end if;
end;
$$;
grant execute on function private.require_admin_aal2(text) to authenticated, service_role;

-- Role, status and verification changes: checked and recorded after the guards let them through.
create or replace function private.audit_profile_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.role is distinct from old.role or new.status is distinct from old.status then
    perform private.require_admin_aal2('change a member''s role or status');
  end if;
  if new.role is distinct from old.role then
    perform private.record_admin_action('set_role', new.id, jsonb_build_object('from', old.role, 'to', new.role));
  end if;
  if new.status is distinct from old.status then
    perform private.record_admin_action('set_status', new.id, jsonb_build_object('from', old.status, 'to', new.status));
  end if;
  return null;
end;
$$;

create or replace function private.audit_expert_verification()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_admin_aal2('change an expert''s verification');
  perform private.record_admin_action('set_verification', new.id,
                                      jsonb_build_object('from', old.verification_status, 'to', new.verification_status));
  return null;
end;
$$;

-- The log is append-only; the one exception is a foreign key anonymising a deleted member's id.
create or replace function private.guard_admin_audit_log()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE'
     and (new.id, new.actor_role, new.action, new.details, new.aal, new.created_at)
         is not distinct from (old.id, old.actor_role, old.action, old.details, old.aal, old.created_at)
     and (new.actor_id is not distinct from old.actor_id or (new.actor_id is null and not exists (select 1 from public.profiles p where p.id = old.actor_id)))
     and (new.target_id is not distinct from old.target_id or (new.target_id is null and not exists (select 1 from public.profiles p where p.id = old.target_id))) then
    return new;
  end if;
  raise exception 'the admin audit log is append-only' using errcode = '42501';
end;
$$;

-- Money: aal2 for admins, bounded per call and per day, recorded (for operators too).
select private.patch_function('public.admin_adjust_credits(uuid, integer, text, text)'::regprocedure,
  'if not private.aal_satisfied() then
    raise exception ''this needs an aal2 session: verify your MFA factor first'' using errcode = ''42501'';
  end if;',
  'perform private.require_admin_aal2(''adjust credits'');
  if abs(admin_adjust_credits.amount_cents::bigint) > (private.credit_settings()).admin_adjustment_limit_cents then
    raise exception ''an adjustment is at most % cents either way'', (private.credit_settings()).admin_adjustment_limit_cents using errcode = ''22023'';
  end if;
  if abs(admin_adjust_credits.amount_cents::bigint) + coalesce((
       select sum(abs(t.amount_cents::bigint)) from public.credit_transactions t
        where t.created_by = (select auth.uid()) and t.source = ''admin'' and t.created_at > now() - interval ''24 hours''
          and t.source_id is distinct from admin_adjust_credits.reference), 0)
     > (private.credit_settings()).admin_daily_limit_cents then
    raise exception ''this would exceed your daily adjustment limit of % cents'', (private.credit_settings()).admin_daily_limit_cents using errcode = ''22023'';
  end if;');
select private.patch_function('private.adjust_credits(uuid, integer, text, text, public.credit_kind, uuid)'::regprocedure,
  '  return entry;
end;',
  '  perform private.record_admin_action(''adjust_credits'', adjust_credits.user_id,
    jsonb_build_object(''amount_cents'', adjust_credits.amount_cents, ''kind'', adjust_credits.kind, ''reference'', reference,
                       ''memo'', left(adjust_credits.memo, 500), ''transaction_id'', entry));
  return entry;
end;');

-- Triggers
create trigger profiles_audit_admin_change after update of role, status on public.profiles
  for each row when (new.role is distinct from old.role or new.status is distinct from old.status)
  execute function private.audit_profile_change();
create trigger expert_profiles_audit_verification after update of verification_status on public.expert_profiles
  for each row when (new.verification_status is distinct from old.verification_status)
  execute function private.audit_expert_verification();
create trigger admin_audit_log_append_only before update or delete on public.admin_audit_log
  for each row execute function private.guard_admin_audit_log();
create trigger admin_audit_log_no_truncate before truncate on public.admin_audit_log
  for each statement execute function private.refuse_truncate();

-- Policies
-- Members see what was done to their account (and it is part of their data export); admins see all.
create policy "Members can read admin actions about them and admins all" on public.admin_audit_log
  for select to authenticated using ((select auth.uid()) = target_id or (select private.is_admin()));
