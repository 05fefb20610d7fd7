-- Direct messages: RLS matrix for public.conversations, public.messages,
-- public.conversation_participants, public.blocks and public.message_reports (anon, member,
-- other member / non-participant, expert, admin, blocked party), opening rules, edit window, soft
-- delete, read state, blocking, flood control and moderation.
begin;
select plan(69);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('erin');
select tests.create_user('ivan');
select tests.create_user('adam');
select tests.make_role('erin', 'expert', true);
select tests.make_role('ivan', 'expert', false);
select tests.make_role('adam', 'admin');

-- Opening a conversation
select tests.authenticate_as('alice');
select throws_ok(format($$select public.start_conversation(%L, 'hi')$$, tests.user_id('bob')), 'PT404', null,
  'a member cannot open a conversation with another member');
select throws_ok(format($$select public.start_conversation(%L, 'hi')$$, tests.user_id('ivan')), 'PT404', null,
  'nor with an unverified expert');
select throws_ok(format($$select public.start_conversation(%L, 'hi')$$, tests.user_id('alice')), '22023', null,
  'nor with themselves');
select throws_ok(format($$select public.start_conversation(%L, '   ')$$, tests.user_id('erin')), '23514', null,
  'an empty message is refused');
select throws_ok(format($$select public.start_conversation(%L, repeat('x', 4001))$$, tests.user_id('erin')), '23514', null,
  'a message longer than 4000 characters is refused');
select lives_ok(format($$select public.start_conversation(%L, 'Hello Erin, can you help with my tax return?')$$, tests.user_id('erin')),
  'a member opens a conversation with a verified expert');
select is((select count(*)::int from public.conversations), 1, 'the member sees the conversation');
select lives_ok(format($$select public.start_conversation(%L, 'Second thought')$$, tests.user_id('erin')),
  'opening again reuses the conversation');
select is((select count(*)::int from public.conversations), 1, 'still one conversation');
select throws_ok($$insert into public.conversations (member_id, expert_id) values (auth.uid(), auth.uid())$$, '42501', null,
  'members cannot insert conversations directly');
select throws_ok(format($$insert into public.messages (conversation_id, body, created_at) values ((select id from public.conversations), 'x', now() - interval '1 day')$$),
  '42501', null, 'created_at is the server''s, not the client''s');
select throws_ok($$insert into public.messages (conversation_id, body, withheld) values ((select id from public.conversations), 'x', false)$$,
  '42501', null, 'withheld is server-owned');

-- The expert replies; read state and unread counts
select tests.authenticate_as('erin');
select is((select unread_count from public.conversation_participants where user_id = auth.uid()), 2, 'the expert has two unread messages');
select is((public.unread_counts() ->> 'messages')::int, 2, 'unread_counts() gives the badge');
select is((select count(*)::int from public.notifications where kind = 'message_received'), 1,
  'one notice per conversation until it is read, not one per message');
select lives_ok($$insert into public.messages (conversation_id, body) values ((select id from public.conversations), 'Sure, send me the documents.')$$,
  'the expert replies by inserting a message');
select is((select count(*)::int from public.messages), 3, 'the expert reads the whole thread');
select lives_ok($$select public.mark_conversation_read((select id from public.conversations))$$, 'the expert marks the conversation read');
select is((select unread_count from public.conversation_participants where user_id = auth.uid()), 0, 'no unread messages left');

select tests.authenticate_as('alice');
select is((select unread_count from public.conversation_participants where user_id = auth.uid()), 1, 'the member has the reply unread');
select is((select last_read_message_id from public.conversation_participants where user_id = tests.user_id('erin')),
          (select max(id) from public.messages), 'the member sees the expert''s read receipt');
select results_eq($$select other_id, unread_count, last_message_preview from public.inbox()$$,
  format($$values (%L::uuid, 1, 'Sure, send me the documents.')$$, tests.user_id('erin')),
  'inbox(): the other party, unread count and last message');
