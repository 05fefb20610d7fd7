// pg_net's background worker, for the stand-in of stack/platform/pg-net.sql (Debian has no pg_net).
// As the real worker does: it takes batches of requests out of net.http_request_queue (woken by
// net.http_post's notification, and polling), performs each with its timeout, and records the answer
// in net._http_response under the request's id — the status, content type, headers and body, or
// timed_out / error_msg. Requests taken before a Postgres restart are lost with that server, as the
// real worker's are (their answer is not recorded); answers older than pg_net.ttl (6 hours) are deleted.
// The stack also stores Vault's project_url and service_role_key (the gateway and its key), which the
// schedule's private.call_function reads, as an operator does once on a hosted project.
import postgres from "postgres";
import { adminDbUrl, apiUrl, serviceRoleKey } from "../core/config.ts";
import type { Service } from "../core/service.ts";

const channel = "pg_net_stand_in";
const pollMs = 1_000;
/** pg_net.batch_size and pg_net.ttl's defaults. */
const batchSize = 200;
const ttl = "6 hours";

interface Request {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string> | null;
  body: Buffer | null;
  timeout_milliseconds: number;
  server_started: string;
}

interface Answer {
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean;
  error_msg: string | null;
}

let sql: postgres.Sql | undefined;
let poller: NodeJS.Timeout | undefined;
let draining: Promise<void> | undefined;
let again = false;
const inFlight = new Set<Promise<void>>();

/** What curl (inside pg_net) reports for a failure, in its words for the cases the schedule meets. */
function failure(e: unknown, timeoutMs: number, startedAt: number): Answer {
  const err = e as Error & { cause?: { code?: string } };
  const none = { status_code: null, content_type: null, headers: null, content: null };
  if (err.name === "TimeoutError") {
    return { ...none, timed_out: true, error_msg: `Timeout of ${timeoutMs} ms reached. Total time: ${(performance.now() - startedAt).toFixed(6)} ms` };
  }
  const code = err.cause?.code;
  const message = code === "ECONNREFUSED" ? "Couldn't connect to server" : code === "ENOTFOUND" ? "Couldn't resolve host name" : err.message;
  return { ...none, timed_out: false, error_msg: message };
}

async function perform(req: Request): Promise<Answer> {
  const startedAt = performance.now();
  let url: URL;
  try {
    url = new URL(req.url);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("unsupported");
  } catch {
    return { status_code: null, content_type: null, headers: null, content: null, timed_out: false, error_msg: "Unsupported protocol" };
  }
  try {
    const res = await fetch(url, {
      method: req.method.toUpperCase(),
      headers: { "user-agent": "pg_net/0.20.4", ...(req.headers ?? {}) },
      body: req.method.toUpperCase() === "GET" || !req.body ? undefined : new Uint8Array(req.body),
      signal: AbortSignal.timeout(req.timeout_milliseconds),
    });
    const content = await res.text();
    return {
      status_code: res.status,
      content_type: res.headers.get("content-type"),
      headers: Object.fromEntries(res.headers),
      content,
      timed_out: false,
      error_msg: null,
    };
  } catch (e) {
    return failure(e, req.timeout_milliseconds, startedAt);
  }
}

async function run(db: postgres.Sql, req: Request): Promise<void> {
  const a = await perform(req);
  // Only into the server that queued it: after a restart the request is lost, as pg_net's are.
  await db`
    insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
    select ${req.id}, ${a.status_code}, ${a.content_type}, ${a.headers ? db.json(a.headers) : null}, ${a.content}, ${a.timed_out}, ${a.error_msg}
     where pg_postmaster_start_time()::text = ${req.server_started}`.catch(() => undefined); // the server went away
}

/** Takes a batch out of the queue (as pg_net's worker deletes what it takes) and performs them all at once. */
async function drain(db: postgres.Sql): Promise<void> {
  await db`delete from net._http_response where created < now() - ${ttl}::interval`;
  for (;;) {
    const batch = await db<Request[]>`
      delete from net.http_request_queue
       where id in (select id from net.http_request_queue order by id limit ${batchSize} for update skip locked)
      returning id, method, url, headers, body, timeout_milliseconds, pg_postmaster_start_time()::text as server_started`;
    for (const req of batch) {
      const p = run(db, req).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    if (batch.length < batchSize) return;
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
    .catch(() => undefined) // the server is restarting: the next poll takes the queue again
    .finally(() => {
      draining = undefined;
      if (again) {
        again = false;
        wake();
      }
    });
}

/** Vault's two secrets for private.call_function: where the functions are, and the key to call them with. */
async function storeVaultSecrets(db: postgres.Sql): Promise<void> {
  for (const [name, value] of [["project_url", apiUrl], ["service_role_key", serviceRoleKey]]) {
    const [row] = await db<{ id: string }[]>`select id from vault.decrypted_secrets where name = ${name}`;
    if (row) await db`select vault.update_secret(${row.id}::uuid, ${value})`;
    else await db`select vault.create_secret(${value}, ${name})`;
  }
}

export const pgNetWorkerService: Service = {
  name: "cron",
  url: "net.http_request_queue",
  detail: "Supabase Cron runs the schedule; pg_net is a stand-in here (stack/platform/pg-net.sql and pg-net-worker.ts)",
  async start() {
    // supabase_admin, as pg_net's worker: the queue is the worker's to empty whoever filled it.
    sql = postgres(adminDbUrl, { max: 4, onnotice: () => {} });
    const [{ standIn }] = await sql<{ standIn: boolean }[]>`
      select not exists (select from pg_extension where extname = 'pg_net') and to_regclass('net.http_request_queue') is not null as "standIn"`;
    if (!standIn) {
      this.detail = "Supabase Cron runs the schedule; pg_net is the real extension";
      return;
    }
    await storeVaultSecrets(sql);
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
    // Requests under way are lost with the stack, as with a stopped pg_net worker.
    await db?.end({ timeout: 1 });
    inFlight.clear();
  },
};
