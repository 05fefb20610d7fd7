// Reviews under concurrency, as separate PostgREST-style requests: the expert's aggregates count
// every committed review, and a booking is reviewed once even when two requests race.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { sql } from "./helpers/db.ts";
import { anonApi, memberClient, ok, succeeded } from "./helpers/rest.ts";
import { createUser, deleteUser, type TestUser } from "./helpers/users.ts";

let expert: TestUser;
const members: Array<{ user: TestUser; booking: string; rating: number }> = [];

beforeAll(async () => {
  expert = await createUser({ metadata: { first_name: "Rita", last_name: "Rated" } });
  await sql`update public.profiles set role = 'expert' where id = ${expert.id}`;
  await sql`insert into public.expert_profiles (id, verification_status, verified_at) values (${expert.id}, 'verified', now())`;
  for (let i = 0; i < 12; i++) {
    const user = await createUser({ metadata: { first_name: `M${i}`, last_name: "Tester" } });
    const booking = randomUUID();
    await sql`insert into public.bookings (id, member_id, expert_id, status, scheduled_at, duration_minutes, price_cents, completed_at)
              values (${booking}, ${user.id}, ${expert.id}, 'completed', now() - interval '1 day', 60, 1000, now() - interval '1 day')`;
    members.push({ user, booking, rating: (i % 5) + 1 });
  }
});

afterAll(async () => {
  await sql`delete from public.bookings where expert_id = ${expert.id}`;
  for (const m of members) await deleteUser(m.user.id);
  if (expert) await deleteUser(expert.id);
});

describe("reviews", () => {
  it("keeps rating_avg and rating_count exact when many members review one expert at once", async () => {
    const clients = await Promise.all(members.map((m) => memberClient(m.user.id)));
    (await Promise.all(members.map((m, i) => clients[i].from("reviews").insert({ booking_id: m.booking, rating: m.rating } as never)))).forEach(succeeded);
    const [e] = await sql`select rating_avg::text as avg, rating_count as n from public.expert_profiles where id = ${expert.id}`;
    const mean = members.reduce((s, m) => s + m.rating, 0) / members.length;
    expect(e).toEqual({ avg: mean.toFixed(2), n: members.length });
  });

  it("accepts one of two racing reviews of the same booking", async () => {
    const m = members[0];
    await sql`delete from public.reviews where booking_id = ${m.booking}`;
    const [a, b] = [await memberClient(m.user.id), await memberClient(m.user.id)];
    const results = await Promise.all([a, b].map((client, i) => client.from("reviews").insert({ booking_id: m.booking, rating: [1, 5][i] } as never)));
    expect(results.filter((r) => !r.error)).toHaveLength(1);
    expect(results.filter((r) => r.error).map((r) => ({ status: r.status, code: r.error!.code }))).toEqual([{ status: 409, code: "23505" }]);
    const [{ n }] = await sql`select count(*)::int as n from public.reviews where booking_id = ${m.booking}`;
    expect(n).toBe(1);
  });

  it("lists the expert's reviews publicly without author ids", async () => {
    const rows = ok(await anonApi().rpc("expert_reviews", { expert_id: expert.id, page_size: 100 }));
    expect(rows).toHaveLength(members.length);
    expect(Object.keys(rows[0]).sort()).toEqual(["author_name", "body", "created_at", "id", "rating", "title", "updated_at"]);
    expect(rows.map((r) => r.author_name)).toContain("M3 T.");
    expect(JSON.stringify(rows)).not.toContain(members[3].user.id);
  });
});
