-- Locations and nearby search. A member's point is theirs alone: only they read it, and others
-- see at most the city/area, and only when privacy_settings.show_location is on (member_area()).
-- Experts' points are never readable by members or anon: nearby_experts() answers with a rounded
-- distance instead. Points are written only through the validating RPCs below.

-- Location privacy for experts. The security review recovered an expert's stored point to under a
-- metre: nearby_experts rounded the distances it returned but filtered on radius_km at full
-- precision, so binary-searching the radius at which an expert appears, from three centres, gave
-- three exact distances (about 120 calls). So every public computation reads a coarsened point:
--
--   THE BOUND: the world is cut into cells of about 500 m x 500 m (rows 500 m of latitude high,
--   each row cut into equal cells about 500 m wide). expert_locations.cell is the centre of the
--   cell holding the expert's point, and it is the only point nearby_experts() uses: for the radius
--   filter, the order and the distances. Any sequence of calls therefore learns at most which
--   cell an expert is in: two positions in the same cell give identical answers to every query,
--   and the cell centre is up to ~355 m (half the diagonal) from the real point.
--
-- The radius is also coarsened (rounded up to whole kilometres) and each member has a budget of
-- searches per hour (private.location_settings, 60 by default; HTTP 429 when used up), which
-- bounds how fast anyone can map cells of many experts. The exact point is kept for the expert
-- (and admins) only.
--
-- The search reads private.searchable_cells: the cell of every expert a member may find (verified,
-- available, account active), kept by triggers on the three tables that decide it, so its GiST
-- index walks nearest-first over exactly the candidates (no rows to skip, no joins per row). The
-- answer's total order is the cell distance, then rating (best first), then expert id.

-- Functions the types and tables below use
-- The cell function comes first: the generated column below uses it.
create or replace function private.location_cell(point extensions.geography)
returns extensions.geography
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  cell_deg constant double precision := 500 / 111320.0; -- 500 m of latitude, in degrees
  lat double precision := extensions.st_y(point::extensions.geometry);
  lng double precision := extensions.st_x(point::extensions.geometry);
  row_index integer := floor((lat + 90) / cell_deg);
  row_lat double precision := least(-90 + (row_index + 0.5) * cell_deg, 90);
  -- Equal cells about 500 m wide along this row (fewer, wider ones towards the poles; one at a pole).
  cells_in_row integer := greatest(1, floor(360 * cos(radians(row_lat)) / cell_deg)::integer);
  cell_lng_deg double precision := 360.0 / cells_in_row;
  col_index integer := least(floor((lng + 180) / cell_lng_deg)::integer, cells_in_row - 1);
begin
  if point is null then
    return null;
  end if;
  return extensions.st_setsrid(extensions.st_makepoint(-180 + (col_index + 0.5) * cell_lng_deg, row_lat), 4326)::extensions.geography;
end;
$$;
comment on function private.location_cell(extensions.geography) is 'Centre of the ~500 m x 500 m grid cell holding a point: the only expert position public computations see.';

-- A generated column runs its expression with the writer's privileges (server code writes too).
grant execute on function private.location_cell(extensions.geography) to authenticated, service_role;

-- Tables
create table public.member_locations (
  member_id uuid primary key references public.profiles (id) on delete cascade,
  location extensions.geography(Point, 4326) not null,
  city text check (char_length(city) between 1 and 100),
  area text check (char_length(area) between 1 and 100),
  updated_at timestamptz not null default now(),
  -- Input hygiene (foundation): the rule of each field others see.
  constraint member_locations_city_plain check (private.is_plain_line(city)),
  constraint member_locations_area_plain check (private.is_plain_line(area))
);
comment on table public.member_locations is 'A member''s own location (set_my_location()); readable by that member only.';
comment on column public.member_locations.location is 'WGS 84 point; never shown to anyone but the member.';

