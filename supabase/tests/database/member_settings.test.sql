-- RLS matrix for the per-member settings tables: anon, owner, other member, expert, admin x
-- select/insert/update/delete. Rows exist from sign-up; members only read and update their own.
begin;
select plan(75);

select tests.create_user('alice', '{"first_name":"Alice","locale":"fr-FR","terms_accepted":true,"terms_version":"2026-01"}');
select tests.create_user('bob');
select tests.create_user('erin');
select tests.create_user('adam');
select tests.make_role('erin', 'expert', true);
select tests.make_role('adam', 'admin');

-- One matrix per table: `col = val` is a harmless update the owner may make.
create function pg_temp.matrix(tbl text, col text, val text, owner_rows int) returns setof text language plpgsql as $fn$
declare
  alice uuid := tests.user_id('alice');
  q text := format('select count(*)::int from %s where user_id = %L', tbl, alice);
  n int;
begin
  perform tests.authenticate_as_anon();
  return next throws_ok(format('select * from %s where user_id = %L', tbl, alice), '42501', null, tbl || ': anon cannot read');
  return next throws_ok(format('insert into %s (user_id) values (%L)', tbl, alice), '42501', null, tbl || ': anon cannot insert');

  perform tests.authenticate_as('alice');
  execute q into n;
  return next is(n, owner_rows, tbl || ': the owner reads their own rows');
  return next lives_ok(format('update %s set %I = %L where user_id = %L', tbl, col, val, alice), tbl || ': the owner updates their own rows');
  return next throws_ok(format('insert into %s (user_id) values (%L)', tbl, tests.user_id('bob')), '42501', null, tbl || ': the owner cannot insert rows for someone else');
  begin
    execute format('delete from %s where user_id = %L', tbl, alice);
  exception when insufficient_privilege then null; -- no delete privilege: the rows stay
  end;
  execute q into n;
  return next is(n, owner_rows, tbl || ': the owner cannot delete their rows');

  perform tests.authenticate_as('bob');
  return next is_empty(format('select * from %s where user_id = %L', tbl, alice), tbl || ': another member reads nothing of alice');
  execute format('update %s set %I = %L where user_id = %L', tbl, col, val, alice);
  begin
    execute format('delete from %s where user_id = %L', tbl, alice);
  exception when insufficient_privilege then null;
  end;

  perform tests.authenticate_as('erin');
  return next is_empty(format('select * from %s where user_id = %L', tbl, alice), tbl || ': an expert reads nothing of alice');

  perform tests.authenticate_as('adam');
  return next is_empty(format('select * from %s where user_id = %L', tbl, alice), tbl || ': an admin does not browse members'' settings');
  perform tests.clear_authentication();
  execute q into n;
  return next is(n, owner_rows, tbl || ': rows survive the other users'' deletes');
end;
$fn$;

select * from pg_temp.matrix('public.member_preferences', 'timezone', 'Europe/Paris', 1);
-- One row per channel x category: as many as the enums have (4 x 8 since search_alerts and billing).
select * from pg_temp.matrix('public.notification_preferences', 'enabled', 'false',
  cardinality(enum_range(null::public.notification_channel)) * cardinality(enum_range(null::public.notification_category)));
select * from pg_temp.matrix('public.email_preferences', 'newsletter', 'true', 1);
select * from pg_temp.matrix('public.privacy_settings', 'show_location', 'true', 1);
select * from pg_temp.matrix('public.location_preferences', 'search_radius_km', '40', 1);

-- The other member's updates changed nothing (bob tried the same values; alice set them herself).
select is((select count(*)::int from public.notification_preferences where user_id = tests.user_id('bob') and not enabled),
  cardinality(enum_range(null::public.notification_channel)) + cardinality(enum_range(null::public.notification_category)) - 1,
  'bob''s own defaults are intact: marketing (every channel) and sms (every category) off');

