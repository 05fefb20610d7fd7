// Location privacy: the trilateration attack from the security review, run for real through
// nearby_experts() as PostgREST calls it. The attacker binary-searches, along three rays, the centre
// position at which an expert enters a 1 km radius, and trilaterates the three boundary points.
// Before the fix that recovered the stored point to under a metre; now it recovers the centre of
// the expert's ~500 m grid cell and nothing more: two experts at opposite corners of one cell give
// identical answers to every call, so no sequence of calls tells them apart (the stated bound).
// The per-member hourly budget is checked on its own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "./helpers/db.ts";
import { memberClient } from "./helpers/rest.ts";
import { createUser, type TestUser } from "./helpers/users.ts";

const R = 6371008.7714; // the sphere PostGIS uses for geography <-> and use_spheroid = false
const CELL_DEG = 500 / 111320;
const rad = Math.PI / 180;

function haversineM(a: [number, number], b: [number, number]): number {
  const h = Math.sin(((b[0] - a[0]) * rad) / 2) ** 2 + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.sin(((b[1] - a[1]) * rad) / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}
/** Local east/north metres <-> degrees around an origin (exact enough at a few km). */
const toDeg = (o: [number, number], east: number, north: number): [number, number] => [o[0] + north / (R * rad), o[1] + east / (R * rad * Math.cos(o[0] * rad))];
const toXY = (o: [number, number], p: [number, number]): [number, number] => [(p[1] - o[1]) * R * rad * Math.cos(o[0] * rad), (p[0] - o[0]) * R * rad];

/** Centre of the circle through three points (plane). */
function circumcentre([ax, ay]: [number, number], [bx, by]: [number, number], [cx, cy]: [number, number]): [number, number] {
  const d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by));
  const a2 = ax * ax + ay * ay, b2 = bx * bx + by * by, c2 = cx * cx + cy * cy;
  return [(a2 * (by - cy) + b2 * (cy - ay) + c2 * (ay - by)) / d, (a2 * (cx - bx) + b2 * (ax - cx) + c2 * (bx - ax)) / d];
}

const created: string[] = [];
let attacker: TestUser;
let budgetBefore = 60;

async function makeExpert(at: [number, number]): Promise<string> {
  const u = await createUser();
  created.push(u.id);
  await sql`update public.profiles set role = 'expert', display_name = 'Located expert' where id = ${u.id}`;
  await sql`insert into public.expert_profiles (id, headline, verification_status, is_available) values (${u.id}, 'Private person', 'verified', true)`;
  await sql`insert into public.expert_locations (expert_id, location) values (${u.id}, extensions.st_setsrid(extensions.st_makepoint(${at[1]}, ${at[0]}), 4326)::extensions.geography)`;
  return u.id;
}

async function search(member: string, centre: [number, number], radiusKm: number) {
  const client = await memberClient(member);
  const { data, error, status } = await client.rpc("nearby_experts", { lat: centre[0], lng: centre[1], radius_km: radiusKm, max_results: 100 }).select("expert_id, distance_km");
  if (error) throw Object.assign(new Error(error.message), { code: error.code, status });
  return data as { expert_id: string; distance_km: number }[];
}

beforeAll(async () => {
  attacker = await createUser();
  created.push(attacker.id);
  [{ hourly_search_budget: budgetBefore }] = await sql<{ hourly_search_budget: number }[]>`select hourly_search_budget from private.location_settings`;
});
afterAll(async () => {
  await sql`update private.location_settings set hourly_search_budget = ${budgetBefore}`;
  await sql`delete from auth.users where id in ${sql(created)}`;
});

