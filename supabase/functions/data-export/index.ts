// GET /functions/v1/data-export: everything the platform holds about the calling member, as one
// JSON document, streamed (memory stays flat however many rows the member has).
//
// Which tables and rows: private.member_export_plan(), derived from the catalog's foreign keys, so
// a table another capability adds is exported without touching this function. How they are read:
// - a table the member can read (SELECT grant + a permissive select policy) is read AS THE MEMBER,
//   under RLS, filtered by the catalog path: RLS stays the boundary, so a path that is broader than
//   it should be still cannot leak other people's rows; rows such a table's policies hide from the
//   member stay hidden (the policy is the product's statement of what a member may see);
// - a table the member cannot read at all (written and read only by the service side) holds the
//   member's rows all the same: it is read through the service connection, filtered by the path,
//   and the section says read_as "service".
// Columns the member cannot read and credential-like columns are left out (listed per section).
// Auth's own record contributes its safe fields only: never password hashes, tokens or secrets.
// Each export is recorded in data_export_requests (processing -> completed | failed, with counts).
// Connections: an export holds ONE connection of the pool for its whole stream and records its
// outcome on that same connection (never waiting on the pool while holding one: 4 concurrent exports
// deadlocked the pool of 4 that way). While it streams, that connection holds an advisory lock on the
// request; a "processing" request whose lock nobody holds belongs to an export whose process died
// (host killed, database restarted) and is marked failed by the member's next export (sweepAbandoned).
import { serve } from "../_shared/handler.ts";
import { corsHeaders, HttpError } from "../_shared/errors.ts";
import { memberClaims, type MemberClaims } from "../_shared/claims.ts";
import { sql, type ReservedSql } from "../_shared/db.ts";
import { requireAal2IfEnrolled } from "../_shared/mfa.ts";
import { requireActiveSession } from "../_shared/session.ts";

const BATCH = 500;

