-- Input hygiene: one rule per kind of field, enforced by the table itself, so it holds on every
-- write path (PostgREST writes, RPCs, triggers, Studio). The review found avatar_url accepting
-- javascript: URLs, and names accepting bidi overrides and terminal escapes after sign-up (sign-up
-- stripped control characters; profile updates did not), shown to other members in public reviews.
--   plain line (names, titles, subjects, places): no control characters (C0, DEL, C1) and no
--     invisible formatting or bidi controls (U+061C, U+200B..U+200F, U+202A..U+202E,
--     U+2060..U+2064, U+2066..U+2069, U+FEFF);
--   plain text (bios, review and message bodies): the same, but newlines and tabs are allowed;
--   link (avatar_url): an https:// URL without spaces, quotes or angle brackets.
-- Sign-up keeps never failing: it strips exactly what the plain-line rule forbids.

-- Functions
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

create or replace function private.is_plain_line(value text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select value is null or value = private.plain_line(value);
$$;
comment on function private.is_plain_line(text) is 'The rule for one-line text others see (names, titles, subjects, places).';

create or replace function private.is_plain_text(value text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select value is null or value = private.plain_text(value);
$$;
comment on function private.is_plain_text(text) is 'The rule for multi-line text others see (bios, review and message bodies).';

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

-- Check constraints run with the writer's privileges.
grant execute on function private.is_plain_line(text), private.is_plain_text(text), private.is_safe_link(text),
  private.plain_line(text), private.plain_text(text) to anon, authenticated, service_role;

-- Sign-up metadata: strip what the rule forbids (it stripped only control characters).
select private.patch_function('private.meta_text(jsonb, text[], integer)'::regprocedure,
  'regexp_replace(meta ->> k, ''[[:cntrl:]]'', '''', ''g'')', 'private.plain_line(meta ->> k)');

-- Rows stored before the rule: clean them the way sign-up would, so the constraints can hold.
update public.profiles set first_name = nullif(btrim(private.plain_line(first_name)), ''),
                           last_name = nullif(btrim(private.plain_line(last_name)), ''),
                           display_name = nullif(btrim(private.plain_line(display_name)), '')
 where not (private.is_plain_line(first_name) and private.is_plain_line(last_name) and private.is_plain_line(display_name));
update public.profiles set avatar_url = null where not private.is_safe_link(avatar_url);
update public.profiles set bio = private.plain_text(bio) where not private.is_plain_text(bio);

-- Tables: the rule of each field.
alter table public.profiles
  add constraint profiles_first_name_plain check (private.is_plain_line(first_name)),
  add constraint profiles_last_name_plain check (private.is_plain_line(last_name)),
  add constraint profiles_display_name_plain check (private.is_plain_line(display_name)),
  add constraint profiles_bio_plain check (private.is_plain_text(bio)),
  add constraint profiles_avatar_url_https check (private.is_safe_link(avatar_url));
alter table public.expert_profiles
  add constraint expert_profiles_headline_plain check (private.is_plain_line(headline)),
  add constraint expert_profiles_city_plain check (private.is_plain_line(city)),
  add constraint expert_profiles_area_plain check (private.is_plain_line(area)),
  add constraint expert_profiles_bio_plain check (private.is_plain_text(bio));
alter table public.reviews
  add constraint reviews_title_plain check (private.is_plain_line(title)),
  add constraint reviews_body_plain check (private.is_plain_text(body));
alter table public.support_tickets add constraint support_tickets_subject_plain check (private.is_plain_line(subject));
alter table public.ticket_messages add constraint ticket_messages_body_plain check (private.is_plain_text(body));
alter table public.saved_searches
  add constraint saved_searches_name_plain check (private.is_plain_line(name)),
  add constraint saved_searches_query_plain check (private.is_plain_line(query));
alter table public.search_history add constraint search_history_query_plain check (private.is_plain_line(query));
alter table public.member_locations
  add constraint member_locations_city_plain check (private.is_plain_line(city)),
  add constraint member_locations_area_plain check (private.is_plain_line(area));
alter table public.expert_locations
  add constraint expert_locations_city_plain check (private.is_plain_line(city)),
  add constraint expert_locations_area_plain check (private.is_plain_line(area));
