-- RLS matrix, review attacks and rating aggregates for public.reviews (and public.expert_reviews()).
begin;
select plan(61);

select tests.create_user('alice', '{"first_name":"Alice","last_name":"member"}');
select tests.create_user('bob', '{"first_name":"Bob","last_name":"Other"}');
select tests.create_user('erin', '{"first_name":"Erin","last_name":"Expert"}');
select tests.create_user('ed');
select tests.create_user('adam');
select tests.make_role('erin', 'expert', true);
select tests.make_role('ed', 'expert', true);
select tests.make_role('adam', 'admin');

-- Bookings (as the owner, with fixed ids): alice-erin completed, alice-erin requested, bob-erin completed, alice-ed completed.
insert into public.bookings (id, member_id, expert_id, status, scheduled_at, duration_minutes, price_cents, completed_at) values
  ('b0000000-0000-4000-8000-000000000001', tests.user_id('alice'), tests.user_id('erin'), 'completed', now() - interval '3 days', 60, 10000, now() - interval '3 days'),
  ('b0000000-0000-4000-8000-000000000002', tests.user_id('alice'), tests.user_id('erin'), 'requested', now() + interval '3 days', 60, 10000, null),
  ('b0000000-0000-4000-8000-000000000003', tests.user_id('bob'), tests.user_id('erin'), 'completed', now() - interval '2 days', 30, 5000, now() - interval '2 days'),
  ('b0000000-0000-4000-8000-000000000004', tests.user_id('alice'), tests.user_id('ed'), 'completed', now() - interval '1 day', 30, 5000, now() - interval '1 day');

create temporary view erin_rating as
  select rating_avg, rating_count from public.expert_profiles where id = tests.user_id('erin');
grant select on erin_rating to anon, authenticated;

-- anon
select tests.authenticate_as_anon();
select throws_ok($$select * from public.reviews$$, '42501', null, 'anon cannot read review rows (public reviews come through expert_reviews())');
select throws_ok($$insert into public.reviews (booking_id, rating) values ('b0000000-0000-4000-8000-000000000001', 5)$$, '42501', null, 'anon cannot insert a review');
select throws_ok($$update public.reviews set rating = 1$$, '42501', null, 'anon cannot update reviews');
select throws_ok($$delete from public.reviews$$, '42501', null, 'anon cannot delete reviews');

-- owner: the attacks first
select tests.authenticate_as('alice');
select throws_ok($$insert into public.reviews (booking_id, rating) values ('b0000000-0000-4000-8000-000000000002', 5)$$,
  '22023', 'a booking can be reviewed once it is completed (this one is requested)', 'a member cannot review a booking that is not completed');
select throws_ok($$insert into public.reviews (booking_id, rating) values ('b0000000-0000-4000-8000-000000000003', 1)$$,
  'PT404', null, 'a member cannot review someone else''s booking');
select throws_ok(format($$insert into public.reviews (booking_id, expert_id, rating) values ('b0000000-0000-4000-8000-000000000003', %L, 1)$$, tests.user_id('erin')),
  'PT404', null, 'naming the expert does not help review someone else''s booking');
select throws_ok($$insert into public.reviews (booking_id, rating) values ('b0000000-0000-4000-8000-0000000000ff', 5)$$,
  'PT404', null, 'a member cannot review a booking that does not exist');
select throws_ok(format($$insert into public.reviews (booking_id, expert_id, rating) values ('b0000000-0000-4000-8000-000000000001', %L, 5)$$, tests.user_id('ed')),
  '22023', 'expert_id does not match the booking''s expert', 'a member cannot aim a review at another expert');
select throws_ok(format($$insert into public.reviews (booking_id, author_id, rating) values ('b0000000-0000-4000-8000-000000000001', %L, 5)$$, tests.user_id('bob')),
  '42501', null, 'a member cannot set the author');
select throws_ok($$insert into public.reviews (booking_id, rating, is_hidden) values ('b0000000-0000-4000-8000-000000000001', 5, true)$$,
  '42501', null, 'a member cannot insert a hidden (or unhidden) flag');
select throws_ok($$insert into public.reviews (booking_id, rating) values ('b0000000-0000-4000-8000-000000000001', 6)$$,
  '23514', null, 'ratings are 1..5');
select throws_ok($$insert into public.reviews (booking_id, rating, title) values ('b0000000-0000-4000-8000-000000000001', 5, repeat('x', 121))$$,
  '23514', null, 'titles are at most 120 characters');

-- owner: the review itself
select lives_ok($$insert into public.reviews (booking_id, rating, title, body) values ('b0000000-0000-4000-8000-000000000001', 4, 'Helpful', 'Clear advice')$$,
  'a member reviews their completed booking');
