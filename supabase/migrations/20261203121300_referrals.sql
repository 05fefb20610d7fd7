-- Referrals (the affiliate program): every member gets an unguessable, shareable code at sign-up;
-- signing up with someone's code (metadata referral_code / referralCode) links the new member to
-- that referrer; once the new member's email is verified the referral qualifies, and the
-- affiliate-credit function credits the referrer through private.credit_referral(), the one
-- atomic crediting function (grant key ('referral', referral id, 'referral_bonus')).
--
-- Rules: unknown codes are ignored at sign-up (the sign-up succeeds, no referral); self-referral
-- is impossible; a code of a suspended, deactivated or deleted member gives a 'rejected' referral
-- at sign-up (one referral per member: the first code counts). A member who signed up without a
-- code may claim one within 30 days, and only a code of someone who joined before them.
-- Member deletion: codes are retired, never reissued (user_id null); referrals are kept with the
-- deleted side set null, and open ones become rejected (referrer_deleted / referred_deleted).

-- Types
create type public.referral_status as enum ('pending', 'qualified', 'credited', 'rejected');

create type public.affiliate_summary as (
  code text,
  pending integer,
  qualified integer,
  credited integer,
  rejected integer,
  total_earned_cents integer,
  balance_cents integer,
  bonus_cents integer
);

-- Tables
create table public.referral_codes (
  code text primary key check (code ~ '^[2-9A-HJ-NP-Z]{10}$'),
  user_id uuid unique references public.profiles (id) on delete set null,
  created_at timestamptz not null default now()
);
comment on table public.referral_codes is 'One shareable referral code per member (10 characters from a 32-letter alphabet, 50 random bits).';
comment on column public.referral_codes.user_id is 'The owner; null once the member is deleted (the code is retired, never reissued).';

