-- Locations and nearby search. A member's point is theirs alone: only they read it, and others
-- see at most the city/area, and only when privacy_settings.show_location is on (member_area()).
-- Experts' points are never readable by members or anon: nearby_experts() answers with a rounded
-- distance instead. Points are written only through the validating RPCs below.

-- Tables
create table public.member_locations (
  member_id uuid primary key references public.profiles (id) on delete cascade,
  location extensions.geography(Point, 4326) not null,
  city text check (char_length(city) between 1 and 100),
  area text check (char_length(area) between 1 and 100),
  updated_at timestamptz not null default now()
);
comment on table public.member_locations is 'A member''s own location (set_my_location()); readable by that member only.';
comment on column public.member_locations.location is 'WGS 84 point; never shown to anyone but the member.';

create table public.expert_locations (
  expert_id uuid primary key references public.expert_profiles (id) on delete cascade,
  location extensions.geography(Point, 4326) not null,
  city text check (char_length(city) between 1 and 100),
  area text check (char_length(area) between 1 and 100),
  updated_at timestamptz not null default now()
);
comment on table public.expert_locations is 'Where an expert works (set_expert_location()); members and anon never read it, nearby_experts() exposes distances only.';
comment on column public.expert_locations.location is 'WGS 84 point; KNN-indexed for nearby_experts().';

-- Indexes (both foreign keys are primary keys)
create index expert_locations_location_idx on public.expert_locations using gist (location);

-- Grants: points are written only through set_my_location() / set_expert_location(), which
-- validate them; owners may delete their row. anon has no business with either table.
revoke all on public.member_locations, public.expert_locations from anon;
revoke insert, update on public.member_locations, public.expert_locations from authenticated;

-- Row level security
alter table public.member_locations enable row level security;
alter table public.expert_locations enable row level security;

-- Functions
create or replace function private.checked_point(lat double precision, lng double precision)
returns extensions.geography
language plpgsql
immutable
set search_path = ''
as $$
begin
  -- NaN and infinities fail these ranges too.
  if lat is null or lng is null or not (lat between -90 and 90) or not (lng between -180 and 180) then
    raise exception 'lat must be within -90..90 and lng within -180..180 (got %, %)', lat, lng using errcode = '22023';
  end if;
  return extensions.st_setsrid(extensions.st_makepoint(lng, lat), 4326)::extensions.geography;
end;
$$;

