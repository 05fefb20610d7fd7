-- Billing: RLS matrix of public.plans, public.billing_customers, public.subscriptions,
-- public.payment_methods, public.invoices and public.stripe_events (members read only their own,
-- nobody but the service side writes, nobody upgrades themselves by writing subscriptions);
-- entitlements and the features that use them; the dashboard's billing section; invoices kept
-- anonymised when a member is deleted.
begin;
select plan(83);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('erin');
select tests.create_user('adam');
select tests.create_user('carol');
select tests.make_role('erin', 'expert', true);
select tests.make_role('adam', 'admin');

insert into public.plans (code, name, price_cents, features, stripe_price_id) values
  ('t-basic', 'Basic', 900, '{"saved_search_notify_limit": 3, "booking_fee_discount_percent": 5, "priority_support": false}', 'price_tbasic'),
  ('t-pro', 'Pro', 2900, '{"saved_search_notify_limit": 20, "booking_fee_discount_percent": 15, "priority_support": true}', 'price_tpro');

insert into public.billing_customers (user_id, stripe_customer_id) values
  (tests.user_id('alice'), 'cus_alice'), (tests.user_id('bob'), 'cus_bob'), (tests.user_id('carol'), 'cus_carol');
insert into public.subscriptions (user_id, stripe_subscription_id, stripe_customer_id, plan_id, status, current_period_end, stripe_event_at, stripe_event_id)
values (tests.user_id('alice'), 'sub_alice', 'cus_alice', (select id from public.plans where code = 't-pro'), 'active', now() + interval '20 days', now(), 'evt_a1'),
       (tests.user_id('bob'), 'sub_bob', 'cus_bob', (select id from public.plans where code = 't-pro'), 'canceled', now() - interval '1 day', now(), 'evt_b1');
insert into public.payment_methods (user_id, stripe_payment_method_id, brand, last4, exp_month, exp_year, is_default, stripe_event_at, stripe_event_id)
values (tests.user_id('alice'), 'pm_alice', 'visa', '4242', 12, 2034, true, now(), 'evt_a2');
insert into public.bookings (id, member_id, expert_id, scheduled_at, duration_minutes, price_cents) values
  ('00000000-0000-4000-8000-00000000b111', tests.user_id('alice'), tests.user_id('erin'), now() + interval '2 days', 60, 6000);
insert into public.invoices (user_id, stripe_invoice_id, stripe_subscription_id, number, status, amount_due_cents, amount_paid_cents, currency, hosted_invoice_url)
values (tests.user_id('alice'), 'in_alice', 'sub_alice', 'MB-1', 'paid', 2900, 2900, 'USD', 'https://invoice.stripe.test/alice'),
       (tests.user_id('carol'), 'in_carol', null, 'MB-2', 'paid', 900, 900, 'USD', 'https://invoice.stripe.test/carol');
insert into public.invoices (user_id, stripe_payment_intent_id, booking_id, status, amount_due_cents, currency)
values (tests.user_id('alice'), 'pi_alice', '00000000-0000-4000-8000-00000000b111', 'open', 6000, 'USD');
insert into public.stripe_events (id, type, stripe_created_at, outcome) values ('evt_a1', 'customer.subscription.created', now(), 'applied');

-- ===== anon: plans only =====
select tests.authenticate_as_anon();
select ok((select count(*) from public.plans where code in ('free', 't-basic', 't-pro')) = 3, 'anon reads the plans');
select throws_ok($$select * from public.billing_customers$$, '42501', null, 'anon cannot read billing customers');
select throws_ok($$select * from public.subscriptions$$, '42501', null, 'anon cannot read subscriptions');
select throws_ok($$select * from public.payment_methods$$, '42501', null, 'anon cannot read payment methods');
select throws_ok($$select * from public.invoices$$, '42501', null, 'anon cannot read invoices');
select throws_ok($$select * from public.stripe_events$$, '42501', null, 'anon cannot read Stripe events');
select throws_ok($$update public.plans set price_cents = 1$$, '42501', null, 'anon cannot change a plan');
select throws_ok($$insert into public.subscriptions (user_id, stripe_subscription_id, stripe_customer_id, plan_id, status, stripe_event_at, stripe_event_id)
                   values (tests.user_id('alice'), 'sub_x', 'cus_x', (select id from public.plans where code = 't-pro'), 'active', now(), 'evt_x')$$,
                 '42501', null, 'anon cannot write subscriptions');
select throws_ok($$select public.my_entitlements()$$, '42501', null, 'anon has no entitlements RPC');

