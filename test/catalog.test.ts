// Catalog-driven checks that fail the moment a new table is added without RLS or without tests.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
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
      where p.prosecdef and p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
        and not coalesce(p.proconfig @> array['search_path=""'], false)`;
    expect(loose.map((l) => l.fn)).toEqual([]);
  });
});
