// The scheduled jobs' function calls (supabase/migrations/*_schedule.sql, issues [19] and [21]):
// - keys: the three functions the schedule calls take the legacy service_role key (a JWT) and the
//   new secret key (sb_secret_…, no JWT) through the gateway, and the schedule's own call works
//   with either in Vault; anything else is refused and does nothing;
// - a Postgres immediate restart while a tick's calls are under way: the calls are not left
//   `running`, operations_health counts them stuck until the next tick fails them (pg_net lost
//   them) and that tick's calls repeat them, linked as their retries, and are answered.
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { stack } from "./helpers/stack.ts";
import { sql } from "./helpers/db.ts";
import { eventually, functionsHostPid } from "./helpers/processes.ts";
import { jobsPausedDuringFile } from "./helpers/schedule.ts";
import { restartImmediately } from "../stack/services/postgres.ts";
import { secretKey } from "../stack/core/config.ts";
import { skipNote } from "./helpers/skip.ts";

/** The function jobs: function, the job's body, and a table the function reads first (locked below to hold its call). */
const jobs = [
  { jobname: "send-notifications", fn: "send-notifications", body: { limit: 200 }, table: "public.email_outbox" },
  { jobname: "process-deletion-requests", fn: "process-deletion-requests", body: { limit: 25 }, table: "public.data_deletion_requests" },
  { jobname: "referral-sweep", fn: "affiliate-credit", body: { sweep: true }, table: "public.referrals" },
];

async function call(fn: string, bearer: string, body: unknown): Promise<{ status: number; body: { error?: { code?: string } } }> {
  // No apikey header: the stack's gateway knows only the JWT keys as apikeys; the bearer is what the functions check.
  const res = await fetch(`${stack.apiUrl}/functions/v1/${fn}`, {
    method: "POST",
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code?: string } } };
}

/** The job's call outcome once settled: waits for pg_net's answer, settling as the next tick would. */
async function settled(callId: number): Promise<{ status: string; status_code: number | null }> {
  let row: { status: string; status_code: number | null } | undefined;
  await eventually(async () => {
    await sql`select private.settle_function_calls()`;
    [row] = await sql<{ status: string; status_code: number | null }[]>`select status, status_code from private.function_calls where id = ${callId}`;
    return row.status !== "running";
  }, 30000, 200);
  return row!;
}

describe("the scheduled functions' keys", () => {
  jobsPausedDuringFile(...jobs.map((j) => j.jobname));

  it("take the legacy service_role key and the new secret key through the gateway", async () => {
    for (const key of [stack.serviceRoleKey, secretKey]) {
      for (const { fn, body } of jobs) {
        const answer = await call(fn, key, fn === "process-deletion-requests" ? { limit: 1 } : body);
        expect([fn, key.slice(0, 10), answer.status]).toEqual([fn, key.slice(0, 10), 200]);
      }
    }
  });

  it("refuse the anon key and a wrong secret key with a code, and do nothing", async () => {
    const before = await sql`select count(*)::int as n from private.function_calls`;
    for (const { fn, body } of jobs) {
      const wrong = await call(fn, `${secretKey.slice(0, -4)}XXXX`, body);
      expect([fn, wrong.status, wrong.body.error?.code]).toEqual([fn, 401, "invalid_jwt"]);
      const anon = await call(fn, stack.anonKey, body);
      expect([fn, anon.status]).toEqual([fn, fn === "affiliate-credit" ? 401 : 403]);
      expect(typeof anon.body.error?.code, fn).toBe("string");
    }
    expect(await sql`select count(*)::int as n from private.function_calls`).toEqual(before);
  });

  it("the schedule's own call is answered with either key in Vault", async () => {
    const [{ id: secretId, decrypted_secret: original }] = await sql<{ id: string; decrypted_secret: string }[]>`
      select id, decrypted_secret from vault.decrypted_secrets where name = 'service_role_key'`;
    try {
      for (const key of [secretKey, stack.serviceRoleKey]) {
        await sql`select vault.update_secret(${secretId}::uuid, ${key})`;
        const [{ id }] = await sql<{ id: number }[]>`select private.call_function('affiliate-credit', '{"sweep": true}') as id`;
        expect(await settled(id), key.slice(0, 10)).toEqual({ status: "done", status_code: 200 });
      }
    } finally {
      await sql`select vault.update_secret(${secretId}::uuid, ${original})`;
    }
  });
});

