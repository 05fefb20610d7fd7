// The access matrix's SQL pass runs statements in PostgREST's session (helpers/sql-session.ts): role,
// claims and RLS apply there as they do for a request over HTTP, and nothing it runs is kept.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anonClaims, memberClaims, serviceClaims, sql } from "./helpers/db.ts";
import { inRequestSession } from "./helpers/sql-session.ts";
import { createUser, deleteUser, type TestUser } from "./helpers/users.ts";

let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  alice = await createUser();
  bob = await createUser();
  await sql.unsafe(`
    create table public.rls_smoke (id bigint generated always as identity primary key,
                                   owner uuid not null default auth.uid(), note text);
    alter table public.rls_smoke enable row level security;
    create policy "Owners can read their notes" on public.rls_smoke for select to authenticated using ((select auth.uid()) = owner);
    create policy "Owners can add notes" on public.rls_smoke for insert to authenticated with check ((select auth.uid()) = owner);`);
  await sql`insert into public.rls_smoke (owner, note) values (${alice.id}, 'alice'), (${bob.id}, 'bob')`;
});

afterAll(async () => {
  await sql`drop table if exists public.rls_smoke`;
  await deleteUser(alice.id);
  await deleteUser(bob.id);
});

describe("inRequestSession", () => {
  it("sets role and claims as PostgREST does", async () => {
    const [row] = await inRequestSession(memberClaims(alice.id, { aal: "aal2" }), (tx) => tx`
      select current_user as role, auth.uid()::text as uid, auth.jwt() ->> 'aal' as aal, current_setting('request.method') as method`, { method: "POST" });
    expect(row).toEqual({ role: "authenticated", uid: alice.id, aal: "aal2", method: "POST" });
  });

  it("shows a member only their own rows", async () => {
    const rows = await inRequestSession(memberClaims(alice.id), (tx) => tx`select note from public.rls_smoke`);
    expect(rows.map((r) => r.note)).toEqual(["alice"]);
  });

  it("refuses a member writing a row as someone else", async () => {
    await expect(inRequestSession(memberClaims(alice.id), (tx) => tx`insert into public.rls_smoke (owner, note) values (${bob.id}, 'forged')`)).rejects.toThrow(/row-level security/);
  });

  it("shows anon nothing and the service role everything", async () => {
    expect(await inRequestSession(anonClaims, (tx) => tx`select * from public.rls_smoke`)).toHaveLength(0);
    expect((await inRequestSession(serviceClaims, (tx) => tx`select * from public.rls_smoke`)).length).toBeGreaterThanOrEqual(2);
  });

  it("rolls back unless asked to commit", async () => {
    await inRequestSession(memberClaims(alice.id), (tx) => tx`insert into public.rls_smoke (note) values ('temporary')`);
    const [{ count }] = await sql`select count(*)::int as count from public.rls_smoke where note = 'temporary'`;
    expect(count).toBe(0);
  });
});
