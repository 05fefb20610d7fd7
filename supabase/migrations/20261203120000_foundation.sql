-- Foundation: what every capability migration after this one builds on. Each capability has one
-- migration (`<timestamp>_<capability>.sql`, in dependency order) holding its tables, column grants,
-- policies, constraints, functions and triggers; a reader finds a table's whole truth there.
--
-- Conventions every capability follows:
--   * Schemas: private helpers live in `private`, which PostgREST does not expose. Functions are not
--     executable by PUBLIC unless granted (the default privileges below).
--   * Column privileges: API clients get exactly the columns they may edit, on every table, and
--     nothing else (Supabase's default privileges would give anon and authenticated every privilege
--     on every table, RLS being the only guard). Each table starts from nothing for anon and
--     authenticated (`revoke all`), then gets back what it is for; reading is decided row by row by
--     RLS. Server-owned facts (ids, timestamps, money, status, verification) are written only by
--     triggers and functions. test/access-matrix.txt lists the result.
--   * One permissive policy per table x role x action: Postgres ORs permissive policies anyway;
--     writing the OR once means each row is checked by one policy and a table's rule for a role reads
--     in one place. Restrictive policies (aal2, inactive members) stand beside it.
--   * RPCs run as their caller: every function PostgREST exposes is security invoker. One that needs
--     elevated rights has its body as private.<same name> (security definer, in the schema PostgREST
--     does not expose), and public.<name> is a one-line security invoker wrapper with the same
--     signature, defaults, result, comment and grants, written right after the body. Supabase's
--     advisors then report no anon/authenticated_security_definer_function_executable.
--   * Errors carry the HTTP status the client should see through PostgREST, chosen per raise:
--     PTxyz is answered as HTTP xyz, so "not found / not yours" is PT404 (never P0002, which
--     PostgREST answers 500), a rate or budget PT429; P0001 and 22xxx/23514 (a rule broken) are 400,
--     23505 (a conflict) 409, 42501 (not allowed) 401/403. No business error is a 500.
--
-- Account status (profiles.status, set by admins (audited) or the service role). 'suspended' (an
-- admin's measure, may be lifted) and 'deactivated' (the account is closed, e.g. before deletion)
-- mean the same for every capability: the member is INACTIVE.
--
--   capability                                          active   inactive (suspended / deactivated)
--   read own rows, member_stats/dashboard/histories     yes      yes
--   data export, account deletion (request / cancel)    yes      yes
--   delete own rows (favorites, searches, locations,    yes      yes
--     reviews), clear search history
--   privacy, notification, email and other settings;    yes      yes  (withdrawing consent and
--     mark notifications read                                         muting mail stay possible)
--   cancel own bookings (credits are refunded)          yes      yes
--   reply to own support tickets                        yes      yes
--   open a support ticket                               yes      only category 'account' (an appeal)
--   edit profile / expert profile, favorite, review,    yes      no (42501)
--     save searches, record searches, set a location,
--     nearby search, book, confirm/complete bookings,
--     apply credits, onboarding steps, see a member's
--     area
--   be listed or booked as an expert, public profile,   yes      no (hidden as if unverified)
--     public reviews, favorites count
--   admin powers                                        yes      no (private.is_admin() needs active)
--   earn referral credits                               yes      no (credit_referral: *_inactive)
--
-- Input hygiene: one rule per kind of field, enforced by the table itself (check constraints), so it
-- holds on every write path (PostgREST writes, RPCs, triggers, Studio):
--   plain line (names, titles, subjects, places): no control characters (C0, DEL, C1) and no
--     invisible formatting or bidi controls (U+061C, U+200B..U+200F, U+202A..U+202E,
--     U+2060..U+2064, U+2066..U+2069, U+FEFF);
--   plain text (bios, review and message bodies): the same, but newlines and tabs are allowed;
--   link (avatar_url): an https:// URL without spaces, quotes or angle brackets.
-- Sign-up keeps never failing: it strips exactly what the plain-line rule forbids.

-- Extensions, in the extensions schema as on every Supabase project: pgcrypto (random bytes for
-- referral codes, password hashes in the seed) and PostGIS (locations). pgTAP and plpgsql_check are
-- test and lint tools, never created by a migration.
create extension if not exists pgcrypto with schema extensions;
create extension if not exists postgis with schema extensions;

-- Private helpers live in a schema PostgREST does not expose.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to anon, authenticated, service_role;

-- Functions are not executable by PUBLIC unless granted: a per-schema default cannot take back the
-- global default, so revoke it for everything this role creates (public-schema RPCs keep
-- Supabase's explicit grants to the API roles; internal helpers get none).
alter default privileges for role postgres revoke execute on functions from public;
-- And the platform's own default for public (EXECUTE for anon and authenticated on every function
-- created there): a function a later migration forgets to grant deliberately is an endpoint nobody
-- reviewed. Every RPC grants its roles explicitly (test/catalog.test.ts creates one to check).
alter default privileges for role postgres in schema public revoke execute on functions from anon, authenticated;

-- Functions
-- The policy helpers are PL/pgSQL on purpose: a SQL function with a SET clause is never inlined and
-- is parsed and planned again at every call, while PL/pgSQL keeps its plans for the session.
create or replace function private.is_admin()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.profiles
    where id = (select auth.uid()) and role = 'admin' and status = 'active'
  );