-- ===== owner: reads their own, writes nothing =====
select tests.authenticate_as('alice');
select is((select count(*)::int from public.billing_customers), 1, 'a member reads their own billing customer only');
select is((select count(*)::int from public.subscriptions), 1, 'a member reads their own subscription only');
select is((select count(*)::int from public.payment_methods), 1, 'a member reads their own cards only');
select is((select count(*)::int from public.invoices), 2, 'a member reads their own invoices (subscription and booking payment)');
select throws_ok($$select * from public.stripe_events$$, '42501', null, 'a member cannot read Stripe events');
select throws_ok($$update public.subscriptions set plan_id = (select id from public.plans where code = 't-pro'), status = 'active'$$,
                 '42501', null, 'a member cannot upgrade themselves by updating their subscription');
select throws_ok($$insert into public.subscriptions (user_id, stripe_subscription_id, stripe_customer_id, plan_id, status, stripe_event_at, stripe_event_id)
                   values ((select auth.uid()), 'sub_mine', 'cus_alice', (select id from public.plans where code = 't-pro'), 'active', now() + interval '1 year', 'evt_zzzz')$$,
                 '42501', null, 'a member cannot insert a subscription for themselves');
select throws_ok($$delete from public.subscriptions$$, '42501', null, 'a member cannot delete their subscription row');
select throws_ok($$update public.plans set price_cents = 0 where code = 't-pro'$$, '42501', null, 'a member cannot make a plan free');
select throws_ok($$insert into public.plans (code, name, price_cents, features, stripe_price_id) values ('mine', 'Mine', 1, '{}', 'price_mine')$$,
                 '42501', null, 'a member cannot add a plan');
select throws_ok($$update public.billing_customers set stripe_customer_id = 'cus_bob'$$, '42501', null, 'a member cannot repoint their customer');
select throws_ok($$insert into public.billing_customers (user_id, stripe_customer_id) values ((select auth.uid()), 'cus_new')$$, '42501', null, 'a member cannot add a customer link');
select throws_ok($$update public.payment_methods set is_default = false$$, '42501', null, 'a member cannot change a card row');
select throws_ok($$insert into public.payment_methods (user_id, stripe_payment_method_id, stripe_event_at, stripe_event_id) values ((select auth.uid()), 'pm_x', now(), 'e')$$,
                 '42501', null, 'a member cannot add a card row');
select throws_ok($$update public.invoices set status = 'paid', amount_paid_cents = 6000 where stripe_payment_intent_id = 'pi_alice'$$, '42501', null,
                 'a member cannot mark their booking payment paid');
select throws_ok($$delete from public.invoices$$, '42501', null, 'a member cannot delete invoices');
select throws_ok($$insert into public.stripe_events (id, type, stripe_created_at, outcome) values ('evt_forged', 'x', now(), 'applied')$$, '42501', null,
                 'a member cannot claim an event id');
select throws_ok($$select private.apply_stripe_event('{"id":"evt_m","type":"customer.subscription.updated","created":1,"data":{"object":{}}}')$$,
                 '42501', null, 'a member cannot apply a Stripe event');
