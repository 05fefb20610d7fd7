// Two updates of one member's saved searches at once (two tabs, or a "notify on all" beside a single
// switch) must never deadlock into a 5xx. Turning notify on takes the member's saved-searches lock
// (the plan's notify limit counts under it); an update that locked a row before taking that lock
// waits for it while holding the row another update needs. This sets up exactly that interleaving:
// a SQL session holds the member's lock while one request updates all of the member's searches and
// one request per search updates it alone, then lets go; every request must succeed.
import { afterAll, describe, expect, it } from "vitest";
import { sql } from "./helpers/db.ts";
import { memberClient, ok } from "./helpers/rest.ts";
import * as users from "./helpers/users.ts";

const made: string[] = [];
afterAll(async () => {
  for (const id of made) await users.deleteUser(id);
});

/** Backends waiting for a lock (pg_locks, which every role may read: this file's requests are the only writers). */
async function waitForWaiters(n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [{ waiting }] = await sql<{ waiting: number }[]>`select count(distinct pid)::int as waiting from pg_locks where not granted`;
    if (waiting >= n) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`fewer than ${n} requests came to wait for a lock`);
}

describe("saved searches under contention", () => {
  it("an update of all of a member's searches beside one per search, all turning notify on: no 5xx", async () => {
    const user = await users.createUser();
    made.push(user.id);
    const api = await memberClient(user.id);
    const ids: string[] = [];
    for (const name of ["a", "b", "c"]) ids.push((ok(await api.from("saved_searches").insert({ name, query: name, notify: false }).select("id").single()) as { id: string }).id);

    const holder = await sql.reserve();
    try {
      await holder`begin`;
      await holder`select pg_advisory_xact_lock(hashtextextended(${"saved_searches:" + user.id}, 0))`;
      const all = api.from("saved_searches").update({ notify: true }).eq("member_id", user.id);
      const allDone = all.then((r) => r);
      await waitForWaiters(1);
      const each = ids.map((id) => api.from("saved_searches").update({ notify: true }).eq("id", id).then((r) => r));
      await waitForWaiters(1 + ids.length);
      await holder`commit`;
      const results = await Promise.all([allDone, ...each]);
      expect(results.map((r) => (r.error ? `${r.status} ${r.error.code}: ${r.error.message}` : r.status))).toEqual(results.map(() => 204));
    } finally {
      await holder`rollback`.catch(() => {});
      holder.release();
    }
    const rows = await sql<{ notify: boolean }[]>`select notify from public.saved_searches where member_id = ${user.id}`;
    expect(rows.map((r) => r.notify)).toEqual([true, true, true]);
  }, 60000);
});