end;
$$;
comment on function private.is_admin() is 'True when the caller is an active admin; used in policies as (select private.is_admin()).';
grant execute on function private.is_admin() to authenticated, service_role;

-- Admin arms an index can serve. `... or (select private.is_admin())` is a parameter the planner
-- cannot look through, so a member's plain `from(t).select()` became a scan of the whole table. Read
-- policies write the admin arm as a key range instead:
--   key between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff'
-- (bigint keys: admin_bigint_floor() and 9223372036854775807). For an active admin the floor is the
-- lowest key (every row); for anyone else it is NULL (no row). Every arm is then an index condition:
-- a member's read is a BitmapOr of index scans over their own rows, and a range with an unknown
-- bound is estimated at 0.5 % of the table, so the plan stays index-driven. An admin's read is a
-- full range of the key's index, the check itself evaluated once per statement, not per row.
create or replace function private.admin_uuid_floor()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return case when private.is_admin() then '00000000-0000-0000-0000-000000000000'::uuid end;
end;
$$;
comment on function private.admin_uuid_floor() is 'Read policies'' admin arm: the lowest uuid for an active admin (every row in range), NULL for anyone else.';
grant execute on function private.admin_uuid_floor() to authenticated, service_role;

create or replace function private.admin_bigint_floor()
returns bigint
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return case when private.is_admin() then -9223372036854775808 end;
end;
$$;
comment on function private.admin_bigint_floor() is 'Read policies'' admin arm: the lowest bigint for an active admin (every row in range), NULL for anyone else.';
grant execute on function private.admin_bigint_floor() to authenticated, service_role;

create or replace function private.has_verified_mfa(user_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from auth.mfa_factors f where f.user_id = has_verified_mfa.user_id and f.status = 'verified');
end;
$$;

create or replace function private.aal_satisfied()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  -- A member who has enrolled MFA must present an aal2 session; one who has not, any session.
  return coalesce((select auth.jwt()) ->> 'aal', 'aal1') = 'aal2'
      or not private.has_verified_mfa((select auth.uid()));
end;
$$;
comment on function private.aal_satisfied() is 'Restrictive policies on sensitive tables: aal2 required once MFA is enrolled.';
grant execute on function private.aal_satisfied() to authenticated, service_role;

-- Every member RPC that acts (rather than reads) starts with this one: signed in AND active.
create or replace function private.require_member()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  me uuid := private.require_signed_in();
begin
  if not private.is_active_member() then
    raise exception 'your account is %: this is not available until it is active again',
      coalesce((select p.status::text from public.profiles p where p.id = me), 'not set up') using errcode = '42501';
  end if;
  return me;
end;
$$;
grant execute on function private.require_member() to authenticated, service_role;

comment on function private.require_member() is 'Raises unless the caller is a signed-in, active member (suspended and deactivated members are refused).';

create or replace function private.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

create or replace function private.refuse_truncate()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception '% is append-only and cannot be truncated', tg_table_name using errcode = '42501';
end;
$$;

create or replace function private.account_active(user_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.profiles p where p.id = account_active.user_id and p.status = 'active');
end;
$$;
comment on function private.account_active(uuid) is 'True when the member exists and is active; for definer functions and the service side (a status oracle: no API role may call it).';
revoke execute on function private.account_active(uuid) from public, anon, authenticated;
grant execute on function private.account_active(uuid) to service_role;

create or replace function private.is_active_member()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return private.account_active((select auth.uid()));
end;
$$;
comment on function private.is_active_member() is 'True when the caller is a signed-in, active member; restrictive write policies use it as (select private.is_active_member()).';
grant execute on function private.is_active_member() to authenticated, service_role;

-- Signed in, whatever the status: for reading and deleting one's own data.
create or replace function private.require_signed_in()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  if me is null then
    raise exception 'sign in first' using errcode = '28000';
  end if;
  return me;
