// nearby_experts() against a brute force: ~300 experts at pseudo-random points (fixed seed) with
// mixed verification, availability, account status, expertise and ratings; the RPC, called as a
// member the way PostgREST calls it, must return exactly the ids a haversine scan over every
// expert's public cell centre picks (radius rounded up to whole km), in the same order, with
// distances rounded to 0.1 km. What the cells hide is tested in location-privacy.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { sql } from "./helpers/db.ts";
import { memberClient } from "./helpers/rest.ts";
import { createUser, deleteUser, type TestUser } from "./helpers/users.ts";

/** mulberry32: small deterministic PRNG, so every run seeds the same points. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// PostGIS measures geography distances on a sphere of the WGS 84 mean radius when asked not to
// use the spheroid (and for <->); the same radius here makes both sides comparable.
const EARTH_RADIUS_M = 6371008.7714;
function haversineKm(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const h = Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lng2 - lng1) * rad) / 2) ** 2;
  return (2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))) / 1000;
}

const SKILLS = ["tax", "law", "design", "health", "finance", "coaching"];
const rand = prng(20261125);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];

interface Seeded {
  id: string;
  lat: number;
  lng: number;
  verification: "verified" | "pending" | "unverified" | "rejected";
  available: boolean;
  status: "active" | "suspended";
  expertise: string[];
  rating: number;
}

function seedExperts(): Seeded[] {
  const experts: Seeded[] = [];
  const place = (i: number): [number, number] => {
    if (i < 150) return [47.95 + rand() * 0.35, 11.3 + rand() * 0.6]; // one dense city (Munich)
    if (i < 240) return [43 + rand() * 10, 4 + rand() * 14]; // scattered over central Europe
    if (i < 280) return [-20 + rand() * 6, ((177 + rand() * 6 + 180) % 360) - 180]; // across the antimeridian (Fiji)
    return [85 + rand() * 4.9, -180 + rand() * 360]; // around the north pole
  };
  for (let i = 0; i < 300; i++) {
    const [lat, lng] = place(i);
    const r = rand();
    experts.push({
      id: randomUUID(),
      lat,
      lng,
      verification: r < 0.75 ? "verified" : pick(["pending", "unverified", "rejected"] as const),
      available: rand() < 0.8,
      status: rand() < 0.05 ? "suspended" : "active",
      expertise: SKILLS.filter(() => rand() < 0.35),
      rating: Math.round(rand() * 500) / 100,
    });
  }
  // Twelve experts within a metre of one another, so in one ~500 m cell and equally far from any
  // centre; several share a rating. Cutting through them at max_results shows which ones make it.
  const sameCellRatings = [4.5, 4.5, 4.5, 3, 3, 5, 2, 4.5, 1, 3, 5, 4];
  sameCellRatings.forEach((rating, k) =>
    experts.push({ id: randomUUID(), lat: 48.2101 + k * 0.000005, lng: 11.7701, verification: "verified", available: true, status: "active", expertise: ["tie"], rating }),
  );
  return experts;
}

interface Row {
  expert_id: string;
  display_name: string | null;
  headline: string | null;
  rating_avg: number;
  rating_count: number;
  city: string | null;
  area: string | null;
  distance_km: number;
}

interface Query {
  lat: number;
  lng: number;
  radiusKm: number;
  expertise?: string;
  minRating?: number;
  maxResults?: number;
}

/** Every expert location in the database (not only ours) with what the RPC filters on; the point is the public cell centre. */
async function everyExpert() {
  return sql<{ id: string; lat: number; lng: number; verification: string; available: boolean; status: string; expertise: string[]; rating: string }[]>`
    select x.expert_id::text as id, extensions.st_y(x.cell::extensions.geometry) as lat, extensions.st_x(x.cell::extensions.geometry) as lng,
           e.verification_status::text as verification, e.is_available as available, p.status::text as status, e.expertise, e.rating_avg::text as rating
    from public.expert_locations x join public.expert_profiles e on e.id = x.expert_id join public.profiles p on p.id = x.expert_id`;
}

