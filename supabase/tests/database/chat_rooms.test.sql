-- Chat rooms: RLS matrix for public.chat_rooms, public.room_members and public.room_messages
-- (anon, owner, moderator, member, non-member, invited, removed and left members, admin), the
-- membership RPCs, muting, moderation and the shared flood limit.
begin;
select plan(47);

select tests.create_user('owen');
select tests.create_user('mona');
select tests.create_user('mia');
select tests.create_user('rex');
select tests.create_user('lea');
select tests.create_user('pat');
select tests.create_user('adam');
select tests.make_role('adam', 'admin');

-- Rooms and joining
select tests.authenticate_as('owen');
select lives_ok($$select public.create_room('Gardening', 'Soil, seeds and sun')$$, 'a member creates a public room');
select lives_ok($$select public.create_room('Inner circle', null, 'private')$$, 'and a private one');
select is((select role::text || '/' || status::text from public.room_members where user_id = auth.uid() and room_id = (select id from public.chat_rooms where name = 'Gardening')),
  'owner/active', 'the creator owns the room');
select throws_ok($$insert into public.chat_rooms (name) values ('Sneaky')$$, '42501', null, 'rooms are created through create_room() only');
select set_config('test.public_room', (select id::text from public.chat_rooms where name = 'Gardening'), true);
select set_config('test.private_room', (select id::text from public.chat_rooms where name = 'Inner circle'), true);

select tests.authenticate_as('pat');
select is(array(select name from public.chat_rooms where name in ('Gardening', 'Inner circle') order by name), array['Gardening'],
  'a non-member sees public rooms only');
select throws_ok(format($$select public.join_room(%L)$$, current_setting('test.private_room')), 'PT404', null,
  'a private room cannot be joined (or even found) without an invitation');

select tests.authenticate_as('mona');
select lives_ok(format($$select public.join_room(%L)$$, current_setting('test.public_room')), 'any active member joins a public room');
select tests.authenticate_as('mia');
select public.join_room(current_setting('test.public_room')::uuid);
select tests.authenticate_as('rex');
select public.join_room(current_setting('test.public_room')::uuid);
select tests.authenticate_as('lea');
select public.join_room(current_setting('test.public_room')::uuid);

-- Roles
select tests.authenticate_as('mona');
select throws_ok(format($$select public.set_room_role(%L, %L, 'moderator')$$, current_setting('test.public_room'), tests.user_id('mona')), '42501', null,
  'a member cannot promote themselves');
select tests.authenticate_as('owen');
select lives_ok(format($$select public.set_room_role(%L, %L, 'moderator')$$, current_setting('test.public_room'), tests.user_id('mona')),
  'the owner makes a moderator');
select throws_ok(format($$select public.leave_room(%L)$$, current_setting('test.public_room')), '22023', null, 'the owner hands over before leaving');

-- Messages
select tests.authenticate_as('owen');
insert into public.room_messages (room_id, body) values (current_setting('test.public_room')::uuid, 'Welcome, gardeners!');
select tests.authenticate_as('lea');
insert into public.room_messages (room_id, body) values (current_setting('test.public_room')::uuid, 'Hi all, Lea here');
select lives_ok(format($$select public.leave_room(%L)$$, current_setting('test.public_room')), 'a member leaves');
select tests.authenticate_as('mona');
select lives_ok(format($$select public.remove_from_room(%L, %L)$$, current_setting('test.public_room'), tests.user_id('rex')),
  'a moderator removes a member');
select throws_ok(format($$select public.remove_from_room(%L, %L)$$, current_setting('test.public_room'), tests.user_id('owen')), '42501', null,
  'but not the owner');
select tests.clear_authentication();
update public.room_messages set created_at = created_at - interval '1 second';
update public.room_members set left_at = left_at - interval '1 second' where status in ('left', 'removed');
select tests.authenticate_as('mia');
insert into public.room_messages (room_id, body) values (current_setting('test.public_room')::uuid, 'Tomatoes need sun');
select is((select count(*)::int from public.room_messages where room_id = current_setting('test.public_room')::uuid), 3, 'an active member reads every message');
select throws_ok($$insert into public.room_messages (room_id, body, created_at) values (current_setting('test.public_room')::uuid, 'x', now() - interval '1 day')$$,
  '42501', null, 'created_at is the server''s');
select is((select count(*)::int from public.room_members where room_id = current_setting('test.public_room')::uuid), 5, 'an active member reads the roster');

select tests.authenticate_as('lea');
select is(array(select body from public.room_messages order by created_at, id), array['Welcome, gardeners!', 'Hi all, Lea here'],
  'a member who left reads what was written before leaving, nothing new');
select throws_ok($$insert into public.room_messages (room_id, body) values (current_setting('test.public_room')::uuid, 'back?')$$, '42501', null,
  'and cannot write');
