// The access matrix: for every table, column grant and function in the exposed schemas, what each
// role gets, checked against the reviewed file test/access-matrix.txt (its header says how to add
// a table). Every row cell is an attack run for real against rows the fixture gives a member in
// every member-linked table, in two passes:
// - the SQL pass runs every cell in SQL as PostgREST's session runs it (authenticator, one
//   transaction, role + full claims), rolled back, so even the writes that succeed change nothing;
// - the HTTP pass runs through supabase-js, the gateway and PostgREST every cell that writes
//   nothing when it behaves as listed — every select, and every insert, update and delete the file
//   says is refused or finds no row — and must agree with the SQL pass cell for cell. (A write the
//   file says succeeds would commit over HTTP and spoil the fixture for the cells after it; those
//   run in the SQL pass, and the documented ones through PostgREST in test/api-contract.test.ts.)
// Any unexpected outcome, and anything in the catalog the file does not list (or the file lists and
// the catalog lacks), fails; the message prints the lines as found.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { anonClaims, memberClaims, serviceClaims, sql, type Claims } from "./helpers/db.ts";
import { inRequestSession } from "./helpers/sql-session.ts";
import { anonApi, memberClient, serviceApi, type ApiClient } from "./helpers/rest.ts";
import { createUser, type TestUser } from "./helpers/users.ts";
import { seedMember } from "./helpers/member-rows.ts";

const MATRIX = "test/access-matrix.txt";
const ROLES = ["anon", "owner", "other", "expert", "admin", "suspended", "service",
  // admin states, the demoted expert, and each room membership state (in the owner's room)
  "susp_adm", "demo_adm", "del_adm", "demo_exp", "invited", "left", "removed", "reinvited", "mod_inv"] as const;
type MatrixRole = (typeof ROLES)[number];
const OPS = ["select", "insert", "update", "delete"] as const;
type Op = (typeof OPS)[number];
const EXPOSED = ["public", "graphql_public"]; // supabase/config.toml [api] schemas

interface Matrix {
  rows: Map<string, Record<MatrixRole, string>>; // "<table> <op>" -> outcome per role
  columns: Map<string, string>; // "<table> <role>" -> the rest of the line
  rpcs: Map<string, string>; // signature -> the rest of the line
  returns: Map<string, Record<MatrixRole, string>>; // rpc name -> outcome per role
}

function readMatrix(): Matrix {
  const m: Matrix = { rows: new Map(), columns: new Map(), rpcs: new Map(), returns: new Map() };
  for (const [i, raw] of readFileSync(MATRIX, "utf8").split("\n").entries()) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const [kind, ...rest] = line.split(/\s+/);
    if (kind === "rows" && rest.length === 2 + ROLES.length) {
      m.rows.set(`${rest[0]} ${rest[1]}`, Object.fromEntries(ROLES.map((r, j) => [r, rest[2 + j]])) as Record<MatrixRole, string>);
    } else if (kind === "returns" && rest.length === 1 + ROLES.length) {
      m.returns.set(rest[0], Object.fromEntries(ROLES.map((r, j) => [r, rest[1 + j]])) as Record<MatrixRole, string>);
    } else if (kind === "columns" && rest.length >= 3) {
      m.columns.set(`${rest[0]} ${rest[1]}`, rest.slice(2).join(" "));
    } else if (kind === "rpc" && rest.length >= 2) {
      const sig = line.slice(4, line.lastIndexOf(")") + 1).trim();
      m.rpcs.set(sig, line.slice(line.lastIndexOf(")") + 1).trim());
    } else {
      throw new Error(`${MATRIX}:${i + 1}: cannot read "${raw}"`);
    }
  }
  return m;
}

// --- the fixture: a subject member with rows everywhere, and the people around them ---------------
const created: string[] = [];
type Person = Exclude<MatrixRole, "anon" | "service"> | "moderator";
const users = {} as Record<Person, TestUser>;