async function bruteForce(q: Query) {
  const all = await everyExpert();
  return all
    .filter((e) => e.verification === "verified" && e.available && e.status === "active")
    .filter((e) => q.expertise === undefined || e.expertise.includes(q.expertise))
    .filter((e) => q.minRating === undefined || Number(e.rating) >= q.minRating)
    .map((e) => ({ id: e.id, lng: e.lng, rating: Number(e.rating), km: haversineKm(q.lat, q.lng, e.lat, e.lng) }))
    .filter((e) => e.km <= Math.ceil(q.radiusKm)) // the radius is rounded up to whole km
    // The documented total order: distance to the cell, then rating (best first), then id.
    .sort((a, b) => a.km - b.km || b.rating - a.rating || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, q.maxResults ?? 20);
}

let member: TestUser;
const experts = seedExperts();
const timings: number[] = [];

async function nearby(q: Query): Promise<Row[]> {
  const started = performance.now();
  const client = await memberClient(member.id);
  const { data, error, status } = await client.rpc("nearby_experts", {
    lat: q.lat, lng: q.lng, radius_km: q.radiusKm, expertise: q.expertise ?? null, min_rating: q.minRating ?? null, max_results: q.maxResults ?? 20,
  } as never);
  timings.push(performance.now() - started);
  if (error) throw Object.assign(new Error(error.message), { code: error.code, status });
  return data as unknown as Row[];
}

beforeAll(async () => {
  member = await createUser();
  const ids = experts.map((e) => e.id);
  await sql.begin(async (tx) => {
    await tx`
      insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
      select '00000000-0000-0000-0000-000000000000', id, 'authenticated', 'authenticated', 'nearby-' || id || '@example.test', '',
             now(), '{"provider":"email","providers":["email"]}', '{}', now(), now()
      from unnest(${ids}::uuid[]) id`;
    await tx`
      update public.profiles p set role = 'expert', status = s.status::public.account_status, display_name = 'Expert ' || left(p.id::text, 8)
      from unnest(${ids}::uuid[], ${experts.map((e) => e.status)}::text[]) s(id, status) where p.id = s.id`;
    await tx`
      insert into public.expert_profiles (id, headline, expertise, is_available, verification_status, verified_at, rating_avg, rating_count, city)
      select s.id, 'Seeded expert', string_to_array(s.skills, ','), s.available::boolean, s.verification::public.verification_status,
             case when s.verification = 'verified' then now() end, s.rating, 10, 'Seed City'
      from unnest(${ids}::uuid[], ${experts.map((e) => e.expertise.join(","))}::text[], ${experts.map((e) => String(e.available))}::text[],
                  ${experts.map((e) => e.verification)}::text[], ${experts.map((e) => e.rating)}::numeric[])
           s(id, skills, available, verification, rating)`;
    await tx`
      insert into public.expert_locations (expert_id, location, area)
      select s.id, extensions.st_setsrid(extensions.st_makepoint(s.lng, s.lat), 4326)::extensions.geography, 'Seed Area'
      from unnest(${ids}::uuid[], ${experts.map((e) => e.lat)}::float8[], ${experts.map((e) => e.lng)}::float8[]) s(id, lat, lng)`;
  });
  await sql`analyze public.expert_locations, public.expert_profiles, public.profiles`;
});

afterAll(async () => {
  await sql`delete from auth.users where id = any(${experts.map((e) => e.id)}::uuid[])`;
  if (member) await deleteUser(member.id);
  if (timings.length) console.log(`nearby_experts: ${timings.length} calls, median ${timings.sort((a, b) => a - b)[timings.length >> 1].toFixed(1)} ms per request`);
});

function firstVisibleExpert() {
  const e = experts.find((x) => x.verification === "verified" && x.available && x.status === "active")!;
  return { lat: e.lat, lng: e.lng };
}

// atLeast: the brute force finds that many, so each case really exercises the search;
// limited: more match than max_results, so the KNN cut-off is what is being compared.
const cases: (Query & { name: string; atLeast?: number; limited?: boolean })[] = [
  { name: "dense city, default limit", lat: 48.14, lng: 11.58, radiusKm: 25, limited: true },
  { name: "whole region, 100 results", lat: 48, lng: 11, radiusKm: 500, maxResults: 100, limited: true },
  { name: "expertise filter", lat: 47.5, lng: 12.3, radiusKm: 250, expertise: "tax", maxResults: 100, atLeast: 15 },
  { name: "rating filter", lat: 49.1, lng: 9.8, radiusKm: 300, minRating: 3.5, maxResults: 100, atLeast: 15 },
  { name: "expertise and rating", lat: 48.5, lng: 11, radiusKm: 100, expertise: "law", minRating: 2, maxResults: 10, limited: true },
  { name: "1 km around an expert's own point", ...firstVisibleExpert(), radiusKm: 1, maxResults: 100, atLeast: 1 },
  { name: "across the antimeridian", lat: -17, lng: 179.9, radiusKm: 400, maxResults: 100, atLeast: 10 },
  { name: "near the pole", lat: 88, lng: 0, radiusKm: 500, maxResults: 100, atLeast: 5 },
  { name: "empty ocean", lat: 0, lng: -30, radiusKm: 100 },
  { name: "twelve experts in one cell, cut at 5 (rating, then id decide)", lat: 48.2101, lng: 11.7701, radiusKm: 1, expertise: "tie", maxResults: 5, limited: true },
];

