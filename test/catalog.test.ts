// Catalog-driven checks that fail the moment a new table is added without RLS or without tests.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { sql } from "./helpers/db.ts";

const dir = "supabase/tests/database";
const testSql = readdirSync(dir).filter((f) => f.endsWith(".test.sql")).map((f) => readFileSync(`${dir}/${f}`, "utf8")).join("\n");

describe("catalog", () => {
  it("every public table has RLS enabled and is exercised by a pgTAP file", async () => {
    const tables = await sql<{ name: string; rls: boolean }[]>`
      select c.relname as name, c.relrowsecurity as rls from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') order by 1`;
    expect(tables.length).toBeGreaterThan(0);
    expect(tables.filter((t) => !t.rls).map((t) => t.name)).toEqual([]);
    expect(tables.map((t) => t.name).filter((name) => !new RegExp(`public\\.${name}\\b`).test(testSql))).toEqual([]);
  });

  it("every foreign key column has an index that starts with it", async () => {
    const missing = await sql<{ fk: string }[]>`
      select format('%s(%s)', c.conrelid::regclass, a.attname) as fk
      from pg_constraint c
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
      where c.contype = 'f' and c.connamespace = 'public'::regnamespace
        and not exists (select 1 from pg_index i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1])`;
    expect(missing.map((m) => m.fk)).toEqual([]);
  });

  it("every security definer function pins search_path to ''", async () => {
    const loose = await sql<{ fn: string }[]>`
      select p.oid::regprocedure::text as fn from pg_proc p
      where p.prosecdef and p.pronamespace in ('public'::regnamespace, 'private'::regnamespace, 'admin'::regnamespace)
        and not coalesce(p.proconfig @> array['search_path=""'], false)`;
    expect(loose.map((l) => l.fn)).toEqual([]);
  });
  // A read policy whose arms an index cannot serve makes a client's plain `from(t).select()` a scan
  // of every row (and a lever for anyone who wants to load the database). With sequential scans
  // priced out, the planner still picks one only where no index path exists: that is the finding.
  // Run for a signed-in member and for anon, on every table the role may select from.
  it.each([
    ["a member", "authenticated"],
    ["anon", "anon"],
  ])("every table %s may read is read through an index, as clients write the read", async (_who, role) => {
    // The public catalogue of plans is a handful of rows, read whole by design.
    const wholeByDesign = new Set(["plans"]);
    const scanned = await sql.begin(async (tx) => {
      await tx`set local enable_seqscan = off`;
      const claims = role === "anon" ? { role } : { sub: randomUUID(), role, aal: "aal1" };
      await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
      const tables = await tx<{ name: string }[]>`
        select c.relname as name from pg_class c
        where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and c.relrowsecurity
          and has_table_privilege(${role}, c.oid, 'select') order by 1`;
      expect(tables.length).toBeGreaterThan(0);
      await tx.unsafe(`set local role ${role}`);
      const found: string[] = [];
      for (const { name } of tables) {
        const plan = (await tx.unsafe<{ "QUERY PLAN": string }[]>(`explain select * from public.${name}`)).map((r) => r["QUERY PLAN"]).join("\n");
        if (/Seq Scan/.test(plan) && !wholeByDesign.has(name)) found.push(`${name}:\n${plan}`);
      }
      return found;
    });
    expect(scanned).toEqual([]);
  });

  // The admin console (docs/admin.md) is for Studio's postgres session only: a grant to an API role
  // on the schema or on anything added to it later would hand the operator's queues to members.
  it("no API role may use the admin schema or anything in it, and PostgREST does not expose it", async () => {
    const granted = await sql<{ what: string }[]>`
      select format('schema admin: usage for %s', r) as what from unnest(array['anon', 'authenticated', 'service_role', 'public']) r
       where r <> 'public' and has_schema_privilege(r, 'admin', 'usage')
      union all
      select format('schema admin: %s', a.privilege_type) from pg_namespace n, aclexplode(n.nspacl) a
       where n.nspname = 'admin' and a.grantee = 0
      union all
      select format('%s: %s for %s', c.oid::regclass, a.privilege_type, coalesce(g.rolname, 'public'))
        from pg_class c cross join aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a left join pg_roles g on g.oid = a.grantee
       where c.relnamespace = 'admin'::regnamespace and (a.grantee = 0 or g.rolname in ('anon', 'authenticated', 'service_role'))
      union all
      select format('%s: execute for %s', p.oid::regprocedure, coalesce(g.rolname, 'public'))
        from pg_proc p cross join aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a left join pg_roles g on g.oid = a.grantee
       where p.pronamespace = 'admin'::regnamespace and (a.grantee = 0 or g.rolname in ('anon', 'authenticated', 'service_role'))`;
    expect(granted.map((g) => g.what)).toEqual([]);
    const [{ relations }] = await sql<{ relations: number }[]>`select count(*)::int as relations from pg_class where relnamespace = 'admin'::regnamespace`;
    expect(relations).toBeGreaterThanOrEqual(6);
    expect(readFileSync("supabase/config.toml", "utf8")).toMatch(/^schemas = \["public", "graphql_public"\]$/m);
  });
});