beforeAll(async () => {
  for (const k of ["expert", "owner", "suspended", "other", "admin", "susp_adm", "demo_adm", "del_adm", "demo_exp",
                   "invited", "left", "removed", "reinvited", "mod_inv", "moderator"] as const) {
    users[k] = await createUser();
    created.push(users[k].id);
  }
  await seedMember(users.expert.id, users.expert.id);
  await sql`update public.profiles set role = 'expert' where id = ${users.expert.id}`;
  await seedMember(users.owner.id, users.expert.id);
  await seedMember(users.suspended.id, users.expert.id);
  await sql`update public.profiles set status = 'suspended' where id = ${users.suspended.id}`;
  await sql`update public.profiles set role = 'admin' where id = ${users.admin.id}`;
  // Admins who are no longer: suspended, demoted to member, deleted (their token outlives them).
  await sql`update public.profiles set role = 'admin' where id in ${sql([users.susp_adm.id, users.demo_adm.id, users.del_adm.id])}`;
  await sql`update public.profiles set status = 'suspended' where id = ${users.susp_adm.id}`;
  await sql`update public.profiles set role = 'member' where id = ${users.demo_adm.id}`;
  await sql`delete from auth.users where id = ${users.del_adm.id}`;
  // An expert the owner booked (completed) and wrote to, then demoted to member by an admin.
  await sql`update public.profiles set role = 'expert' where id = ${users.demo_exp.id}`;
  await sql`insert into public.expert_profiles (id, verification_status, verified_at, is_available, hourly_rate_cents)
            values (${users.demo_exp.id}, 'verified', now(), true, 6000)`;
  const owner = await memberClient(users.owner.id);
  const booked = await owner.rpc("create_booking", { expert_id: users.demo_exp.id, scheduled_at: new Date(Date.now() + 2 * 86400e3).toISOString(), duration_minutes: 60 });
  if (booked.error) throw new Error(booked.error.message);
  await sql`update public.bookings set status = 'completed' where id = ${booked.data.id}`;
  const wrote = await owner.rpc("start_conversation", { expert_id: users.demo_exp.id, body: "before the demotion" });
  if (wrote.error) throw new Error(wrote.error.message);
  await sql`update public.profiles set role = 'member' where id = ${users.demo_exp.id}`;
  // Room membership states in the owner's room, each reached through the room RPCs.
  const [{ room }] = await sql<{ room: string }[]>`select room_id as room from public.room_members where user_id = ${users.owner.id} and role = 'owner' limit 1`;
  const people = ["invited", "left", "removed", "reinvited", "mod_inv", "moderator"] as const;
  for (const k of people) { // an owner or moderator invites only people they talk to
    await sql`insert into public.conversations (member_id, expert_id) values (${users.owner.id}, ${users[k].id})`;
    if (k !== "moderator") await sql`insert into public.conversations (member_id, expert_id) values (${users.moderator.id}, ${users[k].id})`;
  }
  const as = async (k: Person) => memberClient(users[k].id);
  const act = async (k: Person, fn: string, args: Record<string, unknown>, refused = false) => {
    const r = await (await as(k)).rpc(fn as never, { room_id: room, ...args } as never);
    if (!!r.error !== refused) throw new Error(`${k} ${fn}: ${r.error?.message ?? "succeeded"}`);
  };
  for (const k of people) await act("owner", "invite_to_room", { user_id: users[k].id });
  for (const k of ["left", "removed", "reinvited", "mod_inv", "moderator"] as const) await act(k, "join_room", {});
  await act("owner", "set_room_role", { user_id: users.moderator.id, role: "moderator" });
  await act("left", "leave_room", {});
  for (const k of ["removed", "reinvited", "mod_inv"] as const) await act("owner", "remove_from_room", { user_id: users[k].id });
  await act("owner", "invite_to_room", { user_id: users.reinvited.id });
  await act("moderator", "invite_to_room", { user_id: users.mod_inv.id }, true); // the owner's removal stands
}, 120000);

afterAll(async () => {
  await sql`delete from auth.users where id in ${sql(created)}`;
});

function claimsOf(role: MatrixRole): Claims {
  if (role === "anon") return anonClaims;
  if (role === "service") return serviceClaims;
  return memberClaims(users[role as Person].id);
}

/** Whose rows a role is probed against: the suspended member's own; everybody else's, the owner's. */
const subjectOf = (role: MatrixRole) => (role === "suspended" ? users.suspended.id : users.owner.id);

