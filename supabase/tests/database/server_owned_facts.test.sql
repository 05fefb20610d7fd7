-- Server-owned facts: members cannot write timestamps, money, status or verification columns of
-- their own rows (column privileges), and the referral rules, which mint credits, read when a
-- member joined from auth.users. The attack from the security review: backdate (or post-date) your
-- own profiles.created_at so a referral claim passes the 30-day window or the "joined after the
-- code's owner" rule, claim, and mint a $10 bonus.
begin;
select plan(16);

select tests.create_user('fact_ref');    -- owns the code; joined 5 days ago
select tests.create_user('fact_old');    -- joined 40 days ago: too late to claim any code
select tests.create_user('fact_new');    -- joined now
update auth.users set created_at = now() - interval '5 days' where id = tests.user_id('fact_ref');
update auth.users set created_at = now() - interval '40 days' where id = tests.user_id('fact_old');
update public.profiles p set created_at = u.created_at from auth.users u where u.id = p.id and p.id in (tests.user_id('fact_ref'), tests.user_id('fact_old'));
select tests.make_role('fact_ref', 'expert', true);

create temporary table fact_codes on commit drop as
  select (select code from public.referral_codes where user_id = tests.user_id('fact_ref')) as ref_code,
         (select code from public.referral_codes where user_id = tests.user_id('fact_new')) as new_code;
grant select on fact_codes to authenticated;

-- ===== The write half of the attack is refused column by column =====
select tests.authenticate_as('fact_old');
select throws_ok($$update public.profiles set created_at = now() where id = auth.uid()$$, '42501', null,
                 'a member cannot post-date their own profiles.created_at');
select throws_ok($$update public.profiles set updated_at = now() - interval '1 year' where id = auth.uid()$$, '42501', null,
                 'nor profiles.updated_at');
select throws_ok($$update public.privacy_settings set marketing_consent_at = now() - interval '3 years' where user_id = auth.uid()$$, '42501', null,
                 'nor privacy_settings.marketing_consent_at (the trigger stamps it)');
select throws_ok($$update public.privacy_settings set user_id = extensions.gen_random_uuid() where user_id = auth.uid()$$, '42501', null,
                 'nor move a settings row to another key');
select throws_ok($$update public.notifications set created_at = now() where user_id = auth.uid()$$, '42501', null,
                 'nor notifications.created_at (only read_at is theirs)');
select lives_ok($$update public.profiles set first_name = 'Olga' where id = auth.uid()$$, 'while the editable columns stay editable');
select tests.clear_authentication();

select tests.authenticate_as('fact_ref');
select throws_ok($$update public.expert_profiles set created_at = now() - interval '10 years' where id = auth.uid()$$, '42501', null,
                 'an expert cannot backdate expert_profiles.created_at');
select throws_ok($$update public.expert_profiles set rating_avg = 5, rating_count = 1000 where id = auth.uid()$$, '42501', null,
                 'nor write their rating aggregates');
select throws_ok($$update public.expert_profiles set verified_at = now() where id = auth.uid()$$, '42501', null,
                 'nor verified_at');
select throws_ok($$insert into public.expert_profiles (id, verified_at) values (auth.uid(), now())$$, '42501', null,
                 'nor insert server-owned columns');
select lives_ok($$update public.expert_profiles set headline = 'Tax, calmly' where id = auth.uid()$$, 'the expert''s own columns stay editable');
select tests.clear_authentication();

-- ===== The money half: even a forged profile date (the old hole) no longer decides =====
-- As if fact_old had post-dated the profile before the fix: the rule reads Auth's record instead.
update public.profiles set created_at = now() where id = tests.user_id('fact_old');
select is(private.claim_referral_credit(tests.user_id('fact_old'), (select ref_code from fact_codes)) ->> 'reason',
          'a code can be claimed only within 30 days of sign-up',
          'a member who joined 40 days ago (per Auth) cannot claim a code, whatever profiles.created_at says');
-- As if fact_ref had backdated fact_new's code owner ... the other order rule: fact_ref claims the code of a
-- member who joined after them, with profiles.created_at forged to look older.
update public.profiles set created_at = now() - interval '1 year' where id = tests.user_id('fact_new');
select is(private.claim_referral_credit(tests.user_id('fact_ref'), (select new_code from fact_codes)) ->> 'reason',
          'a code refers only members who joined after its owner',
          'a code refers only members who joined later per Auth, whatever profiles.created_at says');
select is((select count(*)::int from public.referrals where referred_id in (tests.user_id('fact_old'), tests.user_id('fact_ref'))), 0,
          'no referral was recorded by either attempt');
select is((select coalesce(sum(t.amount_cents), 0)::int from public.credit_transactions t join public.credit_accounts a on a.id = t.account_id
            where a.user_id in (tests.user_id('fact_ref'), tests.user_id('fact_new'), tests.user_id('fact_old'))), 0,
          'and no credits were minted');
-- The honest path still works: a member who joined after the code's owner, within 30 days.
select is(private.claim_referral_credit(tests.user_id('fact_new'), (select ref_code from fact_codes)) ->> 'outcome', 'credited',
          'a member who really joined after the owner, within 30 days, still claims and is credited');

select * from finish();
rollback;