describe("nearby_experts", () => {
  for (const c of cases) {
    it(`matches a brute-force haversine scan: ${c.name}`, async () => {
      const [got, want] = [await nearby(c), await bruteForce(c)];
      if (c.atLeast) expect(want.length).toBeGreaterThanOrEqual(c.atLeast);
      if (c.limited) {
        expect(want).toHaveLength(c.maxResults ?? 20);
        expect((await bruteForce({ ...c, maxResults: 10_000 })).length).toBeGreaterThan(want.length);
      }
      expect(got.map((r) => r.expert_id)).toEqual(want.map((w) => w.id));
      got.forEach((r, i) => {
        expect(Number(r.distance_km)).toBe(Math.round(Number(r.distance_km) * 10) / 10); // one decimal
        expect(Math.abs(Number(r.distance_km) - want[i].km)).toBeLessThanOrEqual(0.05 + 1e-9);
      });
      if (c.name === "across the antimeridian") {
        // Both sides of ±180° are found, so the search does not stop at the date line.
        expect(want.some((w) => w.lng < 0) && want.some((w) => w.lng > 0)).toBe(true);
      }
    });
  }

  it("answers the same experts in the same order on every call when a cell's experts tie", async () => {
    const q = { lat: 48.2101, lng: 11.7701, radiusKm: 1, expertise: "tie", maxResults: 5 };
    const answers = new Set<string>();
    for (let i = 0; i < 5; i++) answers.add((await nearby(q)).map((r) => r.expert_id).join(","));
    expect(answers.size).toBe(1);
    const rows = await nearby(q);
    expect(rows.map((r) => Number(r.rating_avg))).toEqual([5, 5, 4.5, 4.5, 4.5]);
  });

  it("returns summaries and rounded distances, never coordinates", async () => {
    const [row] = await nearby({ lat: 48, lng: 11, radiusKm: 200, maxResults: 1 });
    expect(Object.keys(row).sort()).toEqual(["area", "city", "display_name", "distance_km", "expert_id", "headline", "rating_avg", "rating_count"]);
    expect(row).toMatchObject({ headline: "Seeded expert", city: "Seed City", area: "Seed Area", rating_count: 10 });
  });

  it("leaves out unverified, unavailable and suspended experts even when they are nearest", async () => {
    const hidden = experts.filter((e) => e.verification !== "verified" || !e.available || e.status !== "active");
    expect(hidden.length).toBeGreaterThan(20);
    for (const e of hidden.slice(0, 5)) {
      const rows = await nearby({ lat: e.lat, lng: e.lng, radiusKm: 1, maxResults: 100 });
      expect(rows.map((r) => r.expert_id)).not.toContain(e.id);
    }
  });

  it("follows what decides whether an expert is found: availability, verification, account status, moves and deletion", async () => {
    // One expert alone in the mid-Atlantic, far from every other test's experts.
    const id = randomUUID();
    const here = { lat: 30.1, lng: -40.1 };
    const moved = { lat: 31.1, lng: -40.1 };
    await sql.begin(async (tx) => {
      await tx`insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
               values ('00000000-0000-0000-0000-000000000000', ${id}, 'authenticated', 'authenticated', ${"nearby-" + id + "@example.test"}, '', now(),
                       '{"provider":"email","providers":["email"]}', '{}', now(), now())`;
      await tx`update public.profiles set role = 'expert' where id = ${id}`;
      await tx`insert into public.expert_profiles (id, headline, is_available, verification_status, verified_at) values (${id}, 'Lone expert', true, 'verified', now())`;
      await tx`insert into public.expert_locations (expert_id, location) values (${id}, extensions.st_setsrid(extensions.st_makepoint(${here.lng}, ${here.lat}), 4326)::extensions.geography)`;
    });
    const found = async (at = here) => (await nearby({ ...at, radiusKm: 5, maxResults: 100 })).some((r) => r.expert_id === id);
    try {
      expect(await found()).toBe(true);
      await sql`update public.expert_profiles set is_available = false where id = ${id}`;
      expect(await found(), "unavailable").toBe(false);
      await sql`update public.expert_profiles set is_available = true where id = ${id}`;
      expect(await found(), "available again").toBe(true);
      await sql`update public.expert_profiles set verification_status = 'pending' where id = ${id}`;
      expect(await found(), "verification pending").toBe(false);
      await sql`update public.expert_profiles set verification_status = 'verified' where id = ${id}`;
      expect(await found(), "verified again").toBe(true);
      await sql`update public.profiles set status = 'suspended' where id = ${id}`;
      expect(await found(), "suspended").toBe(false);
      await sql`update public.profiles set status = 'active' where id = ${id}`;
      expect(await found(), "active again").toBe(true);
      await sql`update public.expert_locations set location = extensions.st_setsrid(extensions.st_makepoint(${moved.lng}, ${moved.lat}), 4326)::extensions.geography where expert_id = ${id}`;
      expect(await found(), "moved away").toBe(false);
      expect(await found(moved), "found where they moved").toBe(true);

      // Two transactions at once, each lifting one of two reasons to hide the expert: the second
      // waits for the first, then sees its commit, so the expert is found once both have committed.
      await sql`update public.expert_profiles set is_available = false where id = ${id}`;
      await sql`update public.profiles set status = 'suspended' where id = ${id}`;
      expect(await found(moved)).toBe(false);
      const [a, b] = [await sql.reserve(), await sql.reserve()];
      try {
        await a`begin`;
        await a`update public.expert_profiles set is_available = true where id = ${id}`;
        await b`begin`;
        const second = b`update public.profiles set status = 'active' where id = ${id}`.execute();
        await new Promise((r) => setTimeout(r, 300));
        await a`commit`;
        await second;
        await b`commit`;
      } finally {
        a.release();
        b.release();
      }
      expect(await found(moved), "both reasons lifted concurrently").toBe(true);

      await sql`delete from public.expert_locations where expert_id = ${id}`;
      expect(await found(moved), "location deleted").toBe(false);
    } finally {
      await sql`delete from auth.users where id = ${id}`;
    }
  });

  it("refuses bad input with HTTP 400 and 22023 rather than failing", async () => {
    for (const bad of [{ radiusKm: 0.9 }, { radiusKm: 500.1 }, { lat: -90.5 }, { lng: 180.5 }, { maxResults: 0 }, { maxResults: 101 }, { minRating: -1 }]) {
      await expect(nearby({ lat: 48, lng: 11, radiusKm: 10, ...bad })).rejects.toMatchObject({ code: "22023", status: 400 });
    }
  });

  it("finds candidates through the GiST index of searchable cells (KNN order by <->)", async () => {
    // private.nearby_experts runs its KNN query as a PL/pgSQL prepared plan: EXPLAIN the same
    // statement with the parameters as a generic plan would (auto_explain needs a superuser).
    const plan = async (radiusM: number, limit: number) =>
      (await sql.begin(async (tx) => {
        await tx`prepare nearby_probe(extensions.geography, double precision, int, text, numeric) as
          select s.cell operator(extensions.<->) $1 from private.searchable_cells s
          where extensions.st_dwithin(s.cell, $1, $2, false)
            and (($4 is null and $5 is null) or exists (select 1 from public.expert_profiles e where e.id = s.expert_id
                 and ($4 is null or e.expertise @> array[$4]) and ($5 is null or e.rating_avg >= $5)))
          order by s.cell operator(extensions.<->) $1 limit $3`;
        await tx`set local plan_cache_mode = force_generic_plan`;
        const rows = await tx.unsafe<{ "QUERY PLAN": string }[]>(`explain execute nearby_probe(extensions.st_makepoint(11, 48)::extensions.geography, ${radiusM}, ${limit}, null, null)`);
        await tx`deallocate nearby_probe`;
        return rows;
      })).map((r) => r["QUERY PLAN"]).join("\n");
    const local = await plan(40_000, 20);
    expect(local).toContain("searchable_cells_cell_idx");
    expect(local).toMatch(/Order By: \(cell <-> /);
    expect(await plan(500_000, 100)).toContain("searchable_cells_cell_idx");
  });
});