/** SQL selecting the subject's rows of a table (alias t, subject id $1), from the catalog's member links. */
async function predicates(): Promise<Map<string, string>> {
  const rows = await sql<{ table_name: string; predicate: string }[]>`
    select table_name, string_agg(format('(%s)', predicate), ' or ' order by path) as predicate
      from private.member_linked_tables() where excluded_reason is null group by table_name`;
  return new Map(rows.map((r) => [r.table_name, r.predicate]));
}

/** rows | none | denied (privileges) | rls (a policy refused the new row) | E<sqlstate> (anything else refused it). */
function classify(e: unknown): string {
  const err = e as { code?: string; message?: string };
  if (err.code === "42501" && /^permission denied for/.test(err.message ?? "")) return "denied";
  if (err.code === "42501" && /row-level security/.test(err.message ?? "")) return "rls";
  if (!err.code) throw e;
  return `E${err.code}`;
}

interface Col { name: string; insertable: Record<string, boolean>; updatable: Record<string, boolean> }

/** A table's writable columns, with whether each API role may insert and update it. */
function columnsOf(table: string): Promise<Col[]> {
  return sql<Col[]>`
    select a.attname::text as name,
           jsonb_build_object('anon', has_column_privilege('anon', a.attrelid, a.attnum, 'INSERT'),
                              'authenticated', has_column_privilege('authenticated', a.attrelid, a.attnum, 'INSERT'),
                              'service_role', has_column_privilege('service_role', a.attrelid, a.attnum, 'INSERT')) as insertable,
           jsonb_build_object('anon', has_column_privilege('anon', a.attrelid, a.attnum, 'UPDATE'),
                              'authenticated', has_column_privilege('authenticated', a.attrelid, a.attnum, 'UPDATE'),
                              'service_role', has_column_privilege('service_role', a.attrelid, a.attnum, 'UPDATE')) as updatable
      from pg_attribute a
     where a.attrelid = ${`public.${table}`}::regclass and a.attnum > 0 and not a.attisdropped
       and a.attgenerated = '' and a.attidentity <> 'a'
     order by a.attnum`;
}

async function probe(table: string, predicate: string, op: Op, role: MatrixRole, cols: Col[]): Promise<string> {
  const subject = subjectOf(role);
  const apiRole = role === "anon" ? "anon" : role === "service" ? "service_role" : "authenticated";
  const q = (c: string) => `"${c.replace(/"/g, '""')}"`;
  // The subject's rows by primary key, found as the schema's owner: the member-link predicate run
  // under the probing role would see only the parents RLS shows it (an admin cannot read a
  // member's conversations, yet may read a reported message in one).
  const keys = await subjectKeys(table, predicate, subject);
  const where = `where jsonb_build_object(${keys.pk.map((c) => `'${c}', t.${q(c)}`).join(", ")}) in (select jsonb_array_elements($1::text::jsonb))`;
  let text: string;
  let params: unknown[] = [JSON.stringify(keys.rows)];
  if (op === "select") {
    text = `select count(*)::int as n from public.${q(table)} t ${where}`;
  } else if (op === "delete") {
    text = `with d as (delete from public.${q(table)} t ${where} returning 1) select count(*)::int as n from d`;
  } else if (op === "update") {
    const col = cols.find((c) => c.updatable[apiRole]) ?? cols[0];
    text = `with u as (update public.${q(table)} t set ${q(col.name)} = t.${q(col.name)} ${where} returning 1) select count(*)::int as n from u`;
  } else {
    // A copy of one of the subject's rows, with only the columns this role may insert.
    const row = keys.sample ? { r: keys.sample } : undefined;
    if (!row) return "no-fixture-row";
    const names = cols.filter((c) => c.insertable[apiRole]).map((c) => q(c.name));
    text = names.length === 0
      ? `with i as (insert into public.${q(table)} default values returning 1) select count(*)::int as n from i`
      : `with i as (insert into public.${q(table)} (${names.join(", ")}) select ${names.join(", ")} from jsonb_populate_record(null::public.${q(table)}, $1::jsonb) returning 1) select count(*)::int as n from i`;
    params = names.length === 0 ? [] : [row.r];
  }
  try {
    const [{ n }] = await inRequestSession(claimsOf(role), (tx) => tx.unsafe<{ n: number }[]>(text, params as never[]));
    return n > 0 ? "rows" : "none";
  } catch (e) {
    return classify(e);
  }
}

