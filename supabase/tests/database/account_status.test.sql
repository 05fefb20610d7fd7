-- Suspended and deactivated accounts, capability by capability (the table is in the migration
-- 20261203120000_foundation.sql). The attacks from the security review: a suspended member
-- books, opens tickets and edits their profile; a suspended expert is still public, bookable and
-- sets their location. Each capability is tried as a suspended member ('sam'), a deactivated one
-- ('dee') where it differs in nothing but the word, and a suspended expert ('sue').
begin;
select plan(44);

select tests.create_user('sam', '{"first_name":"Sam"}');
select tests.create_user('dee');
select tests.create_user('sue');
select tests.create_user('erin');
select tests.create_user('alice');
select tests.make_role('sue', 'expert', true);
select tests.make_role('erin', 'expert', true);
update public.expert_profiles set hourly_rate_cents = 6000, is_available = true where id in (tests.user_id('sue'), tests.user_id('erin'));
-- Rows the members had before they were suspended.
insert into public.bookings (id, member_id, expert_id, status, scheduled_at, duration_minutes, price_cents, completed_at) values
  ('5a000000-0000-4000-8000-000000000001', tests.user_id('sam'), tests.user_id('erin'), 'completed', now() - interval '3 days', 60, 6000, now() - interval '3 days'),
  ('5a000000-0000-4000-8000-000000000002', tests.user_id('sam'), tests.user_id('erin'), 'requested', now() + interval '3 days', 60, 6000, null),
  ('5a000000-0000-4000-8000-000000000003', tests.user_id('alice'), tests.user_id('sue'), 'requested', now() + interval '3 days', 60, 6000, null);
insert into public.favorites (member_id, expert_id) values (tests.user_id('sam'), tests.user_id('erin'));
insert into public.member_locations (member_id, location, city) values (tests.user_id('sam'), 'SRID=4326;POINT(13.4 52.5)', 'Berlin');
insert into public.expert_locations (expert_id, location, city) values (tests.user_id('sue'), 'SRID=4326;POINT(13.41 52.51)', 'Berlin'),
                                                                    (tests.user_id('erin'), 'SRID=4326;POINT(13.405 52.505)', 'Berlin');
update public.privacy_settings set show_location = true where user_id = tests.user_id('alice');
insert into public.member_locations (member_id, location, city, area) values (tests.user_id('alice'), 'SRID=4326;POINT(13.42 52.52)', 'Berlin', 'Mitte');
select public.open_support_ticket('Old question', 'Before the suspension') from (select tests.authenticate_as('sam')) x;
select tests.clear_authentication();
create temporary table sam_ticket on commit drop as select id from public.support_tickets where member_id = tests.user_id('sam');
grant select on sam_ticket to authenticated;
update public.profiles set status = 'suspended' where id in (tests.user_id('sam'), tests.user_id('sue'));
update public.profiles set status = 'deactivated' where id = tests.user_id('dee');

-- ===== What an inactive member keeps =====
select tests.authenticate_as('sam');
select is((select count(*)::int from public.bookings), 2, 'a suspended member still reads their own bookings');
select is((select status::text from public.profiles where id = auth.uid()), 'suspended', 'and their own profile, with its status');
select is((select bookings_total from public.member_stats()), 2, 'member_stats still answers');
select ok((select public.member_dashboard() ? 'profile'), 'the dashboard still answers');
select is((select count(*)::int from public.spending_history(3)), 3, 'spending_history still answers');
select is((select count(*)::int from public.consultation_history()), 1, 'consultation_history still answers');
select lives_ok($$update public.privacy_settings set marketing_consent = false, show_location = false where user_id = auth.uid()$$,
                'privacy settings (withdrawing consent) stay editable');
select lives_ok($$update public.email_preferences set newsletter = false where user_id = auth.uid()$$, 'mail preferences stay editable');
select lives_ok($$delete from public.favorites where member_id = auth.uid()$$, 'own favorites can be deleted');
select lives_ok($$delete from public.member_locations where member_id = auth.uid()$$, 'the own location can be deleted');
select lives_ok($$select public.clear_search_history()$$, 'search history can be cleared');
select is((select status::text from public.set_booking_status('5a000000-0000-4000-8000-000000000002', 'cancelled')), 'cancelled', 'an own booking can be cancelled');
select lives_ok(format($$insert into public.ticket_messages (ticket_id, body) values (%L, 'Why was I suspended?')$$, (select id from sam_ticket)),
                'a reply on an own ticket is possible');
select is((select category::text from public.open_support_ticket('Appeal', 'Please review my suspension', 'account')), 'account',
          'an account ticket (an appeal) can be opened');
select isnt((select id from public.request_account_deletion('leaving')), null, 'account deletion can be requested');