create table public.expert_locations (
  expert_id uuid primary key references public.expert_profiles (id) on delete cascade,
  location extensions.geography(Point, 4326) not null,
  city text check (char_length(city) between 1 and 100),
  area text check (char_length(area) between 1 and 100),
  updated_at timestamptz not null default now(),
  -- The public point: the centre of the cell holding location (the header's bound).
  cell extensions.geography(Point, 4326) generated always as (private.location_cell(location)) stored,
  -- Input hygiene (foundation): the rule of each field others see.
  constraint expert_locations_city_plain check (private.is_plain_line(city)),
  constraint expert_locations_area_plain check (private.is_plain_line(area))
);
comment on table public.expert_locations is 'Where an expert works (set_expert_location()); members and anon never read it, nearby_experts() exposes distances only.';
comment on column public.expert_locations.cell is 'Centre of the ~500 m grid cell of location: what nearby_experts() measures from; the bound on what others can learn.';
comment on column public.expert_locations.location is 'WGS 84 point; only the expert and admins read it; public computations use cell.';

create table private.location_settings (
  id boolean primary key default true check (id),
  hourly_search_budget integer not null default 60 check (hourly_search_budget between 1 and 100000),
  updated_at timestamptz not null default now()
);
comment on table private.location_settings is 'The one row of location-privacy configuration: nearby searches each member may run per hour.';
insert into private.location_settings default values;

create table private.nearby_search_budget (
  member_id uuid primary key references public.profiles (id) on delete cascade,
  window_started_at timestamptz not null default now(),
  calls integer not null default 0
);
comment on table private.nearby_search_budget is 'Nearby searches per member in the current one-hour window (never exposed).';

create table private.searchable_cells (
  expert_id uuid primary key references public.expert_locations (expert_id) on delete cascade,
  cell extensions.geography(Point, 4326) not null
);
comment on table private.searchable_cells is 'The cell of each expert nearby_experts() may list (private.is_bookable_expert); kept by private.sync_searchable_cell() triggers, never exposed.';

-- Indexes
-- The nearby search's index: only searchable experts' cells, so a KNN walk skips nothing.
create index searchable_cells_cell_idx on private.searchable_cells using gist (cell);

-- Grants and row level security
alter table public.member_locations enable row level security;

-- Grants: points are written only through set_my_location() / set_expert_location(), which
-- validate them; owners may delete their row. anon has no business with either table.
revoke all on public.member_locations from anon, authenticated;
grant select on public.member_locations to authenticated;
grant delete on public.member_locations to authenticated;

alter table public.expert_locations enable row level security;

revoke all on public.expert_locations from anon, authenticated;
grant select on public.expert_locations to authenticated;
grant delete on public.expert_locations to authenticated;

revoke all on private.location_settings from public, anon, authenticated, service_role;
revoke all on private.nearby_search_budget from public, anon, authenticated, service_role;
revoke all on private.searchable_cells from public, anon, authenticated, service_role;

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

create or replace function private.set_my_location(lat double precision, lng double precision, city text default null, area text default null)
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
  perform private.require_text_value('city', set_my_location.city);
  perform private.require_text_value('area', set_my_location.area);
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
grant execute on function private.set_my_location(double precision, double precision, text, text) to authenticated, service_role;

comment on function private.set_my_location(double precision, double precision, text, text) is 'The elevated body of public.set_my_location() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.set_my_location(lat double precision, lng double precision, city text default null, area text default null)
returns public.member_locations
language sql
volatile
security invoker
set search_path = ''
as $$ select private.set_my_location($1, $2, $3, $4) $$;
comment on function public.set_my_location(double precision, double precision, text, text) is 'Stores the caller''s location (WGS 84 degrees) with an optional city and area.';
revoke execute on function public.set_my_location(double precision, double precision, text, text) from public, anon, authenticated, service_role;
grant execute on function public.set_my_location(double precision, double precision, text, text) to authenticated, service_role;

create or replace function private.set_expert_location(lat double precision, lng double precision, city text default null, area text default null)
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
  perform private.require_text_value('city', set_expert_location.city);
  perform private.require_text_value('area', set_expert_location.area);
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
grant execute on function private.set_expert_location(double precision, double precision, text, text) to authenticated, service_role;

comment on function private.set_expert_location(double precision, double precision, text, text) is 'The elevated body of public.set_expert_location() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.set_expert_location(lat double precision, lng double precision, city text default null, area text default null)
returns public.expert_locations
language sql
volatile
security invoker
set search_path = ''
as $$ select private.set_expert_location($1, $2, $3, $4) $$;
comment on function public.set_expert_location(double precision, double precision, text, text) is 'Stores where the calling expert works; only distances to it are ever shown to members.';
revoke execute on function public.set_expert_location(double precision, double precision, text, text) from public, anon, authenticated, service_role;
grant execute on function public.set_expert_location(double precision, double precision, text, text) to authenticated, service_role;

create or replace function private.member_area(member_id uuid)
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
        and private.is_active_member()
      )
    );
