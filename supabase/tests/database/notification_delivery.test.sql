-- Notifications that deliver: every notification trigger, preference suppression by channel and
-- category (and notification_emails immediate / daily_digest / off) at creation, the outbox
-- tables' access matrix (public.email_outbox, public.email_delivery_attempts,
-- public.email_unsubscribes), claiming, retries with backoff, attempts, and unsubscribe tokens.
begin;
select plan(57);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('erin');
select tests.create_user('ivan');
select tests.create_user('adam');
select tests.make_role('erin', 'expert', true);
select tests.make_role('ivan', 'expert', false);
select tests.make_role('adam', 'admin');
update public.expert_profiles set hourly_rate_cents = 6000, is_available = true where id = tests.user_id('erin');
update public.expert_profiles set expertise = '{tax,accounting}', headline = 'Tax adviser' where id = tests.user_id('ivan');

create or replace function pg_temp.kinds(who text) returns text[] language sql as $$
  select coalesce(array_agg(n.kind order by n.id), '{}') from public.notifications n where n.user_id = tests.user_id(who) $$;
create or replace function pg_temp.mails(who text) returns text[] language sql as $$
  select coalesce(array_agg(o.kind order by o.id), '{}') from public.email_outbox o where o.user_id = tests.user_id(who) $$;

-- Bookings: requested -> expert; confirmed, completed -> member; cancelled -> whoever did not cancel
select tests.authenticate_as('alice');
select public.create_booking(tests.user_id('erin'), now() + interval '2 days', 60, 'first');
select public.create_booking(tests.user_id('erin'), now() + interval '3 days', 30, 'second');
select tests.authenticate_as('erin');
select public.set_booking_status((select id from public.bookings where note = 'first'), 'confirmed');
select public.set_booking_status((select id from public.bookings where note = 'first'), 'completed');
select tests.authenticate_as('alice');
select public.set_booking_status((select id from public.bookings where note = 'second'), 'cancelled');
select tests.clear_authentication();
select is(pg_temp.kinds('erin'), array['booking_requested', 'booking_requested', 'booking_cancelled'],
  'the expert hears of each request and of the member''s cancellation');
select is(pg_temp.kinds('alice'), array['booking_confirmed', 'booking_completed'],
  'the member hears of confirmation and completion, not of their own cancellation');
select is(pg_temp.mails('alice'), array['booking_confirmed', 'booking_completed'], 'and gets the same by email (both channels on by default)');
select is((select data ->> 'booking_id' from public.notifications where kind = 'booking_confirmed' and user_id = tests.user_id('alice')),
          (select id::text from public.bookings where note = 'first'), 'the notice carries the booking id');

-- A review on the expert's booking; a support answer; credits earned; a direct message
select tests.authenticate_as('alice');
insert into public.reviews (booking_id, expert_id, rating, title, body)
values ((select id from public.bookings where note = 'first'), tests.user_id('erin'), 5, 'Great', 'Very helpful');
select public.open_support_ticket('Invoice question', 'Where is my invoice?', 'other');
select tests.authenticate_as('adam');
insert into public.ticket_messages (ticket_id, body) select id, 'Here it is.' from public.support_tickets;
select tests.authenticate_as('alice');
select public.start_conversation(tests.user_id('erin'), 'Thanks for the session!');
select tests.clear_authentication();
select private.adjust_credits(tests.user_id('alice'), 500, 'goodwill-1', 'Goodwill credit');
select private.adjust_credits(tests.user_id('alice'), -100, 'correction-1', 'Correction');
select is(pg_temp.kinds('erin'), array['booking_requested', 'booking_requested', 'booking_cancelled', 'review_received', 'message_received'],
  'the expert is told of the review and of the message');
select is((pg_temp.kinds('alice'))[3:], array['support_reply', 'credits_earned'], 'the member is told of the answer and of credits earned, not of credits taken');
select is((select title from public.notifications where kind = 'credits_earned' and user_id = tests.user_id('alice')), 'You received $5.00 in credits', 'the amount is in the title');

