-- spending_history(), consultation_history(), member_stats() and member_dashboard(): values from
-- known public.bookings, public.reviews, public.support_tickets, public.notifications and
-- public.activity rows; only ever the caller's own.
begin;
select plan(37);

select tests.create_user('alice', '{"first_name":"Alice","last_name":"Member"}');
select tests.create_user('bob');
select tests.create_user('erin', '{"first_name":"Erin","last_name":"Expert"}');
select tests.make_role('erin', 'expert', true);

create temporary table m as select date_trunc('month', now() at time zone 'UTC') at time zone 'UTC' as this_month;
grant select on m to authenticated, anon;

create temp table fixture_bookings on commit drop as
select v.id::uuid, tests.user_id(v.who) as member_id, tests.user_id('erin') as expert_id, v.status::public.booking_status as status, v.at, v.minutes, v.price, v.credits,
       case when v.status = 'completed' then v.at end as completed_at, case when v.status = 'cancelled' then v.at end as cancelled_at
  from m, lateral (values
  -- this month: 100.00 of which 25.00 credits; two months ago: 60.00 card only; 13 months ago: outside 12 months
  ('c0000000-0000-4000-8000-000000000001', 'alice', 'completed', least(m.this_month + interval '1 hour', now()), 60, 10000, 2500),
  ('c0000000-0000-4000-8000-000000000002', 'alice', 'completed', m.this_month - interval '2 months' + interval '3 days', 30, 6000, 0),
  ('c0000000-0000-4000-8000-000000000003', 'alice', 'completed', m.this_month - interval '13 months' + interval '3 days', 45, 9000, 1000),
  ('c0000000-0000-4000-8000-000000000004', 'alice', 'cancelled', now() + interval '5 days', 60, 10000, 0),
  ('c0000000-0000-4000-8000-000000000005', 'alice', 'requested', now() + interval '2 days', 60, 10000, 0),
  ('c0000000-0000-4000-8000-000000000006', 'alice', 'confirmed', now() + interval '1 day', 30, 5000, 0),
  ('c0000000-0000-4000-8000-000000000007', 'bob', 'completed', least(m.this_month + interval '2 hours', now()), 60, 99999, 0),
  ('c0000000-0000-4000-8000-000000000008', 'bob', 'requested', now() + interval '1 hour', 60, 10000, 0)
  ) as v(id, who, status, at, minutes, price, credits);
insert into public.bookings (id, member_id, expert_id, status, scheduled_at, duration_minutes, price_cents, completed_at, cancelled_at)
select id, member_id, expert_id, status, at, minutes, price, completed_at, cancelled_at from fixture_bookings;
-- Credits reach a booking only through the ledger (as apply_credits() posts them).
select private.adjust_credits(member_id, credits, 'fixture:' || id), private.post_credit(
         (select a.id from public.credit_accounts a where a.user_id = f.member_id), -credits, 'spend', 'booking', id::text)
  from fixture_bookings f where credits > 0;
update public.bookings b set credits_applied_cents = f.credits from fixture_bookings f where f.id = b.id and f.credits > 0;
-- The fixture's ledger entries notify (credits earned); only the notices below are this test's.
delete from public.notifications where kind = 'credits_earned';

-- anon
select tests.authenticate_as_anon();
select throws_ok($$select * from public.member_stats()$$, '42501', null, 'anon cannot call member_stats()');
select throws_ok($$select public.member_dashboard()$$, '42501', null, 'anon cannot call member_dashboard()');
select throws_ok($$select * from public.spending_history()$$, '42501', null, 'anon cannot call spending_history()');
select throws_ok($$select * from public.consultation_history()$$, '42501', null, 'anon cannot call consultation_history()');

select tests.authenticate_as('alice');
select lives_ok($$insert into public.reviews (booking_id, rating) values ('c0000000-0000-4000-8000-000000000002', 4)$$, 'alice reviews one consultation');
select lives_ok($$select public.open_support_ticket('Question', 'Hello')$$, 'alice opens a ticket');
select tests.clear_authentication();
select private.notify(tests.user_id('alice'), 'hello', 'messages', 'Unread one');
select private.notify(tests.user_id('bob'), 'hello', 'messages', 'Bob''s');

-- spending history
select tests.authenticate_as('alice');
select is((select count(*)::int from public.spending_history()), 12, 'twelve months by default, empty months included');
select results_eq($$select bookings, total_cents, credits_cents, card_cents from public.spending_history() where month = (select this_month at time zone 'UTC' from m)::date$$,
  $$select count(*)::int, sum(price_cents)::bigint, sum(credits_applied_cents)::bigint, sum(card_amount_cents)::bigint from public.bookings
     where member_id = tests.user_id('alice') and status = 'completed' and completed_at >= (select this_month from m)$$,
  'this month: completed bookings, split credits/card');
