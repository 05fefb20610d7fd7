-- Favorites: members keep a list of experts they like. Members add, list and remove their own;
-- an expert's "favorited by" count is public as a number only (never who). Adding and removing
-- are written to the member's activity feed.

-- Tables
create table public.favorites (
  member_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  expert_id uuid not null references public.expert_profiles (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (member_id, expert_id),
  check (member_id <> expert_id)
);
comment on table public.favorites is 'Experts a member has favorited; one row per (member, expert). Private to the member (and admins).';

-- Links the data export and the deletion check do not follow (privacy), with the reason.
insert into private.excluded_member_links (table_name, column_name, reason) values
  ('favorites', 'expert_id',
   'which members favourited an expert is each of those members'' private list, not the expert''s data');

-- Indexes
-- Indexes (member_id is covered by the primary key)
create index favorites_expert_idx on public.favorites (expert_id);
create index favorites_member_created_idx on public.favorites (member_id, created_at desc);

-- Grants and row level security
alter table public.favorites enable row level security;

-- Grants: anon has nothing to do here; members add (only the two ids) and remove, never edit.
revoke all on public.favorites from anon, authenticated;
grant select on public.favorites to authenticated;

grant insert (member_id, expert_id), delete on public.favorites to authenticated;

-- Functions
create or replace function private.record_favorite_activity()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Definer: members may not execute private.record_activity themselves.
  if tg_op = 'INSERT' then
    perform private.record_activity(new.member_id, 'favorited', 'expert', new.expert_id::text, '{}');
  else
    perform private.record_activity(old.member_id, 'unfavorited', 'expert', old.expert_id::text, '{}');
  end if;
  return null;
end;
$$;

create or replace function public.list_favorites()
returns table (
  expert_id uuid,
  display_name text,
  headline text,
  rating_avg numeric,
  rating_count integer,
  city text,
  area text,
  hourly_rate_cents integer,
  currency char(3),
  is_available boolean,
  favorited_at timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  -- Invoker: RLS shows the caller's own favorites and only experts they may see (verified ones);
  -- a favorite whose expert lost verification stays stored but is not listed.
  -- PL/pgSQL, not SQL: Postgres 15 plans a SQL function's statement on every call (its SET clause
  -- keeps it from being inlined), ~0.5 ms per call; PL/pgSQL keeps the plan for the session.
  return query
  select f.expert_id, p.display_name, e.headline, e.rating_avg, e.rating_count, e.city, e.area,
         e.hourly_rate_cents, e.currency, e.is_available, f.created_at
  from public.favorites f
  join public.expert_profiles e on e.id = f.expert_id
  left join public.profiles p on p.id = f.expert_id
  where f.member_id = (select auth.uid())
  order by f.created_at desc, f.expert_id;
end;
$$;
comment on function public.list_favorites() is 'The caller''s favorite experts with a summary of each, newest first (filter/paginate like a table).';
revoke execute on function public.list_favorites() from public, anon;
grant execute on function public.list_favorites() to authenticated;

create or replace function public.my_favorites_count()
returns integer
language sql
stable
security invoker
set search_path = ''
as $$
  select count(*)::integer from public.favorites f where f.member_id = (select auth.uid());
$$;
comment on function public.my_favorites_count() is 'How many experts the caller has favorited.';
revoke execute on function public.my_favorites_count() from public, anon;
grant execute on function public.my_favorites_count() to authenticated;

create or replace function private.expert_favorites_count(expert_id uuid)
returns integer
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  -- Definer so the count covers every member's row; only a number leaves, never an identity.
  -- Unverified experts are as invisible here as in expert_profiles (except to themselves and admins).
  if not exists (
    select 1 from public.expert_profiles e
    where e.id = expert_favorites_count.expert_id
      and (private.is_listed_expert(e.id) or e.id = me or private.is_admin())
  ) then
    raise exception 'no expert %', expert_favorites_count.expert_id using errcode = 'PT404';
  end if;
  return (select count(*)::integer from public.favorites f where f.expert_id = expert_favorites_count.expert_id);
end;
$$;
grant execute on function private.expert_favorites_count(uuid) to authenticated, service_role;

-- A popularity figure may be shown on public expert pages.
grant execute on function private.expert_favorites_count(uuid) to anon, service_role;

comment on function private.expert_favorites_count(uuid) is 'The elevated body of public.expert_favorites_count() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.expert_favorites_count(expert_id uuid)
returns integer
language sql
stable
security invoker
set search_path = ''
as $$ select private.expert_favorites_count($1) $$;
comment on function public.expert_favorites_count(uuid) is 'How many members have favorited an expert (a count only; who is never revealed).';
revoke execute on function public.expert_favorites_count(uuid) from public, anon, authenticated, service_role;
grant execute on function public.expert_favorites_count(uuid) to anon, authenticated, service_role;

-- Triggers
create trigger favorites_activity after insert or delete on public.favorites
  for each row execute function private.record_favorite_activity();

-- Policies
create policy "Members can favorite verified experts for themselves" on public.favorites
  for insert to authenticated
  with check (
    (select auth.uid()) = member_id
    and private.is_listed_expert(expert_id)
  );

create policy "Members can remove their own favorites" on public.favorites
  for delete to authenticated using ((select auth.uid()) = member_id);

create policy "Inactive members cannot add favorites" on public.favorites
  as restrictive for insert to authenticated with check ((select private.is_active_member()));

create policy "Members read their own favorites, admins every one" on public.favorites
  for select to authenticated using ((select auth.uid()) = member_id or member_id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');
