-- Credits: RLS matrix of public.credit_accounts and public.credit_transactions, the append-only
-- ledger (even for the service role and the owner), balance = sum of the ledger, checkout with
-- the 50% cap and the balance cap (odd cents round down), refunds on cancellation, and attempts
-- by members to credit themselves through every RPC.
begin;
select plan(98);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('erin');
select tests.create_user('adam');
select tests.create_user('mfa_admin');
select tests.make_role('erin', 'expert', true);
select tests.make_role('adam', 'admin');
select tests.make_role('mfa_admin', 'admin');
select tests.enroll_mfa('mfa_admin');

create temporary table ids (name text primary key, id uuid) on commit drop;
grant select on ids to anon, authenticated, service_role;
insert into ids values
  ('alice', tests.user_id('alice')),
  ('alice_account', (select id from public.credit_accounts where user_id = tests.user_id('alice'))),
  ('bob_account', (select id from public.credit_accounts where user_id = tests.user_id('bob')));

-- Sign-up made the accounts, empty.
select is((select count(*)::int from public.credit_accounts where user_id in (tests.user_id('alice'), tests.user_id('bob'), tests.user_id('erin'))), 3,
          'sign-up creates one credit account per member');
select is((select balance_cents from public.credit_accounts where user_id = tests.user_id('alice')), 0, 'a new account is empty');

-- Credits to work with, posted as operators do (adjustments with an idempotency reference).
select ok(private.adjust_credits(tests.user_id('alice'), 800, 'seed-alice', 'test credits') is not null, 'an operator posts an adjustment');
select is(private.adjust_credits(tests.user_id('alice'), 800, 'seed-alice', 'test credits'),
          (select id from public.credit_transactions where source = 'admin' and source_id = 'seed-alice'),
          'the same reference again returns the first entry');
select is((select count(*)::int from public.credit_transactions where source = 'admin' and source_id = 'seed-alice'), 1, 'a retried adjustment is recorded once');
select ok(private.adjust_credits(tests.user_id('bob'), 300, 'seed-bob') is not null, 'bob gets credits too');
select is((select balance_cents from public.credit_accounts where user_id = tests.user_id('alice')), 800, 'the cached balance follows the ledger');

