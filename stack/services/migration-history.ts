// A data dir whose database was built from migrations this tree no longer has (say, before the
// migrations were restructured) cannot be brought up to date by `db push`: say so plainly, with the fix.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { dbUrl, stateDir, supabaseDir } from "../core/config.ts";
import { StackError } from "../core/service.ts";

/** Versions in the database's migration history that supabase/migrations has no file for. */
export async function unknownAppliedMigrations(url = dbUrl): Promise<string[]> {
  const local = new Set(readdirSync(join(supabaseDir, "migrations")).map((f) => /^(\d+)_/.exec(f)?.[1]).filter(Boolean));
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [{ present }] = await sql`select to_regclass('supabase_migrations.schema_migrations') is not null as present`;
    if (!present) return [];
    const rows = await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by version`;
    return rows.map((r) => r.version).filter((v) => !local.has(v));
  } finally {
    await sql.end();
  }
}

/** Throws a StackError naming `npm run dev -- --reset` when the history holds unknown migrations. */
export async function requireKnownMigrationHistory(): Promise<void> {
  const unknown = await unknownAppliedMigrations();
  if (!unknown.length) return;
  throw new StackError(
    `the database in ${stateDir} was built from migrations that supabase/migrations no longer has ` +
      `(${unknown.length}: ${unknown.slice(0, 3).join(", ")}${unknown.length > 3 ? ", ..." : ""}), ` +
      `so it cannot be brought up to date. Rebuild it with \`npm run dev -- --reset\` (this wipes ${stateDir}, its data included).`,
  );
}
