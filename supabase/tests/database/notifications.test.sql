-- RLS matrix for public.notifications and the preference check in private.notify().
begin;
select plan(18);

select tests.create_user('alice');
select tests.create_user('bob');
select tests.create_user('erin');
select tests.create_user('adam');
select tests.make_role('erin', 'expert', true);
select tests.make_role('adam', 'admin');

select private.notify(tests.user_id('alice'), 'support_reply', 'messages', 'Support replied', 'We are on it', '{"ticket_id":"x"}');
select private.notify(tests.user_id('alice'), 'review_received', 'reviews', 'New review');
select private.notify(tests.user_id('bob'), 'support_reply', 'messages', 'Bob''s notice');

-- preferences: in-app notices of a switched-off category are not created; security ones always are
update public.notification_preferences set enabled = false where user_id = tests.user_id('bob') and channel = 'in_app' and category in ('reviews', 'security');
select private.notify(tests.user_id('bob'), 'review_received', 'reviews', 'muted');
select private.notify(tests.user_id('bob'), 'new_sign_in', 'security', 'New sign-in');
select is((select array_agg(title order by id) from public.notifications where user_id = tests.user_id('bob')), array['Bob''s notice', 'New sign-in'],
  'a muted category is skipped, security notices are always sent');
select private.notify(extensions.gen_random_uuid(), 'x', 'messages', 'nobody');
select is((select count(*)::int from public.notifications where title = 'nobody'), 0, 'notices for unknown users are dropped');

-- anon
select tests.authenticate_as_anon();
select throws_ok($$select * from public.notifications$$, '42501', null, 'anon cannot read notifications');
select throws_ok($$update public.notifications set read_at = now()$$, '42501', null, 'anon cannot mark notifications read');
select throws_ok(format($$insert into public.notifications (user_id, kind, title) values (%L, 'x', 'x')$$, tests.user_id('alice')), '42501', null, 'anon cannot insert notifications');

-- owner
select tests.authenticate_as('alice');
select is((select count(*)::int from public.notifications), 2, 'a member reads their own notifications');
select is((select count(*)::int from public.notifications where read_at is null), 2, 'both are unread');
select lives_ok($$update public.notifications set read_at = now() where kind = 'support_reply'$$, 'a member marks a notification read');
select is((select count(*)::int from public.notifications where read_at is null), 1, 'one unread left');
select throws_ok($$update public.notifications set title = 'changed'$$, '42501', null, 'a member cannot rewrite a notification');
select throws_ok(format($$update public.notifications set user_id = %L$$, tests.user_id('bob')), '42501', null, 'a member cannot hand a notification to someone else');
select throws_ok(format($$insert into public.notifications (user_id, kind, title) values (%L, 'x', 'spoofed')$$, tests.user_id('alice')), '42501', null, 'a member cannot create notifications');
select throws_ok($$delete from public.notifications$$, '42501', null, 'a member cannot delete notifications');
select throws_ok(format($$select private.notify(%L, 'x', 'messages', 'spam')$$, tests.user_id('bob')), '42501', null, 'a member cannot call notify() to message others');

-- other member
select tests.authenticate_as('bob');
select is_empty(format($$select * from public.notifications where user_id = %L$$, tests.user_id('alice')), 'another member cannot read alice''s notifications');
update public.notifications set read_at = now() where user_id = tests.user_id('alice');

-- expert and admin: nobody else reads a member's notices
select tests.authenticate_as('erin');
select is_empty(format($$select * from public.notifications where user_id = %L$$, tests.user_id('alice')), 'an expert cannot read alice''s notifications');
update public.notifications set read_at = now() where user_id = tests.user_id('alice');
select tests.authenticate_as('adam');
select is_empty(format($$select * from public.notifications where user_id = %L$$, tests.user_id('alice')), 'an admin does not read members'' notifications either');
update public.notifications set read_at = now() where user_id = tests.user_id('alice');
select tests.clear_authentication();
select is((select count(*)::int from public.notifications where user_id = tests.user_id('alice') and read_at is null), 1,
  'nobody else marked alice''s notification read');

select * from finish();
rollback;
