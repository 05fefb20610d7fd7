// Faults injected into this suite's running stack while it works, and the end state each must leave
// (issue 16): the functions host killed (-9) in the middle of a streamed export, more concurrent
// exports than the function's pool has connections, and Postgres stopped in immediate mode while
// commits are being acknowledged. Runs only against the stack this suite started (it kills its parts).
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stack } from "./helpers/stack.ts";
import { sql } from "./helpers/db.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { createSession, usersDeletedAfterFile, type TestUser } from "./helpers/users.ts";
import { eventually, functionsHostPid } from "./helpers/processes.ts";
import { restartImmediately, runningPostmaster } from "../stack/services/postgres.ts";
import { identify, isAlive } from "../stack/core/process-identity.ts";
import { skipNote } from "./helpers/skip.ts";

const { createUser } = usersDeletedAfterFile();
const exportUrl = `${stack.apiUrl}/functions/v1/data-export`;
const hostPid = functionsHostPid();
const notOurStack = hostPid === undefined ? "the functions host of this suite's own stack was not found (an external stack is not ours to kill)" : undefined;

async function exportRequest(userId: string): Promise<Response> {
  const token = await signAccessToken(await createSession(userId));
  return fetch(exportUrl, { headers: { apikey: stack.anonKey, authorization: `Bearer ${token}` } });
}

/** Reads a body to its end: its text, or the error that cut it off; "hung" if neither comes in time. */
async function readToEnd(res: Response, boundMs: number): Promise<{ text: string; error?: string }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const hung = new Promise<"hung">((r) => setTimeout(() => r("hung"), boundMs).unref());
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), hung]);
      if (next === "hung") {
        await reader.cancel().catch(() => {});
        return { text, error: "hung" };
      }
      if (next.done) return { text };
      text += decoder.decode(next.value, { stream: true });
    }
  } catch (e) {
    return { text, error: (e as Error).message || String(e) };
  }
}

async function functionsAnswer(): Promise<boolean> {
  const res = await fetch(`${stack.apiUrl}/functions/v1/health`, {
    headers: { apikey: stack.anonKey, authorization: `Bearer ${stack.serviceRoleKey}` },
    signal: AbortSignal.timeout(5000),
  });
  await res.body?.cancel();
  return res.status === 200;
}

async function exportStatus(requestId: string): Promise<string | undefined> {
  const [row] = await sql<{ status: string }[]>`select status from public.data_export_requests where id = ${requestId}`;
  return row?.status;
}

describe.skipIf(notOurStack)(`data-export under load and faults${skipNote(notOurStack)}`, () => {
  let members: TestUser[] = [];
  let bulky: TestUser;

  beforeAll(async () => {
    members = await Promise.all(Array.from({ length: 8 }, () => createUser()));
    bulky = await createUser();
    // Enough rows that the document (megabytes) is still streaming when the host is killed.
    await sql`insert into public.activity (user_id, kind, subject_type, subject_id, details, created_at)
              select ${bulky.id}, 'searched', 'search', g::text, jsonb_build_object('query', 'durability test row ' || g, 'results', g % 37),
                     now() - g * interval '1 second'
                from generate_series(1, 40000) g`;
  }, 120000);

  afterAll(async () => {
    // Whatever a test left behind: the next file needs a serving functions host.
    await eventually(functionsAnswer, 60000);
  }, 70000);

  it("finishes 8 concurrent exports (twice the function's pool of 4 connections), each recorded completed", async () => {
    const responses = await Promise.all(members.map((m) => exportRequest(m.id)));
    const bodies = await Promise.all(responses.map((r) => readToEnd(r, 60000))); // a bound on a deadlock, not a speed target
    for (const [i, res] of responses.entries()) {
      expect(res.status).toBe(200);
      expect(bodies[i].error).toBeUndefined();
      const doc = JSON.parse(bodies[i].text) as { member_id: string; request_id: string };
      expect(doc.member_id).toBe(members[i].id);
      expect(await exportStatus(doc.request_id)).toBe("completed");
    }
    // Each connection went back to the pool without its request's lock.
    const [{ held }] = await sql<{ held: number }[]>`
      select count(*)::int as held from pg_locks
       where locktype = 'advisory' and classid = ((hashtext('memberbase.data-export')::bigint + 4294967296) % 4294967296)::oid`;
    expect(held).toBe(0);
  }, 120000);

  it("ends the client's stream with an error when the functions host is killed (-9) mid-export, and the functions answer again", async () => {
    const res = await exportRequest(bulky.id);
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-export-request-id")!;
    const reader = res.body!.getReader();
    const first = await reader.read(); // the export is under way
    expect(first.done).toBe(false);
    const pid = functionsHostPid()!;
    process.kill(pid, "SIGKILL");
    let error = "";
    let bytes = first.value!.byteLength;
    const bound = setTimeout(() => void reader.cancel("hung").catch(() => {}), 30000);
    try {
      for (;;) {
        const next = await reader.read();
        if (next.done) break;
        bytes += next.value.byteLength;
      }
    } catch (e) {
      error = (e as Error).message || String(e);
    } finally {
      clearTimeout(bound);
    }
    // Cut off with an error (not a clean end that would pass for a complete document, not a hang).
    expect(error).not.toBe("");
    expect(error).not.toContain("hung");
    expect(bytes).toBeGreaterThan(0);
    // The supervisor restarts the host: every function answers again, through the gateway.
    expect(await eventually(functionsAnswer, 60000)).toBe(true);
    expect(functionsHostPid()).not.toBe(pid);
    // The member can export again, completely; and that export finds the cut-off one, whose process
    // died with it, and records it failed (nothing stays "processing" for good).
    const again = await readToEnd(await exportRequest(bulky.id), 120000);
    expect(again.error).toBeUndefined();
    expect((JSON.parse(again.text) as { summary: { rows: number } }).summary.rows).toBeGreaterThanOrEqual(40000);
    expect(await exportStatus(requestId)).toBe("failed");
  }, 240000);
});