describe("location privacy: nearby_experts reveals an expert's position to no better than its ~500 m cell", () => {
  it("the trilateration attack recovers only the cell centre, the same for two experts at opposite corners of one cell", async () => {
    // The attack needs ~150 calls: lift the budget for it (the budget is tested below).
    await sql`update private.location_settings set hourly_search_budget = 100000`;
    // Two experts ~640 m apart at opposite corners of the same cell (Cape Town, far from other tests' experts).
    const [{ lat: cLat, lng: cLng }] = await sql<{ lat: number; lng: number }[]>`
      select extensions.st_y(c::extensions.geometry) as lat, extensions.st_x(c::extensions.geometry) as lng
        from private.location_cell('SRID=4326;POINT(18.4241 -33.9249)'::extensions.geography) c`;
    const cellLngDeg = 360 / Math.floor((360 * Math.cos(cLat * rad)) / CELL_DEG);
    const p1: [number, number] = [cLat - 0.45 * CELL_DEG, cLng - 0.45 * cellLngDeg];
    const p2: [number, number] = [cLat + 0.45 * CELL_DEG, cLng + 0.45 * cellLngDeg];
    const [{ same }] = await sql<{ same: boolean }[]>`
      select private.location_cell(extensions.st_setsrid(extensions.st_makepoint(${p1[1]}, ${p1[0]}), 4326)::extensions.geography)::text
           = private.location_cell(extensions.st_setsrid(extensions.st_makepoint(${p2[1]}, ${p2[0]}), 4326)::extensions.geography)::text as same`;
    expect(same, "both corners lie in one cell").toBe(true);
    const apart = haversineM(p1, p2);
    expect(apart).toBeGreaterThan(600);
    const e1 = await makeExpert(p1);
    const e2 = await makeExpert(p2);

    // The attacker knows roughly where e1 is (the review's attack started from a 1 km guess) and
    // searches along three rays from that guess for where e1 enters a 1 km radius.
    const guess = toDeg(p1, 120, -80);
    let calls = 0;
    const transcript: string[] = [];
    const boundary: Array<[number, number]> = [];
    for (const angle of [0, 120, 240]) {
      const dir = [Math.cos(angle * rad), Math.sin(angle * rad)];
      let inside = 0, outside = 3000; // metres along the ray: e1 is found at `inside`, not at `outside`
      for (let step = 0; step < 26; step++) {
        const t = (inside + outside) / 2;
        const centre = toDeg(guess, dir[0] * t, dir[1] * t);
        const rows = await search(attacker.id, centre, 1);
        calls++;
        const d1 = rows.find((r) => r.expert_id === e1)?.distance_km ?? null;
        const d2 = rows.find((r) => r.expert_id === e2)?.distance_km ?? null;
        transcript.push(`${d1}|${d2}`);
        // What the attacker sees for e1, e2 would have shown identically at every step.
        expect(d2, `call ${calls}: e2 answered differently from e1`).toBe(d1);
        if (d1 !== null) inside = t;
        else outside = t;
      }
      boundary.push(toXY(guess, toDeg(guess, dir[0] * inside, dir[1] * inside)));
    }
    const [ex, ey] = circumcentre(boundary[0], boundary[1], boundary[2]);
    const estimate = toDeg(guess, ex, ey);
    const toCell = haversineM(estimate, [cLat, cLng]);
    const err1 = haversineM(estimate, p1);
    const err2 = haversineM(estimate, p2);
    console.log(`trilateration: ${calls} calls; estimate ${toCell.toFixed(2)} m from the cell centre, ${err1.toFixed(0)} m from e1, ${err2.toFixed(0)} m from e2 (${apart.toFixed(0)} m apart)`);
    expect(new Set(transcript).size, "the search saw e1 both inside and outside").toBeGreaterThan(1);
    expect(calls, "more calls than one hour's budget allows a member").toBeGreaterThan(60);
    // The attack works as well as it can: it pins down the cell centre ...
    expect(toCell).toBeLessThan(5);
    // ... which is all there is to learn: e1 and e2 are indistinguishable, so whichever the
    // attacker names, the error for one of them is at least half their distance.
    expect(Math.max(err1, err2)).toBeGreaterThanOrEqual(apart / 2);
    expect(err1).toBeGreaterThan(250);
  }, 60000);

  it("a radius is rounded up to whole kilometres, so 1.01 km and 2 km answer alike", async () => {
    await sql`update private.location_settings set hourly_search_budget = 100000`;
    const [{ lat, lng }] = await sql<{ lat: number; lng: number }[]>`
      select extensions.st_y(c::extensions.geometry) as lat, extensions.st_x(c::extensions.geometry) as lng
        from private.location_cell('SRID=4326;POINT(-58.3816 -34.6037)'::extensions.geography) c`;
    const id = await makeExpert([lat, lng]);
    const centre = toDeg([lat, lng], 1500, 0); // 1.5 km east of the cell centre
    const at = async (km: number) => (await search(attacker.id, centre, km)).some((r) => r.expert_id === id);
    expect([await at(1), await at(1.01), await at(1.5), await at(2)]).toEqual([false, true, true, true]);
  });

  it("each member has an hourly search budget; the next call is refused with PT429 (HTTP 429), other members unaffected", async () => {
    await sql`update private.location_settings set hourly_search_budget = 60`;
    const member = await createUser();
    const bystander = await createUser();
    created.push(member.id, bystander.id);
    for (let i = 0; i < 60; i++) await search(member.id, [10, 10], 1);
    await expect(search(member.id, [10, 10], 1)).rejects.toMatchObject({ code: "PT429", status: 429 });
    await expect(search(member.id, [10, 10], 1)).rejects.toMatchObject({ code: "PT429", status: 429 });
    expect(await search(bystander.id, [10, 10], 1)).toEqual([]);
    // A refused call does not extend the window; an hour on, the budget is whole again.
    await sql`update private.nearby_search_budget set window_started_at = window_started_at - interval '1 hour' where member_id = ${member.id}`;
    expect(await search(member.id, [10, 10], 1)).toEqual([]);
  });
});
