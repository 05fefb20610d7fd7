// The stack refuses, with the fix, a data dir whose migration history `db push` cannot continue:
// one built from migrations the tree no longer has, or one lacking a file older than its newest
// applied version (what splitting a capability's migration in two leaves behind).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { supabaseDir } from "../stack/core/config.ts";
import { migrationHistoryMismatch } from "../stack/services/migration-history.ts";
import { sql } from "./helpers/db.ts";
import { stack } from "./helpers/stack.ts";

const versions = readdirSync(join(supabaseDir, "migrations")).map((f) => /^(\d+)_.*\.sql$/.exec(f)?.[1]).filter((v): v is string => Boolean(v)).sort();
const scratch = `history_check_${process.pid}`;
const scratchUrl = () => { const u = new URL(stack.dbUrl); u.pathname = `/${scratch}`; return u.toString(); };

async function historyOf(applied: string[]) {
  const db = postgres(scratchUrl(), { max: 1, onnotice: () => {} });
  try {
    await db`drop schema if exists supabase_migrations cascade`;
    await db`create schema supabase_migrations`;
    await db`create table supabase_migrations.schema_migrations (version text primary key)`;
    for (const v of applied) await db`insert into supabase_migrations.schema_migrations values (${v})`;
  } finally {
    await db.end();
  }
  return migrationHistoryMismatch(scratchUrl());
}

describe("migration history the stack can continue", () => {
  beforeAll(async () => { await sql.unsafe(`create database ${scratch}`); });
  afterAll(async () => { await sql.unsafe(`drop database if exists ${scratch} with (force)`); });

  it("accepts a complete history and one that only lacks the newest files", async () => {
    expect(await historyOf(versions)).toEqual({ unknown: [], outOfOrder: [] });
    expect(await historyOf(versions.slice(0, -2))).toEqual({ unknown: [], outOfOrder: [] });
  });

  it("names a file older than the newest applied one, and versions the tree no longer has", async () => {
    const middle = versions[Math.floor(versions.length / 2)];
    expect(await historyOf(versions.filter((v) => v !== middle))).toEqual({ unknown: [], outOfOrder: [middle] });
    expect(await historyOf([...versions, "20200101000000"])).toEqual({ unknown: ["20200101000000"], outOfOrder: [] });
  });
});