/** The SQL pass's outcome of every cell ("<table> <op>" -> role -> outcome), for the HTTP pass to agree with. */
const sqlPass = new Map<string, Record<MatrixRole, string>>();

async function clientOf(role: MatrixRole): Promise<ApiClient> {
  if (role === "anon") return anonApi();
  if (role === "service") return serviceApi();
  return memberClient(users[role as Person].id);
}

/** The subject's rows of a table as primary-key values (read as the owner of the schema). */
const EVERY_ROW = "$1::uuid is not null";

async function subjectKeys(table: string, predicate: string, subject: string): Promise<{ pk: string[]; rows: Record<string, unknown>[]; sample?: Record<string, unknown>; everyRow: boolean }> {
  const q = (c: string) => `"${c.replace(/"/g, '""')}"`;
  const pk = (await sql<{ name: string }[]>`
    select a.attname::text as name from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
     where i.indrelid = ${`public.${table}`}::regclass and i.indisprimary order by array_position(i.indkey, a.attnum)`).map((r) => r.name);
  const rows = await sql.unsafe<{ k: Record<string, unknown>; r: Record<string, unknown> }[]>(
    `select jsonb_build_object(${pk.map((c) => `'${c}', t.${q(c)}`).join(", ")}) as k, to_jsonb(t) as r from public.${q(table)} t where ${predicate}`, [subject]);
  return { pk, rows: rows.map((r) => r.k), sample: rows[0]?.r, everyRow: predicate === EVERY_ROW };
}

/** The same outcome words as classify(), from what supabase-js reports. */
function classifyHttp(error: { code?: string; message: string } | null, count: number | null): string {
  if (!error) return (count ?? 0) > 0 ? "rows" : "none";
  if (error.code === "42501" && /^permission denied for/.test(error.message)) return "denied";
  if (error.code === "42501" && /row-level security/.test(error.message)) return "rls";
  return error.code ? `E${error.code}` : `error without a code: ${error.message}`;
}

/** One cell through PostgREST, on the same rows as the SQL pass (the subject's, by primary key). */
async function probeHttp(client: ApiClient, table: string, op: Op, role: MatrixRole, cols: Col[], keys: Awaited<ReturnType<typeof subjectKeys>>): Promise<string> {
  const apiRole = role === "anon" ? "anon" : role === "service" ? "service_role" : "authenticated";
  const onSubject = <Q extends { in: (c: string, v: unknown[]) => Q; or: (f: string) => Q }>(query: Q): Q => {
    if (keys.everyRow) return query; // a table with no member link is probed on all its rows (no filter: the URL stays short)
    if (keys.pk.length === 1 || keys.rows.length === 0) return query.in(keys.pk[0], keys.rows.map((r) => r[keys.pk[0]]));
    return query.or(keys.rows.map((r) => `and(${keys.pk.map((c) => `${c}.eq.${String(r[c])}`).join(",")})`).join(","));
  };
  const from = client.from(table as never) as any;
  if (op === "select") {
    // GET, not HEAD: a HEAD answer has no body, so no error code to tell a refusal by.
    const { error, count } = await onSubject(from.select("*", { count: "exact" })).limit(1);
    return classifyHttp(error, count);
  }
  if (op === "delete") {
    const { error, count } = await onSubject(from.delete({ count: "exact" }));
    return classifyHttp(error, count);
  }
  if (op === "update") {
    const col = cols.find((c) => c.updatable[apiRole]) ?? cols[0];
    const { error, count } = await onSubject(from.update({ [col.name]: keys.sample?.[col.name] ?? null }, { count: "exact" }));
    return classifyHttp(error, count);
  }
  if (!keys.sample) return "no-fixture-row";
  const row = Object.fromEntries(cols.filter((c) => c.insertable[apiRole]).map((c) => [c.name, keys.sample![c.name]]));
  const { error, count } = await from.insert(row, { count: "exact" });
  return classifyHttp(error, count);
}

