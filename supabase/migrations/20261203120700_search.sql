-- Search history and saved searches. History is recorded only through record_search(), only while
-- the member's privacy_settings.search_history_enabled is on, and keeps the newest 100 entries per
-- member; members read, delete and clear their own. Saved searches are named filter sets the
-- member manages directly. Both are private to the member: not even admins read them through the API.

-- Functions the types and tables below use
-- The filter object both tables store. The checking function comes first because the domain's
-- check uses it; it returns the first problem (a message for 22023 errors) or null when valid.
create or replace function private.search_filters_problem(filters jsonb)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  known constant text[] := array['expertise', 'min_rating', 'max_rate_cents', 'radius_km', 'city', 'area', 'available_only'];
  key text;
  item jsonb;
  v jsonb;
begin
  if filters is null then
    return null; -- not-null columns decide whether null is allowed
  end if;
  if jsonb_typeof(filters) <> 'object' then
    return 'filters must be a JSON object';
  end if;
  if octet_length(filters::text) > 2048 then
    return 'filters must be at most 2048 bytes';
  end if;
  for key in select jsonb_object_keys(filters) loop
    if not key = any (known) then
      return format('unknown filter %s (known: %s)', left(key, 40), array_to_string(known, ', '));
    end if;
  end loop;

  v := filters -> 'expertise';
  if v is not null then
    if jsonb_typeof(v) <> 'array' or jsonb_array_length(v) > 20 then
      return 'expertise must be an array of at most 20 strings';
    end if;
    for item in select jsonb_array_elements(v) loop
      if jsonb_typeof(item) <> 'string' or char_length(item #>> '{}') not between 1 and 100 then
        return 'expertise must contain strings of 1-100 characters';
      end if;
    end loop;
  end if;

  v := filters -> 'min_rating';
  if v is not null and (jsonb_typeof(v) <> 'number' or v::numeric not between 0 and 5) then
    return 'min_rating must be a number from 0 to 5';
  end if;
  v := filters -> 'max_rate_cents';
  if v is not null and (jsonb_typeof(v) <> 'number' or v::numeric <> trunc(v::numeric) or v::numeric not between 0 and 10000000) then
    return 'max_rate_cents must be a whole number from 0 to 10000000';
  end if;
  v := filters -> 'radius_km';
  if v is not null and (jsonb_typeof(v) <> 'number' or v::numeric not between 1 and 500) then
    return 'radius_km must be a number from 1 to 500';
  end if;
  foreach key in array array['city', 'area'] loop
    v := filters -> key;
    if v is not null and (jsonb_typeof(v) <> 'string' or char_length(v #>> '{}') not between 1 and 100) then
      return format('%s must be a string of 1-100 characters', key);
    end if;
  end loop;
  v := filters -> 'available_only';
  if v is not null and jsonb_typeof(v) <> 'boolean' then
    return 'available_only must be true or false';
  end if;
  return null;
end;
$$;
comment on function private.search_filters_problem(jsonb) is 'Why a search filter object is invalid, or null when it is valid (known keys, types, ranges, size).';

-- Check constraints run with the writer's privileges.
grant execute on function private.search_filters_problem(jsonb) to authenticated, service_role;

-- Types
-- Saved searches with notify on alert their member in this notification category (sent by delivery).
-- A new enum value is used only by later migrations: Postgres refuses it before it commits.
alter type public.notification_category add value 'search_alerts';

create domain public.search_filters as jsonb
  check (private.search_filters_problem(value) is null);
comment on domain public.search_filters is 'A search filter object: expertise text[], min_rating 0..5, max_rate_cents, radius_km 1..500, city, area, available_only.';

-- Tables
create table public.search_history (
  id bigint generated always as identity primary key,
  member_id uuid not null references public.profiles (id) on delete cascade,
  query text not null default '' check (char_length(query) <= 200),
  filters public.search_filters not null default '{}',
  created_at timestamptz not null default now(),
  -- Input hygiene (foundation): the rule of each field others see.
  constraint search_history_query_plain check (private.is_plain_line(query))
);
comment on table public.search_history is 'A member''s recent searches (newest 100), written only by record_search() while search history is enabled.';

create table public.saved_searches (
  id uuid primary key default gen_random_uuid(),
  member_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 100 and name = btrim(name)),
  query text not null default '' check (char_length(query) <= 200),
  filters public.search_filters not null default '{}',
  notify boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Input hygiene (foundation): the rule of each field others see.
  constraint saved_searches_name_plain check (private.is_plain_line(name)),
  constraint saved_searches_query_plain check (private.is_plain_line(query))
);
comment on table public.saved_searches is 'Named searches a member keeps (at most 50); names are unique per member, ignoring case.';
comment on column public.saved_searches.notify is 'Whether the member wants to hear about new experts matching this search.';

-- Indexes
create index search_history_member_created_idx on public.search_history (member_id, created_at desc, id desc);
create unique index saved_searches_member_name_key on public.saved_searches (member_id, lower(name));

-- Grants and row level security
alter table public.search_history enable row level security;

-- Grants: history is written by record_search() only; saved searches by their owner, except the
-- bookkeeping columns.
revoke all on public.search_history from anon, authenticated;
grant select on public.search_history to authenticated;
grant delete on public.search_history to authenticated;

alter table public.saved_searches enable row level security;

revoke all on public.saved_searches from anon, authenticated;
grant select on public.saved_searches to authenticated;
grant insert (member_id, name, query, filters, notify), update (name, query, filters, notify), delete on public.saved_searches to authenticated;

-- Functions
create or replace function private.record_search(query text, filters jsonb default '{}')
returns public.search_history
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  q text := btrim(coalesce(record_search.query, ''));
  f jsonb := coalesce(record_search.filters, '{}');
  problem text := private.search_filters_problem(f);
  result public.search_history;
begin
  perform private.require_text_value('query', record_search.query);
  perform private.require_member();
  if char_length(q) > 200 then
    raise exception 'query must be at most 200 characters' using errcode = '22023';
  end if;
  if problem is not null then
    raise exception '%', problem using errcode = '22023';
  end if;
  if q = '' and f = '{}'::jsonb then
    raise exception 'nothing to record: give a query or filters' using errcode = '22023';
  end if;
  -- The member's choice: with history off nothing is stored (not even the activity entry).
  if not coalesce((select s.search_history_enabled from public.privacy_settings s where s.user_id = me), false) then
    return null;
  end if;
  insert into public.search_history (member_id, query, filters) values (me, q, f) returning * into result;
  -- The query text stays in search_history only, so clearing history leaves no copy in the feed.
  perform private.record_activity(me, 'searched', 'search', result.id::text, '{}');
  return result;
end;
$$;
grant execute on function private.record_search(text, jsonb) to authenticated, service_role;

comment on function private.record_search(text, jsonb) is 'The elevated body of public.record_search() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.record_search(query text, filters jsonb default '{}')
returns public.search_history
language sql
volatile
security invoker
set search_path = ''
as $$ select private.record_search($1, $2) $$;
comment on function public.record_search(text, jsonb) is 'Records a search in the caller''s history when search history is enabled; returns null when it is off.';
revoke execute on function public.record_search(text, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.record_search(text, jsonb) to authenticated, service_role;

create or replace function public.clear_search_history()
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  removed integer;
begin
  perform private.require_signed_in(); -- reading or deleting own data: any account status
  delete from public.search_history h where h.member_id = (select auth.uid());
  get diagnostics removed = row_count;
  return removed;
end;
$$;
comment on function public.clear_search_history() is 'Deletes all of the caller''s search history; returns how many entries went.';
revoke execute on function public.clear_search_history() from public, anon;
grant execute on function public.clear_search_history() to authenticated;

create or replace function private.prune_search_history()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- One member's inserts queue here, so concurrent searches cannot both keep a 101st row.
  perform pg_advisory_xact_lock(hashtextextended('search_history:' || new.member_id::text, 0));
  delete from public.search_history h
   where h.member_id = new.member_id
     and h.id not in (select x.id from public.search_history x where x.member_id = new.member_id
                      order by x.created_at desc, x.id desc limit 100);
  return null;
end;
$$;

create or replace function private.limit_saved_searches()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform pg_advisory_xact_lock(hashtextextended('saved_searches:' || new.member_id::text, 0));
  if (select count(*) from public.saved_searches s where s.member_id = new.member_id) >= 50 then
    raise exception 'at most 50 saved searches; delete one first' using errcode = '22023';
  end if;
  return new;
end;
$$;

-- Triggers
-- Later capabilities hang triggers on public.saved_searches beside the functions they run:
-- saved_searches_notify_limit (entitlements).
create trigger search_history_prune after insert on public.search_history
  for each row execute function private.prune_search_history();
create trigger saved_searches_limit before insert on public.saved_searches
  for each row execute function private.limit_saved_searches();
create trigger saved_searches_touch before update on public.saved_searches
  for each row execute function private.touch_updated_at();

-- Policies
create policy "Members can read their own search history" on public.search_history
  for select to authenticated using ((select auth.uid()) = member_id);

create policy "Members can delete their own search history" on public.search_history
  for delete to authenticated using ((select auth.uid()) = member_id);

create policy "Members can read their own saved searches" on public.saved_searches
  for select to authenticated using ((select auth.uid()) = member_id);

create policy "Members can save searches for themselves" on public.saved_searches
  for insert to authenticated with check ((select auth.uid()) = member_id);

create policy "Members can update their own saved searches" on public.saved_searches
  for update to authenticated using ((select auth.uid()) = member_id) with check ((select auth.uid()) = member_id);

create policy "Members can delete their own saved searches" on public.saved_searches
  for delete to authenticated using ((select auth.uid()) = member_id);

create policy "Inactive members cannot save searches" on public.saved_searches
  as restrictive for insert to authenticated with check ((select private.is_active_member()));

create policy "Inactive members cannot edit saved searches" on public.saved_searches
  as restrictive for update to authenticated with check ((select private.is_active_member()));
