// data-export: a complete, streamed, machine-readable export of the calling member's data, over HTTP
// through the gateway. Contents are checked against an oracle that follows the real foreign-key
// values (not the SQL the function runs), against another member's rows, and against the catalog.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { stack } from "./helpers/stack.ts";
import { memberClaims, serviceClaims, sql } from "./helpers/db.ts";
import { memberClient, ok } from "./helpers/rest.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { functionsHostPid } from "./helpers/processes.ts";
import { createSession, usersDeletedAfterFile, type TestUser } from "./helpers/users.ts";
import { canonicalRows, linkPaths, memberRowsByForeignKeys, seedMember, type SeedResult } from "./helpers/member-rows.ts";

const { createUser } = usersDeletedAfterFile();

const url = `${stack.apiUrl}/functions/v1/data-export`;

interface Section {
  read_as: "member" | "service";
  paths: string[];
  omitted_columns: string[];
  rows: Array<Record<string, unknown>>;
  row_count: number;
}
interface ExportDoc {
  format: string;
  request_id: string;
  member_id: string;
  auth: { email: string; identities: Array<Record<string, unknown>>; mfa_factors: Array<Record<string, unknown>> } & Record<string, unknown>;
  tables: Record<string, Section>;
  summary: { tables: number; rows: number };
}

async function call(userId: string, aal: "aal1" | "aal2" = "aal1") {
  const token = await signAccessToken(await createSession(userId, { aal }));
  return fetch(url, { headers: { apikey: stack.anonKey, authorization: `Bearer ${token}` } });
}

async function exportOf(userId: string): Promise<{ doc: ExportDoc; text: string }> {
  const res = await call(userId);
  const text = await res.text();
  expect(res.status, text.slice(0, 500)).toBe(200);
  return { doc: JSON.parse(text) as ExportDoc, text };
}

let expert: TestUser;
let other: TestUser;
let member: TestUser;
let seeded: SeedResult;
let otherSeeded: SeedResult;

beforeAll(async () => {
  expert = await createUser();
  other = await createUser();
  member = await createUser();
  await seedMember(expert.id, expert.id);
  otherSeeded = await seedMember(other.id, expert.id);
  seeded = await seedMember(member.id, expert.id);
  // The member is also a verified expert whom the counterpart books: the booking is the member's too.
  await sql`update public.expert_profiles set verification_status = 'verified', verified_at = now(), hourly_rate_cents = 6000
             where id = ${member.id}`;
  await sql`update public.profiles set role = 'expert' where id = ${member.id}`; // bookable: private.is_bookable_expert
  const asExpert = await memberClient(expert.id);
  ok(await asExpert.rpc("create_booking", { expert_id: member.id, scheduled_at: new Date(Date.now() + 3 * 86400e3).toISOString(), duration_minutes: 60, note: "booked the member as an expert" }));
});

describe("data-export: who may export", () => {
  it("answers 401 without a JWT, and 401 for a JWT that is not a member's", async () => {
    expect((await fetch(url, { headers: { apikey: stack.anonKey } })).status).toBe(401);
    const anon = await fetch(url, { headers: { apikey: stack.anonKey, authorization: `Bearer ${stack.anonKey}` } });
    expect(anon.status).toBe(401);
    expect(await anon.json()).toMatchObject({ error: { code: "not_signed_in" } });
    const service = await fetch(url, { headers: { apikey: stack.anonKey, authorization: `Bearer ${await signAccessToken(serviceClaims)}` } });
    expect(service.status).toBe(401);
  });

  it("demands aal2 once the member has a verified MFA factor, and records nothing for the refused call", async () => {
    const mfa = await createUser();
    await sql`insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret)
              values (gen_random_uuid(), ${mfa.id}, 'phone', 'totp', 'verified', now(), now(), 'JBSWY3DPEHPK3PXP')`;
    const refused = await call(mfa.id, "aal1");
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "aal2_required" } });
    expect((await sql`select 1 from public.data_export_requests where user_id = ${mfa.id}`).length).toBe(0);
    const allowed = await call(mfa.id, "aal2");
    expect(allowed.status).toBe(200);
    const doc = (await allowed.json()) as ExportDoc;
    expect(doc.auth.mfa_factors).toEqual([expect.objectContaining({ factor_type: "totp", status: "verified", friendly_name: "phone" })]);
    // The factor's secret never leaves the database.
    expect(JSON.stringify(doc)).not.toContain("JBSWY3DPEHPK3PXP");
  });

  it("answers 401 session_not_found for a valid JWT whose account (and so its session) no longer exists", async () => {
    const gone = await createUser();
    const token = await signAccessToken(await createSession(gone.id));
    await sql`delete from auth.users where id = ${gone.id}`;
    const res = await fetch(url, { headers: { apikey: stack.anonKey, authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "session_not_found" } });
  });
});