describe("access matrix (test/access-matrix.txt)", () => {
  const matrix = readMatrix();

  it("SQL pass: lists exactly the tables of the exposed schemas, and every role x operation on them behaves as listed", async () => {
    const tables = (await sql<{ name: string }[]>`
      select c.relname::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = any(${EXPOSED}) and c.relkind in ('r', 'p', 'v', 'm', 'f') order by 1`).map((t) => t.name);
    const preds = await predicates();
    const found: string[] = [];
    const wrong: string[] = [];
    for (const table of tables) {
      const cols = await columnsOf(table);
      // A table with no member link is probed on all its rows ($1 still typed: the probes pass it).
      const predicate = preds.get(table) ?? EVERY_ROW;
      for (const op of OPS) {
        const got = {} as Record<MatrixRole, string>;
        for (const role of ROLES) got[role] = await probe(table, predicate, op, role, cols);
        sqlPass.set(`${table} ${op}`, got);
        const line = `rows ${table.padEnd(26)} ${op.padEnd(6)} ${ROLES.map((r) => got[r].padEnd(9)).join(" ").trimEnd()}`;
        found.push(line);
        const want = matrix.rows.get(`${table} ${op}`);
        if (!want) wrong.push(`missing from the file: ${line}`);
        else for (const role of ROLES) if (want[role] !== got[role]) wrong.push(`${table} ${op} as ${role}: expected ${want[role]}, got ${got[role]}`);
      }
    }
    for (const key of matrix.rows.keys()) if (!tables.includes(key.split(" ")[0])) wrong.push(`listed but not in the schema: ${key}`);
    expect(wrong, `${wrong.join("\n")}\n\nas found:\n${found.join("\n")}`).toEqual([]);
  }, 120000);

  it("through PostgREST (HTTP pass): every select, and every write the file says is refused or finds no row, agrees with the SQL pass cell for cell", async () => {
    expect(sqlPass.size, "the SQL pass ran first").toBeGreaterThan(0);
    const preds = await predicates();
    const clients = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await clientOf(r)] as const))) as Record<MatrixRole, ApiClient>;
    const wrong: string[] = [];
    let cells = 0;
    const started = performance.now();
    for (const [key, sqlGot] of sqlPass) {
      const [table, op] = key.split(" ") as [string, Op];
      const cols = await columnsOf(table);
      const predicate = preds.get(table) ?? EVERY_ROW;
      for (const role of ROLES) {
        if (op !== "select" && (sqlGot[role] === "rows" || sqlGot[role] === "no-fixture-row")) continue; // would commit
        const keys = await subjectKeys(table, predicate, subjectOf(role));
        const got = await probeHttp(clients[role], table, op, role, cols, keys);
        cells++;
        if (got !== sqlGot[role]) wrong.push(`${table} ${op} as ${role}: SQL pass ${sqlGot[role]}, through PostgREST ${got}`);
      }
    }
    console.log(`access matrix HTTP pass: ${cells} cells through PostgREST in ${Math.round(performance.now() - started)} ms`);
    expect(cells).toBeGreaterThan(500);
    expect(wrong, wrong.join("\n")).toEqual([]);
  }, 300000);

  it("lists every table's privileges and column grants for anon, authenticated and service_role", async () => {
    const rows = await sql<{ key: string; line: string }[]>`
      with t as (
        select c.oid, c.relname::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = any(${EXPOSED}) and c.relkind in ('r', 'p', 'v', 'm', 'f')
      ), r(role) as (values ('anon'), ('authenticated'), ('service_role'))
      select t.name || ' ' || r.role as key,
             concat_ws(' ',
               'table=' || coalesce((select string_agg(lower(p), ',' order by p) from unnest(array['DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
                                      where has_table_privilege(r.role, t.oid, p)), '-'),
               (select string_agg(lower(p) || '=' || (
                         with cols as (select a.attname::text as col, has_column_privilege(r.role, t.oid, a.attnum, p) as ok
                                         from pg_attribute a where a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped)
                         select case when bool_and(ok) then '*' when not bool_or(ok) then '-'
                                     else string_agg(col, ',' order by col) filter (where ok) end from cols), ' ' order by ord)
                  from unnest(array['SELECT', 'INSERT', 'UPDATE']) with ordinality x(p, ord))) as line
        from t cross join r order by 1`;
    const wrong: string[] = [];
    for (const r of rows) {
      const want = matrix.columns.get(r.key);
      if (want === undefined) wrong.push(`missing from the file: columns ${r.key} ${r.line}`);
      else if (want !== r.line) wrong.push(`columns ${r.key}: expected "${want}", got "${r.line}"`);
    }
    const keys = new Set(rows.map((r) => r.key));
    for (const k of matrix.columns.keys()) if (!keys.has(k)) wrong.push(`listed but not in the schema: columns ${k}`);
    expect(wrong, `${wrong.join("\n")}\n\nas found:\n${rows.map((r) => `columns ${r.key} ${r.line}`).join("\n")}`).toEqual([]);
  });

  it("lists every function of the exposed schemas with who may execute it and whose rights it runs with", async () => {
    const fns = await sql<{ sig: string; line: string }[]>`
      select format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as sig,
             concat_ws(' ', coalesce(nullif(concat_ws(',',
                 case when has_function_privilege('anon', p.oid, 'EXECUTE') then 'anon' end,
                 case when has_function_privilege('authenticated', p.oid, 'EXECUTE') then 'authenticated' end,
                 case when has_function_privilege('service_role', p.oid, 'EXECUTE') then 'service_role' end), ''), '-'),
               case when p.prosecdef then 'definer' else 'invoker' end) as line
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = any(${EXPOSED})
         and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
       order by 1`;
    const wrong: string[] = [];
    for (const f of fns) {
      const want = matrix.rpcs.get(f.sig);
      if (want === undefined) wrong.push(`missing from the file: rpc ${f.sig} ${f.line}`);
      else if (want !== f.line) wrong.push(`rpc ${f.sig}: expected "${want}", got "${f.line}"`);
    }
    const sigs = new Set(fns.map((f) => f.sig));
    for (const s of matrix.rpcs.keys()) if (!sigs.has(s)) wrong.push(`listed but not in the schema: rpc ${s}`);
    expect(wrong, `${wrong.join("\n")}\n\nas found:\n${fns.map((f) => `rpc ${f.sig} ${f.line}`).join("\n")}`).toEqual([]);
  });

  it("lists what every RPC anon or members may call returns to each role (called in SQL as PostgREST calls it, rolled back)", async () => {
    const callable = await sql<{ name: string; retset: boolean }[]>`
      select p.proname::text as name, p.proretset as retset from pg_proc p
       where p.pronamespace = 'public'::regnamespace
         and (has_function_privilege('anon', p.oid, 'EXECUTE') or has_function_privilege('authenticated', p.oid, 'EXECUTE'))
       order by 1`;
    expect(callable.length).toBeGreaterThan(30);
    const ids = await fixtureIds();
    const wrong: string[] = [];
    const found: string[] = [];
    for (const { name, retset } of callable) {
      const call = RPC_CALLS[name];
      if (call === undefined) {
        wrong.push(`no call for public.${name} in RPC_CALLS (test/access-matrix.test.ts): add one with the fixture's arguments`);
        continue;
      }
      const got = {} as Record<MatrixRole, string>;
      for (const role of ROLES) {
        try {
          const [{ n, v }] = await inRequestSession(claimsOf(role), (tx) =>
            tx.unsafe<{ n: number; v: unknown }[]>(`select count(*)::int as n, (array_agg(to_jsonb(r)))[1] as v from public.${name}(${withIds(call, ids)}) r`));
          got[role] = retset ? `rows:${n}` : v === null ? "null" : Array.isArray(v) ? `rows:${v.length}` : "value";
        } catch (e) {
          got[role] = classify(e);
        }
      }
      const line = `returns ${name.padEnd(24)} ${ROLES.map((r) => got[r].padEnd(9)).join(" ").trimEnd()}`;
      found.push(line);
      const want = matrix.returns.get(name);
      if (!want) wrong.push(`missing from the file: ${line}`);
      else for (const role of ROLES) if (want[role] !== got[role]) wrong.push(`${name} as ${role}: expected ${want[role]}, got ${got[role]}`);
    }
    for (const name of matrix.returns.keys()) if (!callable.some((c) => c.name === name)) wrong.push(`listed but not callable: returns ${name}`);
    expect(wrong, `${wrong.join("\n")}\n\nas found:\n${found.join("\n")}`).toEqual([]);
  }, 300000);
});