$$;
grant execute on function private.member_area(uuid) to authenticated, service_role;

comment on function private.member_area(uuid) is 'The elevated body of public.member_area() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.member_area(member_id uuid)
returns table (city text, area text)
language sql
stable
security invoker
set search_path = ''
as $$ select * from private.member_area($1) $$;
comment on function public.member_area(uuid) is 'A member''s city and area, for the member and (when show_location is on) the experts they booked; no row otherwise.';
revoke execute on function public.member_area(uuid) from public, anon, authenticated, service_role;
grant execute on function public.member_area(uuid) to authenticated, service_role;

-- Keeps private.searchable_cells: an expert's cell is there exactly while they have a location and
-- are bookable (private.is_bookable_expert: the listing rule and availability). Fired by changes to
-- any deciding column: location, verification, availability, account status and role.
create or replace function private.sync_searchable_cell()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  who uuid;
begin
  if tg_table_name = 'expert_locations' then
    who := new.expert_id;
  else
    who := new.id;
  end if;
  -- Lock the location row first: two transactions changing different deciding columns (say
  -- availability and account status) then run one after the other, and the second one's statement
  -- below sees the first one's commit, so neither leaves a stale answer behind.
  perform from public.expert_locations l where l.expert_id = who for no key update;
  if not found then
    return null;
  end if;
  delete from private.searchable_cells s where s.expert_id = who;
  insert into private.searchable_cells (expert_id, cell)
  select l.expert_id, l.cell
  from public.expert_locations l
  where l.expert_id = who and private.is_bookable_expert(who);
  return null;
end;
$$;
comment on function private.sync_searchable_cell() is 'Trigger: puts the expert''s cell into private.searchable_cells while they may be found nearby, and takes it out otherwise.';
revoke execute on function private.sync_searchable_cell() from public, anon, authenticated;

create or replace function private.spend_nearby_search()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  budget integer := (select s.hourly_search_budget from private.location_settings s where s.id);
  used integer;
  window_start timestamptz;
begin
  insert into private.nearby_search_budget as b (member_id, window_started_at, calls)
  values (me, now(), 1)
  on conflict (member_id) do update
    set calls = case when b.window_started_at <= now() - interval '1 hour' then 1 else b.calls + 1 end,
        window_started_at = case when b.window_started_at <= now() - interval '1 hour' then now() else b.window_started_at end
  returning b.calls, b.window_started_at into used, window_start;
  if used > budget then
    -- PostgREST answers a PTxyz SQLSTATE with HTTP status xyz.
    raise exception 'nearby search budget used up (% per hour); try again after %', budget, window_start + interval '1 hour'
      using errcode = 'PT429';
  end if;
end;
$$;
comment on function private.spend_nearby_search() is 'Counts one nearby search against the caller''s hourly budget; raises PT429 (HTTP 429) when it is used up.';
revoke execute on function private.spend_nearby_search() from public, anon, authenticated;

