// Runs every supabase/tests/database/*.test.sql with pg_prove against the stack's database,
// one vitest test per file (the same files `supabase test db` runs under `supabase start`).
import { beforeAll, describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import postgres from "postgres";
import { runAsync } from "../stack/core/run-async.ts";
import { stack } from "./helpers/stack.ts";

const dir = "supabase/tests/database";
const files = readdirSync(dir).filter((f) => f.endsWith(".test.sql")).sort();

describe("pgTAP", () => {
  // pgTAP is a test tool, not part of the schema: created here as `postgres`, as `supabase test db`
  // does (on hosted Supabase and in this stack postgres may create it; see stack/platform/database.sql).
  beforeAll(async () => {
    const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
    try {
      await sql`create extension if not exists pgtap with schema extensions`;
    } finally {
      await sql.end();
    }
  });
  it("has test files", () => expect(files.length).toBeGreaterThan(0));
  for (const file of files) {
    it(file, async () => {
      const r = await runAsync("pg_prove", ["--dbname", stack.dbUrl, "--verbose", "--failures", `${dir}/${file}`], { env: { ...process.env, PGOPTIONS: "--client-min-messages=warning" } });
      if (r.error) throw new Error(`pg_prove could not run (apt-get install libtap-parser-sourcehandler-pgtap-perl): ${r.error.message}`);
      const failures = r.stdout.split("\n").filter((l) => /^not ok|^#/.test(l)).join("\n");
      expect(r.status, `${failures}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^All tests successful\./m);
    }, 120000); // pg_prove as a child process: on a busy machine a file takes a while
  }
});