/** The fixture's things the RPCs are called with ($1 ->> key): the owner's, and the people around them. */
async function fixtureIds(): Promise<Record<string, string | null>> {
  const owner = users.owner.id;
  const one = async (q: Promise<{ id: unknown }[]>) => ((await q)[0]?.id ?? null) as string | null;
  const room = await one(sql`select room_id as id from public.room_members where user_id = ${owner} and role = 'owner' limit 1`);
  return {
    owner, expert: users.expert.id, other: users.other.id, moderator: users.moderator.id,
    booking: await one(sql`select id from public.bookings where member_id = ${owner} order by created_at limit 1`),
    deletion: await one(sql`select id from public.data_deletion_requests where user_id = ${owner} limit 1`),
    room,
    room_message: await one(sql`select id::text as id from public.room_messages where room_id = ${room} order by id limit 1`),
    message: await one(sql`select m.id::text as id from public.messages m where m.sender_id = ${owner} order by m.id limit 1`),
    conversation: await one(sql`select id from public.conversations where member_id = ${owner} and expert_id = ${users.expert.id}`),
    // Around the fixture's expert (1 km: no other test's expert is that close to the same random point).
    expert_lat: await one(sql`select extensions.st_y(location::extensions.geometry)::text as id from public.expert_locations where expert_id = ${users.expert.id}`),
    expert_lng: await one(sql`select extensions.st_x(location::extensions.geometry)::text as id from public.expert_locations where expert_id = ${users.expert.id}`),
  };
}