-- Saved searches: a newly verified or newly available expert matching a search with notify on
select tests.authenticate_as('alice');
insert into public.saved_searches (name, query, filters, notify) values ('Tax help', '', '{"expertise":["Tax"]}', true);
insert into public.saved_searches (name, query, filters, notify) values ('Lawyers', '', '{"expertise":["law"]}', true);
select tests.authenticate_as('bob');
insert into public.saved_searches (name, query, filters, notify) values ('Tax quietly', '', '{"expertise":["tax"]}', false);
select tests.clear_authentication();
update public.expert_profiles set verification_status = 'verified', verified_at = now() where id = tests.user_id('ivan');
select is((select count(*)::int from public.notifications where kind = 'saved_search_match' and user_id = tests.user_id('alice')), 1,
  'a member whose saved search matches hears of the newly verified expert once');
select is((select title from public.notifications where kind = 'saved_search_match' and user_id = tests.user_id('alice')), 'New expert for "Tax help"', 'naming the matching search');
select is((select count(*)::int from public.notifications where kind = 'saved_search_match' and user_id = tests.user_id('bob')), 0,
  'a search with notify off stays silent');
update public.expert_profiles set headline = 'Tax adviser (updated)' where id = tests.user_id('ivan');
select is((select count(*)::int from public.notifications where kind = 'saved_search_match' and user_id = tests.user_id('alice')), 1, 'other profile edits notify nobody');
update public.expert_profiles set is_available = false where id = tests.user_id('ivan');
update public.expert_profiles set is_available = true where id = tests.user_id('ivan');
select is((select count(*)::int from public.notifications where kind = 'saved_search_match' and user_id = tests.user_id('alice')), 2, 'becoming available again notifies again');
update public.saved_searches set filters = '{"expertise":["tax"],"max_rate_cents":1000}' where name = 'Tax help';
update public.expert_profiles set hourly_rate_cents = 9000, is_available = false where id = tests.user_id('ivan');
update public.expert_profiles set is_available = true where id = tests.user_id('ivan');
select is((select count(*)::int from public.notifications where kind = 'saved_search_match' and user_id = tests.user_id('alice')), 2, 'an expert outside the filters is no match');

-- Billing hook
select private.notify_billing_event(tests.user_id('alice'), 'subscription_renewed', 'Your subscription renewed', null, '{"plan":"pro"}');
select is((select count(*)::int from public.notifications where kind = 'subscription_renewed' and user_id = tests.user_id('alice')), 1, 'the billing hook notifies in category billing');
select throws_ok($$select private.notify_billing_event(tests.user_id('alice'), 'hello', 'x')$$, '22023', null, 'with billing kinds only');

-- Preferences at creation: channel x category
update public.notification_preferences set enabled = false where user_id = tests.user_id('bob') and channel = 'in_app' and category = 'credits';
select private.adjust_credits(tests.user_id('bob'), 300, 'bob-1', 'x');
select is(pg_temp.kinds('bob'), '{}'::text[], 'in-app off for a category: no in-app notice');
select is(pg_temp.mails('bob'), array['credits_earned'], 'but the email still goes');
update public.notification_preferences set enabled = false where user_id = tests.user_id('bob') and channel = 'email' and category = 'credits';
update public.notification_preferences set enabled = true where user_id = tests.user_id('bob') and channel = 'in_app' and category = 'credits';
select private.adjust_credits(tests.user_id('bob'), 300, 'bob-2', 'x');
select is(pg_temp.kinds('bob'), array['credits_earned'], 'email off for a category: the in-app notice appears');
select is(pg_temp.mails('bob'), array['credits_earned'], 'and no email is queued');
select private.notify(tests.user_id('bob'), 'booking_confirmed', 'bookings', 'Other category');
select is(pg_temp.mails('bob'), array['credits_earned', 'booking_confirmed'], 'switches are per category');
update public.email_preferences set notification_emails = 'off' where user_id = tests.user_id('bob');
select private.notify(tests.user_id('bob'), 'booking_confirmed', 'bookings', 'Emails off');
select is(array_length(pg_temp.mails('bob'), 1), 2, 'notification_emails = off queues no email');
update public.email_preferences set notification_emails = 'daily_digest' where user_id = tests.user_id('bob');
update public.member_preferences set timezone = 'Europe/Berlin' where user_id = tests.user_id('bob');
select private.notify(tests.user_id('bob'), 'booking_confirmed', 'bookings', 'Digest me');
select ok((select digest and next_attempt_at > now() and next_attempt_at <= now() + interval '1 day'
                  and extract(hour from next_attempt_at at time zone 'Europe/Berlin') = 8
             from public.email_outbox where subject = 'Digest me'), 'daily_digest: due at the next 08:00 in the member''s time zone');
