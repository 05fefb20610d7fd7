-- Referrals: codes made at sign-up, linking from sign-up metadata (snake and camelCase, unknown,
-- hostile, inactive referrers), the RLS matrix of public.referral_codes and public.referrals,
-- crediting once through private.credit_referral (replays, unverified email, suspended
-- referrer, the sweep), claims after sign-up (self-referral, window, order), affiliate_stats,
-- and what deleting a member does to codes, referrals and the ledger.
begin;
select plan(80);

select tests.create_user('ref');
select tests.create_user('bob');
select tests.create_user('erin');
select tests.create_user('adam');
select tests.create_user('sus');
select tests.create_user('deact');
select tests.make_role('erin', 'expert', true);
select tests.make_role('adam', 'admin');
update public.profiles set status = 'suspended' where id = tests.user_id('sus');
update public.profiles set status = 'deactivated' where id = tests.user_id('deact');
-- ref joined a day earlier (Auth's record, which the referral rules read), so later members may claim ref's code.
update auth.users set created_at = now() - interval '1 day' where id = tests.user_id('ref');

create temporary table codes (name text primary key, code text) on commit drop;
grant select on codes to anon, authenticated, service_role;
insert into codes select x, (select code from public.referral_codes where user_id = tests.user_id(x)) from unnest(array['ref', 'bob', 'sus', 'deact']) x;

-- ===== Codes =====
select is((select count(*)::int from codes where code ~ '^[2-9A-HJ-NP-Z]{10}$'), 4, 'every member got a 10-character code at sign-up');
select is((select count(distinct code)::int from codes), 4, 'codes are distinct');
select is((select count(distinct private.new_referral_code())::int from generate_series(1, 2000)), 2000, '2000 fresh codes do not collide (50 random bits each)');
select is(private.normalise_referral_code(' ab2c-d3ef '), null, 'a code needs exactly 10 characters of the alphabet');
select is(private.normalise_referral_code('abcd-efgh-jk'), 'ABCDEFGHJK', 'codes are matched case- and dash-insensitively');
select is(private.normalise_referral_code('ABCDEFGHIO'), null, 'I and O are not in the alphabet');

-- ===== Linking at sign-up =====
select tests.create_user('snake', jsonb_build_object('referral_code', (select code from codes where name = 'ref')));
select tests.create_user('camel', jsonb_build_object('referralCode', lower(substr((select code from codes where name = 'ref'), 1, 5) || '-' || substr((select code from codes where name = 'ref'), 6))));
select tests.create_user('unknown', '{"referral_code":"ZZZZZZZZZZ"}');
select tests.create_user('garbage', '{"referral_code":"<script>alert(1)</script>"}');
select tests.create_user('number', '{"referral_code":12345,"referralCode":{"a":1}}');
select tests.create_user('of_sus', jsonb_build_object('referral_code', (select code from codes where name = 'sus')));
select tests.create_user('of_deact', jsonb_build_object('referralCode', (select code from codes where name = 'deact')));
insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
values ('00000000-0000-0000-0000-000000000000', extensions.gen_random_uuid(), 'authenticated', 'authenticated', 'unverified@test.local', '', null,
        '{"provider":"email"}', jsonb_build_object('referral_code', (select code from codes where name = 'ref')), now(), now());

select is((select (status, via, referrer_id = tests.user_id('ref'))::text from public.referrals where referred_id = tests.user_id('snake')), '(qualified,signup,t)',
          'referral_code links a verified sign-up to the referrer, qualified at once');
select is((select status::text from public.referrals where referred_id = tests.user_id('camel')), 'qualified', 'referralCode (lower case, with a dash) links too');
select is((select status::text from public.referrals where referred_id = tests.user_id('unverified')), 'pending', 'an unverified sign-up is pending');
select is((select count(*)::int from public.referrals where referred_id in (tests.user_id('unknown'), tests.user_id('garbage'), tests.user_id('number'))), 0,
          'unknown, malformed and non-string codes are ignored');
select is((select count(*)::int from public.profiles p join public.credit_accounts a on a.user_id = p.id
            where p.id in (tests.user_id('unknown'), tests.user_id('garbage'), tests.user_id('number'))), 3, 'and those sign-ups still succeed with an account');
select is((select (status, reason)::text from public.referrals where referred_id = tests.user_id('of_sus')), '(rejected,referrer_suspended)',
          'a suspended member''s code gives a rejected referral');
select is((select (status, reason)::text from public.referrals where referred_id = tests.user_id('of_deact')), '(rejected,referrer_deactivated)',
          'a deactivated member''s code gives a rejected referral');
select throws_ok($$insert into public.referrals (referrer_id, referred_id, code) values (tests.user_id('bob'), tests.user_id('bob'), (select code from codes where name = 'bob'))$$,
                 '23514', null, 'a self-referral cannot be stored at all');

-- ===== RLS matrix: referral_codes and referrals =====
select tests.authenticate_as_anon();
select throws_ok($$select * from public.referral_codes$$, '42501', null, 'anon cannot read referral codes');
select throws_ok($$select * from public.referrals$$, '42501', null, 'anon cannot read referrals');
select throws_ok($$insert into public.referral_codes (code) values ('ABCDEFGHJK')$$, '42501', null, 'anon cannot insert referral codes');
select throws_ok($$update public.referrals set status = 'credited'$$, '42501', null, 'anon cannot update referrals');

select tests.authenticate_as('ref');
select is((select code from public.referral_codes), (select code from codes where name = 'ref'), 'a member reads their own code, and only it');
select is((select count(*)::int from public.referrals), 3, 'a referrer reads the referrals they made');
select throws_ok($$insert into public.referral_codes (code, user_id) values ('ABCDEFGHJK', (select auth.uid()))$$, '42501', null, 'a member cannot insert a code');
select throws_ok($$update public.referral_codes set code = 'ABCDEFGHJK'$$, '42501', null, 'a member cannot choose their code');
select throws_ok($$delete from public.referral_codes$$, '42501', null, 'a member cannot delete their code');
select throws_ok($$update public.referrals set status = 'credited'$$, '42501', null, 'a referrer cannot mark their referrals credited');
select throws_ok($$insert into public.referrals (referrer_id, referred_id, code) values ((select auth.uid()), tests.user_id('bob'), (select code from codes where name = 'ref'))$$,
                 '42501', null, 'a member cannot invent a referral');
select throws_ok($$delete from public.referrals$$, '42501', null, 'a member cannot delete referrals');

select tests.authenticate_as('snake');
select is((select (referrer_id = tests.user_id('ref'))::text from public.referrals), 'true', 'a referred member reads the referral that brought them, and only it');

select tests.authenticate_as('bob');
select is_empty($$select * from public.referral_codes where user_id = tests.user_id('ref')$$, 'another member cannot read ref''s code');
select is_empty($$select * from public.referrals where referrer_id = tests.user_id('ref')$$, 'another member cannot read ref''s referrals');
select throws_ok($$update public.referrals set referrer_id = (select auth.uid()) where referrer_id = tests.user_id('ref')$$, '42501', null,
                 'another member cannot steal a referral');

select tests.authenticate_as('erin');
select is_empty($$select * from public.referral_codes where user_id = tests.user_id('ref')$$, 'an expert cannot read a member''s code');
select is_empty($$select * from public.referrals where referrer_id = tests.user_id('ref')$$, 'an expert cannot read a member''s referrals');
select throws_ok($$delete from public.referral_codes$$, '42501', null, 'an expert cannot delete codes');

select tests.authenticate_as('adam');
select is((select count(*)::int from public.referral_codes where user_id in (tests.user_id('ref'), tests.user_id('bob'))), 2, 'an admin reads every code');
select is((select count(*)::int from public.referrals where referrer_id in (tests.user_id('ref'), tests.user_id('sus'), tests.user_id('deact'))), 5, 'an admin reads every referral');
select throws_ok($$update public.referrals set status = 'credited'$$, '42501', null, 'an admin cannot update referrals directly');
select throws_ok($$insert into public.referral_codes (code, user_id) values ('ABCDEFGHJK', (select auth.uid()))$$, '42501', null, 'an admin cannot insert codes directly');

select tests.authenticate_as_service_role();
select ok((select count(*) from public.referrals) >= 5, 'the service role reads referrals');
select throws_ok($$update public.referrals set status = 'credited'$$, '42501', null, 'the service role cannot update referrals directly');
select throws_ok($$delete from public.referral_codes$$, '42501', null, 'the service role cannot delete codes directly');
select tests.clear_authentication();

-- ===== Crediting: once, only when verified, only for an active referrer =====
create temporary table r (name text primary key, id uuid) on commit drop;
insert into r select x, (select id from public.referrals where referred_id = tests.user_id(x)) from unnest(array['snake', 'camel', 'unverified', 'of_sus']) x;

select is(private.credit_referral((select id from r where name = 'snake')) ->> 'outcome', 'credited', 'a qualified referral is credited');
select is(private.credit_referral((select id from r where name = 'snake')) ->> 'outcome', 'already_credited', 'crediting it again is refused as already credited');
select is((select count(*)::int from public.credit_transactions where source = 'referral' and source_id = (select id::text from r where name = 'snake')), 1,
          'exactly one grant for the referral');
select is((select balance_cents from public.credit_accounts where user_id = tests.user_id('ref')), 1000, 'the referrer got the default 1000 cents');
select is((select (status, bonus_cents, credited_at is not null)::text from public.referrals where id = (select id from r where name = 'snake')), '(credited,1000,t)',
          'the referral is marked credited with its bonus');
select is(private.credit_referral((select id from r where name = 'unverified')) ->> 'outcome', 'email_not_verified', 'an unverified member''s referral is not credited');
select is(private.credit_referral((select id from r where name = 'of_sus')) ->> 'outcome', 'referrer_inactive', 'a rejected referral of a suspended code is not credited');
select is(private.credit_referral(extensions.gen_random_uuid()) ->> 'outcome', 'no_referral', 'an unknown referral id is reported');
select is((select count(*)::int from public.credit_transactions where source = 'referral' and source_id in (select id::text from r)), 1, 'those refusals wrote nothing to the ledger');

update auth.users set email_confirmed_at = now() where email = 'unverified@test.local';
select is((select status::text from public.referrals where id = (select id from r where name = 'unverified')), 'qualified', 'confirming the email qualifies the referral');

update public.profiles set status = 'suspended' where id = tests.user_id('ref');
select is((select private.credit_referral((select id from r where name = 'camel')) ->> 'reason'), 'referrer_suspended', 'a referrer suspended meanwhile is not credited');
select is((select status::text from public.referrals where id = (select id from r where name = 'camel')), 'qualified', 'the referral stays open while the referrer is suspended');
update public.profiles set status = 'active' where id = tests.user_id('ref');

update private.credit_settings set referral_bonus_cents = 2500;
select ok((private.credit_qualified_referrals(100) -> 'outcomes' ->> 'credited')::int >= 2, 'the sweep credits the open verified referrals');
select is((select count(*)::int from public.referrals where id in (select id from r where name in ('camel', 'unverified')) and status = 'credited'), 2,
          'including the two of ref''s');
select is(private.credit_qualified_referrals(100) -> 'outcomes' -> 'credited', null, 'a second sweep has nothing left to credit');
select is((select balance_cents from public.credit_accounts where user_id = tests.user_id('ref')), 6000, 'the bonus comes from the settings (1000 + 2 x 2500)');
select is_empty($$select * from private.credit_balance_drift()$$, 'balances equal the ledger');

select throws_ok($$update public.referrals set status = 'pending' where id = (select id from r where name = 'snake')$$, '22023', null,
                 'a credited referral can never move back (even for the owner)');
select throws_ok($$update public.referrals set referrer_id = tests.user_id('bob') where id = (select id from r where name = 'snake')$$, '42501', null,
                 'who referred whom never changes');
select throws_ok($$delete from public.referrals where id = (select id from r where name = 'snake')$$, '42501', null, 'referrals are never deleted');
select throws_ok($$update public.referral_codes set user_id = tests.user_id('bob') where code = (select code from codes where name = 'ref')$$, '42501', null,
                 'a code is never handed to someone else');

-- ===== Claims after sign-up (the function's { code } path) =====
select tests.create_user('late');
select is(private.claim_referral_credit(tests.user_id('ref'), (select code from codes where name = 'ref')) ->> 'outcome', 'self_referral', 'claiming your own code is self-referral');
select is(private.claim_referral_credit(tests.user_id('late'), 'ZZZZZZZZZZ') ->> 'outcome', 'unknown_code', 'claiming an unknown code is reported');
select is(private.claim_referral_credit(tests.user_id('late'), (select code from codes where name = 'sus')) ->> 'outcome', 'referrer_inactive',
          'claiming a suspended member''s code is refused');
select is((select count(*)::int from public.referrals where referred_id = tests.user_id('late')), 0, 'and a refused claim records nothing');
select tests.create_user('veteran');
update auth.users set created_at = now() - interval '40 days' where id = tests.user_id('veteran');
select is(private.claim_referral_credit(tests.user_id('veteran'), (select code from codes where name = 'ref')) ->> 'reason', 'a code can be claimed only within 30 days of sign-up',
          'an established member cannot claim a code');
select is(private.claim_referral_credit(tests.user_id('ref'), (select code from codes where name = 'bob')) ->> 'reason', 'a code refers only members who joined after its owner',
          'a member cannot claim the code of someone who joined after them (no mutual referrals)');
select is(private.claim_referral_credit(tests.user_id('late'), (select code from codes where name = 'ref')) ->> 'outcome', 'credited', 'a new member claims a code and it is credited');
select is(private.claim_referral_credit(tests.user_id('late'), (select code from codes where name = 'bob')) ->> 'outcome', 'already_referred', 'a second, different code is refused');
select is(private.claim_referral_credit(tests.user_id('late'), null) ->> 'outcome', 'already_credited', 'calling again is already credited');
select is(private.claim_referral_credit(tests.user_id('bob'), null) ->> 'outcome', 'no_referral', 'a member without a referral has nothing to credit');

-- ===== affiliate_stats =====
select tests.authenticate_as('ref');
select is((select (code, pending, qualified, credited, rejected, total_earned_cents, balance_cents, bonus_cents)::text from public.affiliate_stats()),
          format('(%s,0,0,4,0,8500,8500,2500)', (select code from codes where name = 'ref')), 'affiliate_stats: code, referrals by status, earnings, balance');
select tests.authenticate_as('sus');
select is((select (pending, rejected, total_earned_cents)::text from public.affiliate_stats()), '(0,1,0)', 'a suspended referrer sees their rejected referral');
select tests.authenticate_as_anon();
select throws_ok($$select public.affiliate_stats()$$, '42501', null, 'anon cannot call affiliate_stats');
select tests.clear_authentication();

-- ===== Deleting members =====
select tests.create_user('pending_of_ref', jsonb_build_object('referral_code', (select code from codes where name = 'ref')));
create temporary table gone on commit drop as select tests.user_id('ref') as ref_id, (select id from public.credit_accounts where user_id = tests.user_id('ref')) as account_id;
delete from auth.users where id = tests.user_id('ref');
select is((select user_id from public.referral_codes where code = (select code from codes where name = 'ref')), null, 'a deleted member''s code is retired, not deleted');
select is((select (status, reason, referrer_id)::text from public.referrals where referred_id = tests.user_id('pending_of_ref')), '(rejected,referrer_deleted,)',
          'their open referrals are rejected and anonymised');
select is((select count(*)::int from public.referrals where code = (select code from codes where name = 'ref') and status = 'credited' and referrer_id is null), 4,
          'their credited referrals stay credited, anonymised');
select is((select count(*)::int from public.credit_transactions where account_id = (select account_id from gone) and kind = 'referral_bonus'), 4, 'and their bonuses stay in the ledger');
select tests.create_user('after_delete', jsonb_build_object('referral_code', (select code from codes where name = 'ref')));
select is((select (status, reason)::text from public.referrals where referred_id = tests.user_id('after_delete')), '(rejected,referrer_deleted)',
          'signing up with a deleted member''s code gives a rejected referral');
delete from auth.users where id = tests.user_id('snake');
select is((select count(*)::int from public.referrals where id = (select id from r where name = 'snake') and referred_id is null and status = 'credited'), 1,
          'deleting a referred member keeps the credited referral, anonymised');

select * from finish();
rollback;