describe("data-export: contents", () => {
  let doc: ExportDoc;
  let text: string;
  beforeAll(async () => ({ doc, text } = await exportOf(member.id)));

  it("answers a JSON attachment and records the export as completed with its counts", async () => {
    // Another member's export, so the record does not change the member's data the next tests compare.
    const res = await call(other.id);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="memberbase-export-/);
    const body = (await res.json()) as ExportDoc;
    const [record] = await sql`select status, tables_exported, rows_exported, completed_at from public.data_export_requests where id = ${body.request_id}`;
    expect(record).toMatchObject({ status: "completed", tables_exported: body.summary.tables, rows_exported: String(body.summary.rows) });
    expect(record.completed_at).toBeTruthy();
    expect(body.summary.rows).toBe(Object.values(body.tables).reduce((n, t) => n + t.rows.length, 0));
  });

  it("has, for every table, exactly the member's rows found by following the foreign keys", async () => {
    const oracle = await memberRowsByForeignKeys(member.id);
    const tables = new Set([...oracle.keys(), ...Object.keys(doc.tables)]);
    for (const table of tables) {
      const section = doc.tables[table];
      expect(section, `export has no section for ${table}`).toBeDefined();
      expect(section.row_count).toBe(section.rows.length);
      // This export's own record is written after the oracle read it and is still "processing" in the export.
      const rows = table === "data_export_requests" ? section.rows.filter((r) => r.id !== doc.request_id) : section.rows;
      const expected = (oracle.get(table) ?? []).filter((r) => table !== "data_export_requests" || (r as { id: string }).id !== doc.request_id);
      expect(canonicalRows(rows), `rows of ${table}`).toEqual(canonicalRows(expected, section.omitted_columns));
    }
  });

  it("contains every row the test inserted for the member, including the booking where the member is the expert", () => {
    for (const [table, rows] of Object.entries(seeded.inserted)) {
      const exported = new Set(canonicalRows(doc.tables[table].rows));
      for (const row of rows) {
        // The export may show later states of the row (e.g. updated_at); compare on the id-bearing identity.
        const [canon] = canonicalRows([row], doc.tables[table].omitted_columns);
        const match = exported.has(canon) || doc.tables[table].rows.some((r) => JSON.stringify(pk(r)) === JSON.stringify(pk(row as Record<string, unknown>)));
        expect(match, `${table} row ${canon}`).toBe(true);
      }
    }
    expect(doc.tables.bookings.rows).toContainEqual(expect.objectContaining({ expert_id: member.id, member_id: expert.id, note: "booked the member as an expert" }));
  });

  it("contains nothing of another member", () => {
    expect(text).not.toContain(other.id);
    expect(text).not.toContain(other.email);
    for (const [table, rows] of Object.entries(otherSeeded.inserted)) {
      const exported = new Set(canonicalRows(doc.tables[table]?.rows ?? []));
      for (const row of rows) expect(exported.has(canonicalRows([row])[0])).toBe(false);
    }
  });

  it("includes the Auth record's safe fields and nothing secret", async () => {
    expect(doc.member_id).toBe(member.id);
    expect(Object.keys(doc.auth).sort()).toEqual(["created_at", "email", "email_confirmed_at", "id", "identities", "last_sign_in_at", "mfa_factors", "phone"]);
    expect(doc.auth.email).toBe(member.email);
    const [{ encrypted_password }] = await sql`select encrypted_password from auth.users where id = ${member.id}`;
    expect(text).not.toContain(encrypted_password);
    expect(text).not.toMatch(/encrypted_password|confirmation_token|recovery_token|raw_app_meta_data/);
  });
});