// The cluster's own word on it: a throwaway one (MEMBERBASE_DB_DURABLE=0) promises nothing here.
const [{ synchronous_commit: syncCommit }] = await sql<{ synchronous_commit: string }[]>`show synchronous_commit`;
const notDurable = syncCommit === "off" ? "this cluster was started throwaway (MEMBERBASE_DB_DURABLE=0: synchronous_commit off)" : undefined;

describe.skipIf(notOurStack ?? notDurable)(`Postgres stopped in immediate mode mid-work${skipNote(notOurStack ?? notDurable)}`, () => {
  it("keeps every commit it acknowledged", async () => {
    const user = await createUser();
    const acknowledged: number[] = [];
    let stop = false;
    // Four writers, each committing one row at a time until the server goes away under them.
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const n = w * 1_000_000 + i;
        try {
          await sql`insert into public.activity (user_id, kind, subject_type, subject_id) values (${user.id}, 'searched', 'durability', ${String(n)})`;
          acknowledged.push(n);
        } catch {
          return; // the server went away under this writer
        }
      }
    };
    const writers = Promise.all([0, 1, 2, 3].map(writer));
    await eventually(async () => acknowledged.length >= 200, 60000, 10);
    // A statement certainly in flight when the server goes: on a loaded machine the writers may all be
    // between statements at that instant, so they alone cannot prove the stop landed mid-work.
    // It and the poll for it each get a connection of their own: on the shared pool (4 connections,
    // all busy with the writers) postgres.js pipelines a query behind another on a busy connection,
    // and a poll queued behind the sleep waited its 60 s out, so the restart came after the sleep had
    // finished (issue 33: "expected 'finished' to be 'cut off'" after 61.6 s).
    // (Clients of their own, not sql.reserve(): releasing a reserved connection the restart closed
    // puts it back in the pool dead, and postgres.js then writes to its null socket.)
    const sleeper = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
    const watcher = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
    const [{ pid: backend }] = await sleeper<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const inFlight = sleeper`select pg_sleep(60)`.then(() => "finished", () => "cut off");
    const sleeping = async () => (await watcher`select count(*)::int as n from pg_stat_activity where pid = ${backend} and state = 'active' and query = 'select pg_sleep(60)'`)[0].n === 1;
    expect(await eventually(sleeping, 30000, 10), "the sleep is under way").toBe(true);
    // The server this test talks to is the one restartImmediately() stops: the sleeping backend is a
    // child of the postmaster running from the stack's data dir.
    const postmaster = runningPostmaster();
    expect(postmaster, "a postmaster runs from the stack's data dir").toBeDefined();
    const backendProcess = identify(backend);
    expect(backendProcess?.ppid).toBe(postmaster!.pid);
    const { stopped } = await restartImmediately(); // throws unless that postmaster is gone and another runs
    expect(stopped).toEqual(postmaster);
    expect(isAlive(backendProcess!), "the sleeping backend is gone").toBe(false);
    // Their connections died with the server: nothing to wait for (a plain end() waits forever here).
    await Promise.all([sleeper.end({ timeout: 0 }), watcher.end({ timeout: 0 })]);
    stop = true;
    await writers;
    expect(await eventually(async () => (await sql`select 1 as one`).length === 1, 60000)).toBe(true);
    const rows = await sql<{ subject_id: string }[]>`select subject_id from public.activity where user_id = ${user.id} and subject_type = 'durability'`;
    const stored = new Set(rows.map((r) => Number(r.subject_id)));
    const lost = acknowledged.filter((n) => !stored.has(n));
    expect(acknowledged.length).toBeGreaterThanOrEqual(200);
    expect(await inFlight).toBe("cut off"); // the stop did land mid-work
    expect(lost).toEqual([]);
    // The stack's functions reach the recovered database again (their pool reconnects).
    expect(await eventually(functionsAnswer, 60000)).toBe(true);
  }, 180000);
});
