// The scale seed adds its data to any stack, a used one included: here the suite's stack, which
// already holds a verified expert with a location (its searchable cell exists), gets a tiny load,
// which is then removed with its users.
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { loadScaleSeed, sizes } from "../seed/scale.ts";
import { sql } from "./helpers/db.ts";
import { stack } from "./helpers/stack.ts";

const scale = 0.0001; // sizes(): the smallest load, 10 members and 5 experts
const adminDbUrl = (() => { const u = new URL(stack.dbUrl); u.username = "supabase_admin"; return u.toString(); })();
const expert = randomUUID();

describe("scale seed on a used stack", () => {
  afterAll(async () => {
    await sql`delete from auth.users where email like '%@bench.memberbase.test' or id = ${expert}`;
  });

  it("loads beside a verified, located expert the stack already has", async () => {
    await sql.begin(async (tx) => {
      await tx`insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
               values ('00000000-0000-0000-0000-000000000000', ${expert}, 'authenticated', 'authenticated', ${`scale-${expert}@example.test`}, '', now(),
                       '{"provider":"email","providers":["email"]}', '{}', now(), now())`;
      await tx`update public.profiles set role = 'expert' where id = ${expert}`;
      await tx`insert into public.expert_profiles (id, headline, expertise, is_available, verification_status, verified_at, city)
               values (${expert}, 'Located expert', '{tax}', true, 'verified', now(), 'Lisboa')`;
      await tx`insert into public.expert_locations (expert_id, location, area)
               values (${expert}, extensions.st_setsrid(extensions.st_makepoint(-9.14, 38.72), 4326)::extensions.geography, 'Baixa')`;
    });
    expect(await sql`select 1 from private.searchable_cells where expert_id = ${expert}`).toHaveLength(1);

    const result = await loadScaleSeed({ adminDbUrl, scale, seed: 7 });
    expect(result.alreadyLoaded).toBe(false);
    const { members, experts } = sizes(scale);
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from auth.users where email like '%@bench.memberbase.test'`;
    expect(n).toBe(members + experts);
    // The stack's own expert keeps its one cell; the loaded experts got theirs.
    expect(await sql`select 1 from private.searchable_cells where expert_id = ${expert}`).toHaveLength(1);
    const [{ cells }] = await sql<{ cells: number }[]>`
      select count(*)::int as cells from private.searchable_cells c join auth.users u on u.id = c.expert_id where u.email like '%@bench.memberbase.test'`;
    expect(cells).toBeGreaterThan(0);
  }, 120000);
});