create table public.referrals (
  id uuid primary key default gen_random_uuid(),
  referrer_id uuid references public.profiles (id) on delete set null,
  referred_id uuid unique references public.profiles (id) on delete set null,
  code text not null references public.referral_codes (code),
  status public.referral_status not null default 'pending',
  reason text check (char_length(reason) <= 200),
  via text not null default 'signup' check (via in ('signup', 'claim')),
  bonus_cents integer check (bonus_cents > 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  qualified_at timestamptz,
  credited_at timestamptz,
  rejected_at timestamptz,
  check (referrer_id <> referred_id)
);
comment on table public.referrals is 'Who referred whom: pending -> qualified (email verified) -> credited, or rejected. Written only by functions.';
comment on column public.referrals.reason is 'Why a referral was rejected: referrer_suspended, referrer_deactivated, referrer_deleted, referred_deleted, ...';
comment on column public.referrals.via is 'signup: code in the sign-up metadata; claim: code given to affiliate-credit after sign-up.';
comment on column public.referrals.bonus_cents is 'What the referrer was credited (the ledger entry is keyed on this referral).';

-- Indexes
create index referrals_referrer_idx on public.referrals (referrer_id, status);
create index referrals_code_idx on public.referrals (code);
create index referrals_open_idx on public.referrals (qualified_at) where status in ('pending', 'qualified');

-- Grants and row level security
-- Grants: read-only for the API roles; functions write.
revoke all on public.referral_codes from public, anon, authenticated, service_role;
grant select on public.referral_codes to authenticated, service_role;

alter table public.referral_codes enable row level security;

revoke all on public.referral_codes from anon, authenticated;
grant select on public.referral_codes to authenticated;

revoke all on public.referrals from public, anon, authenticated, service_role;
grant select on public.referrals to authenticated, service_role;
alter table public.referrals enable row level security;

revoke all on public.referrals from anon, authenticated;
grant select on public.referrals to authenticated;

-- Functions
create or replace function private.new_referral_code()
returns text
language sql
volatile
set search_path = ''
as $$
  -- 10 random bytes, 5 bits of each (256 is a multiple of 32, so every letter is equally likely).
  select string_agg(substr('23456789ABCDEFGHJKLMNPQRSTUVWXYZ', get_byte(r.b, i) % 32 + 1, 1), '' order by i)
  from (select extensions.gen_random_bytes(10) as b) r, generate_series(0, 9) as i;
$$;
revoke execute on function private.new_referral_code() from public, anon, authenticated;

create or replace function private.normalise_referral_code(code text)
returns text
language sql
immutable
set search_path = ''
as $$
  -- People type codes with spaces, dashes and in lower case; anything else is not a code.
  select case when c ~ '^[2-9A-HJ-NP-Z]{10}$' then c end
  from (select upper(regexp_replace(coalesce(code, ''), '[\s-]', '', 'g')) as c) x;
$$;
revoke execute on function private.normalise_referral_code(text) from public, anon, authenticated;

create or replace function private.ensure_referral_code(user_id uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  result text;
begin
  for attempt in 1..5 loop
    begin
      insert into public.referral_codes (code, user_id) values (private.new_referral_code(), ensure_referral_code.user_id)
      on conflict on constraint referral_codes_user_id_key do nothing;
      exit;
    exception when unique_violation then
      if attempt = 5 then
        raise;
      end if; -- a code collision (2^-50 per pair): draw again
    end;
  end loop;
  select c.code into result from public.referral_codes c where c.user_id = ensure_referral_code.user_id;
  return result;
end;
$$;
revoke execute on function private.ensure_referral_code(uuid) from public, anon, authenticated;

-- Links a member to the owner of a code. Returns {outcome, referral_id?, status?, reason?} with
-- outcome linked | referrer_inactive | unknown_code | self_referral | already_referred |
-- not_eligible | not_a_member. At sign-up an inactive referrer's code is recorded as a rejected
-- referral; a claim is simply refused. The rules decide money, so when each member joined is read
-- from auth.users (Supabase Auth's record, which no client writes), never from a profile column.
create or replace function private.link_referral(referred_id uuid, code text, via text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  norm text := private.normalise_referral_code(code);
  c public.referral_codes;
  r public.referrals;
  referrer public.profiles;
  referred public.profiles;
  confirmed timestamptz;
  new_status public.referral_status;
  why text;
begin
  if via not in ('signup', 'claim') then
    raise exception 'via must be signup or claim' using errcode = '22023';
  end if;
  select * into c from public.referral_codes x where x.code = norm;
  if not found then
    return jsonb_build_object('outcome', 'unknown_code');
  end if;
  if c.user_id = link_referral.referred_id then
    return jsonb_build_object('outcome', 'self_referral');
  end if;
  select * into referred from public.profiles p where p.id = link_referral.referred_id;
  if not found then
    return jsonb_build_object('outcome', 'not_a_member');
  end if;

  for attempt in 1..2 loop
    select * into r from public.referrals x where x.referred_id = link_referral.referred_id;
    if found then
      if r.code = norm then
        return jsonb_build_object('outcome', case when r.status = 'rejected' then 'referrer_inactive' else 'linked' end,
                                  'referral_id', r.id, 'status', r.status, 'reason', r.reason);
      end if;
      return jsonb_build_object('outcome', 'already_referred', 'referral_id', r.id, 'status', r.status);
    end if;

    select * into referrer from public.profiles p where p.id = c.user_id;
    if referrer.id is null then
      why := 'referrer_deleted';
    elsif referrer.status <> 'active' then
      why := 'referrer_' || referrer.status;
    end if;
    if via = 'claim' then
      if why is not null then
        return jsonb_build_object('outcome', 'referrer_inactive', 'reason', why);
      end if;
      if (select u.created_at from auth.users u where u.id = referred.id) < now() - interval '30 days' then
        return jsonb_build_object('outcome', 'not_eligible', 'reason', 'a code can be claimed only within 30 days of sign-up');
      end if;
      if (select u.created_at from auth.users u where u.id = referrer.id) >= (select u.created_at from auth.users u where u.id = referred.id) then
        return jsonb_build_object('outcome', 'not_eligible', 'reason', 'a code refers only members who joined after its owner');
      end if;
    end if;
    select u.email_confirmed_at into confirmed from auth.users u where u.id = link_referral.referred_id;
    new_status := case when why is not null then 'rejected' when confirmed is not null then 'qualified' else 'pending' end::public.referral_status;

    insert into public.referrals (referrer_id, referred_id, code, status, reason, via, qualified_at, rejected_at)
    values (referrer.id, link_referral.referred_id, norm, new_status, why, link_referral.via,
            case when new_status = 'qualified' then now() end, case when new_status = 'rejected' then now() end)
    on conflict on constraint referrals_referred_id_key do nothing
    returning * into r;
    if found then
      return jsonb_build_object('outcome', case when new_status = 'rejected' then 'referrer_inactive' else 'linked' end,
                                'referral_id', r.id, 'status', r.status, 'reason', r.reason);
    end if;
    -- A concurrent link won the race for this member: answer as if it had come first.
  end loop;
  return jsonb_build_object('outcome', 'already_referred');
end;
$$;
revoke execute on function private.link_referral(uuid, text, text) from public, anon, authenticated;

-- THE crediting function: everything that decides and records a referral bonus, in one
-- statement's transaction. The referral row is locked first, so concurrent calls for one
-- referral queue; the ledger's grant key makes a replay a no-op even without that lock.
-- Returns {outcome, referral_id, ...}: credited | already_credited | email_not_verified |
-- referrer_inactive | referred_inactive | referral_rejected | no_referral.
create or replace function private.credit_referral(referral_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  r public.referrals;
  referrer_status public.account_status;
  referred_status public.account_status;
  confirmed timestamptz;
  entry bigint;
  granted public.credit_transactions;
begin
  select * into r from public.referrals x where x.id = credit_referral.referral_id for update;
  if not found then
    return jsonb_build_object('outcome', 'no_referral');
  end if;
  if r.status = 'credited' then
    return jsonb_build_object('outcome', 'already_credited', 'referral_id', r.id, 'amount_cents', r.bonus_cents, 'credited_at', r.credited_at);
  end if;
  if r.status = 'rejected' then
    return jsonb_build_object('outcome', case when r.reason like 'referrer\_%' then 'referrer_inactive' else 'referral_rejected' end,
                              'referral_id', r.id, 'reason', r.reason);
  end if;
  if r.referrer_id is null or r.referred_id is null then
    -- The profile-deletion trigger closes these; this is the belt to its braces.
    update public.referrals x set status = 'rejected', reason = case when r.referrer_id is null then 'referrer_deleted' else 'referred_deleted' end
     where x.id = r.id returning * into r;
    return jsonb_build_object('outcome', case when r.referrer_id is null then 'referrer_inactive' else 'referral_rejected' end,
                              'referral_id', r.id, 'reason', r.reason);
  end if;

  select p.status into referrer_status from public.profiles p where p.id = r.referrer_id;
  if referrer_status is distinct from 'active' then
    -- Suspension can be lifted: the referral stays open and is credited once the referrer is active again.
    return jsonb_build_object('outcome', 'referrer_inactive', 'referral_id', r.id, 'reason', 'referrer_' || coalesce(referrer_status::text, 'deleted'));
  end if;
  select p.status into referred_status from public.profiles p where p.id = r.referred_id;
  if referred_status is distinct from 'active' then
    return jsonb_build_object('outcome', 'referred_inactive', 'referral_id', r.id, 'reason', 'referred_' || coalesce(referred_status::text, 'deleted'));
  end if;
  select u.email_confirmed_at into confirmed from auth.users u where u.id = r.referred_id;
  if confirmed is null then
    return jsonb_build_object('outcome', 'email_not_verified', 'referral_id', r.id);
  end if;
  if r.status = 'pending' then
    update public.referrals x set status = 'qualified' where x.id = r.id;
  end if;

  entry := private.post_credit(private.ensure_credit_account(r.referrer_id), (private.credit_settings()).referral_bonus_cents,
                               'referral_bonus', 'referral', r.id::text, null, 'Referral bonus');
  select * into granted from public.credit_transactions t
   where t.source = 'referral' and t.source_id = r.id::text and t.kind = 'referral_bonus';
  update public.referrals x set status = 'credited', bonus_cents = granted.amount_cents where x.id = r.id;
  return jsonb_build_object('outcome', case when entry is null then 'already_credited' else 'credited' end,
                            'referral_id', r.id, 'amount_cents', granted.amount_cents, 'transaction_id', granted.id);
end;
$$;
comment on function private.credit_referral(uuid) is 'Atomically credits a referral''s referrer once (service role only); returns an outcome instead of raising so refusals are reported, not rolled back.';
revoke execute on function private.credit_referral(uuid) from public, anon, authenticated;
grant execute on function private.credit_referral(uuid) to service_role;

-- The referred member's own call: optionally claim a code first, then credit their referral.
create or replace function private.claim_referral_credit(member_id uuid, code text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  linked jsonb;
  rid uuid;
begin
  if code is not null then
    linked := private.link_referral(member_id, code, 'claim');
    if linked ->> 'outcome' <> 'linked' then
      return linked;
    end if;
  end if;
  select r.id into rid from public.referrals r where r.referred_id = member_id;
  if rid is null then
    return jsonb_build_object('outcome', 'no_referral');
  end if;
  return private.credit_referral(rid);
end;
$$;
revoke execute on function private.claim_referral_credit(uuid, text) from public, anon, authenticated;
grant execute on function private.claim_referral_credit(uuid, text) to service_role;

-- The periodic sweep: credits every open referral whose member has verified their email.
create or replace function private.credit_qualified_referrals(max_count integer default 500)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  rid uuid;
  outcome text;
  outcomes jsonb := '{}'::jsonb;
  checked integer := 0;
begin
  for rid in
    select r.id from public.referrals r join auth.users u on u.id = r.referred_id
     where r.status in ('pending', 'qualified') and u.email_confirmed_at is not null
     order by r.created_at
     limit greatest(least(max_count, 5000), 0)
  loop
    begin
      outcome := private.credit_referral(rid) ->> 'outcome';
    exception when others then
      raise warning 'referral % not credited: %', rid, sqlerrm;
      outcome := 'error';
    end;
    outcomes := jsonb_set(outcomes, array[outcome], to_jsonb(coalesce((outcomes ->> outcome)::integer, 0) + 1));
    checked := checked + 1;
  end loop;
  return jsonb_build_object('checked', checked, 'outcomes', outcomes);
end;
$$;
revoke execute on function private.credit_qualified_referrals(integer) from public, anon, authenticated;
grant execute on function private.credit_qualified_referrals(integer) to service_role;

create or replace function private.affiliate_stats()
returns public.affiliate_summary
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  account uuid;
  result public.affiliate_summary;
begin
  if me is null or not exists (select 1 from public.profiles p where p.id = me) then
    raise exception 'sign in first' using errcode = '28000';
  end if;
  result.code := private.ensure_referral_code(me);
  select count(*) filter (where r.status = 'pending'), count(*) filter (where r.status = 'qualified'),
         count(*) filter (where r.status = 'credited'), count(*) filter (where r.status = 'rejected')
    into result.pending, result.qualified, result.credited, result.rejected
    from public.referrals r where r.referrer_id = me;
  account := private.ensure_credit_account(me);
  select a.balance_cents, coalesce((select sum(t.amount_cents) from public.credit_transactions t
                                     where t.account_id = a.id and t.kind = 'referral_bonus'), 0)
    into result.balance_cents, result.total_earned_cents
    from public.credit_accounts a where a.id = account;
  result.bonus_cents := (private.credit_settings()).referral_bonus_cents;
  return result;
end;
$$;
grant execute on function private.affiliate_stats() to authenticated, service_role;

comment on function private.affiliate_stats() is 'The elevated body of public.affiliate_stats() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.affiliate_stats()
returns public.affiliate_summary
language sql
volatile
security invoker
set search_path = ''
as $$ select private.affiliate_stats() $$;
comment on function public.affiliate_stats() is 'The caller''s referral code, their referrals by status, credits earned from referrals and balance.';
revoke execute on function public.affiliate_stats() from public, anon, authenticated, service_role;
grant execute on function public.affiliate_stats() to authenticated, service_role;

-- Sign-up: account, code, and the referral from the metadata. Never fails a sign-up.
create or replace function private.handle_new_user_credits()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  meta jsonb := case when jsonb_typeof(new.raw_user_meta_data) = 'object' then new.raw_user_meta_data else '{}'::jsonb end;
  code text;
begin
  begin
    perform private.ensure_credit_account(new.id);
    perform private.ensure_referral_code(new.id);
  exception when others then
    raise warning 'credit account / referral code for % not created: %', new.id, sqlerrm;
  end;
  begin
    code := private.meta_text(meta, array['referral_code', 'referralCode'], 64);
    if code is not null then
      perform private.link_referral(new.id, code, 'signup');
    end if;
  exception when others then
    raise warning 'referral of % not recorded: %', new.id, sqlerrm;
  end;
  return new;
end;
$$;

create or replace function private.qualify_referral()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  begin
    update public.referrals r set status = 'qualified' where r.referred_id = new.id and r.status = 'pending';
  exception when others then
    raise warning 'referral of % not qualified: %', new.id, sqlerrm; -- never fail an email confirmation
  end;
  return new;
end;
$$;

create or replace function private.close_referrals_of_deleted_member()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.referrals r set status = 'rejected', reason = 'referrer_deleted'
   where r.referrer_id = old.id and r.status in ('pending', 'qualified');
  update public.referrals r set status = 'rejected', reason = 'referred_deleted'
   where r.referred_id = old.id and r.status in ('pending', 'qualified');
  return old;
end;
$$;

-- Status only moves forward (credited and rejected are final) and stamps its time; who and which
-- code never change except to null when a member is deleted.
create or replace function private.guard_referrals()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  rank_old integer := array_position(array['pending', 'qualified', 'credited'], old.status::text);
  rank_new integer := array_position(array['pending', 'qualified', 'credited'], new.status::text);
begin
  if tg_op = 'DELETE' then
    raise exception 'referrals are kept for the affiliate records' using errcode = '42501';
  end if;
  if new.id is distinct from old.id or new.code is distinct from old.code or new.via is distinct from old.via
     or (new.referrer_id is distinct from old.referrer_id and new.referrer_id is not null)
     or (new.referred_id is distinct from old.referred_id and new.referred_id is not null) then
    raise exception 'who referred whom never changes' using errcode = '42501';
  end if;
  if new.status is distinct from old.status then
    if old.status in ('credited', 'rejected') or (new.status <> 'rejected' and rank_new < rank_old)
       or (new.status = 'credited' and old.status <> 'qualified') then
      raise exception 'a referral cannot move from % to %', old.status, new.status using errcode = '22023';
    end if;
    case new.status
      when 'qualified' then new.qualified_at := coalesce(new.qualified_at, now());
      when 'credited' then new.credited_at := now();
      when 'rejected' then new.rejected_at := now();
      else null;
    end case;
  end if;
  new.updated_at := now();
  return new;
end;
$$;

create or replace function private.guard_referral_codes()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' or new.code is distinct from old.code or new.user_id is not null then
    raise exception 'referral codes are never changed, deleted or reissued' using errcode = '42501';
  end if;
  return new;
end;
$$;

-- Triggers
create trigger referral_codes_guard before update or delete on public.referral_codes
  for each row execute function private.guard_referral_codes();
create trigger referrals_guard before update or delete on public.referrals
  for each row execute function private.guard_referrals();

create trigger on_auth_user_created_20_credits
  after insert on auth.users
  for each row execute function private.handle_new_user_credits();
create trigger on_auth_user_email_confirmed_20_referrals
  after update of email_confirmed_at on auth.users
  for each row when (old.email_confirmed_at is null and new.email_confirmed_at is not null)
  execute function private.qualify_referral();
create trigger profiles_close_referrals before delete on public.profiles
  for each row execute function private.close_referrals_of_deleted_member();

-- Policies
create policy "Members read their own referral code, admins every one" on public.referral_codes
  for select to authenticated using ((select auth.uid()) = user_id or user_id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');

create policy "Members read referrals they made or came by, admins all" on public.referrals
  for select to authenticated
  using ((select auth.uid()) = referrer_id or (select auth.uid()) = referred_id or id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');