-- Defaults and metadata from sign-up
select is((select locale from public.member_preferences where user_id = tests.user_id('alice')), 'fr-FR', 'locale taken from sign-up metadata');
select is((select profile_visibility::text from public.privacy_settings where user_id = tests.user_id('bob')), 'members', 'privacy defaults to members-only visibility');
select is((select marketing_consent from public.privacy_settings where user_id = tests.user_id('bob')), false, 'no marketing consent by default');

-- Marketing consent is time-stamped by the database, not the client.
select tests.authenticate_as('alice');
select throws_ok($$update public.privacy_settings set marketing_consent = true, marketing_consent_at = '2000-01-01' where user_id = (select auth.uid())$$,
                 '42501', null, 'a member cannot write the consent time');
update public.privacy_settings set marketing_consent = true where user_id = (select auth.uid());
select tests.clear_authentication();
select ok((select marketing_consent_at > now() - interval '1 minute' from public.privacy_settings where user_id = tests.user_id('alice')), 'consent time is set by the database');

-- Bad values are refused with a constraint error, not stored.
select tests.authenticate_as('alice');
select throws_ok($$update public.member_preferences set locale = 'english please' where user_id = (select auth.uid())$$, '23514', null, 'an invalid locale is refused');
select throws_ok($$update public.location_preferences set search_radius_km = 100000 where user_id = (select auth.uid())$$, '23514', null, 'an absurd radius is refused');
select throws_ok($$update public.member_preferences set user_id = tests.user_id('bob') where user_id = (select auth.uid())$$, '42501', null, 'a member cannot move their row to someone else');

-- Onboarding: readable by the owner, written only through its functions.
select is((select terms_version from public.onboarding where user_id = (select auth.uid())), '2026-01', 'terms accepted at sign-up are recorded with their version');
select throws_ok($$update public.onboarding set completed_at = now() where user_id = (select auth.uid())$$, '42501', null, 'a member cannot mark onboarding complete directly');
select throws_ok($$delete from public.onboarding where user_id = (select auth.uid())$$, '42501', null, 'a member cannot delete onboarding');
select throws_ok($$select public.complete_onboarding_step('everything')$$, '22023', null, 'an unknown step is refused');
select lives_ok($$select public.complete_onboarding_step('profile')$$, 'profile step');
select lives_ok($$select public.complete_onboarding_step('privacy')$$, 'privacy step');
select is((select completed_at from public.complete_onboarding_step('location')), now(), 'all steps plus accepted terms complete onboarding');

select tests.authenticate_as('bob');
select lives_ok($$select public.complete_onboarding_step('profile'); select public.complete_onboarding_step('privacy'); select public.complete_onboarding_step('location')$$, 'bob does every step');
select is((select completed_at from public.onboarding where user_id = (select auth.uid())), null, 'without accepted terms onboarding is not complete');
select throws_ok($$select public.accept_terms('v1; drop table x')$$, '22023', null, 'a malformed terms version is refused');
select is((select terms_version from public.accept_terms('2026-02')), '2026-02', 'accept_terms records the version');
select isnt((select completed_at from public.onboarding where user_id = (select auth.uid())), null, 'accepting terms completes onboarding');
select is_empty($$select * from public.onboarding where user_id = tests.user_id('alice')$$, 'another member cannot read alice''s onboarding');

select tests.authenticate_as_anon();
select throws_ok($$select public.accept_terms('2026-02')$$, '42501', null, 'anon cannot call accept_terms');
select tests.clear_authentication();

-- An authenticated request without a subject (no member behind it) is refused by every member RPC
-- through private.require_member(), security definer and invoker alike.
select set_config('request.jwt.claims', '{"role":"authenticated"}', true);
set local role authenticated;
select throws_ok($$select public.accept_terms('2026-02')$$, '28000', 'sign in first', 'a member RPC refuses a request with no member');
select throws_ok($$select * from public.member_stats()$$, '28000', 'sign in first', 'an invoker RPC refuses a request with no member');
select tests.clear_authentication();

select * from finish();
rollback;
