-- Entitlements: what a member may do under their plan, answered by ONE function. A member's plan
-- is the plan of their live subscription (active, trialing, or past_due while Stripe retries the
-- payment); without one it is the free plan. Features that exist use it:
-- - saved searches: at most saved_search_notify_limit of them may notify (a downgrade keeps the
--   ones already notifying; turning on another needs room under the new limit);
-- - support tickets: priority_support opens tickets at high priority;
-- - booking_fee_discount_percent is reported for clients; there is no booking fee to discount yet.
--
-- The plans and subscriptions it reads are billing's (the Stripe mirror). It hangs its triggers on
-- public.saved_searches (search) and public.support_tickets (tickets), beside their functions.

-- Functions
-- Security invoker: a member reads their own subscription under RLS (plans are public), so asking
-- about someone else answers nothing of theirs; definer callers (RPCs, the service side) see all.
create or replace function private.entitlements(member uuid)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  sub record;
  p public.plans;
begin
  select s.plan_id, s.status into sub from public.subscriptions s
   where s.user_id = member and s.status in ('active', 'trialing', 'past_due')
   order by s.current_period_end desc nulls last, s.stripe_event_at desc
   limit 1;
  select * into p from public.plans x where x.id = sub.plan_id;
  if not found then
    select * into p from public.plans x where x.code = 'free';
  end if;
  return jsonb_build_object('plan', p.code, 'plan_name', p.name, 'subscription_status', sub.status) || p.features;
end;
$$;
comment on function private.entitlements(uuid) is 'The member''s plan and its features (saved_search_notify_limit, booking_fee_discount_percent, priority_support); the free plan without a live subscription.';
revoke execute on function private.entitlements(uuid) from public, anon;
grant execute on function private.entitlements(uuid) to authenticated, service_role;

create or replace function public.my_entitlements()
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  perform private.require_signed_in(); -- reading own data: any account status
  return private.entitlements((select auth.uid()));
end;
$$;
comment on function public.my_entitlements() is 'What the caller may do under their plan: { plan, plan_name, subscription_status, saved_search_notify_limit, booking_fee_discount_percent, priority_support }.';
revoke execute on function public.my_entitlements() from public, anon;
grant execute on function public.my_entitlements() to authenticated;

create or replace function private.limit_notifying_saved_searches()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  allowed integer;
begin
  if not new.notify or (tg_op = 'UPDATE' and old.notify) then
    return new;
  end if;
  -- The same per-member lock as the 50-searches limit, so concurrent inserts count each other.
  perform pg_advisory_xact_lock(hashtextextended('saved_searches:' || new.member_id::text, 0));
  allowed := (private.entitlements(new.member_id) ->> 'saved_search_notify_limit')::integer;
  if (select count(*) from public.saved_searches s where s.member_id = new.member_id and s.notify and s.id <> new.id) >= allowed then
    raise exception 'your plan allows % saved searches with notifications; upgrade or turn one off', allowed
      using errcode = '22023', hint = 'See rpc(''my_entitlements'').';
  end if;
  return new;
end;
$$;

-- A client's update of saved searches locks its rows one by one, and turning notify on takes the
-- member's lock above only at its row: two updates of one member's searches at once (a "notify on
-- all" beside a single switch) could each hold a row the other needs while one waits for the lock,
-- a deadlock (HTTP 500). Taking the member's lock once per statement, before any row, gives every
-- writer of the member's searches the same order: the lock, then the rows.
create or replace function private.lock_callers_saved_searches()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if (select auth.uid()) is not null then
    perform pg_advisory_xact_lock(hashtextextended('saved_searches:' || (select auth.uid())::text, 0));
  end if;
  return null;
end;
$$;

create or replace function private.prioritise_entitled_tickets()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.priority < 'high' and (private.entitlements(new.member_id) ->> 'priority_support')::boolean then
    new.priority := 'high';
  end if;
  return new;
end;
$$;

-- Triggers
create trigger saved_searches_notify_limit before insert or update of notify on public.saved_searches
  for each row execute function private.limit_notifying_saved_searches();
create trigger saved_searches_lock_caller before update of notify on public.saved_searches
  for each statement execute function private.lock_callers_saved_searches();
create trigger support_tickets_priority_support before insert on public.support_tickets
  for each row execute function private.prioritise_entitled_tickets();