const notOurStack = functionsHostPid() === undefined ? "the functions host of this suite's own stack was not found (an external stack's Postgres is not ours to restart)" : undefined;

describe.skipIf(notOurStack)(`Postgres restarted immediately while a tick's calls are under way${skipNote(notOurStack)}`, () => {
  it("finishes those calls as failed, counts them stuck meanwhile, and the next tick repeats and answers them", async () => {
    // Hold every function job's call inside its function: a lock on the first table each reads.
    const holder = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
    await holder`begin`;
    await holder.unsafe(`lock table ${jobs.map((j) => j.table).join(", ")} in access exclusive mode`);
    const [{ since }] = await sql<{ since: Date }[]>`select now() as since`;
    type Call = { id: number; function_name: string };
    let held: Call[] = [];
    // The next tick (pg_cron is minute-granular): its three calls, each waiting on the lock inside its function.
    const underWay = await eventually(async () => {
      held = await sql<Call[]>`
        select distinct on (function_name) id, function_name from private.function_calls
         where requested_at >= ${since} and status = 'running' order by function_name, id`;
      const [{ waiting }] = await sql<{ waiting: number }[]>`
        select count(distinct l.relation)::int as waiting from pg_locks l join pg_stat_activity a using (pid)
         where not l.granted and a.application_name <> 'pg_cron' and l.relation in (${sql.unsafe(jobs.map((j) => `'${j.table}'::regclass`).join(", "))})`;
      return held.length === jobs.length && waiting === jobs.length;
    }, 90000, 250);
    expect(underWay, "a tick's three calls held inside their functions").toBe(true);

    await restartImmediately();
    await holder.end({ timeout: 0 }).catch(() => undefined);

    // The calls are still running (pg_net's worker lost them with the server); the view counts them.
    const ids = held.map((c) => c.id);
    expect((await sql`select status from private.function_calls where id in ${sql(ids)}`).map((r) => r.status)).toEqual(["running", "running", "running"]);
    const [{ function_calls_stuck: stuck }] = await sql<{ function_calls_stuck: string }[]>`select function_calls_stuck from private.operations_health`;
    expect(Number(stuck)).toBeGreaterThanOrEqual(3);

    // The next tick settles them and repeats them.
    let retries: Array<{ id: number; function_name: string; status: string; response: string; retried_by: number | null }> = [];
    const repeated = await eventually(async () => {
      retries = await sql`select id, function_name, status, response, retried_by from private.function_calls where id in ${sql(ids)} order by id`;
      return retries.every((r) => r.retried_by !== null);
    }, 90000, 500);
    expect(repeated, JSON.stringify(retries)).toBe(true);
    for (const r of retries) {
      expect(r.status, r.function_name).toBe("failed");
      expect(r.response, r.function_name).toMatch(/database restarted during the call/);
    }
    const answers = new Map<string, { status: string; status_code: number | null }>();
    for (const r of retries) answers.set(r.function_name, await settled(r.retried_by!));
    expect(answers.get("send-notifications")).toEqual({ status: "done", status_code: 200 });
    expect(answers.get("affiliate-credit")).toEqual({ status: "done", status_code: 200 });
    // Its answer depends on what is due and on Auth (503 when a due deletion finds Auth away): answered either way.
    expect(answers.get("process-deletion-requests")?.status_code).toEqual(expect.any(Number));
    expect(Number((await sql`select function_calls_stuck from private.operations_health`)[0].function_calls_stuck)).toBe(0);
  }, 240_000);
});
