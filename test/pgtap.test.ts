// Runs every supabase/tests/database/*.test.sql with pg_prove against the stack's database,
// one vitest test per file (the same files `supabase test db` runs under `supabase start`).
import { beforeAll, describe, expect, it } from "vitest";
import { stack } from "./helpers/stack.ts";
import { pgProve, pgProveFailures, pgTapFiles, prepareForPgTap } from "./helpers/pgtap.ts";

describe("pgTAP", () => {
  beforeAll(() => prepareForPgTap(stack.dbUrl));
  it("has test files", () => expect(pgTapFiles.length).toBeGreaterThan(0));
  for (const file of pgTapFiles) {
    it(file, async () => {
      const r = await pgProve(stack.dbUrl, [file], ["--verbose", "--failures"]);
      expect(r.status, `${pgProveFailures(r)}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^All tests successful\./m);
    }, 120000); // pg_prove as a child process: on a busy machine a file takes a while
  }
});