describe("data-export: completeness against the catalog", () => {
  it("covers every member-linked table the catalog function lists, each with the member's rows", async () => {
    expect(seeded.unreachable).toEqual([]);
    const { doc } = await exportOf(member.id);
    const catalog = [...new Set((await linkPaths()).filter((p) => p.excluded_reason === null).map((p) => p.table_name))].sort();
    expect(catalog.length).toBeGreaterThan(5);
    const missing = catalog.filter((t) => !doc.tables[t]);
    expect(missing, "member-linked tables missing from the export").toEqual([]);
    expect(catalog.filter((t) => doc.tables[t].rows.length === 0), "member-linked tables exported empty").toEqual([]);
    console.log(`exported tables: ${catalog.map((t) => `${t}(${doc.tables[t].read_as}, ${doc.tables[t].rows.length})`).join(", ")}`);
  });

  it("exports a table added later without any code change: under RLS when members may read it, else through the service connection", async () => {
    await sql.unsafe(`
      create table public.zz_probe_visible (id bigint generated always as identity primary key,
        owner_id uuid not null references public.profiles (id) on delete cascade, note text);
      create table public.zz_probe_hidden (id bigint generated always as identity primary key,
        subject_id uuid not null references public.profiles (id) on delete cascade, note text);
      create table public.zz_probe_child (id bigint generated always as identity primary key,
        parent_id bigint not null references public.zz_probe_hidden (id) on delete cascade, note text);
      alter table public.zz_probe_visible enable row level security;
      alter table public.zz_probe_hidden enable row level security;
      alter table public.zz_probe_child enable row level security;
      grant select on public.zz_probe_visible to authenticated;
      create policy "Members can read their own probes" on public.zz_probe_visible for select to authenticated
        using ((select auth.uid()) = owner_id and note <> 'hidden by policy');`);
    try {
      await sql`insert into public.zz_probe_visible (owner_id, note) values (${member.id}, 'mine'), (${member.id}, 'hidden by policy'), (${other.id}, 'theirs')`;
      const [h] = await sql`insert into public.zz_probe_hidden (subject_id, note) values (${member.id}, 'kept by the service side') returning id`;
      await sql`insert into public.zz_probe_hidden (subject_id, note) values (${other.id}, 'not mine')`;
      await sql`insert into public.zz_probe_child (parent_id, note) values (${h.id}, 'child of mine')`;
      const { doc, text } = await exportOf(member.id);
      expect(doc.tables.zz_probe_visible).toMatchObject({ read_as: "member", rows: [expect.objectContaining({ note: "mine" })] });
      expect(doc.tables.zz_probe_visible.rows).toHaveLength(1);
      expect(doc.tables.zz_probe_hidden).toMatchObject({ read_as: "service", rows: [expect.objectContaining({ note: "kept by the service side" })] });
      expect(doc.tables.zz_probe_hidden.rows).toHaveLength(1);
      expect(doc.tables.zz_probe_child).toMatchObject({ read_as: "service", rows: [expect.objectContaining({ note: "child of mine" })] });
      expect(doc.tables.zz_probe_child.paths).toEqual(["public.zz_probe_child.parent_id -> public.zz_probe_hidden.subject_id -> public.profiles.id"]);
      expect(text).not.toContain("not mine");
      expect(text).not.toContain(other.id);
    } finally {
      await sql.unsafe("drop table public.zz_probe_child, public.zz_probe_hidden, public.zz_probe_visible");
    }
  });
});

/** The primary-key-ish identity of a row, for rows whose other columns the product may have moved on. */
function pk(row: Record<string, unknown>): unknown {
  return row.id ?? [row.user_id, row.channel, row.category];
}

