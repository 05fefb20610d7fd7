-- Favorites: RLS matrix for public.favorites (anon, owner, other member, expert, admin x
-- select/insert/update/delete), the list/count RPCs and the activity written by the triggers.
begin;
select plan(36);

select tests.create_user('fav_owner');
select tests.create_user('fav_other');
select tests.create_user('fav_expert');
select tests.create_user('fav_unverified');
select tests.create_user('fav_admin');
select tests.make_role('fav_expert', 'expert');
select tests.make_role('fav_unverified', 'expert', false);
select tests.make_role('fav_admin', 'admin');
update public.expert_profiles set city = 'Lisbon', area = 'Alfama', rating_avg = 4.5, rating_count = 8
 where id = tests.user_id('fav_expert');

-- anon: no access at all
select tests.authenticate_as_anon();
select throws_ok($$ select * from public.favorites $$, '42501', null, 'anon cannot read favorites');
select throws_ok($$ insert into public.favorites (member_id, expert_id) values (tests.user_id('fav_owner'), tests.user_id('fav_expert')) $$,
  '42501', null, 'anon cannot add favorites');
select throws_ok($$ delete from public.favorites $$, '42501', null, 'anon cannot delete favorites');
select throws_ok($$ select * from public.list_favorites() $$, '42501', null, 'anon cannot call list_favorites');
select is(public.expert_favorites_count(tests.user_id('fav_expert')), 0, 'anon may read a verified expert''s favorite count');
select throws_ok($$ select public.expert_favorites_count(tests.user_id('fav_unverified')) $$, 'PT404', null,
  'an unverified expert''s count is as hidden as the expert');

-- owner: insert, select, no update
select tests.clear_authentication();
select tests.authenticate_as('fav_owner');
select lives_ok($$ insert into public.favorites (expert_id) values (tests.user_id('fav_expert')) $$, 'a member can favorite a verified expert');
select throws_ok($$ insert into public.favorites (expert_id) values (tests.user_id('fav_expert')) $$, '23505', null, 'the same expert cannot be favorited twice');
select throws_ok($$ insert into public.favorites (expert_id) values (tests.user_id('fav_unverified')) $$, '42501', null,
  'a member cannot favorite an unverified expert');
select throws_ok($$ insert into public.favorites (member_id, expert_id) values (tests.user_id('fav_other'), tests.user_id('fav_expert')) $$,
  '42501', null, 'attack: a member cannot favorite on someone else''s behalf');
select throws_ok($$ insert into public.favorites (expert_id, created_at) values (tests.user_id('fav_expert'), now() - interval '1 year') $$,
  '42501', null, 'created_at is not client-writable');
select results_eq($$ select member_id, expert_id from public.favorites $$,
  $$ values (tests.user_id('fav_owner'), tests.user_id('fav_expert')) $$, 'the owner reads their favorite');
select throws_ok($$ update public.favorites set created_at = now() $$, '42501', null, 'favorites cannot be edited');
select results_eq($$ select expert_id, headline, rating_avg, city, area from public.list_favorites() $$,
  $$ values (tests.user_id('fav_expert'), 'fav_expert expert'::text, 4.5::numeric, 'Lisbon'::text, 'Alfama'::text) $$,
  'list_favorites returns the expert summary');
select is(public.my_favorites_count(), 1, 'my_favorites_count counts the caller''s favorites');
select results_eq($$ select kind, subject_type, subject_id from public.activity where kind = 'favorited' $$,
  $$ values ('favorited'::text, 'expert'::text, tests.user_id('fav_expert')::text) $$, 'favoriting is in the activity feed');

-- other member: sees nothing, removes nothing
select tests.authenticate_as('fav_other');
select is_empty($$ select * from public.favorites $$, 'attack: another member cannot read the owner''s favorites');
select is_empty($$ select * from public.list_favorites() $$, 'another member''s list is their own (empty)');
select is(public.my_favorites_count(), 0, 'another member''s count is their own');
select results_eq($$ with d as (delete from public.favorites where member_id = tests.user_id('fav_owner') returning 1) select count(*)::int from d $$,
  $$ values (0) $$, 'attack: another member cannot remove the owner''s favorite');
select lives_ok($$ insert into public.favorites (expert_id) values (tests.user_id('fav_expert')) $$, 'another member can favorite the same expert');

-- the favorited expert: only a count, never who
select tests.authenticate_as('fav_expert');
select is_empty($$ select * from public.favorites $$, 'the expert cannot see who favorited them');
select is(public.expert_favorites_count(tests.user_id('fav_expert')), 2, 'the expert sees how many members favorited them');
select throws_ok($$ insert into public.favorites (expert_id) values (tests.user_id('fav_expert')) $$, '23514', null, 'an expert cannot favorite themselves');
select tests.authenticate_as('fav_unverified');
select is(public.expert_favorites_count(tests.user_id('fav_unverified')), 0, 'an unverified expert may read their own count');

-- admin: reads every favorite, writes none
select tests.authenticate_as('fav_admin');
select is((select count(*)::int from public.favorites), 2, 'an admin reads every favorite');
select throws_ok($$ insert into public.favorites (member_id, expert_id) values (tests.user_id('fav_owner'), tests.user_id('fav_unverified')) $$,
  '42501', null, 'an admin cannot add favorites for a member');
select results_eq($$ with d as (delete from public.favorites returning 1) select count(*)::int from d $$,
  $$ values (0) $$, 'an admin cannot delete members'' favorites');
select throws_ok($$ update public.favorites set created_at = now() $$, '42501', null, 'an admin cannot edit favorites either');

-- owner removes their favorite
select tests.authenticate_as('fav_owner');
select results_eq($$ with d as (delete from public.favorites where expert_id = tests.user_id('fav_expert') returning 1) select count(*)::int from d $$,
  $$ values (1) $$, 'the owner removes their favorite');
select is_empty($$ select * from public.favorites $$, 'the favorite is gone');
select results_eq($$ select kind from public.activity where kind in ('favorited', 'unfavorited') order by id $$,
  $$ values ('favorited'::text), ('unfavorited'::text) $$, 'removing is in the activity feed too');

-- data survived the refused attempts
select tests.clear_authentication();
select is((select count(*)::int from public.favorites where member_id = tests.user_id('fav_other')), 1,
  'the other member''s favorite survived the admin''s delete attempt');
select is((select count(*)::int from public.activity where user_id = tests.user_id('fav_expert') and kind like '%favorited'), 0,
  'the expert''s feed records nothing about being favorited');

-- deleting an expert takes the favorites along without failing
delete from auth.users where id = tests.user_id('fav_expert');
select is((select count(*)::int from public.favorites where member_id = tests.user_id('fav_other')), 0, 'favorites of a deleted expert go with them');
select is((select count(*)::int from public.activity where user_id = tests.user_id('fav_other') and kind = 'unfavorited'), 1,
  'the cascade is recorded as unfavorited in the member''s feed');

select * from finish();
rollback;
