-- Login history from Auth's sessions, deletion/export requests, aal2 enforcement, activity and bookings:
-- RLS matrix and attacks.
begin;
select plan(51);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('erin');
select tests.create_user('uma');
select tests.create_user('adam');
select tests.make_role('erin', 'expert', true);
select tests.make_role('uma', 'expert', false);
select tests.make_role('adam', 'admin');
update public.expert_profiles set hourly_rate_cents = 9000 where id = tests.user_id('erin');

-- Auth records a sign-in as a row in auth.sessions; the trigger copies it into login_history.
insert into auth.sessions (id, user_id, created_at, updated_at, aal, ip, user_agent)
values ('11111111-1111-4111-8111-111111111111', tests.user_id('alice'), now(), now(), 'aal1', '203.0.113.7', 'test-agent/1.0');
select is((select host(ip) from public.login_history where session_id = '11111111-1111-4111-8111-111111111111'), '203.0.113.7', 'a new Auth session is recorded in login_history');
update auth.sessions set aal = 'aal2' where id = '11111111-1111-4111-8111-111111111111';
select is((select aal from public.login_history where session_id = '11111111-1111-4111-8111-111111111111'), 'aal2', 'stepping up to aal2 updates the record');
-- A session row for a user without a profile must not fail Auth.
select tests.create_user('ghost');
delete from public.profiles where id = tests.user_id('ghost');
select lives_ok($$insert into auth.sessions (id, user_id, created_at, aal) values (extensions.gen_random_uuid(), tests.user_id('ghost'), now(), 'aal1')$$, 'a session the trigger cannot record never fails Auth');

-- login_history matrix
select tests.authenticate_as_anon();
select throws_ok($$select * from public.login_history$$, '42501', null, 'anon cannot read login history');
select tests.authenticate_as('alice');
select is((select count(*)::int from public.login_history), 1, 'alice reads her login history');
select throws_ok($$insert into public.login_history (user_id, session_id) values ((select auth.uid()), extensions.gen_random_uuid())$$, '42501', null, 'members cannot write login history');
select throws_ok($$update public.login_history set ip = '10.0.0.1'$$, '42501', null, 'members cannot edit login history');
select throws_ok($$delete from public.login_history$$, '42501', null, 'members cannot erase login history');
select tests.authenticate_as('bob');
select is_empty($$select * from public.login_history where user_id = tests.user_id('alice')$$, 'another member cannot read alice''s login history');
select tests.authenticate_as('erin');
select is_empty($$select * from public.login_history where user_id = tests.user_id('alice')$$, 'an expert cannot read alice''s login history');
select tests.authenticate_as('adam');
select is_empty($$select * from public.login_history where user_id = tests.user_id('alice')$$, 'admins do not read members'' login history through the API');

-- Deletion requests
select tests.authenticate_as('alice');
select ok((select process_after > now() + interval '6 days' from public.request_account_deletion('moving on')), 'a deletion request gets a grace period');
select is((select count(*)::int from public.data_deletion_requests where status = 'pending'), 1, 'alice sees her pending request');
select is((select reason from public.request_account_deletion('again')), 'moving on', 'asking again returns the pending request');
select throws_ok($$insert into public.data_deletion_requests (user_id) values ((select auth.uid()))$$, '42501', null, 'requests are filed only through the function');
select throws_ok($$update public.data_deletion_requests set status = 'completed'$$, '42501', null, 'members cannot change request status directly');
select throws_ok($$select public.request_account_deletion(repeat('x', 2001))$$, '22001', null, 'an overlong reason is refused');
select tests.authenticate_as('bob');
select is_empty($$select * from public.data_deletion_requests where user_id = tests.user_id('alice')$$, 'another member cannot see alice''s request');
select throws_ok(format('select public.cancel_account_deletion(%L)', (select id from public.data_deletion_requests where user_id = tests.user_id('alice'))), 'PT404', null, 'another member cannot cancel alice''s request');
select tests.authenticate_as('adam');
select is((select count(*)::int from public.data_deletion_requests where user_id = tests.user_id('alice')), 1, 'an admin sees deletion requests (audit)');
select tests.authenticate_as('alice');
select is((select status::text from public.cancel_account_deletion((select id from public.data_deletion_requests where status = 'pending'))), 'cancelled', 'alice cancels within the grace period');
select tests.authenticate_as_anon();
select throws_ok($$select public.request_account_deletion('anon')$$, '42501', null, 'anon cannot file deletion requests');
select tests.clear_authentication();

