-- RLS matrix and escalation attacks for public.profiles and public.expert_profiles.
begin;
select plan(37);

select tests.create_user('alice', '{"first_name":"Alice","last_name":"Member"}');
select tests.create_user('bob');
select tests.create_user('erin');
select tests.create_user('uma');
select tests.create_user('adam');
select tests.make_role('erin', 'expert', true);
select tests.make_role('uma', 'expert', false);
select tests.make_role('adam', 'admin');

-- Sign-up created the profile from metadata.
select is((select display_name from public.profiles where id = tests.user_id('alice')), 'Alice Member', 'sign-up trigger created the profile from metadata');

-- anon
select tests.authenticate_as_anon();
select is((select count(*)::int from public.profiles where id in (tests.user_id('alice'), tests.user_id('bob'), tests.user_id('uma'))), 0, 'anon cannot read members or unverified experts');
select is((select count(*)::int from public.profiles where id = tests.user_id('erin')), 1, 'anon can read a verified expert''s profile');
select is((select count(*)::int from public.expert_profiles where id = tests.user_id('erin')), 1, 'anon can read a verified expert profile');
select is((select count(*)::int from public.expert_profiles where id = tests.user_id('uma')), 0, 'anon cannot read an unverified expert profile');
select throws_ok($$insert into public.profiles (id) values (extensions.gen_random_uuid())$$, '42501', null, 'anon cannot insert profiles');
select throws_ok($$update public.profiles set first_name = 'Hacked' where id = tests.user_id('erin')$$, '42501', null, 'anon has no update privilege on profiles');
select tests.clear_authentication();
select isnt((select first_name from public.profiles where id = tests.user_id('erin')), 'Hacked', 'anon cannot update a profile');

-- owner
select tests.authenticate_as('alice');
select is((select count(*)::int from public.profiles where id = tests.user_id('alice')), 1, 'a member reads their own profile');
select lives_ok($$update public.profiles set first_name = 'Alicia', bio = 'hi' where id = (select auth.uid())$$, 'a member updates their own profile');
select throws_ok($$update public.profiles set role = 'admin' where id = (select auth.uid())$$, '42501', 'only an admin can change role or status', 'a member cannot make themselves admin');
select throws_ok($$update public.profiles set role = 'expert' where id = (select auth.uid())$$, '42501', 'only an admin can change role or status', 'a member cannot make themselves expert');
select throws_ok($$update public.profiles set status = 'active', role = 'member', id = extensions.gen_random_uuid() where id = (select auth.uid())$$, '42501', null, 'a member cannot change their profile id');
select throws_ok($$insert into public.profiles (id, role) values ((select auth.uid()), 'admin')$$, '42501', null, 'a member cannot insert a second profile for themselves');
select throws_ok($$insert into public.profiles (id) values (extensions.gen_random_uuid())$$, '42501', null, 'a member cannot insert other profiles');
select throws_ok($$delete from public.profiles where id = (select auth.uid())$$, '42501', null, 'a member has no delete privilege on profiles');
select is((select count(*)::int from public.profiles where id = (select auth.uid())), 1, 'a member cannot delete their profile directly');
select throws_ok($$insert into public.expert_profiles (id, verification_status) values ((select auth.uid()), 'verified')$$, '42501', null, 'a member cannot create a verified expert profile');
select throws_ok($$insert into public.expert_profiles (id) values ((select auth.uid()))$$, '42501', null, 'a member (not an expert) cannot create an expert profile');

-- other member
select tests.authenticate_as('bob');
select is_empty($$select * from public.profiles where id = tests.user_id('alice')$$, 'another member cannot read alice''s profile');
update public.profiles set first_name = 'Pwned' where id = tests.user_id('alice');
select tests.clear_authentication();
select is((select first_name from public.profiles where id = tests.user_id('alice')), 'Alicia', 'another member cannot update alice''s profile');

-- expert
select tests.authenticate_as('erin');
select is_empty($$select * from public.profiles where id = tests.user_id('alice')$$, 'an expert cannot read a member''s profile');
select lives_ok($$update public.expert_profiles set headline = 'Tax advice', hourly_rate_cents = 12000 where id = (select auth.uid())$$, 'an expert edits their own expert profile');
select throws_ok($$update public.expert_profiles set verification_status = 'unverified' where id = (select auth.uid())$$, '42501', 'only an admin can change verification', 'an expert cannot change their verification');
select throws_ok($$update public.expert_profiles set rating_avg = 5, rating_count = 999 where id = (select auth.uid())$$, '42501', null, 'an expert cannot set their own rating (no column privilege)');
update public.expert_profiles set headline = 'stolen' where id = tests.user_id('uma');
select tests.clear_authentication();
select isnt((select headline from public.expert_profiles where id = tests.user_id('uma')), 'stolen', 'an expert cannot edit another expert''s profile');
select tests.authenticate_as('uma');
select throws_ok($$update public.expert_profiles set verification_status = 'verified' where id = (select auth.uid())$$, '42501', 'only an admin can change verification', 'an unverified expert cannot verify themselves');
select is((select count(*)::int from public.expert_profiles where id = (select auth.uid())), 1, 'an unverified expert reads their own expert profile');

-- admin (role and verification changes need aal2: admin_audit.test.sql)
select tests.authenticate_as('adam', 'aal2');
select is((select count(*)::int from public.profiles where id in (tests.user_id('alice'), tests.user_id('bob'), tests.user_id('uma'))), 3, 'an admin reads every profile');
select lives_ok($$update public.profiles set role = 'expert' where id = tests.user_id('bob')$$, 'an admin changes a role');
select lives_ok($$update public.expert_profiles set verification_status = 'verified' where id = tests.user_id('uma')$$, 'an admin verifies an expert');
select isnt((select verified_at from public.expert_profiles where id = tests.user_id('uma')), null, 'the database stamps verified_at');
select throws_ok($$delete from public.profiles where id = tests.user_id('bob')$$, '42501', null, 'an admin has no delete privilege on profiles either');
select tests.clear_authentication();
select is((select role::text from public.profiles where id = tests.user_id('bob')), 'expert', 'the admin''s role change took effect and delete did nothing');

-- service role bypasses RLS but role changes are still deliberate
select tests.authenticate_as_service_role();
select lives_ok($$update public.profiles set status = 'suspended' where id = tests.user_id('bob')$$, 'the service role can suspend a member');
select tests.clear_authentication();
select is((select status::text from public.profiles where id = tests.user_id('bob')), 'suspended', 'suspension stored');

-- an admin who is suspended loses admin powers
update public.profiles set status = 'suspended' where id = tests.user_id('adam');
select tests.authenticate_as('adam');
select is_empty($$select * from public.profiles where id = tests.user_id('alice')$$, 'a suspended admin reads no other profiles');
select tests.clear_authentication();

select * from finish();
rollback;
