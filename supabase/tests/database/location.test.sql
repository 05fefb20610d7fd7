-- Locations: RLS matrix for public.member_locations and public.expert_locations (anon, owner,
-- other member, expert, admin x select/insert/update/delete), the validating setters,
-- member_area() under show_location, and nearby_experts()' input checks and what it reveals.
begin;
select plan(61);

select tests.create_user('loc_owner');
select tests.create_user('loc_other');
select tests.create_user('loc_expert');
select tests.create_user('loc_expert2');
select tests.create_user('loc_unverified');
select tests.create_user('loc_admin');
select tests.make_role('loc_expert', 'expert');
select tests.make_role('loc_expert2', 'expert');
select tests.make_role('loc_unverified', 'expert', false);
select tests.make_role('loc_admin', 'admin');

-- ---------------------------------------------------------------- member_locations
select tests.authenticate_as_anon();
select throws_ok($$ select * from public.member_locations $$, '42501', null, 'anon cannot read member locations');
select throws_ok($$ select public.set_my_location(52.52, 13.405) $$, '42501', null, 'anon cannot set a location');
select throws_ok($$ delete from public.member_locations $$, '42501', null, 'anon cannot delete member locations');

select tests.clear_authentication();
select tests.authenticate_as('loc_owner');
select is((public.set_my_location(52.52, 13.405, ' Berlin ', 'Mitte')).city, 'Berlin', 'a member sets their location');
select results_eq($$ select round(extensions.st_y(location::extensions.geometry)::numeric, 3), round(extensions.st_x(location::extensions.geometry)::numeric, 3), city, area from public.member_locations $$,
  $$ values (52.520, 13.405, 'Berlin'::text, 'Mitte'::text) $$, 'the owner reads their own point');
select isnt((select location_set_at from public.onboarding), null, 'setting a location completes that onboarding step');
select lives_ok($$ select public.set_my_location(48.137, 11.575, 'Munich', null) $$, 'setting it again moves it');
select is((select city from public.member_locations), 'Munich', 'one row per member, updated in place');
select throws_ok($$ select public.set_my_location(91, 0) $$, '22023', null, 'latitude above 90 is refused');
select throws_ok($$ select public.set_my_location(0, -180.5) $$, '22023', null, 'longitude below -180 is refused');
select throws_ok($$ select public.set_my_location(null, 10) $$, '22023', null, 'a missing latitude is refused');
select throws_ok($$ select public.set_my_location('NaN', 10) $$, '22023', null, 'NaN is refused');
select throws_ok($$ select public.set_my_location(10, 'Infinity') $$, '22023', null, 'infinity is refused');
select throws_ok($$ select public.set_my_location(10, 10, repeat('c', 101)) $$, '22023', null, 'a city over 100 characters is refused');
select throws_ok($$ insert into public.member_locations (member_id, location) values (tests.user_id('loc_owner'), 'SRID=4326;POINT(0 0)') $$,
  '42501', null, 'locations are not inserted directly');
select throws_ok($$ update public.member_locations set city = 'Elsewhere' $$, '42501', null, 'locations are not updated directly');

select tests.authenticate_as('loc_other');
select is_empty($$ select * from public.member_locations $$, 'attack: another member cannot read the owner''s location');
select is_empty($$ select * from public.member_area(tests.user_id('loc_owner')) $$, 'another member does not get the owner''s city');
select results_eq($$ with d as (delete from public.member_locations returning 1) select count(*)::int from d $$,
  $$ values (0) $$, 'attack: another member cannot delete the owner''s location');
select throws_ok($$ select * from public.nearby_experts(null, null, 10) $$, 'PT404', null, 'nearby_experts without a centre needs a stored location');

select tests.authenticate_as('loc_expert');
select is_empty($$ select * from public.member_locations $$, 'an expert cannot read member locations');
select is_empty($$ select * from public.member_area(tests.user_id('loc_owner')) $$, 'an expert without a booking does not get the member''s city');
select tests.authenticate_as('loc_admin');
select is_empty($$ select * from public.member_locations $$, 'admins cannot read member locations through the API');
select results_eq($$ with d as (delete from public.member_locations returning 1) select count(*)::int from d $$,
  $$ values (0) $$, 'admins cannot delete member locations');

