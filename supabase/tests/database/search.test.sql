-- Search: RLS matrix for public.search_history and public.saved_searches (anon, owner, other
-- member, expert, admin x select/insert/update/delete), record_search() with the privacy switch,
-- the 100-row cap, clear_search_history(), filter validation and the saved-search limit.
begin;
select plan(61);

select tests.create_user('srch_owner');
select tests.create_user('srch_other');
select tests.create_user('srch_expert');
select tests.create_user('srch_admin');
select tests.make_role('srch_expert', 'expert');
select tests.make_role('srch_admin', 'admin');

-- ---------------------------------------------------------------- search_history
select tests.authenticate_as_anon();
select throws_ok($$ select * from public.search_history $$, '42501', null, 'anon cannot read search history');
select throws_ok($$ select public.record_search('tax', '{}') $$, '42501', null, 'anon cannot record searches');
select throws_ok($$ delete from public.search_history $$, '42501', null, 'anon cannot delete search history');

select tests.clear_authentication();
select tests.authenticate_as('srch_owner');
select isnt((public.record_search('  tax advice  ', '{"city": "Berlin", "expertise": ["tax"], "min_rating": 4}')).id, null,
  'record_search stores a search while history is enabled');
select results_eq($$ select query, filters::jsonb from public.search_history $$,
  $$ values ('tax advice'::text, '{"city": "Berlin", "expertise": ["tax"], "min_rating": 4}'::jsonb) $$, 'the owner reads it, query trimmed');
select results_eq($$ select kind, subject_type from public.activity where kind = 'searched' $$,
  $$ values ('searched'::text, 'search'::text) $$, 'the search is in the activity feed');
select throws_ok($$ select public.record_search('tax', '{"sql": "drop table"}') $$, '22023', null, 'unknown filter keys are refused');
select throws_ok($$ select public.record_search('tax', '{"min_rating": 7}') $$, '22023', null, 'min_rating above 5 is refused');
select throws_ok($$ select public.record_search('tax', '{"radius_km": "10"}') $$, '22023', null, 'a radius given as a string is refused');
select throws_ok($$ select public.record_search('tax', '["tax"]') $$, '22023', null, 'filters must be an object');
select throws_ok($$ select public.record_search(repeat('x', 201), '{}') $$, '22023', null, 'queries over 200 characters are refused');
select throws_ok($$ select public.record_search('', '{}') $$, '22023', null, 'an empty search is refused');
select throws_ok($$ insert into public.search_history (member_id, query) values (tests.user_id('srch_owner'), 'forged') $$,
  '42501', null, 'history is not inserted directly, even for oneself');
select throws_ok($$ update public.search_history set query = 'edited' $$, '42501', null, 'history cannot be edited');

-- other member, expert, admin: see nothing, delete nothing
select tests.authenticate_as('srch_other');
select is_empty($$ select * from public.search_history $$, 'attack: another member cannot read the owner''s search history');
select results_eq($$ with d as (delete from public.search_history returning 1) select count(*)::int from d $$,
  $$ values (0) $$, 'attack: another member cannot delete the owner''s search history');
select is(public.clear_search_history(), 0, 'another member''s clear_search_history clears only their own (nothing)');
select throws_ok($$ insert into public.search_history (member_id, query) values (tests.user_id('srch_owner'), 'planted') $$,
  '42501', null, 'attack: another member cannot plant a search in the owner''s history');
select tests.authenticate_as('srch_expert');
select is_empty($$ select * from public.search_history $$, 'an expert cannot read members'' search history');
select tests.authenticate_as('srch_admin');
select is_empty($$ select * from public.search_history $$, 'admins cannot read search history through the API either');
select results_eq($$ with d as (delete from public.search_history returning 1) select count(*)::int from d $$,
  $$ values (0) $$, 'admins cannot delete members'' search history');
select tests.clear_authentication();
select is((select count(*)::int from public.search_history where member_id = tests.user_id('srch_owner')), 1, 'the owner''s history survived');

-- privacy switch off: nothing stored, null returned
select tests.authenticate_as('srch_owner');
update public.privacy_settings set search_history_enabled = false where user_id = tests.user_id('srch_owner');
select is((public.record_search('private search', '{}')).id, null, 'with search history off record_search returns null');
select is((select count(*)::int from public.search_history), 1, 'and stores nothing');
select is((select count(*)::int from public.activity where kind = 'searched'), 1, 'and records no activity');
update public.privacy_settings set search_history_enabled = true where user_id = tests.user_id('srch_owner');

-- the cap: the newest 100 entries stay
select is((select count(*)::int from (select public.record_search('q' || g, '{}') from generate_series(1, 105) g) s), 105, '105 more searches recorded');
select is((select count(*)::int from public.search_history), 100, 'history is capped at 100 rows');
select is((select min(query) filter (where query = 'tax advice') from public.search_history), null, 'the oldest entries were pruned first');
select results_eq($$ select query from public.search_history order by created_at desc, id desc limit 1 $$,
  $$ values ('q105'::text) $$, 'the newest entry is kept');
select results_eq($$ with d as (delete from public.search_history where query = 'q105' returning 1) select count(*)::int from d $$,
  $$ values (1) $$, 'the owner deletes one entry');