select is((select count(*)::int from public.room_members), 1, 'and sees only their own membership, not the roster');
select lives_ok(format($$select public.join_room(%L)$$, current_setting('test.public_room')), 'a member who left may rejoin a public room');
select tests.authenticate_as('rex');
select is((select count(*)::int from public.room_messages where body = 'Tomatoes need sun'), 0, 'a removed member reads nothing new');
select throws_ok($$insert into public.room_messages (room_id, body) values (current_setting('test.public_room')::uuid, 'let me in')$$, '42501', null,
  'a removed member cannot write');
select throws_ok(format($$select public.join_room(%L)$$, current_setting('test.public_room')), '42501', null, 'nor rejoin without an invitation');
select tests.authenticate_as('pat');
select is_empty($$select * from public.room_messages$$, 'a non-member reads no messages of a public room');
select is_empty($$select * from public.room_members where user_id <> auth.uid()$$, 'nor its roster');
select throws_ok($$insert into public.room_messages (room_id, body) values (current_setting('test.public_room')::uuid, 'drive-by')$$, '42501', null,
  'nor writes into it');
select tests.authenticate_as_anon();
select throws_ok($$select * from public.chat_rooms$$, '42501', null, 'anon cannot list rooms');
select throws_ok($$select * from public.room_messages$$, '42501', null, 'anon cannot read room messages');
select throws_ok($$select * from public.room_members$$, '42501', null, 'anon cannot read rosters');

-- Private rooms by invitation
select tests.authenticate_as('owen');
select lives_ok(format($$select public.invite_to_room(%L, %L)$$, current_setting('test.private_room'), tests.user_id('pat')), 'the owner invites');
select tests.authenticate_as('pat');
select is(array(select name from public.chat_rooms where name in ('Gardening', 'Inner circle') order by name), array['Gardening', 'Inner circle'],
  'the invited member sees the private room');
select is_empty($$select * from public.room_messages where room_id = current_setting('test.private_room')::uuid$$, 'but reads nothing before joining');
select lives_ok(format($$select public.join_room(%L)$$, current_setting('test.private_room')), 'and joins');

-- Muting and moderation
select tests.authenticate_as('mona');
select lives_ok(format($$select public.mute_room_member(%L, %L, 10)$$, current_setting('test.public_room'), tests.user_id('mia')), 'a moderator mutes a member');
select tests.authenticate_as('mia');
select throws_ok($$insert into public.room_messages (room_id, body) values (current_setting('test.public_room')::uuid, 'muffled')$$, '42501', null,
  'a muted member cannot write');
select is((select count(*)::int from public.room_messages where room_id = current_setting('test.public_room')::uuid), 3, 'but still reads');
select throws_ok(format($$select public.hide_room_message((select id from public.room_messages where body = 'Welcome, gardeners!'), 'x')$$), 'PT404', null,
  'a plain member cannot hide messages');
select tests.authenticate_as('mona');
select lives_ok($$select public.hide_room_message((select id from public.room_messages where body = 'Tomatoes need sun'), 'off topic')$$,
  'a moderator hides a message');
select is((select count(*)::int from public.room_messages where hidden_at is not null and room_id = current_setting('test.public_room')::uuid), 1,
  'the moderator still sees it, marked hidden');
select tests.authenticate_as('lea');
select is((select count(*)::int from public.room_messages where body = 'Tomatoes need sun'), 0, 'members no longer see it');
select tests.authenticate_as('owen');
update public.room_messages set body = 'edited by the owner' where body = 'Hi all, Lea here';
select is((select count(*)::int from public.room_messages where body = 'edited by the owner'), 0, 'nobody edits someone else''s message');
select throws_ok(format($$select public.set_room_role(%L, %L, 'member')$$, current_setting('test.public_room'), tests.user_id('rex')), 'PT404', null,
  'roles are for current members');
select tests.authenticate_as('adam');
select is((select count(*)::int from public.room_messages where room_id = current_setting('test.public_room')::uuid), 3, 'an admin reads every room message');
select lives_ok(format($$select public.remove_from_room(%L, %L)$$, current_setting('test.public_room'), tests.user_id('mona')), 'and can remove a moderator');

-- Accounts deleted: the owner's room passes on; a room with nobody left goes
select tests.clear_authentication();
delete from auth.users where id = tests.user_id('owen');
select is((select role::text from public.room_members where room_id = current_setting('test.public_room')::uuid and status = 'active'
            order by (role = 'owner') desc limit 1), 'owner', 'a room whose owner''s account is deleted passes to another active member');
delete from auth.users where id = tests.user_id('pat');
select is((select count(*)::int from public.chat_rooms where id = current_setting('test.private_room')::uuid), 0,
  'a room whose last member''s account is deleted goes with it');

-- One flood limit across direct and room messages
select tests.clear_authentication();
update private.messaging_settings set messages_per_minute = 2;
select tests.authenticate_as('lea');
insert into public.room_messages (room_id, body) values (current_setting('test.public_room')::uuid, 'one');
select throws_ok($$insert into public.room_messages (room_id, body) values (current_setting('test.public_room')::uuid, 'two')$$, 'PT429', null,
  'room messages count towards the flood limit (the earlier one did too)');

select * from finish();
rollback;
