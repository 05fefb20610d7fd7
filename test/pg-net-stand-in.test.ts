// The stack's pg_net stand-in (stack/platform/pg-net.sql and pg-net-worker.ts) against the real
// pg_net 0.20.4: the same statements and requests, compared with what the real extension answered.
// The `real` data below was recorded on 2026-12-06 from pg_net 0.20.4 built from its public source
// against Debian's PostgreSQL 15 (shared_preload_libraries, created by `postgres` through supautils
// `with schema extensions`), each request sent to a local HTTP server like the one this file runs.
// A difference in the catalog, a queued request or a recorded answer fails here.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "./helpers/db.ts";
import { eventually } from "./helpers/processes.ts";
import { freePort } from "../stack/core/service.ts";
import { skipNote } from "./helpers/skip.ts";

const real = {
  httpPost:
    `url text, body jsonb DEFAULT '{}'::jsonb, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{"Content-Type": "application/json"}'::jsonb, timeout_milliseconds integer DEFAULT 5000 -> bigint`,
  columns: [
    { t: "_http_response", p: "u", n: 1, col: "id", type: "bigint", notnull: false, dflt: null },
    { t: "_http_response", p: "u", n: 2, col: "status_code", type: "integer", notnull: false, dflt: null },
    { t: "_http_response", p: "u", n: 3, col: "content_type", type: "text", notnull: false, dflt: null },
    { t: "_http_response", p: "u", n: 4, col: "headers", type: "jsonb", notnull: false, dflt: null },
    { t: "_http_response", p: "u", n: 5, col: "content", type: "text", notnull: false, dflt: null },
    { t: "_http_response", p: "u", n: 6, col: "timed_out", type: "boolean", notnull: false, dflt: null },
    { t: "_http_response", p: "u", n: 7, col: "error_msg", type: "text", notnull: false, dflt: null },
    { t: "_http_response", p: "u", n: 8, col: "created", type: "timestamp with time zone", notnull: true, dflt: "now()" },
    { t: "http_request_queue", p: "u", n: 1, col: "id", type: "bigint", notnull: true, dflt: "nextval('net.http_request_queue_id_seq'::regclass)" },
    { t: "http_request_queue", p: "u", n: 2, col: "method", type: "net.http_method", notnull: true, dflt: null },
    { t: "http_request_queue", p: "u", n: 3, col: "url", type: "text", notnull: true, dflt: null },
    { t: "http_request_queue", p: "u", n: 4, col: "headers", type: "jsonb", notnull: false, dflt: null },
    { t: "http_request_queue", p: "u", n: 5, col: "body", type: "bytea", notnull: false, dflt: null },
    { t: "http_request_queue", p: "u", n: 6, col: "timeout_milliseconds", type: "integer", notnull: true, dflt: null },
  ],
  indexes: [["net._http_response_created_idx", "CREATE INDEX _http_response_created_idx ON net._http_response USING btree (created)"]],
  // Who may use them: PUBLIC, as the extension's own script grants (the image adds no after-create script for it).
  grants: [
    ["_http_response", "{supabase_admin=arwdDxt/supabase_admin,=arwdDxt/supabase_admin}"],
    ["http_request_queue", "{supabase_admin=arwdDxt/supabase_admin,=arwdDxt/supabase_admin}"],
    ["http_request_queue_id_seq", "{supabase_admin=rwU/supabase_admin,=rwU/supabase_admin}"],
  ],
  // What net.http_post queued: (url, headers, body as text, timeout, method).
  queued: {
    params: ["http://h/p?n=2&q=a%20b%2f%c3%a9%26x%3d1", { "Content-Type": "application/json" }, "{}", 5000, "POST"],
    merged: ["http://h/p?z=0&a=1", { "X-One": "1", "Content-Type": "application/json" }, `{"k": [1, "two"]}`, 1234, "POST"],
  },
  errors: {
    contentType: "Content-Type header must be \"application/json\"",
    nullUrl: "23502",
  },
  // net._http_response for each request (the server answers as this file's does; Date headers left out).
  answers: {
    ok: { status_code: 200, content_type: "application/json", timed_out: false, error_msg: null },
    refused: { status_code: null, content_type: null, headers: null, content: null, timed_out: false, error_msg: "Couldn't connect to server" },
    timeout: { status_code: null, content_type: null, headers: null, content: null, timed_out: true, error_msg: /^Timeout of 500 ms reached\. Total time: [\d.]+ ms/ },
    failed: { status_code: 500, content_type: "application/json", content: `{"error":{"code":"boom","message":"failed"}}`, timed_out: false, error_msg: null },
    unsupported: { status_code: null, content: null, timed_out: false, error_msg: "Unsupported protocol" },
  },
  // What the server received for the `ok` request (method, path, the headers pg_net sends, body).
  received: {
    method: "POST",
    url: "/ok?a=1&b=2",
    headers: { accept: "*/*", "content-type": "application/json", authorization: "Bearer k", "user-agent": "pg_net/0.20.4", "content-length": "8" },
    body: `{"x": 1}`,
  },
};

let server: Server;
let port: number;
let refusedPort: number;
let seen: { method?: string; url?: string; headers: Record<string, unknown>; body: string } | undefined;