update public.notification_preferences set enabled = false where user_id = tests.user_id('bob') and channel = 'in_app' and category = 'security';
select private.notify(tests.user_id('bob'), 'new_sign_in', 'security', 'New sign-in');
select is((select count(*)::int from public.notifications where kind = 'new_sign_in'), 1, 'security notices always appear in-app');

-- Access: nobody but the service side reads the outbox tables; nobody writes them directly
select tests.authenticate_as_anon();
select throws_ok($$select * from public.email_outbox$$, '42501', null, 'anon cannot read the outbox');
select tests.authenticate_as('alice');
select throws_ok($$select * from public.email_outbox$$, '42501', null, 'a member cannot read the outbox, not even their own emails');
select throws_ok($$select * from public.email_delivery_attempts$$, '42501', null, 'nor the attempts');
select throws_ok($$select * from public.email_unsubscribes$$, '42501', null, 'nor used unsubscribe tokens');
select throws_ok($$select * from private.claim_emails('me', 10)$$, '42501', null, 'nor claim emails');
select throws_ok($$select * from private.hold_email_claims('me', '{1}')$$, '42501', null, 'nor hold claims');
select throws_ok(format($$select private.consume_unsubscribe(gen_random_uuid(), %L, 'messages')$$, tests.user_id('bob')), '42501', null,
  'nor use the unsubscribe function for someone else');
select tests.authenticate_as('adam');
select throws_ok($$select * from public.email_outbox$$, '42501', null, 'an admin does not read members'' emails through the API');
select tests.authenticate_as_service_role();
select ok((select count(*) > 0 from public.email_outbox), 'the service role reads the outbox');
select throws_ok($$delete from public.email_outbox$$, '42501', null, 'but does not rewrite it');
select tests.clear_authentication();

-- Claiming, retries with backoff, every attempt recorded
update public.email_outbox set status = 'sent' where status = 'pending' and subject <> 'Your subscription renewed';
select is((select count(*)::int from private.claim_emails('w1', 10)), 1, 'a worker claims the due email');
select is((select count(*)::int from private.claim_emails('w2', 10)), 0, 'another worker does not get it again');
select is(private.finish_email((select id from public.email_outbox where subject = 'Your subscription renewed'), 'w2', true), null,
  'a worker cannot finish someone else''s claim');
select is(private.finish_email((select id from public.email_outbox where subject = 'Your subscription renewed'), 'w1', false, 'SMTP 451 try later'),
  'pending'::public.email_status, 'a failed attempt goes back to pending');
select ok((select next_attempt_at between now() + interval '59 seconds' and now() + interval '61 seconds' from public.email_outbox where subject = 'Your subscription renewed'),
  'after the first failure it waits retry_base (1 minute)');
update public.email_outbox set next_attempt_at = now() where subject = 'Your subscription renewed';
select is((select count(*)::int from private.claim_emails('w1', 10)), 1, 'it is claimed again when due');
select private.finish_email((select id from public.email_outbox where subject = 'Your subscription renewed'), 'w1', false, 'SMTP 451 again');
select ok((select next_attempt_at between now() + interval '119 seconds' and now() + interval '121 seconds' from public.email_outbox where subject = 'Your subscription renewed'),
  'the backoff doubles');
update private.email_settings set max_attempts = 3;
update public.email_outbox set next_attempt_at = now() where subject = 'Your subscription renewed';
select private.claim_emails('w1', 10);
select is(private.finish_email((select id from public.email_outbox where subject = 'Your subscription renewed'), 'w1', false, 'SMTP 451 still'),
  'failed'::public.email_status, 'after max_attempts it fails for good');
