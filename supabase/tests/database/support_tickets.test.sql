-- RLS matrix and attacks for public.support_tickets and public.ticket_messages (open_support_ticket()).
begin;
select plan(45);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('erin');
select tests.create_user('adam');
select tests.make_role('erin', 'expert', true);
select tests.make_role('adam', 'admin');

-- anon
select tests.authenticate_as_anon();
select throws_ok($$select public.open_support_ticket('Help', 'Please')$$, '42501', null, 'anon cannot open a ticket');
select throws_ok(format($$insert into public.support_tickets (member_id, subject) values (%L, 'x')$$, tests.user_id('alice')), '42501', null, 'anon cannot insert a ticket');

-- owner opens a ticket
select tests.authenticate_as('alice');
select throws_ok($$select public.open_support_ticket('   ', 'Please')$$, '22023', 'subject must be 1-200 characters', 'an empty subject is refused');
select throws_ok($$select public.open_support_ticket('Help', '')$$, '22023', 'body must be 1-8000 characters', 'an empty body is refused');
select is((select (public.open_support_ticket(' Refund for my consultation ', 'The expert did not show up', 'billing')).status::text), 'open', 'a member opens a ticket');
select tests.clear_authentication();
create temporary table t as select id from public.support_tickets where member_id = tests.user_id('alice');
grant select on t to anon, authenticated;
select tests.authenticate_as('alice');
select is((select subject from public.support_tickets), 'Refund for my consultation', 'the member reads their ticket (subject trimmed)');
select is((select count(*)::int from public.ticket_messages where ticket_id = (select id from t)), 1, 'the first message was stored with the ticket');
select throws_ok(format($$insert into public.support_tickets (member_id, subject) values (%L, 'direct')$$, tests.user_id('alice')), '42501', null, 'a member cannot insert tickets directly');
update public.support_tickets set status = 'closed', priority = 'urgent';
select throws_ok($$update public.support_tickets set subject = 'renamed'$$, '42501', null, 'a member cannot rename a ticket');
select throws_ok($$delete from public.support_tickets$$, '42501', null, 'a member cannot delete a ticket');
select throws_ok($$insert into public.ticket_messages (ticket_id, body, is_internal) select id, 'sneaky note', true from t$$,
  '42501', 'only support staff write internal notes', 'a member cannot write an internal note');
select throws_ok(format($$insert into public.ticket_messages (ticket_id, author_id, body) select id, %L, 'as admin' from t$$, tests.user_id('adam')),
  '42501', null, 'a member cannot write as someone else');
select lives_ok($$insert into public.ticket_messages (ticket_id, body) select id, 'Any news?' from t$$, 'a member replies to their ticket');
select throws_ok($$update public.ticket_messages set body = 'edited'$$, '42501', null, 'messages cannot be edited');
select throws_ok($$delete from public.ticket_messages$$, '42501', null, 'messages cannot be deleted');
select tests.clear_authentication();
select is((select row(status, priority)::text from public.support_tickets where id = (select id from t)), row('open', 'normal')::text,
  'the member could not change status or priority (RLS filtered the update)');
select is((select count(*)::int from public.activity where user_id = tests.user_id('alice') and kind = 'ticket_opened'), 1, 'opening a ticket is in the activity feed');

-- other member
select tests.authenticate_as('bob');
select is_empty($$select * from public.support_tickets$$, 'another member reads no other tickets');
select is_empty($$select * from public.ticket_messages$$, 'another member reads no other ticket messages');
select throws_ok($$insert into public.ticket_messages (ticket_id, body) select id, 'butting in' from t$$, 'PT404', null, 'another member cannot reply to alice''s ticket');
update public.support_tickets set status = 'closed' where id = (select id from t);
select lives_ok($$select public.open_support_ticket('My own', 'Question', 'account')$$, 'bob opens his own ticket');
select is((select count(*)::int from public.support_tickets), 1, 'bob reads only his own ticket');

-- expert
select tests.authenticate_as('erin');
select is_empty($$select * from public.support_tickets$$, 'an expert reads no member tickets');
select is_empty($$select * from public.ticket_messages$$, 'an expert reads no member ticket messages');
update public.support_tickets set status = 'resolved';

-- admin
select tests.authenticate_as('adam');
select is((select count(*)::int from public.support_tickets where member_id in (tests.user_id('alice'), tests.user_id('bob'))), 2, 'an admin reads every ticket');
select is((select status::text from public.support_tickets where id = (select id from t)), 'open', 'nobody else changed alice''s ticket');
select lives_ok($$insert into public.ticket_messages (ticket_id, body, is_internal) select id, 'Refund looks fair; check the booking', true from t$$, 'an admin writes an internal note');
select is((select status::text from public.support_tickets where id = (select id from t)), 'open', 'an internal note does not move the status');
select lives_ok($$insert into public.ticket_messages (ticket_id, body) select id, 'We are refunding you.' from t$$, 'an admin replies');
select is((select status::text from public.support_tickets where id = (select id from t)), 'pending', 'a staff reply makes the ticket pending on the member');
select lives_ok($$update public.support_tickets set priority = 'high', category = 'booking' where id = (select id from t)$$, 'an admin changes priority and category');
select throws_ok($$update public.support_tickets set subject = 'x' where id = (select id from t)$$, '42501', null, 'not even an admin rewrites the subject');
select throws_ok($$delete from public.ticket_messages$$, '42501', null, 'not even an admin deletes messages');
select lives_ok($$update public.support_tickets set status = 'resolved' where id = (select id from t)$$, 'an admin resolves the ticket');
select isnt((select resolved_at from public.support_tickets where id = (select id from t)), null, 'resolution is timestamped');

-- back to the owner: sees staff replies, never internal notes
select tests.authenticate_as('alice');
select is((select count(*)::int from public.ticket_messages), 3, 'the member reads their own and staff''s public messages');
select is((select count(*)::int from public.ticket_messages where is_internal or body like '%check the booking%'), 0, 'the member never reads internal notes');
select is((select array_agg(kind order by id) from public.notifications), array['support_reply', 'ticket_status'], 'the member was notified of the reply and the resolution');
select lives_ok($$insert into public.ticket_messages (ticket_id, body) select id, 'Not received yet' from t$$, 'the member replies to a resolved ticket');
select is((select status::text from public.support_tickets), 'open', 'a member reply reopens a resolved ticket');
select tests.authenticate_as('adam');
select lives_ok($$update public.support_tickets set status = 'closed' where id = (select id from t)$$, 'an admin closes the ticket');
select tests.authenticate_as('alice');
select throws_ok($$insert into public.ticket_messages (ticket_id, body) select id, 'hello?' from t$$, '22023', 'this ticket is closed; open a new one', 'nobody replies to a closed ticket but staff');
select is((select count(*)::int from public.ticket_messages where ticket_id = (select id from t) and author_id = tests.user_id('alice')), 3, 'the member''s messages carry their id');
select tests.clear_authentication();
select is((select count(*)::int from public.ticket_messages where ticket_id = (select id from t)), 5, 'five messages in all, one internal');

-- too many tickets in progress
select tests.authenticate_as('bob');
select throws_ok($$select public.open_support_ticket('flood ' || g, 'x') from generate_series(1, 20) g$$, '22023', 'you have 20 tickets in progress; reply to one of them instead', 'a member cannot flood the support queue');
select tests.clear_authentication();

select * from finish();
rollback;