/** The arguments each member-callable RPC is called with, in SQL; {key} is a fixtureIds() value. */
const id = (k: string, type = "uuid") => `{${k}}::${type}`;
const withIds = (call: string, ids: Record<string, string | null>) =>
  call.replace(/\{([a-z_]+)\}/g, (_, k: string) => (ids[k] === null ? "null" : `'${ids[k]!.replace(/'/g, "''")}'`));
const RPC_CALLS: Record<string, string> = {
  accept_terms: "'matrix-1'",
  admin_adjust_credits: `${id("owner")}, 100, 'access-matrix', null`,
  affiliate_stats: "",
  apply_credits: `${id("booking")}, 1`,
  cancel_account_deletion: id("deletion"),
  clear_search_history: "",
  complete_onboarding_step: "'profile'",
  consultation_history: "10, 0",
  create_booking: `${id("expert")}, now() + interval '5 days', 60, null`,
  create_room: "'matrix room', null, 'public'",
  expert_favorites_count: id("expert"),
  expert_reviews: `${id("expert")}, 20, 0`,
  hide_room_message: `${id("room_message", "bigint")}, 'matrix'`,
  inbox: "20, null",
  invite_to_room: `${id("room")}, ${id("other")}`,
  join_room: id("room"),
  leave_room: id("room"),
  list_favorites: "",
  mark_conversation_read: id("conversation"),
  member_area: id("owner"),
  member_dashboard: "",
  member_stats: "",
  moderate_message: `${id("message", "bigint")}, true, 'matrix', false`,
  mute_room_member: `${id("room")}, ${id("moderator")}, 5`,
  my_entitlements: "",
  my_favorites_count: "",
  nearby_experts: `${id("expert_lat", "float8")}, ${id("expert_lng", "float8")}, 1, null, null, 20`,
  open_support_ticket: "'matrix', 'matrix body', 'other'",
  quote_credits: id("booking"),
  record_search: "'matrix', '{}'::jsonb",
  remove_from_room: `${id("room")}, ${id("moderator")}`,
  request_account_deletion: "'matrix'",
  set_booking_status: `${id("booking")}, 'cancelled'`,
  set_expert_location: "52.52, 13.405, 'Berlin', 'Mitte'",
  set_my_location: "52.52, 13.405, 'Berlin', 'Mitte'",
  set_room_role: `${id("room")}, ${id("moderator")}, 'member'`,
  spending_history: "12",
  start_conversation: `${id("expert")}, 'matrix'`,
  unread_counts: "",
};