select is(public.clear_search_history(), 99, 'clear_search_history removes the rest');
select is_empty($$ select * from public.search_history $$, 'history is empty');

-- ---------------------------------------------------------------- saved_searches
select tests.clear_authentication();
select tests.authenticate_as_anon();
select throws_ok($$ select * from public.saved_searches $$, '42501', null, 'anon cannot read saved searches');
select throws_ok($$ insert into public.saved_searches (member_id, name) values (tests.user_id('srch_owner'), 'x') $$, '42501', null, 'anon cannot save searches');
select throws_ok($$ update public.saved_searches set name = 'x' $$, '42501', null, 'anon cannot edit saved searches');
select throws_ok($$ delete from public.saved_searches $$, '42501', null, 'anon cannot delete saved searches');

select tests.clear_authentication();
select tests.authenticate_as('srch_owner');
select lives_ok($$ insert into public.saved_searches (name, query, filters, notify)
  values ('Berlin tax', 'tax', '{"city": "Berlin", "expertise": ["tax", "vat"], "radius_km": 25, "max_rate_cents": 15000}', true) $$,
  'a member saves a search');
select throws_ok($$ insert into public.saved_searches (name) values ('berlin TAX') $$, '23505', null, 'names are unique per member, ignoring case');
select throws_ok($$ insert into public.saved_searches (name, filters) values ('bad key', '{"where": "1=1"}') $$, '23514', null, 'unknown filter keys are refused');
select throws_ok($$ insert into public.saved_searches (name, filters) values ('bad radius', '{"radius_km": 0}') $$, '23514', null, 'radius_km below 1 is refused');
select throws_ok($$ insert into public.saved_searches (name, filters) values ('bad rate', '{"max_rate_cents": 12.5}') $$, '23514', null, 'max_rate_cents must be whole');
select throws_ok($$ insert into public.saved_searches (name, filters) values ('bad tags', '{"expertise": "tax"}') $$, '23514', null, 'expertise must be an array');
select throws_ok($$ insert into public.saved_searches (name, filters) values ('big', jsonb_build_object('city', repeat('x', 100), 'area', repeat('y', 100), 'expertise', (select jsonb_agg(repeat('z', 100)) from generate_series(1, 20)))) $$,
  '23514', null, 'filters over 2 KB are refused');
select throws_ok($$ insert into public.saved_searches (name) values ('   ') $$, '23514', null, 'a blank name is refused');
select throws_ok($$ insert into public.saved_searches (name) values (repeat('n', 101)) $$, '23514', null, 'names over 100 characters are refused');
select throws_ok($$ insert into public.saved_searches (member_id, name) values (tests.user_id('srch_other'), 'planted') $$,
  '42501', null, 'attack: a member cannot save a search into someone else''s list');
select throws_ok($$ insert into public.saved_searches (name, created_at) values ('backdated', now() - interval '1 year') $$,
  '42501', null, 'created_at is not client-writable');
select results_eq($$ with u as (update public.saved_searches set notify = false, filters = '{"city": "Hamburg"}' returning 1) select count(*)::int from u $$,
  $$ values (1) $$, 'the owner edits their saved search');
select throws_ok($$ update public.saved_searches set member_id = tests.user_id('srch_other') $$, '42501', null, 'a saved search cannot be handed to someone else');

select tests.authenticate_as('srch_other');
select is_empty($$ select * from public.saved_searches $$, 'attack: another member cannot read the owner''s saved searches');
select results_eq($$ with u as (update public.saved_searches set name = 'hijacked' returning 1) select count(*)::int from u $$,
  $$ values (0) $$, 'attack: another member cannot edit the owner''s saved search');
select results_eq($$ with d as (delete from public.saved_searches returning 1) select count(*)::int from d $$,
  $$ values (0) $$, 'attack: another member cannot delete the owner''s saved search');
select lives_ok($$ insert into public.saved_searches (name) values ('Berlin tax') $$, 'another member may use the same name');
select tests.authenticate_as('srch_expert');
select is_empty($$ select * from public.saved_searches $$, 'an expert cannot read members'' saved searches');
select tests.authenticate_as('srch_admin');
select is_empty($$ select * from public.saved_searches $$, 'admins cannot read saved searches through the API');
select results_eq($$ with u as (update public.saved_searches set name = 'admin' returning 1) select count(*)::int from u $$,
  $$ values (0) $$, 'admins cannot edit saved searches');

select tests.authenticate_as('srch_owner');
select results_eq($$ select name, notify, filters::jsonb from public.saved_searches $$,
  $$ values ('Berlin tax'::text, false, '{"city": "Hamburg"}'::jsonb) $$, 'the owner''s saved search is unchanged by the others');
select lives_ok($$ insert into public.saved_searches (name) select 'search ' || g from generate_series(1, 49) g $$, 'up to 50 saved searches');
select throws_ok($$ insert into public.saved_searches (name) values ('one too many') $$, '22023', null, 'the 51st saved search is refused');
select results_eq($$ with d as (delete from public.saved_searches returning 1) select count(*)::int from d $$,
  $$ values (50) $$, 'the owner deletes their saved searches');

select tests.clear_authentication();
select is((select count(*)::int from public.saved_searches where member_id = tests.user_id('srch_other')), 1, 'the other member''s saved search is untouched');

select * from finish();
rollback;