beforeAll(async () => {
  port = await freePort();
  refusedPort = await freePort();
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.url?.startsWith("/slow")) return void setTimeout(() => res.end("late"), 3000);
      if (req.url?.startsWith("/fail")) {
        res.writeHead(500, { "content-type": "application/json" });
        return void res.end(`{"error":{"code":"boom","message":"failed"}}`);
      }
      if (req.url?.startsWith("/ok")) seen = { method: req.method, url: req.url, headers: req.headers, body };
      res.writeHead(200, { "content-type": "application/json", "x-echo": "1" });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const standIn = (await sql`select not exists (select from pg_extension where extname = 'pg_net') as yes`)[0].yes as boolean;
const realPgNet = standIn ? undefined : "this stack runs the real pg_net: there is no stand-in to compare";

describe.skipIf(realPgNet)(`the pg_net stand-in, compared with pg_net 0.20.4${skipNote(realPgNet)}`, () => {
  it("has pg_net's http_post signature and defaults, its tables, columns, index and grants", async () => {
    const [{ sig }] = await sql`select pg_get_function_arguments('net.http_post'::regproc) || ' -> ' || pg_get_function_result('net.http_post'::regproc) as sig`;
    expect(sig).toBe(real.httpPost);
    const columns = await sql`
      select c.relname as t, c.relpersistence as p, a.attnum::int as n, a.attname as col, format_type(a.atttypid, a.atttypmod) as type,
             a.attnotnull as notnull, pg_get_expr(d.adbin, d.adrelid) as dflt
        from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
       where c.relnamespace = 'net'::regnamespace and c.relname in ('http_request_queue', '_http_response') order by 1, 3`;
    expect(columns).toEqual(real.columns);
    const indexes = await sql`select indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as def from pg_index
                               where indrelid in ('net._http_response'::regclass, 'net.http_request_queue'::regclass) order by 1`;
    expect(indexes.map((i) => [i.name, i.def])).toEqual(real.indexes);
    const grants = await sql`select relname, relacl::text as acl from pg_class where relnamespace = 'net'::regnamespace and relkind in ('r', 'S') order by 1`;
    expect(grants.map((g) => [g.relname, g.acl])).toEqual(real.grants);
  });

  it("queues what pg_net queues: params encoded, the JSON content type added, the body as JSON text", async () => {
    const rollback = new Error("rollback");
    const queued = async (call: string): Promise<unknown[]> => {
      let row: unknown[] = [];
      await sql
        .begin(async (tx) => {
          await tx.unsafe(`select ${call}`);
          const [q] = await tx`select url, headers, convert_from(body, 'UTF8') as body, timeout_milliseconds, method from net.http_request_queue order by id desc limit 1`;
          row = [q.url, q.headers, q.body, q.timeout_milliseconds, q.method];
          throw rollback; // nothing is sent
        })
        .catch((e: unknown) => {
          if (e !== rollback) throw e;
        });
      return row;
    };
    expect(await queued(`net.http_post('http://h/p', params := '{"q": "a b/é&x=1", "n": 2}')`)).toEqual(real.queued.params);
    expect(await queued(`net.http_post('http://h/p?z=0', body := '{"k": [1, "two"]}', params := '{"a": "1"}', headers := '{"X-One": "1"}', timeout_milliseconds := 1234)`)).toEqual(real.queued.merged);
    await expect(sql`select net.http_post('http://x', headers := '{"content-type": "text/plain"}')`).rejects.toThrow(real.errors.contentType);
    await expect(sql`select net.http_post(null)`).rejects.toMatchObject({ code: real.errors.nullUrl });
  });

  it("records each answer as pg_net does: a 200, a refused connection, a timeout, a 500, an unsupported URL", async () => {
    const [ids] = await sql`
      select net.http_post(${`http://127.0.0.1:${port}/ok?a=1`}, '{"x": 1}'::jsonb, '{"b": "2"}'::jsonb, '{"Authorization": "Bearer k"}'::jsonb, 2000) as ok,
             net.http_post(${`http://127.0.0.1:${refusedPort}/refused`}) as refused,
             net.http_post(${`http://127.0.0.1:${port}/slow`}, timeout_milliseconds := 500) as timeout,
             net.http_post(${`http://127.0.0.1:${port}/fail`}) as failed,
             net.http_post('ftp://127.0.0.1/x') as unsupported`;
    const byId = Object.entries(ids).map(([name, id]) => [name, String(id)]);
    const answered = await eventually(async () => {
      const [{ n }] = await sql`select count(*)::int as n from net._http_response where id in ${sql(byId.map(([, id]) => id))}`;
      return n === byId.length;
    }, 15000, 100);
    expect(answered).toBe(true);
    for (const [name, id] of byId) {
      const [row] = await sql`select status_code, content_type, headers, content, timed_out, error_msg from net._http_response where id = ${id}`;
      expect(row, name).toMatchObject(real.answers[name as keyof typeof real.answers]);
    }
    const [ok] = await sql`select headers from net._http_response where id = ${byId[0][1]}`;
    expect(ok.headers).toMatchObject({ "x-echo": "1", "content-type": "application/json" });
    expect(seen).toMatchObject({ ...real.received, headers: expect.objectContaining(real.received.headers) });
    expect(await sql`select count(*)::int as n from net.http_request_queue where id in ${sql(byId.map(([, id]) => id))}`).toEqual([{ n: 0 }]);
  });
});