select is(public.my_entitlements() ->> 'plan', 't-pro', 'an active subscription gives its plan');
select is((public.my_entitlements() ->> 'priority_support')::boolean, true, 'with its features');
select is(public.member_dashboard() #>> '{billing,subscription,plan}', 't-pro', 'the dashboard shows the plan');
select is(public.member_dashboard() #>> '{billing,subscription,status}', 'active', 'and the subscription status');
select is(jsonb_array_length(public.member_dashboard() #> '{billing,recent_invoices}'), 2, 'and the recent invoices');
select is(public.member_dashboard() #>> '{billing,entitlements,saved_search_notify_limit}', '20', 'and the entitlements');

-- ===== another member =====
select tests.authenticate_as('bob');
select is_empty($$select * from public.billing_customers where user_id = tests.user_id('alice')$$, 'another member cannot read alice''s customer');
select is_empty($$select * from public.subscriptions where user_id = tests.user_id('alice')$$, 'another member cannot read alice''s subscription');
select is_empty($$select * from public.payment_methods where user_id = tests.user_id('alice')$$, 'another member cannot read alice''s cards');
select is_empty($$select * from public.invoices where user_id = tests.user_id('alice')$$, 'another member cannot read alice''s invoices');
select is(public.my_entitlements() ->> 'plan', 'free', 'a canceled subscription leaves the free plan');
select is(public.member_dashboard() #>> '{billing,subscription,status}', 'canceled', 'the dashboard says it is canceled');
select is(public.member_dashboard() #>> '{billing,entitlements,plan}', 'free', 'and that the member is on the free plan');
select throws_ok($$update public.subscriptions set status = 'active' where user_id = (select auth.uid())$$, '42501', null,
                 'a member cannot revive their canceled subscription');

-- ===== the expert of alice's booking =====
select tests.authenticate_as('erin');
select is_empty($$select * from public.invoices where booking_id = '00000000-0000-4000-8000-00000000b111'$$, 'the expert cannot read the member''s booking payment');
select is_empty($$select * from public.payment_methods$$, 'an expert reads no cards of others');
select is(public.my_entitlements() ->> 'plan', 'free', 'a member without a subscription has the free plan');

-- ===== admin: reads everything, writes nothing =====
select tests.authenticate_as('adam');
select is((select count(*)::int from public.subscriptions where user_id in (tests.user_id('alice'), tests.user_id('bob'))), 2, 'an admin reads every subscription');
select is((select count(*)::int from public.invoices where user_id = tests.user_id('alice')), 2, 'an admin reads every invoice');
select is((select count(*)::int from public.payment_methods where user_id = tests.user_id('alice')), 1, 'an admin reads every card row');
select throws_ok($$update public.subscriptions set status = 'canceled'$$, '42501', null, 'an admin cannot write subscriptions directly');
select throws_ok($$select * from public.stripe_events$$, '42501', null, 'an admin does not read the event log through the API');

-- ===== service role: the billing functions' side =====
select tests.authenticate_as_service_role();
select ok((select count(*) from public.stripe_events) >= 1, 'the service role reads the event log');
select lives_ok($$insert into public.billing_customers (user_id, stripe_customer_id) values (tests.user_id('erin'), 'cus_erin')$$, 'the service role links customers');
select is(private.apply_stripe_event(jsonb_build_object('id', 'evt_svc1', 'type', 'customer.subscription.updated', 'created', extract(epoch from now())::bigint + 10,
            'data', jsonb_build_object('object', jsonb_build_object('id', 'sub_bob', 'customer', 'cus_bob', 'status', 'past_due',
              'items', jsonb_build_object('data', jsonb_build_array(jsonb_build_object('quantity', 1, 'price', jsonb_build_object('id', 'price_tbasic')))))))),
          'applied', 'the service role applies a Stripe event');
select is(private.apply_stripe_event(jsonb_build_object('id', 'evt_svc0', 'type', 'customer.subscription.updated', 'created', extract(epoch from now())::bigint - 10,
            'data', jsonb_build_object('object', jsonb_build_object('id', 'sub_bob', 'customer', 'cus_bob', 'status', 'active',
              'items', jsonb_build_object('data', jsonb_build_array(jsonb_build_object('quantity', 1, 'price', jsonb_build_object('id', 'price_tpro')))))))),
          'stale', 'an older event does not overwrite newer state');
select is(private.apply_stripe_event(jsonb_build_object('id', 'evt_svc1', 'type', 'customer.subscription.updated', 'created', 1, 'data', jsonb_build_object('object', '{}'::jsonb))),
          'duplicate', 'a redelivered event id is a duplicate');
select tests.clear_authentication();
select is(private.entitlements(tests.user_id('bob')) ->> 'plan', 't-basic', 'past_due keeps the plan while Stripe retries the payment');

-- ===== Events of a customer not linked yet are kept, then applied when the link appears =====
select tests.create_user('dave');
create temp table parked_sub as select jsonb_build_object('id', 'evt_park1', 'type', 'customer.subscription.created', 'created', extract(epoch from now())::bigint,
  'data', jsonb_build_object('object', jsonb_build_object('id', 'sub_park', 'customer', 'cus_park', 'status', 'active',
    'items', jsonb_build_object('data', jsonb_build_array(jsonb_build_object('quantity', 1, 'price', jsonb_build_object('id', 'price_tpro'))))))) as e;
select is(private.apply_stripe_event((select e from parked_sub)), 'pending_link', 'an event of a customer nobody is linked to is kept');
select is(private.apply_stripe_event((select e from parked_sub)), 'pending_link', 'its redelivery is tried again, not a duplicate');
select is((select payload ->> 'id' from public.stripe_events where id = 'evt_park1'), 'evt_park1', 'with its payload');
insert into public.billing_customers (user_id, stripe_customer_id) values (tests.user_id('dave'), 'cus_park');
select is((select user_id from public.subscriptions where stripe_subscription_id = 'sub_park'), tests.user_id('dave'), 'linking the customer applies it');
select is((select outcome || '/' || (payload is null) from public.stripe_events where id = 'evt_park1'), 'applied/true', 'and records it applied, payload cleared');
select is(private.apply_stripe_event((select e from parked_sub)), 'duplicate', 'once applied a redelivery is a duplicate');
select is(private.apply_stripe_event(jsonb_build_object('id', 'evt_park2', 'type', 'invoice.paid', 'created', extract(epoch from now() - interval '31 days')::bigint,
            'data', jsonb_build_object('object', jsonb_build_object('id', 'in_park', 'customer', 'cus_gone', 'status', 'paid', 'currency', 'usd')))),
          'pending_link', 'an event of another unlinked customer is kept');
select is(private.expire_parked_stripe_events(), 0, 'kept 30 days from its parking, though Stripe created it 31 days ago');
update public.stripe_events set parked_at = now() - interval '30 days 1 second' where id = 'evt_park2';
select is(private.expire_parked_stripe_events(), 1, 'and dropped 30 days after its parking, unlinked');
select is((select outcome || '/' || (payload is null) from public.stripe_events where id = 'evt_park2'), 'unknown_customer/true', 'payload and all');
-- A checkout naming a customer linked to another member changes nothing and is refused, unrecorded.
select tests.create_user('newcomer');
select throws_ok(format($$select private.apply_stripe_event(%L::jsonb)$$, jsonb_build_object('id', 'evt_steal', 'type', 'checkout.session.completed',
    'created', extract(epoch from now())::bigint, 'data', jsonb_build_object('object', jsonb_build_object('id', 'cs_steal', 'object', 'checkout.session',
    'client_reference_id', tests.user_id('newcomer'), 'customer', 'cus_park')))), 'PT409', null, 'a checkout taking another member''s customer is refused (PT409)');
select is((select count(*)::int from public.stripe_events where id = 'evt_steal') + (select count(*)::int from public.billing_customers where user_id = tests.user_id('newcomer')),
  0, 'and neither recorded nor linked');

-- ===== Entitlements in the features that exist =====
-- Saved searches: bob (t-basic) may have 3 notifying searches, and so may a member on the free plan.
select tests.authenticate_as('bob');
insert into public.saved_searches (member_id, name, query, notify)
select (select auth.uid()), 'search ' || n, 'q', true from generate_series(1, 3) n;
select throws_ok($$insert into public.saved_searches (member_id, name, query, notify) values ((select auth.uid()), 'fourth', 'q', true)$$,
                 '22023', 'your plan allows 3 saved searches with notifications; upgrade or turn one off', 'a 4th notifying search exceeds the plan');
select lives_ok($$insert into public.saved_searches (member_id, name, query, notify) values ((select auth.uid()), 'quiet', 'q', false)$$,
                'a search without notifications is still fine');
select throws_ok($$update public.saved_searches set notify = true where name = 'quiet'$$, '22023', null, 'turning notifications on counts too');
select lives_ok($$update public.saved_searches set notify = false where name = 'search 1'$$, 'turning one off frees room');
select lives_ok($$update public.saved_searches set notify = true where name = 'quiet'$$, 'for another');
select tests.authenticate_as('erin');
select lives_ok($$insert into public.saved_searches (member_id, name, query, notify) select (select auth.uid()), 'n' || n, 'q', true from generate_series(1, 3) n$$,
                'the free plan allows three');
select throws_ok($$insert into public.saved_searches (member_id, name, query, notify) values ((select auth.uid()), 'four', 'q', true)$$,
                 '22023', null, 'and not four');
-- Support: priority_support opens tickets at high priority.
select tests.authenticate_as('alice');
select is((public.open_support_ticket('Help', 'Please')).priority, 'high'::public.ticket_priority, 'a plan with priority support opens high-priority tickets');
select tests.authenticate_as('erin');
select is((public.open_support_ticket('Help', 'Please')).priority, 'normal'::public.ticket_priority, 'the free plan opens normal ones');
select tests.clear_authentication();

-- ===== Plans are validated =====
select throws_ok($$insert into public.plans (code, name, price_cents, features, stripe_price_id) values ('bad', 'Bad', 100, '{"saved_search_notify_limit": 1}', 'price_bad')$$,
                 '23514', null, 'a plan must state every entitlement');
select throws_ok($$insert into public.plans (code, name, price_cents, features, stripe_price_id)
                   values ('bad', 'Bad', 100, '{"saved_search_notify_limit": "lots", "booking_fee_discount_percent": 0, "priority_support": false}', 'price_bad')$$,
                 '23514', null, 'entitlements are typed');
select throws_ok($$insert into public.plans (code, name, price_cents, features)
                   values ('nofree', 'No price', 100, '{"saved_search_notify_limit": 1, "booking_fee_discount_percent": 0, "priority_support": false}')$$,
                 '23514', null, 'a paid plan needs a Stripe price');

-- ===== Member deletion keeps invoices anonymised =====
delete from auth.users where id = tests.user_id('carol');
select is((select user_id::text from public.invoices where stripe_invoice_id = 'in_carol'), null, 'a deleted member''s invoice is kept without their id');
select is((select hosted_invoice_url from public.invoices where stripe_invoice_id = 'in_carol'), null, 'and without the hosted page that names them');
select is((select amount_paid_cents from public.invoices where stripe_invoice_id = 'in_carol'), 900, 'the accounting figures stay');
select is_empty($$select 1 from public.billing_customers where stripe_customer_id = 'cus_carol'$$, 'the customer link goes with the member');

select * from finish();
rollback;
