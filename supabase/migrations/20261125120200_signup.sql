-- Sign-up: when Supabase Auth creates a user, create the member's rows from validated
-- raw_user_meta_data. It must never fail a sign-up: bad or hostile metadata is ignored or
-- normalised, and if anything still goes wrong the bare rows are created and a warning logged.

-- Functions
create or replace function private.meta_text(meta jsonb, keys text[], max_len integer)
returns text
language sql
immutable
set search_path = ''
as $$
  -- First key present as a JSON string; control characters dropped, trimmed, cut to max_len, '' -> null.
  select nullif(left(btrim(regexp_replace(meta ->> k, '[[:cntrl:]]', '', 'g')), max_len), '')
  from unnest(keys) with ordinality as t(k, i)
  where jsonb_typeof(meta -> k) = 'string'
  order by i
  limit 1;
$$;

create or replace function private.meta_true(meta jsonb, keys text[])
returns boolean
language sql
immutable
set search_path = ''
as $$
  select coalesce(bool_or(meta -> k = 'true'::jsonb or lower(meta ->> k) in ('true', 'yes', '1') and jsonb_typeof(meta -> k) = 'string'), false)
  from unnest(keys) as k;
$$;

create or replace function private.create_member_rows(user_id uuid, meta jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  m jsonb := case when jsonb_typeof(meta) = 'object' then meta else '{}'::jsonb end;
  first_name text := private.meta_text(m, array['first_name', 'firstName', 'given_name'], 100);
  last_name text := private.meta_text(m, array['last_name', 'lastName', 'family_name'], 100);
  locale text := private.meta_text(m, array['locale', 'language'], 16);
  terms_version text := private.meta_text(m, array['terms_version', 'termsVersion'], 32);
  terms boolean := private.meta_true(m, array['terms_accepted', 'agreesToTerms', 'accepted_terms']);
begin
  if locale is not null and locale !~ '^[a-z]{2}(-[A-Z]{2})?$' then
    locale := case when lower(left(locale, 2)) ~ '^[a-z]{2}$' then lower(left(locale, 2)) end;
  end if;
  if terms_version is not null and terms_version !~ '^[A-Za-z0-9._-]{1,32}$' then
    terms_version := null;
  end if;

  insert into public.profiles (id, first_name, last_name, display_name)
  values (user_id, first_name, last_name, nullif(btrim(concat_ws(' ', first_name, last_name)), ''))
  on conflict (id) do nothing;
  insert into public.member_preferences (user_id, locale) values (user_id, coalesce(locale, 'en')) on conflict do nothing;
  insert into public.notification_preferences (user_id, channel, category, enabled)
  select user_id, ch, cat, not (cat = 'marketing' or ch = 'sms')
  from unnest(enum_range(null::public.notification_channel)) ch, unnest(enum_range(null::public.notification_category)) cat
  on conflict do nothing;
  insert into public.email_preferences (user_id) values (user_id) on conflict do nothing;
  insert into public.privacy_settings (user_id) values (user_id) on conflict do nothing;
  insert into public.location_preferences (user_id) values (user_id) on conflict do nothing;
  insert into public.onboarding (user_id, terms_accepted_at, terms_version)
  values (user_id, case when terms and terms_version is not null then now() end, case when terms then terms_version end)
  on conflict do nothing;
end;
$$;
comment on function private.create_member_rows(uuid, jsonb) is 'Creates every per-member row; idempotent (on conflict do nothing).';

create or replace function private.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  begin
    perform private.create_member_rows(new.id, new.raw_user_meta_data);
  exception when others then
    -- Never fail the sign-up: fall back to rows without metadata.
    raise warning 'member rows for % from metadata failed (%): creating defaults', new.id, sqlerrm;
    begin
      perform private.create_member_rows(new.id, '{}'::jsonb);
    exception when others then
      raise warning 'member rows for % failed: %', new.id, sqlerrm;
    end;
  end;
  return new;
end;
$$;

-- Triggers (named so later capabilities' sign-up triggers sort after this one)
create trigger on_auth_user_created_10_member
  after insert on auth.users
  for each row execute function private.handle_new_user();