interface PlanRow {
  table_name: string;
  read_as: "member" | "service";
  predicate: string;
  paths: string[];
  columns: string[];
  omitted_columns: string[];
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

const authRecord = `
  select json_build_object(
    'id', u.id, 'email', u.email, 'phone', nullif(u.phone, ''),
    'created_at', u.created_at, 'email_confirmed_at', u.email_confirmed_at, 'last_sign_in_at', u.last_sign_in_at,
    'identities', coalesce((select json_agg(json_build_object('provider', i.provider, 'created_at', i.created_at,
                                                                'last_sign_in_at', i.last_sign_in_at) order by i.created_at)
                              from auth.identities i where i.user_id = u.id), '[]'),
    'mfa_factors', coalesce((select json_agg(json_build_object('factor_type', f.factor_type, 'status', f.status,
                                                                 'friendly_name', f.friendly_name, 'created_at', f.created_at) order by f.created_at)
                               from auth.mfa_factors f where f.user_id = u.id), '[]'))::text as auth
    from auth.users u where u.id = $1`;

/**
 * The caller's requests left "processing" by an export that died with its process: no live
 * connection holds their lock any more. Only the caller's own: a request never changes another
 * member's rows. From the pool, holding nothing else; a live export's lock makes it skip that row.
 */
async function sweepAbandoned(userId: string): Promise<void> {
  await sql`update public.data_export_requests r set status = 'failed', completed_at = now()
             where r.user_id = ${userId} and r.status = 'processing'
               and pg_try_advisory_xact_lock(hashtext('memberbase.data-export'), hashtext(r.id::text))`;
}

/** The request's row, on the export's own connection (which takes its lock next, see exportDocument). */
async function openRequest(db: ReservedSql, userId: string): Promise<string | undefined> {
  const [request] = await db<{ id: string }[]>`
    insert into public.data_export_requests (user_id, status)
    select p.id, 'processing' from public.profiles p where p.id = ${userId}
    returning id`;
  return request?.id;
}

/**
 * The document, piece by piece: header, one section per table (rows in cursor batches), summary.
 * Owns `db` (reserved for it) from its first step: the stream pulls once as
 * soon as it is made, so this body (and its finally) always runs.
 */
async function* exportDocument(claims: MemberClaims, requestId: string, db: ReservedSql): AsyncGenerator<string> {
  let finished = false;
  let tables = 0;
  let rows = 0;
  try {
    // One snapshot for the whole document, whichever role reads each table.
    await db`begin isolation level repeatable read read only`;
    // Transaction-level (it goes with the commit, a rollback or the connection, never outlives the
    // export on a pooled server connection): while it is held, sweepAbandoned leaves the request be.
    await db`select pg_advisory_xact_lock(hashtext('memberbase.data-export'), hashtext(${requestId}))`;
    const plan = await db<PlanRow[]>`select * from private.member_export_plan()`;
    const [auth] = await db.unsafe<{ auth: string }[]>(authRecord, [claims.sub]);
    yield `{"format":"memberbase.data-export.v1","request_id":${JSON.stringify(requestId)},"member_id":${JSON.stringify(claims.sub)},` +
      `"exported_at":${JSON.stringify(new Date().toISOString())},"auth":${auth?.auth ?? "null"},"tables":{`;
    for (const t of plan) {
      yield `${tables ? "," : ""}\n${JSON.stringify(t.table_name)}:{"read_as":${JSON.stringify(t.read_as)},"paths":${JSON.stringify(t.paths)},` +
        `"omitted_columns":${JSON.stringify(t.omitted_columns)},"rows":[`;
      if (t.read_as === "member") {
        await db`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
      }
      const query = `select to_json(r)::text as j from (select ${t.columns.map((c) => `t.${ident(c)}`).join(", ")}
                       from public.${ident(t.table_name)} t where ${t.predicate}) r`;
      let n = 0;
      for await (const batch of db.unsafe<{ j: string }[]>(query, [claims.sub]).cursor(BATCH)) {
        yield (n ? "," : "") + batch.map((r) => r.j).join(",");
        n += batch.length;
      }
      if (t.read_as === "member") await db`reset role`;
      yield `],"row_count":${n}}`;
      tables++;
      rows += n;
    }
    yield `\n},"summary":{"tables":${tables},"rows":${rows}}}\n`;
    await db`commit`;
    // On the export's own connection: waiting on the pool for it while holding this one is how
    // 4 concurrent exports (the pool's size) deadlocked, each holding one and waiting for another.
    await db`update public.data_export_requests set status = 'completed', completed_at = now(), tables_exported = ${tables},
                    rows_exported = ${rows} where id = ${requestId}`;
    finished = true;
  } finally {
    let recorded = finished;
    if (!finished) {
      // An error, or the client went away: the record must not stay "processing".
      recorded = await db`rollback`.then(() => failRequest(db, requestId, tables, rows)).then(() => true, () => false);
    }
    db.release();
    // The connection itself broke (say, Postgres restarted): from the pool, now holding nothing.
    if (!recorded) await failRequest(sql, requestId, tables, rows).catch((e) => console.error(e));
  }
}

function failRequest(conn: typeof sql, requestId: string, tables: number, rows: number) {
  return conn`update public.data_export_requests set status = 'failed', completed_at = now(), tables_exported = ${tables},
                     rows_exported = ${rows} where id = ${requestId}`;
}

function stream(chunks: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  // Pull-based: the next batch is fetched only when the client has taken the previous one.
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(value));
      } catch (e) {
        console.error(e);
        controller.error(e);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

serve(["GET"], async (req) => {
  const claims = await memberClaims(req);
  await requireActiveSession(claims); // a signed-out session's token exports nothing
  await requireAal2IfEnrolled(claims);
  await sweepAbandoned(claims.sub);
  const db = await sql.reserve();
  const requestId = await openRequest(db, claims.sub).catch((e) => {
    db.release();
    throw e;
  });
  if (!requestId) {
    db.release();
    throw new HttpError(404, "not_found", "There is no account for this user");
  }
  const day = new Date().toISOString().slice(0, 10);
  return new Response(stream(exportDocument(claims, requestId, db)), {
    headers: {
      ...corsHeaders,
      "content-type": "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="memberbase-export-${day}.json"`,
      "x-export-request-id": requestId,
    },
  });
});