create or replace function private.checked_place(value text, what text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v text := nullif(btrim(regexp_replace(value, '[[:cntrl:]]', '', 'g')), '');
begin
  if char_length(v) > 100 then
    raise exception '% must be at most 100 characters', what using errcode = '22023';
  end if;
  return v;
end;
$$;

create or replace function public.set_my_location(lat double precision, lng double precision, city text default null, area text default null)
returns public.member_locations
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  point extensions.geography := private.checked_point(lat, lng);
  result public.member_locations;
begin
  perform private.require_member();
  insert into public.member_locations as m (member_id, location, city, area)
  values (me, point, private.checked_place(city, 'city'), private.checked_place(area, 'area'))
  on conflict (member_id) do update
    set location = excluded.location, city = excluded.city, area = excluded.area, updated_at = now()
  returning * into result;
  -- Setting a location completes that onboarding step.
  update public.onboarding o set location_set_at = coalesce(o.location_set_at, now()) where o.user_id = me;
  return result;
end;
$$;
comment on function public.set_my_location(double precision, double precision, text, text) is 'Stores the caller''s location (WGS 84 degrees) with an optional city and area.';

create or replace function public.set_expert_location(lat double precision, lng double precision, city text default null, area text default null)
returns public.expert_locations
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  point extensions.geography := private.checked_point(lat, lng);
  result public.expert_locations;
begin
  perform private.require_member();
  if not exists (select 1 from public.expert_profiles e where e.id = me) then
    raise exception 'only experts have an expert location; create your expert profile first' using errcode = '42501';
  end if;
  insert into public.expert_locations as x (expert_id, location, city, area)
  values (me, point, private.checked_place(city, 'city'), private.checked_place(area, 'area'))
  on conflict (expert_id) do update
    set location = excluded.location, city = excluded.city, area = excluded.area, updated_at = now()
  returning * into result;
  return result;
end;
$$;
comment on function public.set_expert_location(double precision, double precision, text, text) is 'Stores where the calling expert works; only distances to it are ever shown to members.';

create or replace function public.member_area(member_id uuid)
returns table (city text, area text)
language sql
stable
security definer
set search_path = ''
as $$
  -- City and area only, never the point: to the member, and to experts they have a live or past
  -- booking with, when the member lets others see their location.
  select m.city, m.area
  from public.member_locations m
  where m.member_id = member_area.member_id
    and (
      m.member_id = (select auth.uid())
      or (
        coalesce((select s.show_location from public.privacy_settings s where s.user_id = m.member_id), false)
        and exists (select 1 from public.bookings b
                    where b.member_id = m.member_id and b.expert_id = (select auth.uid()) and b.status <> 'cancelled')
      )
    );
$$;
comment on function public.member_area(uuid) is 'A member''s city and area, for the member and (when show_location is on) the experts they booked; no row otherwise.';

create or replace function private.nearby_candidates(
  center extensions.geography,
  radius_m double precision,
  tag text,
  min_rating numeric,
  max_results integer
)
returns table (expert_id uuid, distance_m double precision)
language sql
stable
as $$
  -- The KNN search: the GiST index yields points nearest-first (<->), bounded by the radius box
  -- that ST_DWithin adds, and stops after max_results matches. Written so the planner can inline
  -- it (plain SQL, no SET clause, every name schema-qualified), hence EXPLAIN shows the index.
  -- Distances are great-circle on the mean-radius sphere, the metric the geography <-> operator
  -- uses, so the index order and the reported distances agree.
  select x.expert_id, x.location operator(extensions.<->) center
  from public.expert_locations x
  join public.expert_profiles e on e.id = x.expert_id
  join public.profiles p on p.id = x.expert_id
  where extensions.st_dwithin(x.location, center, radius_m, false)
    and e.verification_status = 'verified'
    and e.is_available
    and p.status = 'active'
    and (nearby_candidates.tag is null or e.expertise @> array[nearby_candidates.tag])
    and (nearby_candidates.min_rating is null or e.rating_avg >= nearby_candidates.min_rating)
  order by x.location operator(extensions.<->) center
  limit nearby_candidates.max_results;
$$;
comment on function private.nearby_candidates(extensions.geography, double precision, text, numeric, integer) is
  'Internal to nearby_experts(): ids and exact distances (metres) of the nearest matching experts.';

create or replace function public.nearby_experts(
  lat double precision,
  lng double precision,
  radius_km numeric,
  expertise text default null,
  min_rating numeric default null,
  max_results integer default 20
)
returns table (
  expert_id uuid,
  display_name text,
  headline text,
  rating_avg numeric,
  rating_count integer,
  city text,
  area text,
  distance_km numeric
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  center extensions.geography;
  tag text := nullif(btrim(nearby_experts.expertise), '');
begin
  -- Definer because expert points are unreadable to members; only rounded distances leave.
  perform private.require_member();
  if lat is null and lng is null then
    -- No centre given: search around the caller's own stored location.
    select m.location into center from public.member_locations m where m.member_id = (select auth.uid());
    if center is null then
      raise exception 'no location: pass lat and lng or call set_my_location first' using errcode = 'P0002';
    end if;
  else
    center := private.checked_point(lat, lng);
  end if;
  if radius_km is null or not (radius_km between 1 and 500) then
    raise exception 'radius_km must be between 1 and 500' using errcode = '22023';
  end if;
  if nearby_experts.min_rating is not null and not (nearby_experts.min_rating between 0 and 5) then
    raise exception 'min_rating must be between 0 and 5' using errcode = '22023';
  end if;
  if nearby_experts.max_results is null or nearby_experts.max_results not between 1 and 100 then
    raise exception 'max_results must be between 1 and 100' using errcode = '22023';
  end if;
  if char_length(tag) > 100 then
    raise exception 'expertise must be at most 100 characters' using errcode = '22023';
  end if;

  return query
  select c.expert_id, p.display_name, e.headline, e.rating_avg, e.rating_count,
         coalesce(x.city, e.city), coalesce(x.area, e.area),
         round((c.distance_m / 1000)::numeric, 1)
  from private.nearby_candidates(center, (radius_km * 1000)::double precision, tag,
                                 nearby_experts.min_rating, nearby_experts.max_results) c
  join public.expert_locations x on x.expert_id = c.expert_id
  join public.expert_profiles e on e.id = c.expert_id
  join public.profiles p on p.id = c.expert_id
  -- Exact distance first; the id settles ties (experts at the same address) deterministically.
  order by c.distance_m, c.expert_id;
end;
$$;
comment on function public.nearby_experts(double precision, double precision, numeric, text, numeric, integer) is
  'Nearest verified, available experts within radius_km of (lat, lng) (or of the caller''s stored location when both are null), nearest first, with distance_km rounded to 0.1 km; never coordinates.';

revoke execute on function public.set_my_location(double precision, double precision, text, text),
  public.set_expert_location(double precision, double precision, text, text),
  public.member_area(uuid),
  public.nearby_experts(double precision, double precision, numeric, text, numeric, integer) from public, anon;
grant execute on function public.set_my_location(double precision, double precision, text, text),
  public.set_expert_location(double precision, double precision, text, text),
  public.member_area(uuid),
  public.nearby_experts(double precision, double precision, numeric, text, numeric, integer) to authenticated;

-- Policies
create policy "Members can read their own location" on public.member_locations
  for select to authenticated using ((select auth.uid()) = member_id);
create policy "Members can delete their own location" on public.member_locations
  for delete to authenticated using ((select auth.uid()) = member_id);

create policy "Experts can read their own location" on public.expert_locations
  for select to authenticated using ((select auth.uid()) = expert_id);
create policy "Admins can read every expert location" on public.expert_locations
  for select to authenticated using ((select private.is_admin()));
create policy "Experts can delete their own location" on public.expert_locations
  for delete to authenticated using ((select auth.uid()) = expert_id);