select is((select row(author_id, expert_id)::text from public.reviews where booking_id = 'b0000000-0000-4000-8000-000000000001'),
  row(tests.user_id('alice'), tests.user_id('erin'))::text, 'author and expert were filled from the caller and the booking');
select results_eq($$select rating_avg, rating_count from erin_rating$$, $$values (4.00::numeric(3, 2), 1)$$, 'the expert''s aggregates count the new review');
select throws_ok($$insert into public.reviews (booking_id, rating) values ('b0000000-0000-4000-8000-000000000001', 5)$$,
  '23505', 'this booking is already reviewed; edit that review instead', 'a member cannot review the same booking twice');
select is((select count(*)::int from public.reviews), 1, 'the author reads their own review');
select lives_ok($$update public.reviews set rating = 2, title = 'Changed my mind' where booking_id = 'b0000000-0000-4000-8000-000000000001'$$, 'the author edits rating and title');
select results_eq($$select rating_avg, rating_count from erin_rating$$, $$values (2.00::numeric(3, 2), 1)$$, 'the aggregates follow the edit');
select throws_ok($$update public.reviews set is_hidden = true where booking_id = 'b0000000-0000-4000-8000-000000000001'$$,
  '42501', 'only an admin can hide or unhide a review', 'the author cannot hide their review');
select throws_ok($$update public.reviews set hidden_reason = 'x' where booking_id = 'b0000000-0000-4000-8000-000000000001'$$,
  '42501', 'only an admin can hide or unhide a review', 'the author cannot set a hidden reason');
select throws_ok($$update public.reviews set booking_id = 'b0000000-0000-4000-8000-000000000004' where booking_id = 'b0000000-0000-4000-8000-000000000001'$$,
  '42501', null, 'the author cannot move the review to another booking');
select throws_ok(format($$update public.reviews set expert_id = %L$$, tests.user_id('ed')), '42501', null, 'the author cannot move the review to another expert');
select throws_ok(format($$update public.reviews set author_id = %L$$, tests.user_id('bob')), '42501', null, 'the author cannot hand the review to someone else');
select tests.clear_authentication();
select is((select count(*)::int from public.activity where user_id = tests.user_id('alice') and kind = 'reviewed' and details ->> 'rating' = '4'), 1, 'reviewing is recorded in the author''s activity');
select is((select count(*)::int from public.notifications where user_id = tests.user_id('erin') and kind = 'review_received'), 1, 'the expert is notified of the review');

-- other member
select tests.authenticate_as('bob');
select is_empty($$select * from public.reviews where author_id = tests.user_id('alice')$$, 'another member cannot read alice''s review row');
update public.reviews set rating = 5, body = 'forged' where booking_id = 'b0000000-0000-4000-8000-000000000001';
delete from public.reviews where booking_id = 'b0000000-0000-4000-8000-000000000001';
select lives_ok($$insert into public.reviews (booking_id, rating, title) values ('b0000000-0000-4000-8000-000000000003', 5, 'Great')$$, 'bob reviews his own completed booking');
select tests.clear_authentication();
select is((select row(rating, body)::text from public.reviews where booking_id = 'b0000000-0000-4000-8000-000000000001'), row(2, 'Clear advice')::text,
  'another member can neither edit nor delete alice''s review');
select results_eq($$select rating_avg, rating_count from erin_rating$$, $$values (3.50::numeric(3, 2), 2)$$, 'the aggregates average both reviews');

-- expert
select tests.authenticate_as('erin');
select is((select count(*)::int from public.reviews), 2, 'the expert reads the reviews about them');
select throws_ok($$insert into public.reviews (booking_id, rating) values ('b0000000-0000-4000-8000-000000000003', 5)$$,
  '42501', 'only the member who booked can review this booking', 'the expert cannot review their own booking');
update public.reviews set rating = 5 where booking_id = 'b0000000-0000-4000-8000-000000000001';
update public.reviews set is_hidden = true where booking_id = 'b0000000-0000-4000-8000-000000000001';
delete from public.reviews where booking_id = 'b0000000-0000-4000-8000-000000000001';
select throws_ok($$update public.expert_profiles set rating_avg = 5 where id = (select auth.uid())$$, '42501', null, 'the expert still cannot set their rating');
select tests.clear_authentication();
select is((select row(rating, is_hidden)::text from public.reviews where booking_id = 'b0000000-0000-4000-8000-000000000001'), row(2, false)::text,
  'the expert can neither edit, hide nor delete a review about them');
select tests.authenticate_as('ed');
select is_empty($$select * from public.reviews$$, 'an expert does not read reviews about other experts');

