// Claimed work whose process dies (issue 16): the functions host is killed (-9) while a run holds
// its claims — send-notifications with MailDev stalled in the middle of SMTP, process-deletion-
// requests with stripe-mock stalled in the middle of cancelling billing, data-export in the middle
// of its stream — and then, once the claims' leases are over, the next run (or the scheduler's
// sweep) finishes the work: every mail sent with its row's Message-ID (at least once, the dead
// attempt recorded unknown), every member deleted, every export recorded failed. Nothing stuck.
// Runs only against the stack this suite started (it kills and stalls its parts).
import { afterAll, describe, expect, it } from "vitest";
import { authSkipReason, stack } from "./helpers/stack.ts";
import { sql } from "./helpers/db.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { createSession, usersDeletedAfterFile } from "./helpers/users.ts";
import { eventually, functionsHostPid, mailDevPid, stripeMockPid } from "./helpers/processes.ts";
import { ports } from "../stack/core/config.ts";
import { functionJobs, jobsPausedDuringFile, recoveryJob } from "./helpers/schedule.ts";
import { skipNote } from "./helpers/skip.ts";

// This file calls the functions and the sweeps itself and counts what they did: the schedule waits meanwhile.
jobsPausedDuringFile(...functionJobs, recoveryJob);

const { createUser } = usersDeletedAfterFile();
const notOurStack = functionsHostPid() === undefined ? "the functions host of this suite's own stack was not found (an external stack is not ours to kill)" : undefined;
const fn = (name: string) => `${stack.apiUrl}/functions/v1/${name}`;
const asService = { apikey: stack.anonKey, authorization: `Bearer ${stack.serviceRoleKey}`, "content-type": "application/json" };

async function functionsAnswer(): Promise<boolean> {
  const res = await fetch(fn("health"), { headers: asService, signal: AbortSignal.timeout(5000) });
  await res.body?.cancel();
  return res.status === 200;
}

/** Kills the functions host (-9) once `working` holds, with `stalled` stopped meanwhile; waits for the supervisor's restart. */
async function killHostWhile(stalled: number, start: () => Promise<unknown>, working: () => Promise<boolean>): Promise<void> {
  process.kill(stalled, "SIGSTOP");
  let run: Promise<unknown> = Promise.resolve();
  try {
    run = start().catch(() => undefined); // its answer dies with the host
    expect(await eventually(working, 60000)).toBe(true);
    process.kill(functionsHostPid()!, "SIGKILL");
  } finally {
    process.kill(stalled, "SIGCONT");
  }
  await run;
  expect(await eventually(functionsAnswer, 60000)).toBe(true);
}

afterAll(async () => {
  await eventually(functionsAnswer, 60000); // the next file needs a serving functions host
}, 70000);

