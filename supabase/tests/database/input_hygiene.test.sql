-- Input hygiene: one rule per kind of field, on every write path. The attacks from the security
-- review: a javascript: avatar_url, and names with bidi overrides / terminal escapes set after
-- sign-up, then shown to other members as review authors.
begin;
select plan(30);

select tests.create_user('hy_alice', jsonb_build_object('first_name', E'Ali\u202Ece', 'last_name', E'\u001b[31mRed'));
select tests.create_user('hy_erin');
select tests.make_role('hy_erin', 'expert', true);
insert into public.bookings (id, member_id, expert_id, status, scheduled_at, duration_minutes, price_cents, completed_at)
values ('7e000000-0000-4000-8000-000000000001', tests.user_id('hy_alice'), tests.user_id('hy_erin'), 'completed', now() - interval '1 day', 60, 5000, now() - interval '1 day');

-- Sign-up never fails; it strips what the rule forbids and keeps the rest of the name.
select is((select first_name || '|' || last_name from public.profiles where id = tests.user_id('hy_alice')), 'Alice|[31mRed',
          'sign-up strips the bidi override and the escape character from names');

select tests.authenticate_as('hy_alice');
-- ===== Names after sign-up =====
select throws_ok($$update public.profiles set first_name = E'Ali\u202Ece' where id = auth.uid()$$, '23514', null, 'a right-to-left override in first_name is refused');
select throws_ok($$update public.profiles set last_name = E'\u2066Smith\u2069' where id = auth.uid()$$, '23514', null, 'bidi isolates in last_name are refused');
select throws_ok($$update public.profiles set display_name = E'Adm\u200Bin' where id = auth.uid()$$, '23514', null, 'a zero-width space in display_name is refused');
select throws_ok($$update public.profiles set first_name = E'\u001b]0;pwned\u0007' where id = auth.uid()$$, '23514', null, 'a terminal escape sequence is refused');
select throws_ok($$update public.profiles set first_name = E'Al\u009bice' where id = auth.uid()$$, '23514', null, 'a C1 control (CSI) is refused');
select throws_ok($$update public.profiles set first_name = E'Al\nice' where id = auth.uid()$$, '23514', null, 'a newline in a one-line name is refused');
select lives_ok($$update public.profiles set first_name = 'Zoë', last_name = 'Ñandú-李', display_name = 'Zoë N.' where id = auth.uid()$$,
                'names in any script stay welcome');
select lives_ok($$update public.profiles set bio = E'Line one\nLine two\twith a tab' where id = auth.uid()$$, 'a bio may have newlines and tabs');
select throws_ok($$update public.profiles set bio = E'Hello \u202Edlrow' where id = auth.uid()$$, '23514', null, 'but no bidi override');

-- ===== avatar_url =====
select throws_ok($$update public.profiles set avatar_url = 'javascript:alert(document.cookie)' where id = auth.uid()$$, '23514', null, 'a javascript: URL is refused');
select throws_ok($$update public.profiles set avatar_url = 'data:text/html,<script>alert(1)</script>' where id = auth.uid()$$, '23514', null, 'a data: URL is refused');
select throws_ok($$update public.profiles set avatar_url = 'http://example.test/a.png' where id = auth.uid()$$, '23514', null, 'plain http is refused');
select throws_ok($$update public.profiles set avatar_url = 'https://example.test/a.png" onerror="alert(1)' where id = auth.uid()$$, '23514', null, 'quotes cannot break out of an attribute');
select lives_ok($$update public.profiles set avatar_url = 'https://cdn.example.test/avatars/a.png?v=2' where id = auth.uid()$$, 'an https URL is accepted');

-- ===== The same rules on the other write paths =====
select throws_ok($$insert into public.reviews (booking_id, rating, title) values ('7e000000-0000-4000-8000-000000000001', 5, E'Gr\u202Eeat')$$, '23514', null,
                 'a review title with a bidi override is refused');
select throws_ok($$select public.open_support_ticket(E'Help\u001b[2J', 'please')$$, '23514', null, 'an RPC write (ticket subject) meets the same rule');
select throws_ok($$insert into public.saved_searches (name) values (E'tax\u200E')$$, '23514', null, 'a saved search name too');
select throws_ok($$select public.set_my_location(52.5, 13.4, E'Ber\u202Elin')$$, '23514', null, 'and a city given to set_my_location');
select tests.clear_authentication();

select tests.authenticate_as('hy_erin');
select throws_ok($$update public.expert_profiles set headline = E'Tax \u202Eadvice' where id = auth.uid()$$, '23514', null, 'an expert headline too');
select tests.clear_authentication();

-- What other members see as the author of a public review is clean.
select tests.authenticate_as('hy_alice');
select lives_ok($$insert into public.reviews (booking_id, rating, title, body) values ('7e000000-0000-4000-8000-000000000001', 5, 'Great', E'Clear\nadvice')$$,
                'a clean review is stored');
select tests.authenticate_as_anon();
select is((select author_name from public.expert_reviews(tests.user_id('hy_erin'))), 'Zoë Ñ.', 'the public review shows the clean name');
select tests.clear_authentication();

-- The checks match one regex; the strippers remove the same classes: character by character they agree
-- (every code point up to U+3000, and U+FEFF), so a value passes exactly when stripping leaves it as is.
select is((select count(*)::int from (select chr(c) as ch from generate_series(1, 12288) c union all select chr(65279)) x
            where private.is_plain_line(x.ch) is distinct from (x.ch = private.plain_line(x.ch))),
  0, 'is_plain_line agrees with plain_line on every character');
select is((select count(*)::int from (select chr(c) as ch from generate_series(1, 12288) c union all select chr(65279)) x
            where private.is_plain_text(x.ch) is distinct from (x.ch = private.plain_text(x.ch))),
  0, 'is_plain_text agrees with plain_text on every character');

-- RPC text parameters: a whole JSON array or object (what PostgREST passes for one sent in place of a
-- text value) is refused; text that only starts with a bracket, or is a JSON scalar, is not.
select throws_ok($$ select private.require_text_value('expertise', '["tax"]') $$, '22023',
  'expertise must be one text value, not a JSON array', 'a JSON array where one text value is taken is refused');
select throws_ok($$ select private.require_text_value('body', ' {"value": "hi"}') $$, '22023',
  'body must be one text value, not a JSON object', 'a JSON object (after spaces) is refused');
select lives_ok($$ select private.require_text_value('body', '[urgent] call me') $$, 'text that merely starts with a bracket passes');
select lives_ok($$ select private.require_text_value('body', '{not json') $$, 'an unclosed brace passes');
select lives_ok($$ select private.require_text_value('query', '5') $$, 'a JSON scalar''s text passes (it cannot be told from the text)');
select lives_ok($$ select private.require_text_value('query', null) $$, 'null passes (the RPC decides whether it is allowed)');

select * from finish();
rollback;
