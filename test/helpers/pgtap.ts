// What both pgTAP runners (test/pgtap.test.ts on the stack, test/deploy.test.ts on a fresh hosted-like
// database) share: the database made ready for the files, and pg_prove over them.
import { readdirSync } from "node:fs";
import postgres from "postgres";
import { runAsync, type RunResult } from "../../stack/core/run-async.ts";

export const pgTapDir = "supabase/tests/database";
/** Every pgTAP file, in the order pg_prove runs them (000-helpers first: it creates schema tests). */
export const pgTapFiles = readdirSync(pgTapDir).filter((f) => f.endsWith(".test.sql")).sort();

/** pgTAP is a test tool, not part of the schema: created as `postgres`, as `supabase test db` does
 * (supautils lets postgres create it on hosted Supabase, and the stand-in here; see
 * stack/platform/supautils.sql). The files set up schema tests themselves (000-helpers.test.sql). */
export async function prepareForPgTap(dbUrl: string): Promise<void> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`create extension if not exists pgtap with schema extensions`;
  } finally {
    await sql.end();
  }
}

/** pg_prove over `files` (names in pgTapDir) as the URL's role; notices below warning kept out of the output. */
export async function pgProve(dbUrl: string, files: string[], flags: string[] = ["--failures"]): Promise<RunResult> {
  const r = await runAsync("pg_prove", ["--dbname", dbUrl, ...flags, ...files.map((f) => `${pgTapDir}/${f}`)], { env: { ...process.env, PGOPTIONS: "--client-min-messages=warning" } });
  if (r.error) throw new Error(`pg_prove could not run (apt-get install libtap-parser-sourcehandler-pgtap-perl): ${r.error.message}`);
  return r;
}

/** The lines of pg_prove's output that say what failed. */
export const pgProveFailures = (r: RunResult) => r.stdout.split("\n").filter((l) => /^not ok|^#|Failed/.test(l)).join("\n");