end;
$$;
comment on function private.require_signed_in() is 'Raises unless a member is signed in (any status); for RPCs that read or delete the caller''s own data.';
grant execute on function private.require_signed_in() to authenticated, service_role;

-- The two character sets are written once, in the strippers; a value follows a rule when
-- stripping leaves it unchanged.
create or replace function private.plain_line(value text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select regexp_replace(value, '[\x01-\x1F\x7F-\x9F\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]', '', 'g');
$$;
comment on function private.plain_line(text) is 'Removes control (C0, DEL, C1), invisible-format and bidi characters: what one-line text others see may not hold.';
-- Only sign-up (definer) strips; the API roles check with is_plain_line / is_plain_text.
grant execute on function private.plain_line(text) to service_role;

create or replace function private.plain_text(value text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select regexp_replace(value, '[\x01-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]', '', 'g');
$$;
comment on function private.plain_text(text) is 'As plain_line, but keeps tabs and newlines: what multi-line text others see may not hold.';
grant execute on function private.plain_text(text) to service_role;

-- The checks ask "does it hold a forbidden character?" with one regex match (the same classes as
-- plain_line / plain_text; input_hygiene.test.sql proves they agree character by character). Every
-- write of every such column runs them: comparing the value with plain_*(value) in a SQL function
-- with a SET clause was planned afresh per call (~12 µs, about a tenth of a message send); this is
-- PL/pgSQL with its plan kept (~1.7 µs).
create or replace function private.is_plain_line(value text)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  return value is null
      or value !~ '[\x01-\x1F\x7F-\x9F\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]';
end;
$$;
comment on function private.is_plain_line(text) is 'The rule for one-line text others see (names, titles, subjects, places).';

-- Check constraints run with the writer's privileges.
grant execute on function private.is_plain_line(text) to anon, authenticated, service_role;

create or replace function private.is_plain_text(value text)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  return value is null
      or value !~ '[\x01-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]';
end;
$$;
comment on function private.is_plain_text(text) is 'The rule for multi-line text others see (bios, review and message bodies).';
grant execute on function private.is_plain_text(text) to anon, authenticated, service_role;

create or replace function private.is_safe_link(value text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select value is null or (char_length(value) <= 2048 and value ~ '^https://[^\s"''<>\\`]+$');
$$;
comment on function private.is_safe_link(text) is 'The rule for links shown to others (avatar_url): https only, no spaces, quotes or angle brackets.';
grant execute on function private.is_safe_link(text) to anon, authenticated, service_role;

-- PostgREST turns each JSON value of an RPC call into its parameter's type through the value's text,
-- so an array or object sent where a call takes one text value arrives as its JSON text
-- (`{ expertise: ['tax'] }` as '["tax"]') and would be searched for or stored as if it were text.
-- RPCs call this first for each text parameter: a whole value that is a JSON array or object is
-- refused (400 22023), as PostgREST refuses an array for a number. (Text that merely starts with a
-- bracket passes; the exception block is entered only for text that does.)
create or replace function private.require_text_value(param text, value text)
returns void
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  parsed jsonb;
begin
  if value is null or value !~ '^\s*[\[{]' then
    return;
  end if;
  begin
    parsed := value::jsonb;
  exception when invalid_text_representation then
    return;
  end;
  if jsonb_typeof(parsed) in ('array', 'object') then
    raise exception '% must be one text value, not a JSON %', param, jsonb_typeof(parsed)
      using errcode = '22023', detail = 'wrong_json_type';
  end if;
end;
$$;
comment on function private.require_text_value(text, text) is 'Raises 22023 (HTTP 400) when an RPC text parameter holds a JSON array or object: what PostgREST passes for one sent in place of a text value.';
grant execute on function private.require_text_value(text, text) to authenticated, service_role;

-- Realtime: the publication every Supabase project has (created here only where it does not);
-- each capability adds the tables whose changes its clients subscribe to.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end;
$$;

-- Lists several capabilities extend are data each of them adds to.
-- Member-link exclusions: foreign keys the data export and the account-deletion check (privacy:
-- private.member_linked_tables()) deliberately do not follow, because following them would hand a
-- member other people's data. The capability owning the table adds its row, with the reason.
create table private.excluded_member_links (
  table_name text not null,
  column_name text not null,
  reason text not null check (reason <> ''),
  primary key (table_name, column_name)
);
comment on table private.excluded_member_links is 'Foreign keys deliberately not followed as member links (public.<table_name>.<column_name>), with the reason; read through private.member_link_exclusions().';
grant select on private.excluded_member_links to service_role;