-- admin
select tests.authenticate_as('adam');
select is((select count(*)::int from public.reviews), 2, 'an admin reads every review');
select lives_ok($$update public.reviews set is_hidden = true, hidden_reason = 'abusive' where booking_id = 'b0000000-0000-4000-8000-000000000003'$$, 'an admin hides a review');
select results_eq($$select rating_avg, rating_count from erin_rating$$, $$values (2.00::numeric(3, 2), 1)$$, 'hidden reviews leave the aggregates');
select isnt((select hidden_at from public.reviews where booking_id = 'b0000000-0000-4000-8000-000000000003'), null, 'hiding is timestamped');
select throws_ok($$update public.reviews set rating = 5 where booking_id = 'b0000000-0000-4000-8000-000000000001'$$,
  '42501', 'only the author can edit a review', 'an admin cannot rewrite a member''s review');
select throws_ok($$insert into public.reviews (booking_id, rating) values ('b0000000-0000-4000-8000-000000000004', 5)$$,
  '42501', 'only the member who booked can review this booking', 'an admin cannot review a booking that is not theirs');

-- the public list
select tests.authenticate_as_anon();
select results_eq($$select author_name, rating from public.expert_reviews(tests.user_id('erin'))$$, $$values ('Alice M.', 2::smallint)$$,
  'anon sees visible reviews only, authors as first name + initial');
select ok(not exists (select 1 from pg_proc where proname = 'expert_reviews' and 'author_id' = any (proargnames)), 'the public list has no author ids');
select throws_ok($$select * from public.expert_reviews(tests.user_id('erin'), 0)$$, '22023', null, 'page sizes are checked');
select tests.authenticate_as('adam');
select lives_ok($$update public.reviews set is_hidden = false where booking_id = 'b0000000-0000-4000-8000-000000000003'$$, 'an admin unhides a review');
select results_eq($$select rating_avg, rating_count from erin_rating$$, $$values (3.50::numeric(3, 2), 2)$$, 'unhidden reviews count again');
select is((select hidden_reason from public.reviews where booking_id = 'b0000000-0000-4000-8000-000000000003'), null, 'unhiding clears the reason');
select lives_ok($$delete from public.reviews where booking_id = 'b0000000-0000-4000-8000-000000000003'$$, 'an admin deletes a review');
select results_eq($$select rating_avg, rating_count from erin_rating$$, $$values (2.00::numeric(3, 2), 1)$$, 'the aggregates follow a delete');

-- privacy of names in the public list
select tests.clear_authentication();
update public.privacy_settings set profile_visibility = 'private' where user_id = tests.user_id('alice');
select tests.authenticate_as('bob');
select results_eq($$select author_name from public.expert_reviews(tests.user_id('erin'))$$, $$values ('A member')$$, 'a private profile is shown as "A member"');

-- the author deletes their review
select tests.authenticate_as('alice');
select lives_ok($$delete from public.reviews where booking_id = 'b0000000-0000-4000-8000-000000000001'$$, 'the author deletes their review');
select results_eq($$select rating_avg, rating_count from erin_rating$$, $$values (0.00::numeric(3, 2), 0)$$, 'no reviews: aggregates back to zero');
select lives_ok($$insert into public.reviews (booking_id, rating) values ('b0000000-0000-4000-8000-000000000004', 5)$$, 'alice reviews ed');

-- a deleted author: the review stays, anonymised
select tests.clear_authentication();
delete from auth.users where id = tests.user_id('alice');
select is((select count(*)::int from public.reviews where booking_id = 'b0000000-0000-4000-8000-000000000004' and author_id is null), 1,
  'the review outlives its author, without the author id');
select tests.authenticate_as_anon();
select results_eq($$select author_name, rating from public.expert_reviews(tests.user_id('ed'))$$, $$values ('Former member', 5::smallint)$$,
  'a deleted author is shown as a former member');
select results_eq($$select rating_avg, rating_count from public.expert_profiles where id = tests.user_id('ed')$$, $$values (5.00::numeric(3, 2), 1)$$,
  'the deleted author''s review still counts');
select tests.clear_authentication();

-- unverified experts' reviews are not listed publicly
update public.expert_profiles set verification_status = 'rejected' where id = tests.user_id('ed');
select tests.authenticate_as_anon();
select is_empty($$select * from public.expert_reviews(tests.user_id('ed'))$$, 'reviews of an expert who is not verified are not listed');
select tests.clear_authentication();

-- aggregates under the service role and direct owner writes stay consistent
select tests.authenticate_as_service_role();
select lives_ok(format($$insert into public.reviews (booking_id, author_id, rating) values ('b0000000-0000-4000-8000-000000000003', %L, 3)$$, tests.user_id('bob')),
  'the service role may import a review for a member');
select tests.clear_authentication();
select results_eq($$select rating_avg, rating_count from erin_rating$$, $$values (3.00::numeric(3, 2), 1)$$, 'imports update the aggregates too');
select is((select count(*)::int from public.reviews r join public.bookings b on b.id = r.booking_id
            where r.author_id is distinct from b.member_id and r.author_id is not null), 0, 'every review''s author is its booking''s member');

select * from finish();
rollback;
