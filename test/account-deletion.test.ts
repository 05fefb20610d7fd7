// Account deletion. First the catalog check that nothing of a deleted member remains: a member with
// rows on every member-linked path is deleted exactly as the Auth admin API deletes a user, then
// every uuid/text column of every public table is scanned for the member's id. Then the functions:
// account-delete (immediate) and process-deletion-requests (after the 7-day grace period), over HTTP.
import { beforeAll, describe, expect, it } from "vitest";
import { anonClient, authSkipReason, serviceClient, stack } from "./helpers/stack.ts";
import { memberClaims, serviceClaims, sql, type Claims } from "./helpers/db.ts";
import { memberClient, ok } from "./helpers/rest.ts";
import { claimsOf, password, signUpConfirmed } from "./helpers/auth.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { createSession, usersDeletedAfterFile, type TestUser } from "./helpers/users.ts";
import { linkPaths, memberRowsByForeignKeys, referencesTo, seedMember, type SeedResult } from "./helpers/member-rows.ts";
import { jobsPausedDuringFile } from "./helpers/schedule.ts";
import { skipNote } from "./helpers/skip.ts";

jobsPausedDuringFile("process-deletion-requests"); // this file counts what its own calls did

const { createUser } = usersDeletedAfterFile();

async function rowCounts(rows: Map<string, unknown[]>): Promise<Record<string, number>> {
  return Object.fromEntries([...rows].map(([t, r]) => [t, r.length]).sort());
}