-- ===== What an inactive member loses (the attacks) =====
select throws_ok(format($$select public.create_booking(%L, now() + interval '5 days', 60)$$, tests.user_id('erin')), '42501', null,
                 'a suspended member cannot book');
select throws_ok($$select public.open_support_ticket('Refund', 'Money back please', 'billing')$$, '42501', null,
                 'a suspended member cannot open a (non-account) ticket');
select throws_ok($$update public.profiles set first_name = 'Samuel' where id = auth.uid()$$, '42501', null,
                 'a suspended member cannot edit their profile');
select throws_ok(format($$insert into public.favorites (expert_id) values (%L)$$, tests.user_id('erin')), '42501', null,
                 'a suspended member cannot add a favorite');
select throws_ok($$insert into public.reviews (booking_id, rating, title) values ('5a000000-0000-4000-8000-000000000001', 1, 'Revenge')$$, '42501', null,
                 'a suspended member cannot write a review');
select throws_ok($$insert into public.saved_searches (name) values ('tax')$$, '42501', null, 'a suspended member cannot save a search');
select throws_ok($$select public.record_search('tax')$$, '42501', null, 'a suspended member cannot record searches');
select throws_ok($$select public.set_my_location(52.5, 13.4)$$, '42501', null, 'a suspended member cannot set a location');
select throws_ok($$select * from public.nearby_experts(52.5, 13.4, 10)$$, '42501', null, 'a suspended member cannot search nearby experts');
select throws_ok($$select public.complete_onboarding_step('profile')$$, '42501', null, 'a suspended member cannot run onboarding steps');
select throws_ok($$select public.apply_credits('5a000000-0000-4000-8000-000000000001')$$, '42501', null, 'a suspended member cannot apply credits');
select throws_ok(format($$insert into public.expert_profiles (id, headline) values (%L, 'Me')$$, tests.user_id('sam')), '42501', null,
                 'a suspended member cannot create an expert profile');

select tests.authenticate_as('dee');
select throws_ok(format($$select public.create_booking(%L, now() + interval '5 days', 60)$$, tests.user_id('erin')), '42501', null,
                 'a deactivated member cannot book either');
select throws_ok($$update public.profiles set bio = 'back' where id = auth.uid()$$, '42501', null, 'nor edit their profile');
select is((select count(*)::int from public.profiles where id = auth.uid()), 1, 'but reads it');

-- ===== A suspended expert =====
select tests.authenticate_as('sue');
select throws_ok($$select public.set_expert_location(52.5, 13.4)$$, '42501', null, 'a suspended expert cannot set their location');
select throws_ok($$update public.expert_profiles set headline = 'Still here' where id = auth.uid()$$, '42501', null,
                 'a suspended expert cannot edit their expert profile');
select throws_ok($$select public.set_booking_status('5a000000-0000-4000-8000-000000000003', 'confirmed')$$, '42501', null,
                 'a suspended expert cannot confirm a booking');
select is((select count(*)::int from public.member_area(tests.user_id('alice'))), 0, 'a suspended expert no longer sees a booked member''s area');
select is((select count(*)::int from public.expert_profiles where id = auth.uid()), 1, 'a suspended expert still reads their own expert profile');
select is((select status::text || '/' || coalesce(cancelled_by::text, 'nobody') from public.bookings where id = '5a000000-0000-4000-8000-000000000003'),
          'cancelled/nobody', 'their open bookings were cancelled when they were suspended, by nobody');

select tests.authenticate_as('alice');
select throws_ok(format($$select public.create_booking(%L, now() + interval '5 days', 60)$$, tests.user_id('sue')), 'PT404', null,
                 'a suspended expert cannot be booked');
select is((select count(*)::int from public.expert_profiles where id = tests.user_id('sue')), 0, 'a suspended expert is not listed to members');
select is((select count(*)::int from public.profiles where id = tests.user_id('sue')), 0, 'nor is their profile');
select is((select count(*)::int from public.nearby_experts(52.5, 13.4, 10) n where n.expert_id = tests.user_id('sue')), 0, 'nor found nearby');
select throws_ok(format($$select public.expert_favorites_count(%L)$$, tests.user_id('sue')), 'PT404', null, 'nor has a public favorites count');
select is((select count(*)::int from public.nearby_experts(52.5, 13.4, 10) n where n.expert_id = tests.user_id('erin')), 1,
          'while the active expert a few hundred metres away is found');
select is((select count(*)::int from public.expert_profiles where id = tests.user_id('erin')), 1, 'an active verified expert stays listed');
select tests.authenticate_as_anon();
select is((select count(*)::int from public.expert_reviews(tests.user_id('sue'))), 0, 'anon sees no reviews of a suspended expert');

select * from finish();
rollback;