-- member_area: only city/area, only to booked experts, only with show_location on
select tests.clear_authentication();
insert into public.bookings (member_id, expert_id, scheduled_at, duration_minutes)
values (tests.user_id('loc_owner'), tests.user_id('loc_expert'), now() + interval '2 days', 60);
select tests.authenticate_as('loc_expert');
select is_empty($$ select * from public.member_area(tests.user_id('loc_owner')) $$, 'a booked expert gets nothing while show_location is off');
select tests.authenticate_as('loc_owner');
update public.privacy_settings set show_location = true where user_id = tests.user_id('loc_owner');
select results_eq($$ select * from public.member_area(tests.user_id('loc_owner')) $$, $$ values ('Munich'::text, null::text) $$, 'the member reads their own area');
select tests.authenticate_as('loc_expert');
select results_eq($$ select * from public.member_area(tests.user_id('loc_owner')) $$, $$ values ('Munich'::text, null::text) $$,
  'with show_location on, the booked expert gets the city and area (no point)');
select tests.authenticate_as('loc_expert2');
select is_empty($$ select * from public.member_area(tests.user_id('loc_owner')) $$, 'an expert the member did not book still gets nothing');
select tests.authenticate_as('loc_other');
select is_empty($$ select * from public.member_area(tests.user_id('loc_owner')) $$, 'nor does another member');

-- ---------------------------------------------------------------- expert_locations
select tests.authenticate_as('loc_expert');
select lives_ok($$ select public.set_expert_location(48.2, 11.6, 'Munich', 'Schwabing') $$, 'an expert sets where they work');
select results_eq($$ select expert_id, city from public.expert_locations $$, $$ values (tests.user_id('loc_expert'), 'Munich'::text) $$, 'the expert reads their own location');
select throws_ok($$ insert into public.expert_locations (expert_id, location) values (tests.user_id('loc_expert'), 'SRID=4326;POINT(0 0)') $$,
  '42501', null, 'expert locations are not inserted directly');
select throws_ok($$ update public.expert_locations set location = 'SRID=4326;POINT(0 0)' $$, '42501', null, 'expert locations are not updated directly');
select throws_ok($$ select public.set_expert_location(-95, 0) $$, '22023', null, 'the expert setter validates ranges too');
select tests.authenticate_as('loc_expert2');
select lives_ok($$ select public.set_expert_location(48.3, 11.7) $$, 'a second expert sets a location');
select tests.authenticate_as('loc_unverified');
select lives_ok($$ select public.set_expert_location(48.14, 11.58) $$, 'an unverified expert may store a location');

select tests.clear_authentication();
select tests.authenticate_as_anon();
select throws_ok($$ select * from public.expert_locations $$, '42501', null, 'attack: anon cannot read experts'' exact locations');
select throws_ok($$ delete from public.expert_locations $$, '42501', null, 'anon cannot delete expert locations');
select throws_ok($$ select * from public.nearby_experts(48.137, 11.575, 50) $$, '42501', null, 'anon cannot call nearby_experts');

select tests.clear_authentication();
select tests.authenticate_as('loc_owner');
select is_empty($$ select * from public.expert_locations $$, 'attack: a member cannot read an expert''s exact location');
select throws_ok($$ select public.set_expert_location(1, 1) $$, '42501', null, 'a member cannot set an expert location');
select results_eq($$ with d as (delete from public.expert_locations returning 1) select count(*)::int from d $$,
  $$ values (0) $$, 'attack: a member cannot delete expert locations');
select tests.authenticate_as('loc_expert2');
select results_eq($$ select expert_id from public.expert_locations $$, $$ values (tests.user_id('loc_expert2')) $$,
  'attack: another expert reads only their own location');
select results_eq($$ with d as (delete from public.expert_locations where expert_id = tests.user_id('loc_expert') returning 1) select count(*)::int from d $$,
  $$ values (0) $$, 'attack: another expert cannot delete an expert''s location');
select tests.authenticate_as('loc_admin');
select is((select count(*)::int from public.expert_locations where expert_id in (tests.user_id('loc_expert'), tests.user_id('loc_expert2'), tests.user_id('loc_unverified'))), 3,
  'admins read expert locations');
select results_eq($$ with d as (delete from public.expert_locations returning 1) select count(*)::int from d $$,
  $$ values (0) $$, 'admins cannot delete expert locations through the API');

-- nearby_experts: distances only, verified and available experts only, inputs checked
select tests.clear_authentication();
create temporary table loc_want on commit drop as
  select tests.user_id(u) as expert_id, round((extensions.st_distance(extensions.st_makepoint(11.575, 48.137)::extensions.geography,
                                               private.location_cell(extensions.st_makepoint(lng, lat)::extensions.geography), false) / 1000)::numeric, 1) as distance_km, o
    from (values ('loc_expert', 48.2, 11.6, 1), ('loc_expert2', 48.3, 11.7, 2)) v(u, lat, lng, o);