select results_eq($$select sum(total_cents)::bigint, sum(credits_cents)::bigint, sum(card_cents)::bigint from public.spending_history()$$,
  $$select sum(price_cents)::bigint, sum(credits_applied_cents)::bigint, sum(card_amount_cents)::bigint from public.bookings
     where member_id = tests.user_id('alice') and status = 'completed' and completed_at >= (select this_month - interval '11 months' from m)$$,
  'twelve months total the completed bookings of those months, nothing older and nobody else''s');
select is((select total_cents from public.spending_history(3) where month = (select (this_month - interval '2 months') at time zone 'UTC' from m)::date), 6000::bigint,
  'the month two months ago holds its booking');
select is((select sum(total_cents)::bigint from public.spending_history(14)), (select sum(price_cents)::bigint from public.bookings where member_id = tests.user_id('alice') and status = 'completed'),
  'a longer window reaches the older booking');
select throws_ok($$select * from public.spending_history(0)$$, '22023', 'months must be between 1 and 120', 'months are checked');

-- consultation history
select results_eq($$select booking_id from public.consultation_history()$$,
  $$select id from public.bookings where member_id = tests.user_id('alice') and (status in ('completed', 'cancelled') or scheduled_at < now()) order by scheduled_at desc, id$$,
  'past consultations, newest first');
select is((select count(*)::int from public.consultation_history() where booking_id in ('c0000000-0000-4000-8000-000000000005', 'c0000000-0000-4000-8000-000000000006', 'c0000000-0000-4000-8000-000000000007')), 0,
  'upcoming bookings and other members'' bookings are not history');
select results_eq($$select expert_name, review_rating, can_review from public.consultation_history() where booking_id = 'c0000000-0000-4000-8000-000000000002'$$,
  $$values ('Erin Expert', 4::smallint, false)$$, 'the expert summary and the member''s review come with each consultation');
select is((select can_review from public.consultation_history() where booking_id = 'c0000000-0000-4000-8000-000000000003'), true, 'an unreviewed completed consultation can be reviewed');
select is((select count(*)::int from public.consultation_history(1, 1)), 1, 'paging works');
select throws_ok($$select * from public.consultation_history(500)$$, '22023', null, 'page sizes are checked');

-- member stats
select results_eq($$select bookings_total, bookings_upcoming, bookings_completed, bookings_cancelled, minutes_consulted, experts_consulted,
                           spent_cents, reviews_written, open_tickets, unread_notifications from public.member_stats()$$,
  $$values (6, 2, 3, 1, 135, 1, 25000::bigint, 1, 1, 1)$$, 'member_stats() totals the caller''s rows');

-- dashboard
select is((select jsonb_object_keys(public.member_dashboard()) order by 1 limit 1), 'billing', 'the dashboard is one jsonb object');
select is((select array_agg(k order by k) from jsonb_object_keys(public.member_dashboard()) k),
  array['billing', 'counts', 'generated_at', 'next_bookings', 'profile', 'recent_activity', 'spending_by_month'], 'the dashboard has every section');