// ---- Streaming: a member with 10k rows, and the function's memory for 1k vs 10k rows ----

const statusKb = (pid: number, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);

/** Exports while sampling the process's RSS; the peak is VmHWM after resetting it (clear_refs 5), or the sampled maximum. */
async function measuredExport(userId: string, pid: number) {
  let resetWorked = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    resetWorked = false;
  }
  let sampledMax = statusKb(pid, "VmRSS");
  const timer = setInterval(() => (sampledMax = Math.max(sampledMax, statusKb(pid, "VmRSS"))), 5);
  const started = performance.now();
  const res = await call(userId);
  let bytes = 0;
  let chunks = 0;
  const parts: string[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    chunks++;
    parts.push(decoder.decode(chunk, { stream: true }));
  }
  clearInterval(timer);
  const ms = Math.round(performance.now() - started);
  const peakKb = resetWorked ? statusKb(pid, "VmHWM") : sampledMax;
  return { status: res.status, doc: JSON.parse(parts.join("")) as ExportDoc, bytes, chunks, ms, peakMb: peakKb / 1024, sampledMaxMb: sampledMax / 1024, resetWorked };
}

describe("data-export: streaming", () => {
  const small = { user: undefined as unknown as TestUser, rows: 1000 };
  const large = { user: undefined as unknown as TestUser, rows: 10000 };

  beforeAll(async () => {
    for (const m of [small, large]) {
      m.user = await createUser();
      // activity is the bulk table of a member (one row per action); details make rows realistic in size.
      await sql`insert into public.activity (user_id, kind, subject_type, subject_id, details, created_at)
                select ${m.user.id}, 'searched', 'search', g::text, jsonb_build_object('query', 'tax advisor near berlin ' || g, 'results', g % 37),
                       now() - g * interval '1 minute'
                  from generate_series(1, ${m.rows}) g`;
    }
  }, 60000);

  afterAll(async () => {
    await sql`delete from auth.users where id in ${sql([small.user.id, large.user.id])}`;
  });

  it("exports a member with 10k rows completely, and the function's peak memory does not grow with the row count", async () => {
    const pid = functionsHostPid();
    const warm = await call(member.id); // load every code path once before measuring
    await warm.text();
    if (pid === undefined) {
      console.log("data-export RSS: functions host not found (stack not started by this suite), memory not measured");
    }
    const r1 = pid ? await measuredExport(small.user.id, pid) : undefined;
    const r10 = pid ? await measuredExport(large.user.id, pid) : undefined;
    const { doc } = r10 ?? { doc: (await exportOf(large.user.id)).doc };
    expect(doc.tables.activity.rows).toHaveLength(large.rows);
    expect(new Set(doc.tables.activity.rows.map((r) => r.subject_id)).size).toBe(large.rows);
    expect(doc.tables.activity.rows.every((r) => r.user_id === large.user.id)).toBe(true);
    if (r1 && r10) {
      expect(r1.doc.tables.activity.rows).toHaveLength(small.rows);
      console.log(
        [
          `data-export peak RSS of the functions host running its worker (pid ${pid}; ${r1.resetWorked ? "VmHWM after clear_refs" : "VmRSS sampled every 5 ms"}):`,
          `   1k rows: ${r1.peakMb.toFixed(1)} MB peak (sampled max ${r1.sampledMaxMb.toFixed(1)} MB), ${(r1.bytes / 1e6).toFixed(2)} MB body in ${r1.chunks} chunks, ${r1.ms} ms`,
          `  10k rows: ${r10.peakMb.toFixed(1)} MB peak (sampled max ${r10.sampledMaxMb.toFixed(1)} MB), ${(r10.bytes / 1e6).toFixed(2)} MB body in ${r10.chunks} chunks, ${r10.ms} ms`,
        ].join("\n"),
      );
      expect(r10.chunks).toBeGreaterThan(10000 / 500); // rows arrive batch by batch, not as one body
      expect(r10.peakMb).toBeLessThan(r1.peakMb + 40);
    }
  }, 120000);
});