describe("account deletion leaves nothing of the member (catalog check, as the Auth admin API deletes)", () => {
  let expert: TestUser;
  let other: TestUser;
  let member: TestUser;
  let seeded: SeedResult;
  let requestId: string;
  let otherBefore: Record<string, number>;
  let anonymised: Array<{ table: string; column: string; key: string }>;

  beforeAll(async () => {
    expert = await createUser();
    other = await createUser();
    member = await createUser();
    await seedMember(expert.id, expert.id);
    await seedMember(other.id, expert.id);
    seeded = await seedMember(member.id, expert.id);
    await sql`update public.expert_profiles set verification_status = 'verified', verified_at = now(), hourly_rate_cents = 6000
               where id in ${sql([member.id, expert.id])}`;
    await sql`update public.profiles set role = 'expert' where id in ${sql([member.id, expert.id])}`; // bookable: private.is_bookable_expert
    // Real bookings both ways through the RPC: the member books the expert, the expert books the member.
    const inDays = (d: number) => new Date(Date.now() + d * 86400e3).toISOString();
    ok(await (await memberClient(member.id)).rpc("create_booking", { expert_id: expert.id, scheduled_at: inDays(2), duration_minutes: 60, note: "my private note" }));
    ok(await (await memberClient(expert.id)).rpc("create_booking", { expert_id: member.id, scheduled_at: inDays(3), duration_minutes: 60, note: "the expert's note" }));
    [{ id: requestId }] = await sql`select id from public.data_deletion_requests where user_id = ${member.id} and status = 'pending'`;
    otherBefore = await rowCounts(await memberRowsByForeignKeys(other.id));
    // Rows the foreign keys keep with the member's id nulled (ON DELETE SET NULL on a member link),
    // found from the catalog and remembered by primary key.
    const setNull = await sql<{ tbl: string; col: string; predicate: string; pk: string[] }[]>`
      select distinct l.table_name as tbl, l.link_column as col, l.predicate,
             array(select a.attname::text from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
                    where i.indrelid = c.conrelid and i.indisprimary) as pk
        from private.member_linked_tables() l
        join pg_constraint c on c.conrelid = ('public.' || l.table_name)::regclass and c.contype = 'f' and c.confdeltype = 'n'
        join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1] and a.attname = l.link_column
       where l.excluded_reason is null`; // an excluded link (say invoices.booking_id) is not the member's data: nothing to anonymise
    anonymised = [];
    for (const { tbl, col, predicate, pk } of setNull) {
      const rows = await sql.unsafe<{ key: string }[]>(
        `select (select jsonb_object_agg(k, v) from jsonb_each(to_jsonb(t)) e(k, v) where k = any($2::text[]))::text as key from public.${tbl} t where ${predicate}`,
        [member.id, pk]);
      anonymised.push(...rows.map((r) => ({ table: tbl, column: col, key: r.key })));
    }
  }, 60000);

  it("reached every member-linked path of the catalog before deleting", async () => {
    expect(seeded.unreachable).toEqual([]);
    const paths = (await linkPaths()).filter((p) => p.excluded_reason === null);
    for (const p of paths) {
      const [{ n }] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from public.${p.table_name} t where ${p.predicate}`, [member.id]);
      expect(n, p.path).toBeGreaterThan(0);
    }
    expect(await referencesTo(member.id)).not.toEqual([]); // the scan below would see the member's rows
    expect(anonymised.map((a) => `${a.table}.${a.column}`)).toEqual(expect.arrayContaining(["bookings.member_id", "bookings.expert_id", "data_deletion_requests.user_id"]));
  });

  it("after `delete from auth.users`, no column of any public table holds the member's id", async () => {
    await sql`delete from auth.users where id = ${member.id}`;
    expect(await referencesTo(member.id)).toEqual([]);
    expect(await referencesTo(member.email)).toEqual([]);
    expect(await sql`select 1 from auth.users where id = ${member.id}`).toHaveLength(0);
  });

  it("kept rows are the documented anonymised ones: id nulled, the member's free text gone", async () => {
    // Each row a SET NULL link pointed at is either kept with the id nulled, or gone through another
    // cascade (a message on the member's own ticket goes with the ticket).
    let kept = 0;
    for (const a of anonymised) {
      const rows = await sql.unsafe<{ v: unknown }[]>(`select "${a.column}" as v from public.${a.table} t where to_jsonb(t) @> $1::text::jsonb`, [a.key]);
      expect(rows.filter((r) => r.v !== null), `${a.table} ${a.key}`).toEqual([]);
      kept += rows.length;
    }
    expect(kept).toBeGreaterThanOrEqual(3);
    const bookings = await sql`select member_id, expert_id, note, cancelled_by from public.bookings
                                where note in ('my private note', 'the expert''s note') or (member_id is null and note is null and expert_id = ${expert.id})`;
    expect(bookings).toContainEqual(expect.objectContaining({ member_id: null, expert_id: expert.id, note: null }));
    expect(bookings).toContainEqual(expect.objectContaining({ member_id: expert.id, expert_id: null, note: "the expert's note" }));
    expect(bookings.map((b) => b.note)).not.toContain("my private note");
  });

  it("anonymised the deletion request and left other members' data alone", async () => {
    const [request] = await sql`select user_id, reason, status, processed_at from public.data_deletion_requests where id = ${requestId}`;
    expect(request).toMatchObject({ user_id: null, reason: null, status: "completed" });
    expect(request.processed_at).toBeTruthy();
    expect(await rowCounts(await memberRowsByForeignKeys(other.id))).toEqual(otherBefore);
  });
});

describe("the scan itself", () => {
  it("finds a copy of a deleted member's id that no foreign key removes", async () => {
    const user = await createUser();
    await sql.unsafe("create table public.zz_probe_copy (id bigint generated always as identity primary key, who text, ids uuid[])");
    try {
      await sql`insert into public.zz_probe_copy (who, ids) values (${`member ${user.id}`}, ${sql.array([user.id], 2950)})`;
      await sql`delete from auth.users where id = ${user.id}`;
      expect(await referencesTo(user.id)).toEqual(["zz_probe_copy.who: 1 row(s)", "zz_probe_copy.ids: 1 row(s)"]);
    } finally {
      await sql.unsafe("drop table public.zz_probe_copy");
    }
  });
});

// ---- The functions ----

const fn = (name: string) => `${stack.apiUrl}/functions/v1/${name}`;
async function post(name: string, claims: Claims | undefined, body: unknown = {}) {
  const headers: Record<string, string> = { apikey: stack.anonKey, "content-type": "application/json" };
  if (claims) headers.authorization = `Bearer ${await signAccessToken(claims)}`;
  return fetch(fn(name), { method: "POST", headers, body: JSON.stringify(body) });
}

describe("account-delete", () => {
  it("answers 401 without a JWT and for a JWT that is not a member's", async () => {
    expect((await post("account-delete", undefined)).status).toBe(401);
    const res = await post("account-delete", serviceClaims);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "not_signed_in" } });
  });

  it("refuses an aal1 session of a member with MFA (403 aal2_required) and changes nothing", async () => {
    const user = await createUser();
    await sql`insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret)
              values (gen_random_uuid(), ${user.id}, 'phone', 'totp', 'verified', now(), now(), 'JBSWY3DPEHPK3PXP')`;
    const res = await post("account-delete", await createSession(user.id, { aal: "aal1" }));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "aal2_required" } });
    expect(await sql`select 1 from public.data_deletion_requests where user_id = ${user.id}`).toHaveLength(0);
    expect(await sql`select 1 from auth.users where id = ${user.id}`).toHaveLength(1);
  });

  it("refuses a body it does not understand with 400", async () => {
    const user = await createUser();
    const res = await post("account-delete", await createSession(user.id), { user_id: "someone-else" });
    expect(res.status).toBe(400);
    expect(await sql`select 1 from public.data_deletion_requests where user_id = ${user.id}`).toHaveLength(0);
  });

  it("changes nothing and marks the request failed when Auth cannot delete the user", async () => {
    const user = await createUser();
    if (!authSkipReason) {
      // Auth is up: give it a user row it cannot load (a NULL token column, as hand-written rows once
      // had), so it answers 500 — an Auth error (502 auth_error), not an outage.
      await sql`update auth.users set confirmation_token = null where id = ${user.id}`;
    }
    const res = await post("account-delete", await createSession(user.id, { aal: "aal2" }));
    if (authSkipReason) {
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: "auth_unavailable" } });
    } else {
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ error: { code: "auth_error" } });
    }
    expect(await sql`select 1 from auth.users where id = ${user.id}`).toHaveLength(1);
    expect(await sql`select 1 from public.profiles where id = ${user.id}`).toHaveLength(1);
    expect(await sql`select source, status from public.data_deletion_requests where user_id = ${user.id}`).toEqual([{ source: "account-delete", status: "failed" }]);
  });

  it.skipIf(!!authSkipReason)(`deletes the account through the Auth admin API${skipNote(authSkipReason)}`, async () => {
    const user = await createUser();
    await seedMember(user.id, user.id);
    const res = await post("account-delete", await createSession(user.id));
    expect(res.status).toBe(200);
    const { request_id } = (await res.json()) as { request_id: string };
    expect(await sql`select 1 from auth.users where id = ${user.id}`).toHaveLength(0);
    expect(await referencesTo(user.id)).toEqual([]);
    const [request] = await sql`select user_id, status, source from public.data_deletion_requests where id = ${request_id}`;
    expect(request).toEqual({ user_id: null, status: "completed", source: "account-delete" });
  });
});

describe("process-deletion-requests", () => {
  it("is for the service role only: 401 without a JWT, 403 for a member or anon token", async () => {
    expect((await post("process-deletion-requests", undefined)).status).toBe(401);
    const member = await post("process-deletion-requests", memberClaims((await createUser()).id, { aal: "aal2" }));
    expect(member.status).toBe(403);
    expect(await member.json()).toMatchObject({ error: { code: "service_role_required" } });
    const anon = await fetch(fn("process-deletion-requests"), { method: "POST", headers: { apikey: stack.anonKey, authorization: `Bearer ${stack.anonKey}` } });
    expect(anon.status).toBe(403);
  });

  it("refuses a bad limit with 400", async () => {
    const res = await post("process-deletion-requests", serviceClaims, { limit: 100000 });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
  });

  it("takes only due pending requests: not those in their grace period or cancelled", async () => {
    const [due, waiting, cancelled] = [await createUser(), await createUser(), await createUser()];
    const [dueRequest] = await sql`insert into public.data_deletion_requests (user_id, process_after, requested_at)
                                   values (${due.id}, now() - interval '1 minute', now() - interval '7 days') returning id`;
    await sql`insert into public.data_deletion_requests (user_id, process_after) values (${waiting.id}, now() + interval '6 days')`;
    await sql`insert into public.data_deletion_requests (user_id, process_after, status) values (${cancelled.id}, now() - interval '1 day', 'cancelled')`;
    const res = await post("process-deletion-requests", serviceClaims, { limit: 100 });
    if (authSkipReason) {
      // Auth is down here: the request goes back to pending for the next run, the account stays.
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: "auth_unavailable" } });
      expect(await sql`select status from public.data_deletion_requests where id = ${dueRequest.id}`).toEqual([{ status: "pending" }]);
      expect(await sql`select 1 from auth.users where id = ${due.id}`).toHaveLength(1);
    } else {
      expect(res.status).toBe(200);
      const body = (await res.json()) as { processed: string[] };
      expect(body.processed).toContain(dueRequest.id);
      expect(await sql`select 1 from auth.users where id = ${due.id}`).toHaveLength(0);
      expect(await sql`select user_id, status from public.data_deletion_requests where id = ${dueRequest.id}`).toEqual([{ user_id: null, status: "completed" }]);
    }
    expect(await sql`select status from public.data_deletion_requests where user_id = ${waiting.id}`).toEqual([{ status: "pending" }]);
    expect(await sql`select status from public.data_deletion_requests where user_id = ${cancelled.id}`).toEqual([{ status: "cancelled" }]);
    expect(await sql`select 1 from auth.users where id in ${sql([waiting.id, cancelled.id])}`).toHaveLength(2);
    // Leave no due request behind for other files' runs.
    await sql`delete from auth.users where id in ${sql([due.id, waiting.id, cancelled.id])}`;
  });

  it("a request left processing by a run that died is taken again once its lease is over; a live lease is left alone", async () => {
    const [orphan, held] = [await createUser(), await createUser()];
    const requests = await sql<{ id: string; user_id: string }[]>`
      insert into public.data_deletion_requests (user_id, process_after, requested_at)
      values (${orphan.id}, now() - interval '2 minutes', now() - interval '7 days'), (${held.id}, now() - interval '1 minute', now() - interval '7 days')
      returning id, user_id`;
    const idOf = (u: TestUser) => requests.find((r) => r.user_id === u.id)!.id;
    // Two runs claim one each and die before doing anything (the state a killed host leaves): one
    // lease is over, the other still running.
    const [a] = await sql`select * from private.claim_deletion_request('process-deletion-requests/killed')`;
    const [b] = await sql`select * from private.claim_deletion_request('process-deletion-requests/alive')`;
    expect([a.id, b.id].sort()).toEqual([idOf(orphan), idOf(held)].sort());
    await sql`update public.data_deletion_requests set lease_expires_at = now() - interval '1 second' where id = ${idOf(orphan)}`;
    const res = await post("process-deletion-requests", serviceClaims, { limit: 100 });
    const state = async (u: TestUser) => (await sql`select status, claimed_by from public.data_deletion_requests where id = ${idOf(u)}`)[0];
    if (authSkipReason) {
      // Auth is down: the retaken request is pending again for the next run, not stuck processing.
      expect(res.status).toBe(503);
      expect((await state(orphan)).status).toBe("pending");
    } else {
      expect(res.status).toBe(200);
      expect(((await res.json()) as { processed: string[] }).processed).toEqual([idOf(orphan)]);
      expect(await sql`select 1 from auth.users where id = ${orphan.id}`).toHaveLength(0);
      expect((await state(orphan)).status).toBe("completed");
      expect((await state(orphan)).claimed_by).toMatch(/^process-deletion-requests\/[0-9a-f-]{36}$/);
    }
    expect(await state(held)).toEqual({ status: "processing", claimed_by: "process-deletion-requests/alive" });
    expect(await sql`select 1 from auth.users where id = ${held.id}`).toHaveLength(1);
    await sql`delete from auth.users where id in ${sql([orphan.id, held.id])}`;
  });
});

// ---- The same, with a member who signed up through Auth and calls with Auth's own tokens ----

describe.skipIf(authSkipReason)(`account deletion through supabase-js with Auth-issued tokens${skipNote(authSkipReason)}`, () => {
  it("account-delete: the member's own session deletes the account; the catalog scan finds nothing of them", async () => {
    const { client, userId, email } = await signUpConfirmed({ data: { first_name: "Leaving", last_name: "Now" } });
    await seedMember(userId, userId);
    expect(await referencesTo(userId)).not.toEqual([]);
    const { data, error } = await client.functions.invoke("account-delete", { method: "POST", body: {} });
    expect(error).toBeNull();
    expect(data).toMatchObject({ status: "completed" });
    expect(await sql`select 1 from auth.users where id = ${userId}`).toHaveLength(0);
    expect(await referencesTo(userId)).toEqual([]);
    expect(await referencesTo(email)).toEqual([]);
    expect((await anonClient().auth.signInWithPassword({ email, password })).error?.code).toBe("invalid_credentials");
  });

  it("process-deletion-requests: a request the member filed is carried out once due; the catalog scan finds nothing of them", async () => {
    const { client, userId, email } = await signUpConfirmed();
    await seedMember(userId, userId);
    const { id: requestId } = ok(await client.rpc("request_account_deletion", { reason: "moving on" })) as { id: string };
    await sql`update public.data_deletion_requests set process_after = now() - interval '1 minute' where id = ${requestId}`;
    const { data, error } = await serviceClient().functions.invoke("process-deletion-requests", { method: "POST", body: { limit: 100 } });
    expect(error).toBeNull();
    expect((data as { processed: string[] }).processed).toContain(requestId);
    expect(await sql`select 1 from auth.users where id = ${userId}`).toHaveLength(0);
    expect(await sql`select user_id, status, reason from public.data_deletion_requests where id = ${requestId}`).toEqual([{ user_id: null, status: "completed", reason: null }]);
    expect(await referencesTo(userId)).toEqual([]);
    expect(await referencesTo(email)).toEqual([]);
  });
});
