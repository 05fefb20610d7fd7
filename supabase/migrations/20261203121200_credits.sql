-- Credits: one account per member and an append-only ledger. The ledger is the truth; the
-- account's balance_cents is a cache that a trigger keeps equal to the sum of the ledger, and a
-- guard refuses any other value. Clients only read their own rows; every write goes through
-- security definer functions (service role included: it holds SELECT only).
--
-- Member deletion: accounts and ledger rows are KEPT, anonymised. credit_accounts.user_id and
-- credit_transactions.created_by are set null by their foreign keys, so the books still balance
-- (and refunds of a deleted member's bookings still land somewhere) but name nobody.

-- Types
create type public.credit_kind as enum ('referral_bonus', 'spend', 'refund', 'adjustment', 'expiry');

-- Tables
create table public.credit_accounts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid unique references public.profiles (id) on delete set null,
  balance_cents integer not null default 0 check (balance_cents >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.credit_accounts is 'One credit account per member, created at sign-up; kept (user_id null) when the member is deleted.';
comment on column public.credit_accounts.user_id is 'The member; null once the member is deleted (the account and its ledger stay, anonymised).';
comment on column public.credit_accounts.balance_cents is 'Cache of sum(credit_transactions.amount_cents); written only by the ledger trigger, which a guard checks.';

create table public.credit_transactions (
  id bigint generated always as identity primary key,
  account_id uuid not null references public.credit_accounts (id) on delete restrict,
  amount_cents integer not null,
  kind public.credit_kind not null,
  source text not null check (source ~ '^[a-z_]{1,40}$'),
  source_id text not null check (char_length(source_id) between 1 and 128),
  balance_after_cents integer not null check (balance_after_cents >= 0),
  memo text check (char_length(memo) <= 500),
  created_by uuid references public.profiles (id) on delete set null,
  created_at timestamptz not null default now(),
  -- The grant key: a retried, replayed or concurrent grant of the same thing conflicts here.
  constraint credit_transactions_grant_key unique (source, source_id, kind),
  -- The sign follows the kind, so a "spend" can never add credits nor a "refund" take them.
  constraint credit_transactions_sign check (case kind
    when 'referral_bonus' then amount_cents > 0
    when 'refund' then amount_cents > 0
    when 'spend' then amount_cents < 0
    when 'expiry' then amount_cents < 0
    else amount_cents <> 0 end)
);
comment on table public.credit_transactions is 'Append-only credit ledger: no row is ever updated or deleted. Balance = sum(amount_cents).';
comment on column public.credit_transactions.amount_cents is 'Signed: positive adds credits (referral_bonus, refund, adjustment), negative takes them (spend, expiry, adjustment).';
comment on column public.credit_transactions.source is 'What the entry is about: referral, booking, admin, ...; with source_id and kind the unique grant key.';
comment on column public.credit_transactions.source_id is 'Id of that thing (referral id, booking id, an admin reference).';
comment on column public.credit_transactions.balance_after_cents is 'The account balance right after this entry (a running balance for statements and audits).';
comment on column public.credit_transactions.created_by is 'Who caused the entry (member, admin); null for the system or once that member is deleted.';

-- Settings live outside the exposed schema; admins change them in Studio.
create table private.credit_settings (
  id boolean primary key default true check (id),
  referral_bonus_cents integer not null default 1000 check (referral_bonus_cents between 1 and 100000),
  spend_cap_percent integer not null default 50 check (spend_cap_percent between 0 and 100),
  updated_at timestamptz not null default now(),
  admin_adjustment_limit_cents integer not null default 50000 check (admin_adjustment_limit_cents between 1 and 10000000),
  admin_daily_limit_cents integer not null default 200000 check (admin_daily_limit_cents between 1 and 100000000)
);
comment on table private.credit_settings is 'The one row of credit configuration: referral bonus and the share of a purchase credits may pay.';
insert into private.credit_settings default values;
comment on column private.credit_settings.admin_adjustment_limit_cents is 'Largest |amount| one admin adjustment may post ($500 by default).';
comment on column private.credit_settings.admin_daily_limit_cents is 'Largest sum of |amounts| one admin may adjust in 24 hours ($2000 by default).';

-- Indexes
create index credit_transactions_account_idx on public.credit_transactions (account_id, created_at desc, id desc);
create index credit_transactions_created_by_idx on public.credit_transactions (created_by);

-- Grants and row level security
-- Grants: read-only for every API role, the service role included; functions write.
revoke all on public.credit_accounts from public, anon, authenticated, service_role;
grant select on public.credit_accounts to authenticated, service_role;

alter table public.credit_accounts enable row level security;

revoke all on public.credit_accounts from anon, authenticated;
grant select on public.credit_accounts to authenticated;

revoke all on public.credit_transactions from public, anon, authenticated, service_role;
grant select on public.credit_transactions to authenticated, service_role;
alter table public.credit_transactions enable row level security;

revoke all on public.credit_transactions from anon, authenticated;
grant select on public.credit_transactions to authenticated;

revoke all on private.credit_settings from public, anon, authenticated, service_role;

-- Functions
create or replace function private.credit_settings()
returns private.credit_settings
language sql
stable
security definer
set search_path = ''
as $$
  select s from private.credit_settings s where s.id;
$$;
revoke execute on function private.credit_settings() from public, anon, authenticated;

create or replace function private.ensure_credit_account(user_id uuid)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  account uuid;
begin
  insert into public.credit_accounts (user_id) values (ensure_credit_account.user_id) on conflict on constraint credit_accounts_user_id_key do nothing;
  select a.id into account from public.credit_accounts a where a.user_id = ensure_credit_account.user_id;
  return account;
end;
$$;
comment on function private.ensure_credit_account(uuid) is 'The member''s account id, creating the account if the sign-up trigger could not.';
revoke execute on function private.ensure_credit_account(uuid) from public, anon, authenticated;

-- The one way rows enter the ledger. Locks the account row, so entries on one account are
-- serialised; returns the new entry's id, or null when the grant key already exists (a retry).
create or replace function private.post_credit(
  account_id uuid, amount_cents integer, kind public.credit_kind, source text, source_id text,
  created_by uuid default null, memo text default null)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  balance integer;
  entry bigint;
begin
  select a.balance_cents into balance from public.credit_accounts a where a.id = post_credit.account_id for update;
  if not found then
    raise exception 'no credit account %', post_credit.account_id using errcode = 'PT404';
  end if;
  if balance::bigint + amount_cents < 0 then
    raise exception 'insufficient credits: balance % cents, % cents needed', balance, -amount_cents::bigint using errcode = '22023';
  end if;
  if balance::bigint + amount_cents > 2147483647 then
    raise exception 'the balance would exceed what an account can hold' using errcode = '22023';
  end if;
  insert into public.credit_transactions (account_id, amount_cents, kind, source, source_id, balance_after_cents, created_by, memo)
  values (post_credit.account_id, post_credit.amount_cents, post_credit.kind, post_credit.source, post_credit.source_id,
          balance + post_credit.amount_cents, post_credit.created_by, post_credit.memo)
  on conflict on constraint credit_transactions_grant_key do nothing
  returning id into entry;
  return entry;
end;
$$;
comment on function private.post_credit(uuid, integer, public.credit_kind, text, text, uuid, text) is 'Appends one ledger entry under the account lock; null when its grant key was already used.';
revoke execute on function private.post_credit(uuid, integer, public.credit_kind, text, text, uuid, text) from public, anon, authenticated;

-- Admins and operators correct balances with adjustments (or expire credits), never by editing.
create or replace function private.adjust_credits(user_id uuid, amount_cents integer, reference text, memo text default null,
                                                  kind public.credit_kind default 'adjustment', actor uuid default null)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  entry bigint;
begin
  if kind not in ('adjustment', 'expiry') then
    raise exception 'only adjustment or expiry entries are posted by hand' using errcode = '22023';
  end if;
  if amount_cents is null or amount_cents = 0 or (kind = 'expiry' and amount_cents > 0) then
    raise exception 'amount_cents must be non-zero (negative for expiry)' using errcode = '22023';
  end if;
  if reference is null or reference !~ '^[A-Za-z0-9._:-]{1,128}$' then
    raise exception 'reference must be 1-128 letters, digits, dots, colons, dashes or underscores' using errcode = '22023';
  end if;
  if not exists (select 1 from public.profiles p where p.id = adjust_credits.user_id) then
    raise exception 'no member %', adjust_credits.user_id using errcode = 'PT404';
  end if;
  entry := private.post_credit(private.ensure_credit_account(adjust_credits.user_id), adjust_credits.amount_cents,
                               adjust_credits.kind, 'admin', reference, actor, left(adjust_credits.memo, 500));
  if entry is null then
    -- Same reference again: answer with the entry it already made (idempotent retry).
    select t.id into entry from public.credit_transactions t
     where t.source = 'admin' and t.source_id = reference and t.kind = adjust_credits.kind;
  end if;
  perform private.record_admin_action('adjust_credits', adjust_credits.user_id,
    jsonb_build_object('amount_cents', adjust_credits.amount_cents, 'kind', adjust_credits.kind, 'reference', reference,
                       'memo', left(adjust_credits.memo, 500), 'transaction_id', entry));
  return entry;
end;
$$;
comment on function private.adjust_credits(uuid, integer, text, text, public.credit_kind, uuid) is 'Service role / admin RPC: posts an adjustment or expiry keyed by an idempotency reference.';
revoke execute on function private.adjust_credits(uuid, integer, text, text, public.credit_kind, uuid) from public, anon, authenticated;
grant execute on function private.adjust_credits(uuid, integer, text, text, public.credit_kind, uuid) to service_role;

create or replace function private.admin_adjust_credits(user_id uuid, amount_cents integer, reference text, memo text default null)
returns public.credit_transactions
language plpgsql
security definer
set search_path = ''
as $$
declare
  entry bigint;
  result public.credit_transactions;
begin
  perform private.require_text_value('reference', admin_adjust_credits.reference);
  perform private.require_text_value('memo', admin_adjust_credits.memo);
  perform private.require_member();
  if not private.is_admin() then
    raise exception 'only admins adjust credits' using errcode = '42501';
  end if;
  perform private.require_admin_aal2('adjust credits');
  -- One admin's adjustments queue on a lock, so parallel calls cannot all read the same day's sum;
  -- the sum below is a new statement, whose snapshot sees the adjustments the lock waited for.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('memberbase.admin_adjust:' || (select auth.uid())::text, 0));
  if abs(admin_adjust_credits.amount_cents::bigint) > (private.credit_settings()).admin_adjustment_limit_cents then
    raise exception 'an adjustment is at most % cents either way', (private.credit_settings()).admin_adjustment_limit_cents using errcode = '22023';
  end if;
  if abs(admin_adjust_credits.amount_cents::bigint) + coalesce((
       select sum(abs(t.amount_cents::bigint)) from public.credit_transactions t
        where t.created_by = (select auth.uid()) and t.source = 'admin' and t.created_at > now() - interval '24 hours'
          and t.source_id is distinct from admin_adjust_credits.reference), 0)
     > (private.credit_settings()).admin_daily_limit_cents then
    raise exception 'this would exceed your daily adjustment limit of % cents', (private.credit_settings()).admin_daily_limit_cents using errcode = '22023';
  end if;
  if admin_adjust_credits.user_id = (select auth.uid()) then
    raise exception 'admins cannot adjust their own credits' using errcode = '42501';
  end if;
  entry := private.adjust_credits(admin_adjust_credits.user_id, admin_adjust_credits.amount_cents, admin_adjust_credits.reference,
                                  admin_adjust_credits.memo, 'adjustment', (select auth.uid()));
  select * into result from public.credit_transactions t where t.id = entry;
  return result;
end;
$$;
grant execute on function private.admin_adjust_credits(uuid, integer, text, text) to authenticated, service_role;

comment on function private.admin_adjust_credits(uuid, integer, text, text) is 'The elevated body of public.admin_adjust_credits() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.admin_adjust_credits(user_id uuid, amount_cents integer, reference text, memo text default null)
returns public.credit_transactions
language sql
volatile
security invoker
set search_path = ''
as $$ select private.admin_adjust_credits($1, $2, $3, $4) $$;
comment on function public.admin_adjust_credits(uuid, integer, text, text) is 'Admin correction of a member''s credits (never their own); reference makes retries idempotent.';
revoke execute on function public.admin_adjust_credits(uuid, integer, text, text) from public, anon, authenticated, service_role;
grant execute on function public.admin_adjust_credits(uuid, integer, text, text) to authenticated, service_role;

-- Audit: accounts whose cached balance is not the sum of their ledger (always empty).
create or replace function private.credit_balance_drift()
returns table (account_id uuid, balance_cents integer, ledger_cents bigint)
language sql
stable
security definer
set search_path = ''
as $$
  select a.id, a.balance_cents, coalesce(sum(t.amount_cents), 0)
  from public.credit_accounts a left join public.credit_transactions t on t.account_id = a.id
  group by a.id
  having a.balance_cents <> coalesce(sum(t.amount_cents), 0);
$$;
revoke execute on function private.credit_balance_drift() from public, anon, authenticated;
grant execute on function private.credit_balance_drift() to service_role;

-- Ledger trigger: after an entry is written, the cache takes its running balance.
create or replace function private.apply_credit_entry()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.credit_accounts a set balance_cents = new.balance_after_cents, updated_at = now() where a.id = new.account_id;
  perform private.record_activity(
    (select a.user_id from public.credit_accounts a where a.id = new.account_id),
    case new.kind when 'referral_bonus' then 'credits_earned' when 'spend' then 'credits_spent' when 'refund' then 'credits_refunded'
                  when 'expiry' then 'credits_expired' else 'credits_adjusted' end,
    new.source, new.source_id, jsonb_build_object('amount_cents', new.amount_cents, 'balance_cents', new.balance_after_cents));
  return null;
end;
$$;

-- Ledger rows are immutable. The single exception is the foreign key anonymising created_by
-- after that member's profile is gone; nothing else about the row may change.
create or replace function private.guard_credit_transactions()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and new.created_by is null and old.created_by is not null
     and (new.id, new.account_id, new.amount_cents, new.kind, new.source, new.source_id, new.balance_after_cents, new.memo, new.created_at)
         is not distinct from
         (old.id, old.account_id, old.amount_cents, old.kind, old.source, old.source_id, old.balance_after_cents, old.memo, old.created_at)
     and not exists (select 1 from public.profiles p where p.id = old.created_by) then
    return new;
  end if;
  raise exception 'the credit ledger is append-only: post a refund or adjustment instead of changing entries' using errcode = '42501';
end;
$$;

-- The cache may only ever hold the ledger's sum; accounts are never deleted; user_id only anonymised.
create or replace function private.guard_credit_accounts()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'credit accounts are kept (anonymised) for the ledger' using errcode = '42501';
  end if;
  if new.id is distinct from old.id or (new.user_id is distinct from old.user_id and new.user_id is not null) then
    raise exception 'a credit account belongs to one member for good' using errcode = '42501';
  end if;
  if new.balance_cents is distinct from old.balance_cents
     and new.balance_cents <> (select coalesce(sum(t.amount_cents), 0) from public.credit_transactions t where t.account_id = new.id) then
    raise exception 'balance_cents must equal the sum of the ledger' using errcode = '42501';
  end if;
  return new;
end;
$$;

-- Triggers
-- Later capabilities hang triggers on public.credit_transactions beside the functions they run:
-- credit_transactions_notify_earned (delivery).
create trigger credit_accounts_guard before update or delete on public.credit_accounts
  for each row execute function private.guard_credit_accounts();
create trigger credit_accounts_no_truncate before truncate on public.credit_accounts
  for each statement execute function private.refuse_truncate();

create trigger credit_transactions_apply after insert on public.credit_transactions
  for each row execute function private.apply_credit_entry();
create trigger credit_transactions_immutable before update or delete on public.credit_transactions
  for each row execute function private.guard_credit_transactions();
create trigger credit_transactions_no_truncate before truncate on public.credit_transactions
  for each statement execute function private.refuse_truncate();

-- Policies
create policy "Members read their own credit account, admins every one" on public.credit_accounts
  for select to authenticated using ((select auth.uid()) = user_id or id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');

create policy "Members read their own credit transactions, admins every one" on public.credit_transactions
  for select to authenticated
  -- A member has one account (user_id is unique): its id is one value, so the arm is an index condition.
  using (account_id = (select a.id from public.credit_accounts a where a.user_id = (select auth.uid())) or id between (select private.admin_bigint_floor()) and 9223372036854775807);