describe.skipIf(notOurStack)(`claims of a process that died are taken again${skipNote(notOurStack)}`, () => {
  it("send-notifications killed mid-SMTP: after the lease, every mail is sent, each with its row's Message-ID", async () => {
    const member = await createUser();
    const n = 4;
    await sql`select private.notify(${member.id}, 'booking_confirmed', 'bookings', 'Killed sender ' || g) from generate_series(1, ${n}) g`;
    const rows = await sql<{ id: string; subject: string }[]>`select id, subject from public.email_outbox where user_id = ${member.id} order by id`;
    expect(rows).toHaveLength(n);
    const mine = rows.map((r) => r.id);
    await killHostWhile(mailDevPid(ports.smtp)!,
      () => fetch(fn("send-notifications"), { method: "POST", headers: asService, body: JSON.stringify({ limit: 500 }) }),
      async () => (await sql`select 1 from public.email_outbox where id in ${sql(mine)} and status = 'sending'`).length === n);
    // The dead run's claims stand until their lease is over: a run now leaves them alone.
    const [dead] = await sql<{ claimed_by: string }[]>`select distinct claimed_by from public.email_outbox where id in ${sql(mine)}`;
    await fetch(fn("send-notifications"), { method: "POST", headers: asService, body: JSON.stringify({ limit: 500 }) }).then((r) => r.body?.cancel());
    expect((await sql`select status from public.email_outbox where id in ${sql(mine)}`).map((r) => r.status)).toEqual(Array(n).fill("sending"));
    // The lease runs out (claim_timeout, 10 minutes by default, passes):
    await sql`update public.email_outbox set lease_expires_at = now() - interval '1 second' where id in ${sql(mine)}`;
    for (let i = 0; i < 5 && (await sql`select 1 from public.email_outbox where id in ${sql(mine)} and status <> 'sent'`).length; i++) {
      await fetch(fn("send-notifications"), { method: "POST", headers: asService, body: JSON.stringify({ limit: 500 }) }).then((r) => r.body?.cancel());
    }
    const after = await sql<{ status: string; attempts: string[] }[]>`
      select o.status::text, array(select a.outcome || '/' || a.worker from public.email_delivery_attempts a where a.outbox_id = o.id order by a.id) as attempts
        from public.email_outbox o where o.id in ${sql(mine)}`;
    for (const r of after) {
      expect(r.status).toBe("sent");
      expect(r.attempts[0]).toBe(`unknown/${dead.claimed_by}`);
      expect(r.attempts.at(-1)).toMatch(/^sent\//);
    }
    const caught = await (await fetch(`${stack.mailUrl}/api/email`)).json() as Array<{ id: string; subject: string; to: Array<{ address: string }> }>;
    for (const row of rows) {
      const copies = caught.filter((m) => m.subject === row.subject && m.to.some((t) => t.address.toLowerCase() === member.email.toLowerCase()));
      expect(copies.length, row.subject).toBeGreaterThanOrEqual(1); // at least once
      for (const copy of copies) {
        const source = await (await fetch(`${stack.mailUrl}/api/email/${copy.id}/source`)).text();
        expect(source).toMatch(new RegExp(`^Message-ID: <outbox-${row.id}@memberbase>\\r?$`, "mi"));
      }
    }
  }, 180000);

  it.skipIf(authSkipReason)(`process-deletion-requests killed mid-Stripe: after the lease, every member is deleted and every request completed${skipNote(authSkipReason)}`, async () => {
    const members = await Promise.all([createUser(), createUser(), createUser()]);
    for (const [i, m] of members.entries()) {
      // A saved card: deleting the member detaches it in Stripe first (the call stalled below).
      await sql`insert into public.payment_methods (user_id, stripe_payment_method_id, stripe_event_at, stripe_event_id)
                values (${m.id}, ${`pm_claimrecovery${Date.now()}x${i}`}, now(), 'evt_claimrecovery')`;
    }
    const requests = await sql<{ id: string }[]>`
      insert into public.data_deletion_requests (user_id, process_after, requested_at)
      select id, now() - interval '1 minute', now() - interval '7 days' from unnest(${sql.array(members.map((m) => m.id))}::uuid[]) id returning id`;
    const ids = requests.map((r) => r.id);
    await killHostWhile(stripeMockPid(ports.stripe)!,
      () => fetch(fn("process-deletion-requests"), { method: "POST", headers: asService, body: JSON.stringify({ limit: 100 }) }),
      async () => (await sql`select 1 from public.data_deletion_requests where id in ${sql(ids)} and status = 'processing'`).length > 0);
    expect((await sql`select 1 from public.data_deletion_requests where id in ${sql(ids)} and status = 'processing'`).length).toBe(1);
    await sql`update public.data_deletion_requests set lease_expires_at = now() - interval '1 second' where id in ${sql(ids)} and status = 'processing'`;
    const res = await fetch(fn("process-deletion-requests"), { method: "POST", headers: asService, body: JSON.stringify({ limit: 100 }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { processed: string[] }).processed.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
    expect(await sql`select 1 from auth.users where id in ${sql(members.map((m) => m.id))}`).toHaveLength(0);
    expect((await sql`select status from public.data_deletion_requests where id in ${sql(ids)}`).map((r) => r.status)).toEqual(["completed", "completed", "completed"]);
  }, 180000);

  it("data-export killed mid-stream: the scheduler's sweep records it failed without the member coming back", async () => {
    const bulky = await createUser();
    await sql`insert into public.activity (user_id, kind, subject_type, subject_id, details)
              select ${bulky.id}, 'searched', 'search', g::text, jsonb_build_object('query', 'claim recovery row ' || g) from generate_series(1, 40000) g`;
    const token = await signAccessToken(await createSession(bulky.id));
    const res = await fetch(fn("data-export"), { headers: { apikey: stack.anonKey, authorization: `Bearer ${token}` } });
    const requestId = res.headers.get("x-export-request-id")!;
    const reader = res.body!.getReader();
    await reader.read(); // streaming
    expect(await sql`select status from public.data_export_requests where id = ${requestId}`).toEqual([{ status: "processing" }]);
    await sql`select private.fail_abandoned_exports('0 seconds')`;
    expect(await sql`select status from public.data_export_requests where id = ${requestId}`).toEqual([{ status: "processing" }]); // a live export holds its lock
    process.kill(functionsHostPid()!, "SIGKILL");
    await reader.read().catch(() => undefined);
    // Its connection is gone with the host (Postgres notices at once): the scheduler's sweep, not the member, closes it.
    const swept = async () => {
      await sql`select private.fail_abandoned_exports('0 seconds')`;
      return (await sql`select status from public.data_export_requests where id = ${requestId}`)[0].status === "failed";
    };
    expect(await eventually(swept, 30000, 500)).toBe(true);
    expect(await eventually(functionsAnswer, 60000)).toBe(true);
  }, 180000);
});