-- Export requests are written by the data-export function (service role); members read their own.
insert into public.data_export_requests (user_id, status, completed_at) values (tests.user_id('alice'), 'completed', now());
select tests.authenticate_as('alice');
select is((select count(*)::int from public.data_export_requests), 1, 'alice reads her export requests');
select throws_ok($$insert into public.data_export_requests (user_id) values ((select auth.uid()))$$, '42501', null, 'members cannot forge export records');
select tests.authenticate_as('bob');
select is_empty($$select * from public.data_export_requests where user_id = tests.user_id('alice')$$, 'another member cannot read alice''s exports');

-- aal2: once alice enrols MFA, an aal1 session sees none of the sensitive rows; aal2 sees them.
select tests.clear_authentication();
select tests.enroll_mfa('alice');
select tests.authenticate_as('alice', 'aal1');
select is_empty($$select * from public.login_history$$, 'MFA member with aal1: no login history');
select is_empty($$select * from public.data_deletion_requests$$, 'MFA member with aal1: no deletion requests');
select is_empty($$select * from public.data_export_requests$$, 'MFA member with aal1: no export requests');
select throws_ok($$select public.request_account_deletion('aal1 attempt')$$, '42501', null, 'MFA member with aal1 cannot request deletion');
select tests.authenticate_as('alice', 'aal2');
select is((select count(*)::int from public.login_history), 1, 'MFA member with aal2 reads login history');
select is((select count(*)::int from public.data_deletion_requests), 1, 'MFA member with aal2 reads deletion requests');
select is((select count(*)::int from public.data_export_requests), 1, 'MFA member with aal2 reads export requests');
select tests.authenticate_as('bob', 'aal1');
select is((select count(*)::int from public.profiles where id = (select auth.uid())), 1, 'a member without MFA is unaffected at aal1');

-- Bookings: lifecycle and who may do what.
select tests.authenticate_as('alice');
select throws_ok(format('select public.create_booking(%L, now() + interval ''2 days'', 60)', tests.user_id('uma')), 'PT404', null, 'cannot book an unverified expert');
select throws_ok(format('select public.create_booking(%L, now() - interval ''2 days'', 60)', tests.user_id('erin')), '22023', null, 'cannot book in the past');
select throws_ok(format('select public.create_booking(%L, now() + interval ''2 days'', 5)', tests.user_id('erin')), '22023', null, 'cannot book 5 minutes');
select is((select price_cents from public.create_booking(tests.user_id('erin'), now() + interval '2 days', 90, 'first chat')), 13500, 'price comes from the expert''s rate (90 min at $90/h)');
select throws_ok(format('insert into public.bookings (member_id, expert_id, scheduled_at, duration_minutes, price_cents) values (%L, %L, now() + interval ''1 day'', 60, 0)', tests.user_id('alice'), tests.user_id('erin')), '42501', null, 'members cannot insert bookings with their own price');
select throws_ok($$update public.bookings set price_cents = 1, status = 'completed'$$, '42501', null, 'members cannot edit bookings directly');
select throws_ok($$select public.set_booking_status((select id from public.bookings limit 1), 'confirmed')$$, '22023', null, 'the member cannot confirm their own booking');
select is((select count(*)::int from public.activity where kind = 'booked'), 1, 'booking appears in alice''s activity');
select tests.authenticate_as('bob');
select is_empty($$select * from public.bookings where member_id = tests.user_id('alice')$$, 'another member cannot read alice''s bookings');
select is_empty($$select * from public.activity where user_id = tests.user_id('alice')$$, 'another member cannot read alice''s activity');
select throws_ok(format('select public.set_booking_status(%L, ''cancelled'')', (select id from public.bookings where member_id = tests.user_id('alice'))), 'PT404', null, 'another member cannot cancel alice''s booking');
select tests.authenticate_as_anon();
select throws_ok($$select * from public.bookings$$, '42501', null, 'anon cannot read bookings');
select tests.authenticate_as('erin');
select is((select count(*)::int from public.bookings where expert_id = (select auth.uid())), 1, 'the expert sees the booking with them');
select is((select status::text from public.set_booking_status((select id from public.bookings where expert_id = (select auth.uid())), 'confirmed')), 'confirmed', 'the expert confirms');
select is((select status::text from public.set_booking_status((select id from public.bookings where expert_id = (select auth.uid())), 'completed')), 'completed', 'the expert completes');
select tests.authenticate_as('alice');
select throws_ok($$select public.set_booking_status((select id from public.bookings limit 1), 'cancelled')$$, '22023', null, 'a completed booking cannot be cancelled');
select throws_ok($$insert into public.activity (user_id, kind) values ((select auth.uid()), 'reviewed')$$, '42501', null, 'members cannot write their activity feed');
select tests.authenticate_as('adam');
select is((select count(*)::int from public.bookings where member_id = tests.user_id('alice')), 1, 'an admin reads every booking');
select tests.clear_authentication();

select * from finish();
rollback;