grant select on loc_want to authenticated;
select tests.authenticate_as('loc_owner');
select results_eq($$ select expert_id, distance_km from public.nearby_experts(48.137, 11.575, 50) where expert_id in (tests.user_id('loc_expert'), tests.user_id('loc_expert2'), tests.user_id('loc_unverified')) $$,
  $$ select expert_id, distance_km from loc_want order by o $$,
  'nearby_experts lists verified experts nearest first with distances to their cells rounded to 0.1 km, never the unverified one');
select is((select count(*)::int from public.nearby_experts(null, null, 50) where expert_id = tests.user_id('loc_expert')), 1,
  'without a centre it searches around the caller''s stored location');
select is((select array_agg(a.name order by a.n) from pg_proc p, unnest(p.proargnames, p.proargmodes) with ordinality a(name, mode, n)
            where p.oid = 'public.nearby_experts(double precision, double precision, numeric, text, numeric, integer)'::regprocedure and a.mode = 't'),
  array['expert_id', 'display_name', 'headline', 'rating_avg', 'rating_count', 'city', 'area', 'distance_km'],
  'nearby_experts returns these columns and no coordinates');
select is((select count(*)::int from public.nearby_experts(48.137, 11.575, 50, 'no-such-skill') where expert_id = tests.user_id('loc_expert')), 0, 'the expertise filter applies');
select throws_ok($$ select * from public.nearby_experts(48.1, 11.5, 0.5) $$, '22023', null, 'radius below 1 km is refused');
select throws_ok($$ select * from public.nearby_experts(48.1, 11.5, 501) $$, '22023', null, 'radius above 500 km is refused');
select throws_ok($$ select * from public.nearby_experts(95, 11.5, 10) $$, '22023', null, 'latitude out of range is refused');
select throws_ok($$ select * from public.nearby_experts(48.1, null, 10) $$, '22023', null, 'a centre needs both coordinates');
select throws_ok($$ select * from public.nearby_experts(48.1, 11.5, 10, null, 5.5) $$, '22023', null, 'min_rating above 5 is refused');
select throws_ok($$ select * from public.nearby_experts(48.1, 11.5, 10, null, null, 0) $$, '22023', null, 'max_results below 1 is refused');
select throws_ok($$ select * from public.nearby_experts(48.1, 11.5, 10, null, null, 101) $$, '22023', null, 'max_results above 100 is refused');

select tests.authenticate_as('loc_expert');
select results_eq($$ with d as (delete from public.expert_locations returning 1) select count(*)::int from d $$,
  $$ values (1) $$, 'an expert deletes their own location');
select tests.authenticate_as('loc_owner');
select results_eq($$ with d as (delete from public.member_locations returning 1) select count(*)::int from d $$,
  $$ values (1) $$, 'a member deletes their own location');

-- Saved-search alerts (delivery) measure to the expert's cell, radius rounded up to whole km, as
-- nearby_experts does: two experts ~330 m apart in one cell match exactly the same radii, so which
-- alerts arrive never tells a distance finer than the cell.
select tests.clear_authentication();
insert into public.member_locations (member_id, location) values (tests.user_id('loc_owner'), 'SRID=4326;POINT(11.0 48.0)')
  on conflict (member_id) do update set location = excluded.location;
with c as (select private.location_cell('SRID=4326;POINT(11.0 48.09)'::extensions.geography)::extensions.geometry as g)
insert into public.expert_locations (expert_id, location)
select tests.user_id(v.u), extensions.st_setsrid(extensions.st_makepoint(extensions.st_x(c.g), extensions.st_y(c.g) + v.dlat), 4326)::extensions.geography
  from c, (values ('loc_expert', 0.0015), ('loc_expert2', -0.0015)) v(u, dlat)
  on conflict (expert_id) do update set location = excluded.location;
select is((select count(distinct cell::text)::int from public.expert_locations where expert_id in (tests.user_id('loc_expert'), tests.user_id('loc_expert2'))),
  1, 'the two experts share one cell');
select is(
  (select count(*)::int from generate_series(900, 1100, 5) r
    where private.expert_matches_search(tests.user_id('loc_expert'), tests.user_id('loc_owner'), '', jsonb_build_object('radius_km', r / 100.0))
          is distinct from
          private.expert_matches_search(tests.user_id('loc_expert2'), tests.user_id('loc_owner'), '', jsonb_build_object('radius_km', r / 100.0))),
  0, 'saved-search alerts measure to the cell: experts in one cell match the same radii');

select * from finish();
rollback;