select is(public.member_dashboard() #>> '{profile,first_name}', 'Alice', 'the profile is the caller''s');
-- The dashboard computes its counts in its own statement: they must equal member_stats() plus the
-- extras computed here from the tables.
select is(public.member_dashboard() -> 'counts',
  (select to_jsonb(s) from public.member_stats() s) || jsonb_build_object(
    'favorites', (select count(*)::int from public.favorites where member_id = tests.user_id('alice')),
    'unread_messages', (select coalesce(sum(unread_count), 0)::int from public.conversation_participants where user_id = tests.user_id('alice')),
    'credit_balance_cents', coalesce((select balance_cents from public.credit_accounts where user_id = tests.user_id('alice')), 0),
    'affiliate', jsonb_build_object(
      'code', (select code from public.referral_codes where user_id = tests.user_id('alice')),
      'referrals', (select jsonb_object_agg(st, (select count(*) from public.referrals r where r.referrer_id = tests.user_id('alice') and r.status::text = st))
                      from unnest(array['pending', 'qualified', 'credited', 'rejected']) st),
      'total_earned_cents', (select coalesce(sum(t.amount_cents), 0)::int from public.credit_transactions t join public.credit_accounts a on a.id = t.account_id
                              where a.user_id = tests.user_id('alice') and t.kind = 'referral_bonus'))),
  'counts are member_stats() plus favorites, unread messages, credits and affiliate stats');
select is((public.member_dashboard() #>> '{counts,credit_balance_cents}')::int, (select balance_cents from public.credit_accounts where user_id = (select auth.uid())), 'the credit balance is the caller''s');
select is((select array_agg(e ->> 'id') from jsonb_array_elements(public.member_dashboard() -> 'next_bookings') e),
  array['c0000000-0000-4000-8000-000000000006', 'c0000000-0000-4000-8000-000000000005'], 'next bookings: upcoming only, soonest first');
select is((select array_agg(e ->> 'kind' order by e ->> 'kind') from jsonb_array_elements(public.member_dashboard() -> 'recent_activity') e),
  (select array_agg(a.kind order by a.kind) from (select kind from public.activity where user_id = tests.user_id('alice') order by created_at desc, id desc limit 10) a),
  'recent activity is the caller''s (her fixture credits, review and ticket)');
select is(jsonb_array_length(public.member_dashboard() -> 'spending_by_month'), 12, 'spending by month covers twelve months');
select is(public.member_dashboard() -> 'spending_by_month', (select jsonb_agg(to_jsonb(h) order by h.month, h.currency) from public.spending_history(12) h),
  'spending by month is spending_history(12), computed in the dashboard''s own statement');
select tests.authenticate_as('bob');
select is((select array_agg(e ->> 'id') from jsonb_array_elements(public.member_dashboard() -> 'next_bookings') e),
  array['c0000000-0000-4000-8000-000000000008'], 'another member''s dashboard shows only their bookings');
select is((public.member_dashboard() #>> '{counts,unread_notifications}')::int, 1, 'and only their notifications');
select tests.clear_authentication();

-- The body reads past RLS (security definer), so it applies the policies' rules itself: the billing
-- entitlements are private.entitlements()'s, and an expert who is no longer listed (suspended
-- account, or verification withdrawn) shows on a next booking as an id only, as under RLS.
select tests.authenticate_as('alice');
select is(public.member_dashboard() #> '{billing,entitlements}', private.entitlements(tests.user_id('alice')), 'the entitlements are private.entitlements()''s');
select is((select e ->> 'expert_name' from jsonb_array_elements(public.member_dashboard() -> 'next_bookings') e limit 1), 'Erin Expert', 'a listed expert shows by name');
select tests.clear_authentication();
-- A delisted expert's open bookings are cancelled with the change (bookings); the rows are reopened
-- here to check that the dashboard still masks an expert who is not listed, should one be open.
create temporary table erins_open on commit drop as
  select b.id from public.bookings b where b.expert_id = tests.user_id('erin') and b.status in ('requested', 'confirmed');
update public.profiles set status = 'suspended' where id = tests.user_id('erin');
select is((select count(*)::int from public.bookings b join erins_open o using (id) where b.status = 'cancelled'),
  (select count(*)::int from erins_open), 'suspending an expert cancels their open bookings');
update public.bookings b set status = 'requested', cancelled_at = null from erins_open o where b.id = o.id;
select tests.authenticate_as('alice');
select is((select array_agg(distinct coalesce(e ->> 'expert_name', '-') || '/' || coalesce(e ->> 'expert_headline', '-')) from jsonb_array_elements(public.member_dashboard() -> 'next_bookings') e),
  array['-/-'], 'a suspended expert shows no name or headline');
select tests.clear_authentication();
update public.profiles set status = 'active' where id = tests.user_id('erin');
update public.expert_profiles set verification_status = 'pending' where id = tests.user_id('erin');
update public.bookings b set status = 'requested', cancelled_at = null from erins_open o where b.id = o.id;
select tests.authenticate_as('alice');
select is((select array_agg(distinct coalesce(e ->> 'expert_name', '-') || '/' || coalesce(e ->> 'expert_headline', '-')) from jsonb_array_elements(public.member_dashboard() -> 'next_bookings') e),
  array['-/-'], 'nor does an expert whose verification was withdrawn');
select is((select array_agg(distinct e ->> 'expert_id') from jsonb_array_elements(public.member_dashboard() -> 'next_bookings') e),
  array[tests.user_id('erin')::text], 'the booking still names the expert''s id');
select tests.clear_authentication();
update public.expert_profiles set verification_status = 'verified' where id = tests.user_id('erin');

select is((select array_agg(proname::text order by proname) from pg_proc
            where pronamespace = 'public'::regnamespace and prosecdef
              and proname in ('member_dashboard', 'member_stats', 'spending_history', 'consultation_history')), null,
  'the stats and dashboard functions run as the caller (security invoker; the dashboard''s body is private)');

select * from finish();
rollback;
