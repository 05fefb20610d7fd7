// The access matrix: for every table, column grant and function in the exposed schemas, what each
// role gets, checked against the reviewed file test/access-matrix.txt (its header says how to add
// a table). Every row cell is an attack run for real, exactly as PostgREST runs a request
// (authenticator, one transaction, role + full claims), against rows the fixture gives a member in
// every member-linked table. Any unexpected outcome, and anything in the catalog the file does not
// list (or the file lists and the catalog lacks), fails; the message prints the lines as found.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { asRequest, anonClaims, memberClaims, serviceClaims, sql, type Claims } from "./helpers/db.ts";
import { createUser, type TestUser } from "./helpers/users.ts";
import { seedMember } from "./helpers/member-rows.ts";

const MATRIX = "test/access-matrix.txt";
const ROLES = ["anon", "owner", "other", "expert", "admin", "suspended", "service"] as const;
type MatrixRole = (typeof ROLES)[number];
const OPS = ["select", "insert", "update", "delete"] as const;
type Op = (typeof OPS)[number];
const EXPOSED = ["public", "graphql_public"]; // supabase/config.toml [api] schemas

interface Matrix {
  rows: Map<string, Record<MatrixRole, string>>; // "<table> <op>" -> outcome per role
  columns: Map<string, string>; // "<table> <role>" -> the rest of the line
  rpcs: Map<string, string>; // signature -> the rest of the line
}

function readMatrix(): Matrix {
  const m: Matrix = { rows: new Map(), columns: new Map(), rpcs: new Map() };
  for (const [i, raw] of readFileSync(MATRIX, "utf8").split("\n").entries()) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const [kind, ...rest] = line.split(/\s+/);
    if (kind === "rows" && rest.length === 2 + ROLES.length) {
      m.rows.set(`${rest[0]} ${rest[1]}`, Object.fromEntries(ROLES.map((r, j) => [r, rest[2 + j]])) as Record<MatrixRole, string>);
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
const users = {} as Record<"owner" | "suspended" | "other" | "expert" | "admin", TestUser>;

beforeAll(async () => {
  for (const k of ["expert", "owner", "suspended", "other", "admin"] as const) {
    users[k] = await createUser();
    created.push(users[k].id);
  }
  await seedMember(users.expert.id, users.expert.id);
  await sql`update public.profiles set role = 'expert' where id = ${users.expert.id}`;
  await seedMember(users.owner.id, users.expert.id);
  await seedMember(users.suspended.id, users.expert.id);
  await sql`update public.profiles set status = 'suspended' where id = ${users.suspended.id}`;
  await sql`update public.profiles set role = 'admin' where id = ${users.admin.id}`;
}, 120000);

afterAll(async () => {
  await sql`delete from auth.users where id in ${sql(created)}`;
});

function claimsOf(role: MatrixRole): Claims {
  if (role === "anon") return anonClaims;
  if (role === "service") return serviceClaims;
  return memberClaims(users[role].id);
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

async function probe(table: string, predicate: string, op: Op, role: MatrixRole, cols: Col[]): Promise<string> {
  const subject = subjectOf(role);
  const apiRole = role === "anon" ? "anon" : role === "service" ? "service_role" : "authenticated";
  const q = (c: string) => `"${c.replace(/"/g, '""')}"`;
  const where = `where ${predicate}`;
  let text: string;
  let params: unknown[] = [subject];
  if (op === "select") {
    text = `select count(*)::int as n from public.${q(table)} t ${where}`;
  } else if (op === "delete") {
    text = `with d as (delete from public.${q(table)} t ${where} returning 1) select count(*)::int as n from d`;
  } else if (op === "update") {
    const col = cols.find((c) => c.updatable[apiRole]) ?? cols[0];
    text = `with u as (update public.${q(table)} t set ${q(col.name)} = t.${q(col.name)} ${where} returning 1) select count(*)::int as n from u`;
  } else {
    // A copy of one of the subject's rows, with only the columns this role may insert.
    const [row] = await sql.unsafe<{ r: unknown }[]>(`select to_jsonb(t) as r from public.${q(table)} t ${where} limit 1`, [subject]);
    if (!row) return "no-fixture-row";
    const names = cols.filter((c) => c.insertable[apiRole]).map((c) => q(c.name));
    text = names.length === 0
      ? `with i as (insert into public.${q(table)} default values returning 1) select count(*)::int as n from i`
      : `with i as (insert into public.${q(table)} (${names.join(", ")}) select ${names.join(", ")} from jsonb_populate_record(null::public.${q(table)}, $1::jsonb) returning 1) select count(*)::int as n from i`;
    params = names.length === 0 ? [] : [row.r];
  }
  try {
    const [{ n }] = await asRequest(claimsOf(role), (tx) => tx.unsafe<{ n: number }[]>(text, params as never[]));
    return n > 0 ? "rows" : "none";
  } catch (e) {
    return classify(e);
  }
}

describe("access matrix (test/access-matrix.txt)", () => {
  const matrix = readMatrix();

  it("lists exactly the tables of the exposed schemas, and every role x operation on them behaves as listed", async () => {
    const tables = (await sql<{ name: string }[]>`
      select c.relname::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = any(${EXPOSED}) and c.relkind in ('r', 'p', 'v', 'm', 'f') order by 1`).map((t) => t.name);
    const preds = await predicates();
    const found: string[] = [];
    const wrong: string[] = [];
    for (const table of tables) {
      const cols = await sql<Col[]>`
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
      // A table with no member link is probed on all its rows ($1 still typed: the probes pass it).
      const predicate = preds.get(table) ?? "$1::uuid is not null";
      for (const op of OPS) {
        const got = {} as Record<MatrixRole, string>;
        for (const role of ROLES) got[role] = await probe(table, predicate, op, role, cols);
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
});
