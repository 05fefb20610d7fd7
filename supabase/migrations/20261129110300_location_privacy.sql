-- Location privacy for experts. The security review recovered an expert's stored point to under a
-- metre: nearby_experts rounded the distances it returned but filtered on radius_km at full
-- precision, so binary-searching the radius at which an expert appears, from three centres, gave
-- three exact distances (about 120 calls). Now every public computation reads a coarsened point:
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

-- Tables
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

-- Functions (the cell function comes first: the generated column below uses it)
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

-- Tables, continued: the public point of every expert location.
alter table public.expert_locations
  add column cell extensions.geography(Point, 4326) generated always as (private.location_cell(location)) stored;
comment on column public.expert_locations.cell is 'Centre of the ~500 m grid cell of location: what nearby_experts() measures from; the bound on what others can learn.';
comment on column public.expert_locations.location is 'WGS 84 point; only the expert and admins read it; public computations use cell.';

-- Indexes: KNN over the public point; the exact point is no longer searched.
drop index public.expert_locations_location_idx;
create index expert_locations_cell_idx on public.expert_locations using gist (cell);

-- Grants
revoke all on private.location_settings, private.nearby_search_budget from public, anon, authenticated, service_role;

-- Functions, continued
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

create or replace function private.nearby_candidates(
  center extensions.geography,
  radius_m double precision,
  tag text,
  min_rating numeric,
  max_results integer
)
returns table (expert_id uuid, distance_m double precision)
language plpgsql
stable
set search_path = ''
as $$
begin
  -- The KNN search over the public cell points: the GiST index yields cells nearest-first (<->),
  -- bounded by ST_DWithin's radius box, and stops after max_results matches. Great-circle distances
  -- on the mean-radius sphere, the metric <-> uses, so index order and reported distances agree.
  return query
  select x.expert_id, x.cell operator(extensions.<->) center
  from public.expert_locations x
  join public.expert_profiles e on e.id = x.expert_id
  join public.profiles p on p.id = x.expert_id
  where extensions.st_dwithin(x.cell, center, radius_m, false)
    and e.verification_status = 'verified'
    and e.is_available
    and p.status = 'active'
    and (nearby_candidates.tag is null or e.expertise @> array[nearby_candidates.tag])
    and (nearby_candidates.min_rating is null or e.rating_avg >= nearby_candidates.min_rating)
  order by x.cell operator(extensions.<->) center
  limit nearby_candidates.max_results;
end;
$$;
comment on function private.nearby_candidates(extensions.geography, double precision, text, numeric, integer) is
  'Internal to nearby_experts(): ids and distances (metres) from the centre to the nearest matching experts'' cells.';

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
begin
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
  perform private.spend_nearby_search();

  return query
  select c.expert_id, p.display_name, e.headline, e.rating_avg, e.rating_count,
         coalesce(x.city, e.city), coalesce(x.area, e.area),
         round((c.distance_m / 1000)::numeric, 1)
  -- The radius in whole kilometres, rounded up: no fine-grained threshold to binary-search.
  from private.nearby_candidates(center, (ceil(radius_km) * 1000)::double precision, tag,
                                 nearby_experts.min_rating, nearby_experts.max_results) c
  join public.expert_locations x on x.expert_id = c.expert_id
  join public.expert_profiles e on e.id = c.expert_id
  join public.profiles p on p.id = c.expert_id
  -- Cell distance first; the id settles ties (experts in one cell) deterministically.
  order by c.distance_m, c.expert_id;
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
comment on function public.nearby_experts(double precision, double precision, numeric, text, numeric, integer) is
  'Nearest verified, available, active experts within radius_km (rounded up to whole km) of (lat, lng), or of the caller''s stored location when both are null; distances to each expert''s ~500 m cell, to 0.1 km; never coordinates; 60 searches per hour.';
