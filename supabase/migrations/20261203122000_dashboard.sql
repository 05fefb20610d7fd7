-- The member dashboard, last because it reads every capability: statistics and histories
-- (spending by month, past consultations with the expert's summary, overall counts; months are
-- calendar months in UTC) and public.member_dashboard(), which the member-dashboard edge function
-- calls once and returns as is (clients may also call it as rpc('member_dashboard')): profile,
-- counts (member_stats()'s plus favorites, unread direct messages, credit balance and affiliate
-- stats), next bookings, recent activity, spending by month and billing (the plan, subscription and
-- latest invoices), in one statement. The statistics and histories are security invoker, under the
-- caller's RLS; member_dashboard()'s body is security definer (see there: it filters every read on
-- the caller's id and applies the listing rule to the one read of someone else's row, so it adds no
-- access of its own). The unread-message count uses the same partial index as the unread badge.

-- Functions
create or replace function public.spending_history(months integer default 12)
returns table (month date, currency char(3), bookings integer, total_cents bigint, credits_cents bigint, card_cents bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  first_month date;
begin
  perform private.require_signed_in(); -- reading or deleting own data: any account status
  if months is null or months not between 1 and 120 then
    raise exception 'months must be between 1 and 120' using errcode = '22023';
  end if;
  first_month := (date_trunc('month', now() at time zone 'UTC') - make_interval(months => months - 1))::date;
  return query
    with spent as (
      -- Money counts when the consultation was completed (the booking price, split as paid).
      select date_trunc('month', coalesce(b.completed_at, b.scheduled_at) at time zone 'UTC')::date as month,
             b.currency, count(*)::integer as n, sum(b.price_cents)::bigint as total,
             sum(b.credits_applied_cents)::bigint as credits, sum(b.card_amount_cents)::bigint as card
        from public.bookings b
       where b.member_id = me and b.status = 'completed'
         and coalesce(b.completed_at, b.scheduled_at) >= (first_month::timestamp at time zone 'UTC')
       group by 1, 2
    ), calendar as (
      select generate_series(first_month, (date_trunc('month', now() at time zone 'UTC'))::date, interval '1 month')::date as month
    )
    -- Months without spending still appear (zeros, in the member's preferred currency) so charts have no gaps.
    select c.month,
           coalesce(s.currency, (select mp.currency from public.member_preferences mp where mp.user_id = me), 'USD')::char(3),
           coalesce(s.n, 0), coalesce(s.total, 0), coalesce(s.credits, 0), coalesce(s.card, 0)
      from calendar c left join spent s on s.month = c.month
     order by c.month, 2;
end;
$$;
comment on function public.spending_history(integer) is 'The caller''s spending on completed bookings per calendar month (UTC), last N months incl. the current one, split credits/card.';
revoke execute on function public.spending_history(integer) from public, anon;
grant execute on function public.spending_history(integer) to authenticated;

create or replace function public.consultation_history(page_size integer default 20, page_offset integer default 0)
returns table (
  booking_id uuid, status public.booking_status, scheduled_at timestamptz, duration_minutes integer,
  price_cents integer, currency char(3), credits_applied_cents integer, card_amount_cents integer,
  completed_at timestamptz, cancelled_at timestamptz,
  expert_id uuid, expert_name text, expert_headline text, expert_avatar_url text,
  review_id uuid, review_rating smallint, can_review boolean
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  perform private.require_signed_in(); -- reading or deleting own data: any account status
  if page_size is null or page_size not between 1 and 100 then
    raise exception 'page_size must be between 1 and 100' using errcode = '22023';
  end if;
  if page_offset is null or page_offset < 0 then
    raise exception 'page_offset must be 0 or more' using errcode = '22023';
  end if;
  -- Past = finished (completed/cancelled) or scheduled before now. Expert details come through
  -- the caller's RLS (verified experts are public), so an expert no longer listed shows only the id.
  return query
    select b.id, b.status, b.scheduled_at, b.duration_minutes, b.price_cents, b.currency,
           b.credits_applied_cents, b.card_amount_cents, b.completed_at, b.cancelled_at,
           b.expert_id, coalesce(p.display_name, nullif(btrim(concat_ws(' ', p.first_name, p.last_name)), '')),
           e.headline, p.avatar_url,
           r.id, r.rating, (b.status = 'completed' and r.id is null and b.expert_id is not null)
      from public.bookings b
      left join public.expert_profiles e on e.id = b.expert_id
      left join public.profiles p on p.id = e.id
      left join public.reviews r on r.booking_id = b.id and r.author_id = me
     where b.member_id = me and (b.status in ('completed', 'cancelled') or b.scheduled_at < now())
     order by b.scheduled_at desc, b.id
     limit page_size offset page_offset;
end;
$$;
comment on function public.consultation_history(integer, integer) is 'The caller''s past consultations, newest first, with the expert''s summary and the caller''s review (if any).';
revoke execute on function public.consultation_history(integer, integer) from public, anon;
grant execute on function public.consultation_history(integer, integer) to authenticated;

create or replace function public.member_stats()
returns table (
  bookings_total integer, bookings_upcoming integer, bookings_completed integer, bookings_cancelled integer,
  minutes_consulted integer, experts_consulted integer,
  spent_cents bigint, credits_spent_cents bigint, card_spent_cents bigint,
  reviews_written integer, average_rating_given numeric, open_tickets integer, unread_notifications integer,
  member_since timestamptz, last_consultation_at timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  perform private.require_signed_in(); -- reading or deleting own data: any account status
  return query
    select count(*)::integer,
           (count(*) filter (where b.status in ('requested', 'confirmed') and b.scheduled_at >= now()))::integer,
           (count(*) filter (where b.status = 'completed'))::integer,
           (count(*) filter (where b.status = 'cancelled'))::integer,
           coalesce(sum(b.duration_minutes) filter (where b.status = 'completed'), 0)::integer,
           (count(distinct b.expert_id) filter (where b.status = 'completed'))::integer,
           coalesce(sum(b.price_cents) filter (where b.status = 'completed'), 0)::bigint,
           coalesce(sum(b.credits_applied_cents) filter (where b.status = 'completed'), 0)::bigint,
           coalesce(sum(b.card_amount_cents) filter (where b.status = 'completed'), 0)::bigint,
           (select count(*)::integer from public.reviews r where r.author_id = me),
           (select round(avg(r.rating), 2) from public.reviews r where r.author_id = me),
           (select count(*)::integer from public.support_tickets t where t.member_id = me and t.status in ('open', 'pending')),
           (select count(*)::integer from public.notifications n where n.user_id = me and n.read_at is null),
           (select p.created_at from public.profiles p where p.id = me),
           max(coalesce(b.completed_at, b.scheduled_at)) filter (where b.status = 'completed')
      from public.bookings b
     where b.member_id = me;
end;
$$;
comment on function public.member_stats() is 'The caller''s totals: bookings by state, time and money spent (completed bookings), reviews, open tickets, unread notifications.';
revoke execute on function public.member_stats() from public, anon;
grant execute on function public.member_stats() to authenticated;

-- The landing page in one call: profile, counts, next bookings, recent activity, spending by month
-- and the billing section. It is read on every landing, so it is ONE statement (one plan, cached by
-- PL/pgSQL for the session): the member's bookings are read once (index on member_id) and feed the
-- totals, the next five and the monthly spending; counts and billing are subqueries of it rather
-- than calls of member_stats(), spending_history() or the billing helpers, each a function call
-- with statements of its own. The values are those functions' (pgTAP compares them).
-- Its body is security definer (the foundation's pattern: private body, public invoker wrapper):
-- under RLS every one of its ~20 table reads re-derived the caller from the JWT claims
-- ((select auth.uid()) parses request.jwt.claims each time) and checked its policy, a third of
-- the statement's time. Instead every read is filtered on the caller's id, taken once: what the
-- SELECT policies let a member read of their own rows, and nothing else. The one read that is
-- not the caller's own, the expert's name and headline on a next booking, applies the rule of the
-- expert_profiles and profiles policies (a verified expert with an active account; admins see all).
create or replace function private.member_dashboard()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  me uuid := private.require_signed_in(); -- reading own data: any account status (foundation)
  first_month date := (date_trunc('month', now() at time zone 'UTC') - interval '11 months')::date;
begin
  return (
    with mine as materialized (
      select b.id, b.status, b.scheduled_at, b.duration_minutes, b.price_cents, b.currency, b.credits_applied_cents,
             b.card_amount_cents, b.expert_id, b.completed_at
        from public.bookings b where b.member_id = me
    ), stats as (
      select count(*)::integer as total,
             (count(*) filter (where m.status in ('requested', 'confirmed') and m.scheduled_at >= now()))::integer as upcoming,
             (count(*) filter (where m.status = 'completed'))::integer as completed,
             (count(*) filter (where m.status = 'cancelled'))::integer as cancelled,
             coalesce(sum(m.duration_minutes) filter (where m.status = 'completed'), 0)::integer as minutes,
             (count(distinct m.expert_id) filter (where m.status = 'completed'))::integer as experts,
             coalesce(sum(m.price_cents) filter (where m.status = 'completed'), 0)::bigint as spent,
             coalesce(sum(m.credits_applied_cents) filter (where m.status = 'completed'), 0)::bigint as credits,
             coalesce(sum(m.card_amount_cents) filter (where m.status = 'completed'), 0)::bigint as card,
             max(coalesce(m.completed_at, m.scheduled_at)) filter (where m.status = 'completed') as last_at
        from mine m
    ), spent as (
      select date_trunc('month', coalesce(m.completed_at, m.scheduled_at) at time zone 'UTC')::date as month, m.currency,
             count(*)::integer as n, sum(m.price_cents)::bigint as total, sum(m.credits_applied_cents)::bigint as credits,
             sum(m.card_amount_cents)::bigint as card
        from mine m
       where m.status = 'completed' and coalesce(m.completed_at, m.scheduled_at) >= (first_month::timestamp at time zone 'UTC')
       group by 1, 2
    ), prof as (
      select p.* from public.profiles p where p.id = me
    )
    select jsonb_build_object(
      'profile', (select jsonb_build_object('id', p.id, 'first_name', p.first_name, 'last_name', p.last_name,
                                            'display_name', p.display_name, 'avatar_url', p.avatar_url,
                                            'role', p.role, 'status', p.status, 'member_since', p.created_at) from prof p),
      'counts', (select jsonb_build_object(
          'bookings_total', s.total, 'bookings_upcoming', s.upcoming, 'bookings_completed', s.completed,
          'bookings_cancelled', s.cancelled, 'minutes_consulted', s.minutes, 'experts_consulted', s.experts,
          'spent_cents', s.spent, 'credits_spent_cents', s.credits, 'card_spent_cents', s.card,
          'reviews_written', r.n, 'average_rating_given', r.avg,
          'open_tickets', (select count(*)::integer from public.support_tickets t where t.member_id = me and t.status in ('open', 'pending')),
          'unread_notifications', (select count(*)::integer from public.notifications n where n.user_id = me and n.read_at is null),
          'member_since', (select p.created_at from prof p),
          'last_consultation_at', s.last_at,
          'favorites', (select count(*)::integer from public.favorites f where f.member_id = me),
          'unread_messages', (select coalesce(sum(c.unread_count), 0)::integer from public.conversation_participants c
                               where c.user_id = me and c.unread_count > 0),
          'credit_balance_cents', coalesce(a.balance_cents, 0),
          'affiliate', jsonb_build_object(
            'code', (select rc.code from public.referral_codes rc where rc.user_id = me),
            'referrals', (select jsonb_build_object(
                           'pending', count(*) filter (where x.status = 'pending'),
                           'qualified', count(*) filter (where x.status = 'qualified'),
                           'credited', count(*) filter (where x.status = 'credited'),
                           'rejected', count(*) filter (where x.status = 'rejected'))
                          from public.referrals x where x.referrer_id = me),
            'total_earned_cents', coalesce((select sum(ct.amount_cents)::integer from public.credit_transactions ct
                                             where ct.account_id = a.id and ct.kind = 'referral_bonus'), 0)))
          from stats s
          cross join (select count(*)::integer as n, round(avg(rv.rating), 2) as avg from public.reviews rv where rv.author_id = me) r
          left join public.credit_accounts a on a.user_id = me),
      'next_bookings', coalesce((
        select jsonb_agg(jsonb_build_object('id', x.id, 'status', x.status, 'scheduled_at', x.scheduled_at,
                                            'duration_minutes', x.duration_minutes, 'price_cents', x.price_cents,
                                            'currency', x.currency, 'expert_id', x.expert_id,
                                            'expert_name', ex.name, 'expert_headline', ex.headline) order by x.scheduled_at, x.id)
          from (select m.* from mine m where m.status in ('requested', 'confirmed') and m.scheduled_at >= now()
                 order by m.scheduled_at, m.id limit 5) x
          -- The listing rule on the two rows read anyway, rather than private.is_listed_expert()
          -- twice per booking (each a query of its own): the heaviest member's five next bookings
          -- spent a third of the dashboard's execution there.
          left join lateral (
            select coalesce(ep.display_name, nullif(btrim(concat_ws(' ', ep.first_name, ep.last_name)), '')) as name, e.headline
              from public.expert_profiles e
              join public.profiles ep on ep.id = e.id
             where e.id = x.expert_id
               and (private.expert_listing_rule(ep.role, ep.status, e.verification_status) or (select private.is_admin()))) ex on true), '[]'::jsonb),
      'recent_activity', coalesce((
        select jsonb_agg(jsonb_build_object('id', a.id, 'kind', a.kind, 'subject_type', a.subject_type,
                                            'subject_id', a.subject_id, 'details', a.details, 'created_at', a.created_at)
                         order by a.created_at desc, a.id desc)
          from (select * from public.activity act where act.user_id = me
                 order by act.created_at desc, act.id desc limit 10) a), '[]'::jsonb),
      'spending_by_month', (
        select jsonb_agg(jsonb_build_object('month', c.month::date,
                                            'currency', coalesce(s.currency, (select mp.currency from public.member_preferences mp where mp.user_id = me), 'USD')::char(3),
                                            'bookings', coalesce(s.n, 0), 'total_cents', coalesce(s.total, 0),
                                            'credits_cents', coalesce(s.credits, 0), 'card_cents', coalesce(s.card, 0))
                         order by c.month, s.currency)
          from generate_series(first_month, (date_trunc('month', now() at time zone 'UTC'))::date, interval '1 month') c(month)
          left join spent s on s.month = c.month::date),
      'billing', jsonb_build_object(
        -- private.entitlements(me) inlined (a call costs more than the rest of billing): the live
        -- subscription's plan, else the free plan, with its features (pgTAP compares the two).
        'entitlements', (
          select jsonb_build_object('plan', p.code, 'plan_name', p.name, 'subscription_status', l.status) || p.features
            from (select 1) one
            left join lateral (select s.plan_id, s.status from public.subscriptions s
                                where s.user_id = me and s.status in ('active', 'trialing', 'past_due')
                                order by s.current_period_end desc nulls last, s.stripe_event_at desc
                                limit 1) l on true
            join public.plans p on p.id = coalesce(l.plan_id, (select f.id from public.plans f where f.code = 'free'))),
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
            from (select * from public.invoices x where x.user_id = me order by x.created_at desc, x.id limit 5) i), '[]'::jsonb)),
      'generated_at', now()));
end;
$$;
comment on function private.member_dashboard() is 'Body of public.member_dashboard(): the caller''s own rows only, each read filtered on auth.uid().';
revoke execute on function private.member_dashboard() from public, anon;
grant execute on function private.member_dashboard() to authenticated;

create or replace function public.member_dashboard()
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return private.member_dashboard();
end;
$$;
comment on function public.member_dashboard() is 'The caller''s dashboard as one jsonb: profile, counts, next 5 bookings, last 10 activities, 12 months of spending, billing (plan, subscription, 5 latest invoices).';
revoke execute on function public.member_dashboard() from public, anon;
grant execute on function public.member_dashboard() to authenticated;