-- The search itself, with the rights to read expert cells (members cannot read expert_locations).
create or replace function private.nearby_experts(
  lat double precision,
  lng double precision,
  radius_km numeric,
  expertise text,
  min_rating numeric,
  max_results integer
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
volatile
security definer
set search_path = ''
as $$
declare
  center extensions.geography;
  tag text := nullif(btrim(nearby_experts.expertise), '');
  radius_m double precision;
  cutoff double precision;
begin
  perform private.require_text_value('expertise', nearby_experts.expertise);
  perform private.require_member();
  if lat is null and lng is null then
    -- No centre given: search around the caller's own stored location.
    select m.location into center from public.member_locations m where m.member_id = (select auth.uid());
    if center is null then
      raise exception 'no location: pass lat and lng or call set_my_location first' using errcode = 'PT404';
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
  perform private.spend_nearby_search();
  -- The radius in whole kilometres, rounded up: no fine-grained threshold to binary-search.
  radius_m := ceil(radius_km) * 1000;

  -- 1. The KNN search over the searchable cells: the GiST index yields them nearest-first (<->),
  -- bounded by ST_DWithin's radius box, and stops after max_results matches. Without filters every
  -- row it yields is an answer; expertise and rating are looked up only when asked for. Great-circle
  -- distances on the mean-radius sphere, the metric <-> uses, so index order and distances agree.
  select max(k.d) into cutoff from (
    select s.cell operator(extensions.<->) center as d
    from private.searchable_cells s
    where extensions.st_dwithin(s.cell, center, radius_m, false)
      and ((tag is null and nearby_experts.min_rating is null)
           or exists (select 1 from public.expert_profiles e
                      where e.id = s.expert_id
                        and (tag is null or e.expertise @> array[tag])
                        and (nearby_experts.min_rating is null or e.rating_avg >= nearby_experts.min_rating)))
    order by s.cell operator(extensions.<->) center
    limit nearby_experts.max_results) k;
  if cutoff is null then
    return;
  end if;

  -- 2. Experts in one cell are equally far, so the KNN's order among them is arbitrary. Everyone
  -- within the cutoff distance (a small disc: the index again) is ranked by the total order —
  -- distance to the cell, then rating (best first), then id — so the same call answers the same
  -- experts in the same order. Only the ranking reads expert_profiles for every one of them (in a
  -- dense city at scale 10 that disc holds hundreds), taking the answer's columns from the row it
  -- reads; the name and the city/area override are joined for the max_results that remain.
  return query
  with ranked as (
    select s.expert_id, d.m, e.rating_avg, e.rating_count, e.headline, e.city, e.area
    from private.searchable_cells s
    cross join lateral (select s.cell operator(extensions.<->) center as m) d
    join public.expert_profiles e on e.id = s.expert_id
    where extensions.st_dwithin(s.cell, center, cutoff + 1, false)
      and d.m <= cutoff
      and (tag is null or e.expertise @> array[tag])
      and (nearby_experts.min_rating is null or e.rating_avg >= nearby_experts.min_rating)
    order by d.m, e.rating_avg desc nulls last, s.expert_id
    limit nearby_experts.max_results
  )
  select r.expert_id, p.display_name, r.headline, r.rating_avg, r.rating_count,
         coalesce(x.city, r.city), coalesce(x.area, r.area),
         round((r.m / 1000)::numeric, 1)
  from ranked r
  join public.expert_locations x on x.expert_id = r.expert_id
  join public.profiles p on p.id = r.expert_id
  order by r.m, r.rating_avg desc nulls last, r.expert_id;
end;
$$;
comment on function private.nearby_experts(double precision, double precision, numeric, text, numeric, integer) is
  'The body of public.nearby_experts(): measures from experts'' cells only, radius rounded up to whole km, one unit of the hourly budget per call.';
revoke execute on function private.nearby_experts(double precision, double precision, numeric, text, numeric, integer) from public, anon;
grant execute on function private.nearby_experts(double precision, double precision, numeric, text, numeric, integer) to authenticated;

-- The RPC: security invoker, so only the private half holds the rights (volatile: it counts the budget).
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
language sql
volatile
security invoker
set search_path = ''
as $$
  select * from private.nearby_experts(lat, lng, radius_km, expertise, min_rating, max_results);
$$;
revoke execute on function public.nearby_experts(double precision, double precision, numeric, text, numeric, integer) from public, anon;
grant execute on function public.nearby_experts(double precision, double precision, numeric, text, numeric, integer) to authenticated;

comment on function public.nearby_experts(double precision, double precision, numeric, text, numeric, integer) is
  'Nearest verified, available, active experts within radius_km (rounded up to whole km) of (lat, lng), or of the caller''s stored location when both are null; distances to each expert''s ~500 m cell, to 0.1 km; never coordinates; 60 searches per hour.';

-- Triggers: what decides whether an expert is searchable (see private.sync_searchable_cell()).
create trigger expert_locations_searchable_cell after insert or update of location on public.expert_locations
  for each row execute function private.sync_searchable_cell();
create trigger expert_profiles_searchable_cell after update of verification_status, is_available on public.expert_profiles
  for each row when (old.verification_status is distinct from new.verification_status or old.is_available is distinct from new.is_available)
  execute function private.sync_searchable_cell();
create trigger profiles_searchable_cell after update of status, role on public.profiles
  for each row when (old.status is distinct from new.status or old.role is distinct from new.role)
  execute function private.sync_searchable_cell();

-- Policies
create policy "Members can read their own location" on public.member_locations
  for select to authenticated using ((select auth.uid()) = member_id);

create policy "Members can delete their own location" on public.member_locations
  for delete to authenticated using ((select auth.uid()) = member_id);

create policy "Experts can delete their own location" on public.expert_locations
  for delete to authenticated using ((select auth.uid()) = expert_id);

create policy "Experts read their own location, admins every one" on public.expert_locations
  for select to authenticated using ((select auth.uid()) = expert_id or expert_id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');