-- Bookings with alice (erin's rate makes no difference: prices are set here to exercise rounding).
insert into public.bookings (id, member_id, expert_id, scheduled_at, duration_minutes, price_cents, status) values
  ('00000000-0000-4000-8000-000000000999', tests.user_id('alice'), tests.user_id('erin'), now() + interval '2 days', 60, 999, 'requested'),
  ('00000000-0000-4000-8000-000000001000', tests.user_id('alice'), tests.user_id('erin'), now() + interval '3 days', 60, 1000, 'confirmed'),
  ('00000000-0000-4000-8000-000000000777', tests.user_id('alice'), tests.user_id('erin'), now() + interval '4 days', 60, 777, 'requested'),
  ('00000000-0000-4000-8000-000000000500', tests.user_id('alice'), tests.user_id('erin'), now() - interval '4 days', 60, 500, 'completed'),
  ('00000000-0000-4000-8000-00000000b0b0', tests.user_id('bob'), tests.user_id('erin'), now() + interval '2 days', 60, 2000, 'requested');

-- ===== RLS matrix: credit_accounts and credit_transactions =====
-- anon: no privileges at all
select tests.authenticate_as_anon();
select throws_ok($$select * from public.credit_accounts$$, '42501', null, 'anon cannot read credit accounts');
select throws_ok($$select * from public.credit_transactions$$, '42501', null, 'anon cannot read credit transactions');
select throws_ok($$insert into public.credit_accounts (user_id) values (extensions.gen_random_uuid())$$, '42501', null, 'anon cannot insert credit accounts');
select throws_ok($$insert into public.credit_transactions (account_id, amount_cents, kind, source, source_id, balance_after_cents)
                   values ((select id from ids where name = 'alice_account'), 100, 'adjustment', 'x', 'x', 900)$$, '42501', null, 'anon cannot insert credit transactions');
select throws_ok($$update public.credit_accounts set balance_cents = 1$$, '42501', null, 'anon cannot update credit accounts');
select throws_ok($$delete from public.credit_transactions$$, '42501', null, 'anon cannot delete credit transactions');

-- owner
select tests.authenticate_as('alice');
select is((select count(*)::int from public.credit_accounts), 1, 'a member reads exactly their own account');
select is((select balance_cents from public.credit_accounts where user_id = (select auth.uid())), 800, 'a member reads their balance');
select is((select count(*)::int from public.credit_transactions), 1, 'a member reads their own transactions');
select throws_ok($$insert into public.credit_accounts (user_id) values ((select auth.uid()))$$, '42501', null, 'a member cannot insert an account');
select throws_ok($$insert into public.credit_transactions (account_id, amount_cents, kind, source, source_id, balance_after_cents)
                   values ((select id from ids where name = 'alice_account'), 100000, 'adjustment', 'gift', 'me', 100800)$$,
                 '42501', null, 'a member cannot insert a ledger row for themselves');
select throws_ok($$update public.credit_accounts set balance_cents = 100000 where user_id = (select auth.uid())$$, '42501', null, 'a member cannot set their balance');
select throws_ok($$update public.credit_transactions set amount_cents = 100000$$, '42501', null, 'a member cannot update ledger rows');
select throws_ok($$delete from public.credit_transactions$$, '42501', null, 'a member cannot delete ledger rows');
select throws_ok($$delete from public.credit_accounts$$, '42501', null, 'a member cannot delete their account');

-- other member
select tests.authenticate_as('bob');
select is_empty($$select * from public.credit_accounts where id = (select id from ids where name = 'alice_account')$$, 'another member cannot read alice''s account');
select is_empty($$select * from public.credit_transactions where account_id = (select id from ids where name = 'alice_account')$$, 'another member cannot read alice''s transactions');
select throws_ok($$update public.credit_accounts set balance_cents = 0 where id = (select id from ids where name = 'alice_account')$$, '42501', null, 'another member cannot update alice''s account');
select throws_ok($$insert into public.credit_transactions (account_id, amount_cents, kind, source, source_id, balance_after_cents)
                   values ((select id from ids where name = 'bob_account'), -300, 'spend', 'x', 'y', 0)$$, '42501', null, 'another member cannot insert ledger rows');

-- expert
select tests.authenticate_as('erin');
select is_empty($$select * from public.credit_accounts where id = (select id from ids where name = 'alice_account')$$, 'an expert cannot read a member''s account');
select is_empty($$select * from public.credit_transactions where account_id = (select id from ids where name = 'alice_account')$$, 'an expert cannot read a member''s transactions');
select throws_ok($$update public.credit_transactions set memo = 'x'$$, '42501', null, 'an expert cannot update ledger rows');
select throws_ok($$delete from public.credit_accounts$$, '42501', null, 'an expert cannot delete accounts');

-- admin: reads everything, writes nothing directly
select tests.authenticate_as('adam');
select is((select count(*)::int from public.credit_accounts where id in (select id from ids where name like '%account')), 2, 'an admin reads every account');
select is((select count(*)::int from public.credit_transactions where account_id in (select id from ids where name like '%account')), 2, 'an admin reads every transaction');
select throws_ok($$insert into public.credit_transactions (account_id, amount_cents, kind, source, source_id, balance_after_cents)
                   values ((select id from ids where name = 'bob_account'), 100, 'adjustment', 'x', 'z', 400)$$, '42501', null, 'an admin cannot insert ledger rows directly');
select throws_ok($$update public.credit_accounts set balance_cents = 5$$, '42501', null, 'an admin cannot update balances directly');
select throws_ok($$delete from public.credit_transactions$$, '42501', null, 'an admin cannot delete ledger rows');

-- service role: reads, but writes only through functions
select tests.authenticate_as_service_role();
select ok((select count(*) from public.credit_transactions) >= 2, 'the service role reads the ledger');
select throws_ok($$insert into public.credit_transactions (account_id, amount_cents, kind, source, source_id, balance_after_cents)
                   values ((select id from ids where name = 'bob_account'), 100, 'adjustment', 'x', 'svc', 400)$$, '42501', null, 'the service role cannot insert ledger rows directly');
select throws_ok($$update public.credit_transactions set memo = 'edited'$$, '42501', null, 'the service role cannot update ledger rows');
select throws_ok($$delete from public.credit_transactions$$, '42501', null, 'the service role cannot delete ledger rows');
select throws_ok($$truncate public.credit_transactions$$, '42501', null, 'the service role cannot truncate the ledger');
select throws_ok($$update public.credit_accounts set balance_cents = 0$$, '42501', null, 'the service role cannot update balances directly');
select lives_ok($$select private.adjust_credits(tests.user_id('bob'), 50, 'svc-bonus', 'goodwill')$$, 'the service role adjusts through the function');
select tests.clear_authentication();

-- ===== The ledger is append-only even for the table owner; the cache is always the sum =====
select throws_ok($$update public.credit_transactions set amount_cents = 5000 where source_id = 'seed-alice'$$, '42501',
                 'the credit ledger is append-only: post a refund or adjustment instead of changing entries', 'the owner cannot update a ledger row');
select throws_ok($$delete from public.credit_transactions where source_id = 'seed-alice'$$, '42501', null, 'the owner cannot delete a ledger row');
select throws_ok($$truncate public.credit_transactions cascade$$, '42501', null, 'the owner cannot truncate the ledger');
select throws_ok($$update public.credit_accounts set balance_cents = 5000 where user_id = tests.user_id('alice')$$, '42501',
                 'balance_cents must equal the sum of the ledger', 'the owner cannot set a balance that is not the sum of the ledger');
select throws_ok($$insert into public.credit_transactions (account_id, amount_cents, kind, source, source_id, balance_after_cents)
                   values ((select id from ids where name = 'alice_account'), 100, 'adjustment', 'admin', 'forged', 5000)$$, '42501',
                 'balance_cents must equal the sum of the ledger', 'a ledger row carrying a wrong running balance is refused');
select throws_ok($$select private.post_credit((select id from ids where name = 'bob_account'), -100000, 'expiry', 'admin', 'too-much')$$, '22023', null,
                 'a debit beyond the balance is refused (balance can never go negative)');
select throws_ok($$select private.post_credit((select id from ids where name = 'bob_account'), 100, 'spend', 'booking', 'wrong-sign')$$, '23514', null,
                 'a spend must be negative (sign follows kind)');
select throws_ok($$delete from public.credit_accounts where user_id = tests.user_id('bob')$$, '42501', null, 'the owner cannot delete an account');
select is_empty($$select * from private.credit_balance_drift()$$, 'every balance equals the sum of its ledger');

-- ===== Members cannot credit themselves through any RPC =====
select tests.authenticate_as('alice');
select throws_ok($$select public.admin_adjust_credits((select auth.uid()), 100000, 'self-gift')$$, '42501', 'only admins adjust credits', 'a member cannot adjust their own credits');
select throws_ok($$select public.admin_adjust_credits(tests.user_id('bob'), 100000, 'gift')$$, '42501', 'only admins adjust credits', 'a member cannot adjust another member''s credits');
select throws_ok($$select private.adjust_credits((select auth.uid()), 100000, 'self')$$, '42501', null, 'a member cannot call private.adjust_credits');
select throws_ok($$select private.post_credit((select id from ids where name = 'alice_account'), 100000, 'adjustment', 'admin', 'self')$$, '42501', null, 'a member cannot call private.post_credit');
select throws_ok($$select private.credit_referral(extensions.gen_random_uuid())$$, '42501', null, 'a member cannot call private.credit_referral');
select throws_ok($$select private.claim_referral_credit((select auth.uid()), null)$$, '42501', null, 'a member cannot call private.claim_referral_credit');
select throws_ok($$select private.credit_qualified_referrals(10)$$, '42501', null, 'a member cannot run the referral sweep');
select throws_ok($$select public.apply_credits('00000000-0000-4000-8000-000000000999', -500)$$, '22023', 'amount_cents must be positive', 'a negative spend (a credit in disguise) is refused');
select throws_ok($$select public.apply_credits('00000000-0000-4000-8000-00000000b0b0')$$, 'PT404', null, 'a member cannot apply credits to another member''s booking');
select throws_ok($$select public.quote_credits('00000000-0000-4000-8000-00000000b0b0')$$, 'PT404', null, 'a member cannot quote another member''s booking');
select is((select balance_cents from public.affiliate_stats()), 800, 'affiliate_stats reports the balance and changes nothing');
select tests.clear_authentication();
select is((select balance_cents from public.credit_accounts where user_id = tests.user_id('alice')), 800, 'none of those attempts changed alice''s balance');
select tests.authenticate_as_anon();
select throws_ok($$select public.apply_credits('00000000-0000-4000-8000-000000000999')$$, '42501', null, 'anon cannot call apply_credits');
select throws_ok($$select public.admin_adjust_credits(tests.user_id('alice'), 1, 'anon')$$, '42501', null, 'anon cannot call admin_adjust_credits');

-- Admin adjustments: another member only, on an aal2 session (admin_audit.test.sql tries the rest).
select tests.authenticate_as('adam', 'aal2');
select throws_ok($$select public.admin_adjust_credits((select auth.uid()), 5000, 'admin-self')$$, '42501', 'admins cannot adjust their own credits', 'an admin cannot credit themselves');
select is((select amount_cents from public.admin_adjust_credits(tests.user_id('bob'), -50, 'fix-bob-1', 'undo goodwill')), -50, 'an admin adjusts another member''s credits');
select tests.authenticate_as('mfa_admin', 'aal1');
select throws_ok($$select public.admin_adjust_credits(tests.user_id('bob'), 10, 'fix-bob-2')$$, '42501', null, 'an admin with MFA needs aal2 to adjust');
select tests.clear_authentication();

-- ===== Checkout: the 50% cap, the balance cap, odd cents =====
select tests.authenticate_as('alice');
select is((select (cap_cents, balance_cents, applicable_cents)::text from public.quote_credits('00000000-0000-4000-8000-000000000999')), '(499,800,499)',
          'price 999 at 50% caps at 499 (rounded down)');
select throws_ok($$select public.apply_credits('00000000-0000-4000-8000-000000000999', 500)$$, '22023', 'at most 499 cents (50% of the price) may be paid with credits',
                 'applying one cent over the cap is refused');
select is((select (credits_applied_cents, card_amount_cents)::text from public.apply_credits('00000000-0000-4000-8000-000000000999')), '(499,500)',
          'applying the default takes the cap: 499 credits, 500 by card');
select is((select balance_cents from public.credit_accounts where user_id = (select auth.uid())), 301, 'the spend left 301 cents');
select is((select credits_applied_cents from public.apply_credits('00000000-0000-4000-8000-000000000999')), 499, 'a retried checkout changes nothing');
select throws_ok($$select public.apply_credits('00000000-0000-4000-8000-000000000999', 200)$$, '22023', null, 'a second, different spend on the same booking is refused');
select is((select count(*)::int from public.credit_transactions where source = 'booking' and source_id = '00000000-0000-4000-8000-000000000999'), 1,
          'one spend row for the booking');
select is((select (cap_cents, applicable_cents)::text from public.quote_credits('00000000-0000-4000-8000-000000001000')), '(500,301)',
          'price 1000: the balance (301) caps below the 50% cap (500)');
select throws_ok($$select public.apply_credits('00000000-0000-4000-8000-000000001000', 400)$$, '22023', 'insufficient credits: balance 301 cents, 400 cents asked',
                 'applying more than the balance is refused');
select is((select credits_applied_cents from public.apply_credits('00000000-0000-4000-8000-000000001000')), 301, 'the default applies the whole balance');
select is((select balance_cents from public.credit_accounts where user_id = (select auth.uid())), 0, 'the balance is now zero, not negative');
select throws_ok($$select public.apply_credits('00000000-0000-4000-8000-000000000777')$$, '22023', 'no credits to apply', 'nothing to apply with an empty balance');
select throws_ok($$select public.apply_credits('00000000-0000-4000-8000-000000000500')$$, '22023', null, 'credits do not apply to completed bookings');
select tests.clear_authentication();
select throws_ok($$update public.bookings set credits_applied_cents = 0 where id = '00000000-0000-4000-8000-000000000999'$$, '42501', null,
                 'credits_applied_cents cannot drift from the ledger, even for the owner');

-- ===== Cancellation refunds exactly the spend, once =====
select tests.authenticate_as('alice');
select lives_ok($$select public.set_booking_status('00000000-0000-4000-8000-000000000999', 'cancelled')$$, 'the member cancels a booking paid partly with credits');
select is((select balance_cents from public.credit_accounts where user_id = (select auth.uid())), 499, 'the 499 credits came back');
select is((select (amount_cents, kind, created_by = (select auth.uid()))::text from public.credit_transactions where source_id = '00000000-0000-4000-8000-000000000999' and kind = 'refund'),
          '(499,refund,t)', 'a refund row keyed on the booking records it');
select tests.authenticate_as('erin');
select lives_ok($$select public.set_booking_status('00000000-0000-4000-8000-000000001000', 'cancelled')$$, 'the expert cancels the other booking');
select tests.clear_authentication();
select is((select balance_cents from public.credit_accounts where user_id = tests.user_id('alice')), 800, 'both refunds are back: the balance is whole again');
select is((select count(*)::int from public.credit_transactions where kind = 'refund' and source = 'booking'
             and source_id in ('00000000-0000-4000-8000-000000000999', '00000000-0000-4000-8000-000000001000')), 2, 'one refund per cancelled booking');
select is((select count(*)::int from public.activity where user_id = tests.user_id('alice') and kind in ('credits_spent', 'credits_refunded')), 4,
          'spends and refunds appear in the member''s activity');

-- Another cap: 33% of 1000 is 330, of 777 is 256 (256.41 rounded down).
update private.credit_settings set spend_cap_percent = 33;
select tests.authenticate_as('alice');
select is((select cap_cents from public.quote_credits('00000000-0000-4000-8000-000000000777')), 256, 'a configured 33% cap of 777 rounds down to 256');
select tests.clear_authentication();
update private.credit_settings set spend_cap_percent = 50;

-- ===== A deleted member's ledger is kept, anonymised =====
select tests.authenticate_as('alice');
select lives_ok($$select public.apply_credits('00000000-0000-4000-8000-000000000777')$$, 'alice spends credits before leaving');
select tests.clear_authentication();
delete from auth.users where id = tests.user_id('alice');
select is((select user_id from public.credit_accounts where id = (select id from ids where name = 'alice_account')), null, 'the account stays, with user_id cleared');
select is((select count(*)::int from public.credit_transactions where account_id = (select id from ids where name = 'alice_account')), 6, 'every ledger row of the deleted member is kept');
select is((select count(*)::int from public.credit_transactions where created_by = (select id from ids where name = 'alice')), 0,
          'no ledger row names the deleted member any more');
select is((select count(*)::int from public.credit_transactions where account_id = (select id from ids where name = 'alice_account') and created_by = tests.user_id('erin')), 1,
          'rows caused by others (the expert''s cancellation) still name them');
select tests.authenticate_as('erin');
select lives_ok($$select public.set_booking_status('00000000-0000-4000-8000-000000000777', 'cancelled')$$, 'the expert can still cancel the deleted member''s booking');
select tests.clear_authentication();
select is((select balance_cents from public.credit_accounts where id = (select id from ids where name = 'alice_account')), 800, 'and its refund lands on the anonymised account');
select is_empty($$select * from private.credit_balance_drift()$$, 'after all that, every balance still equals the sum of its ledger');

select * from finish();
rollback;
