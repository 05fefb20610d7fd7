// A data dir whose database's migration history this tree cannot continue — built from migrations
// the tree no longer has, or missing a migration older than its newest applied one (a capability
// split in two adds such a file) — cannot be brought up to date by `db push`, which refuses both:
// say so plainly, with the fix.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { dbUrl, stateDir, supabaseDir } from "../core/config.ts";
import { StackError } from "../core/service.ts";

export interface HistoryMismatch {
  /** Versions in the database's history that supabase/migrations has no file for. */
  unknown: string[];
  /** Files not applied although a newer version is: `db push` would refuse them as out of order. */
  outOfOrder: string[];
}

/** Compares the database's migration history with supabase/migrations. */
export async function migrationHistoryMismatch(url = dbUrl): Promise<HistoryMismatch> {
  const local = readdirSync(join(supabaseDir, "migrations"))
    .map((f) => /^(\d+)_.*\.sql$/.exec(f)?.[1])
    .filter((v): v is string => Boolean(v));
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [{ present }] = await sql`select to_regclass('supabase_migrations.schema_migrations') is not null as present`;
    if (!present) return { unknown: [], outOfOrder: [] };
    const applied = (await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by version`).map((r) => r.version);
    const newest = applied.at(-1) ?? "";
    const done = new Set(applied);
    const files = new Set(local);
    return {
      unknown: applied.filter((v) => !files.has(v)),
      outOfOrder: local.filter((v) => !done.has(v) && v < newest).sort(),
    };
  } finally {
    await sql.end();
  }
}

const some = (vs: string[]) => `${vs.length}: ${vs.slice(0, 3).join(", ")}${vs.length > 3 ? ", ..." : ""}`;

/** Throws a StackError naming `npm run dev -- --reset` when db push could not continue the history. */
export async function requireContinuableMigrationHistory(): Promise<void> {
  const { unknown, outOfOrder } = await migrationHistoryMismatch();
  if (!unknown.length && !outOfOrder.length) return;
  const why = unknown.length
    ? `was built from migrations that supabase/migrations no longer has (${some(unknown)})`
    : `lacks migrations older than the newest it has applied (${some(outOfOrder)}; a capability was split)`;
  throw new StackError(
    `the database in ${stateDir} ${why}, so it cannot be brought up to date. ` +
      `Rebuild it with \`npm run dev -- --reset\` (this wipes ${stateDir}, its data included).`,
  );
}