select throws_ok($$update public.conversation_participants set unread_count = 0$$, '42501', null, 'read state is not client-writable');
select is((public.member_dashboard() #>> '{counts,unread_messages}')::int, 1, 'member_dashboard() counts unread messages');

-- Edit window and soft delete
select lives_ok($$update public.messages set body = 'Hello Erin, can you help with my tax return (2025)?' where body like 'Hello Erin%'$$,
  'a sender edits a message inside the window');
select isnt((select edited_at from public.messages where body like 'Hello Erin%'), null, 'the edit is stamped');
select tests.clear_authentication();
update public.messages set created_at = now() - interval '1 hour' where body like 'Hello Erin%';
select tests.authenticate_as('alice');
select throws_ok($$update public.messages set body = 'too late' where body like 'Hello Erin%'$$, '22023', null,
  'editing after the window is refused');
update public.messages set body = 'hijacked' where sender_id = tests.user_id('erin');
select is((select count(*)::int from public.messages where body = 'hijacked'), 0, 'a member cannot edit the other side''s message');
select lives_ok($$update public.messages set deleted_at = '2000-01-01' where body = 'Second thought'$$, 'a sender soft-deletes a message');
select is((select body from public.messages where deleted_at is not null), '', 'the deleted body is erased');
select ok((select deleted_at > now() - interval '1 minute' from public.messages where deleted_at is not null), 'deleted_at is the server''s time');
select throws_ok($$delete from public.messages$$, '42501', null, 'messages are never hard-deleted by clients');

select set_config('test.conversation', (select id::text from public.conversations), true);
select set_config('test.first_message', (select min(id)::text from public.messages), true);
select is((select count(*)::int from public.notifications where kind = 'message_received'), 1, 'the member was notified of the reply');

-- anon
select tests.authenticate_as_anon();
select throws_ok($$select * from public.conversations$$, '42501', null, 'anon cannot read conversations');
select throws_ok($$select * from public.messages$$, '42501', null, 'anon cannot read messages');
select throws_ok($$select * from public.conversation_participants$$, '42501', null, 'anon cannot read read state');
select throws_ok($$select * from public.blocks$$, '42501', null, 'anon cannot read blocks');
select throws_ok($$select * from public.message_reports$$, '42501', null, 'anon cannot read reports');
select throws_ok($$select public.inbox()$$, '42501', null, 'anon cannot call inbox()');

-- a non-participant member
select tests.authenticate_as('bob');
select is_empty($$select * from public.conversations$$, 'another member sees no conversation');
select is_empty($$select * from public.messages$$, 'nor its messages');
select is_empty($$select * from public.conversation_participants$$, 'nor its read state');
select throws_ok(format($$insert into public.messages (conversation_id, body) values (%L, 'intrusion')$$,
                        current_setting('test.conversation')), '42501', null, 'a non-participant cannot write into it');
select throws_ok(format($$select public.mark_conversation_read(%L)$$, current_setting('test.conversation')), 'PT404', null,
  'nor mark it read');
select throws_ok(format($$insert into public.message_reports (message_id, reason) values (%L, 'spam')$$, current_setting('test.first_message')),
  '42501', null, 'nor report its messages');

-- the admin: no conversation access until a message is reported
select tests.authenticate_as('adam');
select is_empty($$select * from public.messages where conversation_id = current_setting('test.conversation')::uuid$$, 'an admin does not read unreported messages');

-- Reporting and moderation
select tests.authenticate_as('alice');
select throws_ok(format($$insert into public.message_reports (message_id, reason) values (%L, 'mine')$$, (select min(id) from public.messages)),
  '42501', null, 'a member cannot report their own message');
select lives_ok($$insert into public.message_reports (message_id, reason) values ((select id from public.messages where sender_id = tests.user_id('erin')), 'rude')$$,
  'a participant reports a message they received');
select tests.authenticate_as('erin');
select is_empty($$select * from public.message_reports$$, 'the reported sender does not see the report');
select throws_ok($$select public.moderate_message((select max(id) from public.messages), true, 'x', false)$$, '42501', null,
  'only admins moderate');
select tests.authenticate_as('adam');
select is((select count(*)::int from public.message_reports r join public.messages m on m.id = r.message_id
            where r.status = 'open' and m.conversation_id = current_setting('test.conversation')::uuid), 1, 'the report is in the admins'' queue');
select is((select body from public.messages where conversation_id = current_setting('test.conversation')::uuid), 'Sure, send me the documents.',
  'the admin reads the reported message');
select throws_ok($$select public.moderate_message((select r.message_id from public.message_reports r join public.messages m on m.id = r.message_id where m.conversation_id = current_setting('test.conversation')::uuid), true, 'abusive', true)$$, '42501', null,
  'suspending a sender needs the admin''s aal2 session, like every status change');
select tests.authenticate_as('adam', 'aal2');
select lives_ok($$select public.moderate_message((select r.message_id from public.message_reports r join public.messages m on m.id = r.message_id where m.conversation_id = current_setting('test.conversation')::uuid), true, 'abusive', true)$$,
  'the admin (aal2) hides it and suspends the sender');
select is((select r.status::text from public.message_reports r where r.reporter_id = tests.user_id('alice')), 'actioned', 'the report is resolved');
select tests.clear_authentication();
select is((select status::text from public.profiles where id = tests.user_id('erin')), 'suspended', 'the sender is suspended');
select tests.authenticate_as('alice');
select is((select count(*)::int from public.messages where sender_id = tests.user_id('erin')), 0, 'the hidden message is gone for participants');
select tests.authenticate_as('erin');
select throws_ok($$insert into public.messages (conversation_id, body) values ((select id from public.conversations), 'still here')$$,
  '42501', null, 'a suspended sender cannot write');
select tests.clear_authentication();
update public.profiles set status = 'active' where id = tests.user_id('erin');

-- Blocking: the blocked party is not told; their messages are withheld from the blocker
select tests.authenticate_as('alice');
select lives_ok(format($$insert into public.blocks (blocked_id) values (%L)$$, tests.user_id('erin')), 'a member blocks the expert');
select is((select count(*)::int from public.blocks), 1, 'the blocker sees the block');
select tests.authenticate_as('erin');
select is_empty($$select * from public.blocks$$, 'the blocked party cannot see the block');
select lives_ok($$insert into public.messages (conversation_id, body) values ((select id from public.conversations), 'Are you there?')$$,
  'the blocked party''s send looks successful');
select is((select count(*)::int from public.messages where body = 'Are you there?'), 1, 'and they see their own message');
select set_config('test.withheld', (select id::text from public.messages where body = 'Are you there?'), true);
select tests.authenticate_as('alice');
select is((select count(*)::int from public.messages where body = 'Are you there?'), 0, 'the blocker never sees it');
select is((select unread_count from public.conversation_participants where user_id = auth.uid()), 1, 'nor counts it unread');
select is((select count(*)::int from public.notifications where kind = 'message_received' and data ->> 'message_id' = current_setting('test.withheld')),
  0, 'nor is notified of it');

-- Flood control: at most messages_per_minute per sender, with a clear code
select tests.clear_authentication();
update private.messaging_settings set messages_per_minute = 3;
select tests.authenticate_as('alice');
select lives_ok($$insert into public.messages (conversation_id, body) select (select id from public.conversations), 'burst ' || g from generate_series(1, 2) g$$,
  'sending up to the limit works');
select throws_ok($$insert into public.messages (conversation_id, body) values ((select id from public.conversations), 'one too many')$$,
  'PT429', null, 'the next message in the same minute is refused with PT429 (HTTP 429)');

-- Realtime: clients subscribe to these tables under their RLS
select is((select array_agg(tablename::text order by tablename) from pg_publication_tables
            where pubname = 'supabase_realtime' and schemaname = 'public'
              and tablename in ('messages', 'conversation_participants', 'room_messages', 'notifications')),
  array['conversation_participants', 'messages', 'notifications', 'room_messages'], 'messages, read state and notifications are published to Realtime');

select * from finish();
rollback;
