-- Entitlements: what a member may do under their plan, answered by ONE function. A member's plan
-- is the plan of their live subscription (active, trialing, or past_due while Stripe retries the
-- payment); without one it is the free plan. Features that exist use it:
-- - saved searches: at most saved_search_notify_limit of them may notify (a downgrade keeps the
--   ones already notifying; turning on another needs room under the new limit);
-- - support tickets: priority_support opens tickets at high priority;
-- - booking_fee_discount_percent is reported for clients; there is no booking fee to discount yet.

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

-- The dashboard's billing section, under the member's own RLS.
create or replace function private.member_dashboard_billing()
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  return jsonb_build_object(
    'entitlements', private.entitlements(me),
    'subscription', (
      select jsonb_build_object('id', s.id, 'status', s.status, 'plan', p.code, 'plan_name', p.name,
                                'price_cents', p.price_cents, 'currency', p.currency, 'interval', p.interval,
                                'current_period_end', s.current_period_end, 'cancel_at_period_end', s.cancel_at_period_end,
                                'trial_end', s.trial_end, 'scheduled_plan', (select n.code from public.plans n where n.id = s.scheduled_plan_id),
                                'scheduled_change_at', s.scheduled_change_at)
        from public.subscriptions s join public.plans p on p.id = s.plan_id
       where s.user_id = me
       order by s.status in ('active', 'trialing', 'past_due') desc, s.stripe_event_at desc
       limit 1),
    'recent_invoices', coalesce((
      select jsonb_agg(jsonb_build_object('id', i.id, 'number', i.number, 'status', i.status, 'amount_due_cents', i.amount_due_cents,
                                          'amount_paid_cents', i.amount_paid_cents, 'currency', i.currency, 'booking_id', i.booking_id,
                                          'hosted_invoice_url', i.hosted_invoice_url, 'created_at', i.created_at)
                       order by i.created_at desc, i.id)
        from (select * from public.invoices x where x.user_id = me order by x.created_at desc, x.id limit 5) i), '[]'::jsonb));
end;
$$;
comment on function private.member_dashboard_billing() is 'member_dashboard().billing: entitlements, the current subscription and the 5 latest invoices, under the caller''s RLS.';
revoke execute on function private.member_dashboard_billing() from public, anon;
grant execute on function private.member_dashboard_billing() to authenticated;

-- member_dashboard() as before, plus its billing section.
create or replace function public.member_dashboard()
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  perform private.require_signed_in(); -- reading own data: any account status (as 20261129110100_account_status)
  return (
    select jsonb_build_object(
      'profile', (select jsonb_build_object('id', p.id, 'first_name', p.first_name, 'last_name', p.last_name,
                                            'display_name', p.display_name, 'avatar_url', p.avatar_url,
                                            'role', p.role, 'status', p.status, 'member_since', p.created_at)
                    from public.profiles p where p.id = me),
      'counts', (select to_jsonb(s) from public.member_stats() s) || private.member_dashboard_extras(),
      'next_bookings', coalesce((
        select jsonb_agg(jsonb_build_object('id', x.id, 'status', x.status, 'scheduled_at', x.scheduled_at,
                                            'duration_minutes', x.duration_minutes, 'price_cents', x.price_cents,
                                            'currency', x.currency, 'expert_id', x.expert_id, 'expert_name', x.expert_name,
                                            'expert_headline', x.headline) order by x.scheduled_at, x.id)
          from (select b.id, b.status, b.scheduled_at, b.duration_minutes, b.price_cents, b.currency, b.expert_id,
                       coalesce(p.display_name, nullif(btrim(concat_ws(' ', p.first_name, p.last_name)), '')) as expert_name,
                       e.headline
                  from public.bookings b
                  left join public.expert_profiles e on e.id = b.expert_id
                  left join public.profiles p on p.id = e.id
                 where b.member_id = me and b.status in ('requested', 'confirmed') and b.scheduled_at >= now()
                 order by b.scheduled_at, b.id
                 limit 5) x), '[]'::jsonb),
      'recent_activity', coalesce((
        select jsonb_agg(jsonb_build_object('id', a.id, 'kind', a.kind, 'subject_type', a.subject_type,
                                            'subject_id', a.subject_id, 'details', a.details, 'created_at', a.created_at)
                         order by a.created_at desc, a.id desc)
          from (select * from public.activity act where act.user_id = me
                 order by act.created_at desc, act.id desc limit 10) a), '[]'::jsonb),
      'spending_by_month', coalesce((
        select jsonb_agg(to_jsonb(h) order by h.month, h.currency) from public.spending_history(12) h), '[]'::jsonb),
      'billing', private.member_dashboard_billing(),
      'generated_at', now()));
end;
$$;
comment on function public.member_dashboard() is 'The caller''s dashboard as one jsonb: profile, counts, next 5 bookings, last 10 activities, 12 months of spending, billing (plan, subscription, 5 latest invoices).';

-- Triggers
create trigger saved_searches_notify_limit before insert or update of notify on public.saved_searches
  for each row execute function private.limit_notifying_saved_searches();
create trigger support_tickets_priority_support before insert on public.support_tickets
  for each row execute function private.prioritise_entitled_tickets();
