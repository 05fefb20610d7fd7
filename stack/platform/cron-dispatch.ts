// The scheduled jobs' transport where pg_net is missing (Debian has none): Supabase Cron runs the
// schedule of supabase/migrations/*_schedule.sql in Postgres, and a job that needs a function calls
// private.call_function(), which queues the call in private.function_calls and sends pg_notify.
// This dispatcher LISTENs (and polls, for calls queued while it was away), posts each call to the
// gateway with the service role key, as pg_net does on hosted projects, and records the answer.
import postgres from "postgres";
import { apiUrl, dbUrl, serviceRoleKey } from "../core/config.ts";
import type { Service } from "../core/service.ts";

const channel = "memberbase_function_calls";
const pollMs = 10_000;
/** The edge runtime's wall clock: a call still running after this counts as failed. */
const callTimeoutMs = 150_000;

interface Call {
  id: number;
  function_name: string;
  body: Record<string, unknown>;
}

let sql: postgres.Sql | undefined;
let poller: NodeJS.Timeout | undefined;
let draining: Promise<void> | undefined;
let again = false;
const inFlight = new Set<Promise<void>>();

async function post(db: postgres.Sql, call: Call): Promise<void> {
  let status: number | null = null;
  let response: string;
  try {
    const res = await fetch(`${apiUrl}/functions/v1/${call.function_name}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${serviceRoleKey}`, apikey: serviceRoleKey },
      body: JSON.stringify(call.body),
      signal: AbortSignal.timeout(callTimeoutMs),
    });
    status = res.status;
    response = await res.text();
  } catch (e) {
    response = (e as Error).message;
  }
  await db`
    update private.function_calls
       set status = ${status !== null && status < 300 ? "done" : "failed"}, finished_at = now(),
           status_code = ${status}, response = ${response.slice(0, 2000)}
     where id = ${call.id}`.catch(() => undefined); // the stack is stopping
}

/** Claims every queued call (skip locked: a second dispatcher on the same database never shares one) and posts them all at once. */
async function drain(db: postgres.Sql): Promise<void> {
  const calls = await db<Call[]>`
    update private.function_calls f set status = 'running', started_at = now()
     where f.id in (select id from private.function_calls where status = 'queued' order by id for update skip locked)
    returning f.id, f.function_name, f.body`;
  for (const call of calls) {
    const p = post(db, call).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
}

/** One drain at a time; a notification during a drain runs another after it. */
function wake(): void {
  if (!sql) return;
  if (draining) {
    again = true;
    return;
  }
  const db = sql;
  draining = drain(db)
    .catch((e: unknown) => console.error(`cron-dispatch: ${(e as Error).message}`))
    .finally(() => {
      draining = undefined;
      if (again) {
        again = false;
        wake();
      }
    });
}

export const cronDispatchService: Service = {
  name: "cron",
  url: "private.function_calls",
  detail: "Supabase Cron runs the schedule; function jobs are posted to the gateway from the queue (no pg_net here)",
  async start() {
    sql = postgres(dbUrl, { max: 3, onnotice: () => {} });
    // A call the previous run of the stack left under way never got its answer recorded.
    await sql`update private.function_calls set status = 'failed', finished_at = now(), response = 'the stack stopped during the call'
               where transport = 'dispatcher' and status = 'running'`;
    await sql.listen(channel, () => wake());
    poller = setInterval(wake, pollMs);
    wake();
  },
  async stop() {
    clearInterval(poller);
    poller = undefined;
    const db = sql;
    sql = undefined;
    await draining;
    // Calls under way are abandoned with the stack; their rows stay 'running' (visible in Studio).
    await db?.end({ timeout: 1 });
    inFlight.clear();
  },
};