select is((select array_agg(outcome order by attempt) from public.email_delivery_attempts a join public.email_outbox o on o.id = a.outbox_id
            where o.subject = 'Your subscription renewed'), array['retry', 'retry', 'failed'], 'every attempt is recorded');
-- A claim whose sender vanished: its lease runs out, the attempt's outcome is unknown, and the
-- mail is taken again (at least once) until max_attempts
update public.email_outbox set status = 'pending', next_attempt_at = now(), attempts = 0 where subject = 'Digest me';
select private.claim_emails('w3', 10);
select ok((select lease_expires_at = claimed_at + interval '10 minutes' and claimed_by = 'w3' from public.email_outbox where subject = 'Digest me'),
  'a claim has an owner and a lease of claim_timeout');
select is((select count(*)::int from private.claim_emails('w4', 10)), 0, 'a live claim is not handed out again');
update public.email_outbox set lease_expires_at = now() - interval '1 second' where subject = 'Digest me';
select is((select array_agg(id) from private.claim_emails('w4', 10)), (select array_agg(id) from public.email_outbox where subject = 'Digest me'),
  'an expired claim is taken again by the next worker');
select is((select string_agg(a.outcome || '/' || a.worker, ',' order by a.id) from public.email_delivery_attempts a join public.email_outbox o on o.id = a.outbox_id
            where o.subject = 'Digest me'), 'unknown/w3', 'the dead sender''s attempt is recorded as unknown');
select is(private.finish_email((select id from public.email_outbox where subject = 'Digest me'), 'w3', true), null,
  'the dead sender cannot finish the claim it lost');
-- Before each send a sender holds its claims again: only its own, each for a full lease from now.
update public.email_outbox set lease_expires_at = now() + interval '1 second' where subject = 'Digest me';
select is((select count(*)::int from private.hold_email_claims('w3', array(select id from public.email_outbox where subject = 'Digest me'))), 0,
  'a sender that lost its claim holds nothing (so it does not send it)');
select is((select array_agg(h order by h) from private.hold_email_claims('w4', array(select id from public.email_outbox where subject = 'Digest me')) h),
  (select array_agg(id order by id) from public.email_outbox where subject = 'Digest me'), 'the owner holds its claims');
select ok((select bool_and(lease_expires_at = now() + interval '10 minutes') from public.email_outbox where subject = 'Digest me'),
  'holding renews the lease to a full claim_timeout from now');
select is(private.finish_email((select id from public.email_outbox where subject = 'Digest me'), 'w4', true), 'sent'::public.email_status,
  'the new owner records it sent');
update public.email_outbox set status = 'pending', next_attempt_at = now(), attempts = 2 where subject = 'Digest me';
select private.claim_emails('w5', 10);
update public.email_outbox set lease_expires_at = now() - interval '1 second' where subject = 'Digest me';
select is(private.retake_expired_email_claims(), 1, 'the scheduler''s sweep takes the expired claim back');
select is((select status from public.email_outbox where subject = 'Digest me'), 'failed'::public.email_status,
  'an unknown outcome on the last attempt (max_attempts) fails the mail for good');

-- Unsubscribe tokens: once only
update public.email_outbox set status = 'pending' where user_id = tests.user_id('alice') and category = 'bookings';
select is(private.consume_unsubscribe('00000000-0000-4000-8000-000000000001', tests.user_id('alice'), 'bookings'), 'unsubscribed', 'a token unsubscribes');
select is((select enabled from public.notification_preferences where user_id = tests.user_id('alice') and channel = 'email' and category = 'bookings'),
  false, 'that category''s email is switched off');
select is((select count(*)::int from public.email_outbox where user_id = tests.user_id('alice') and category = 'bookings' and status = 'pending'), 0,
  'and its pending emails are suppressed');
select is(private.consume_unsubscribe('00000000-0000-4000-8000-000000000001', tests.user_id('alice'), 'bookings'), 'used', 'the same token again is refused');

select * from finish();
rollback;
