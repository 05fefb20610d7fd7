// `supabase db lint` (plpgsql_check) over our schemas: every PL/pgSQL function must compile
// against the real tables, with no warnings.
import { describe, expect, it } from "vitest";
import { supabaseCli } from "../stack/core/supabase-cli.ts";
import { stack } from "./helpers/stack.ts";

describe("supabase db lint", () => {
  it("finds no errors or warnings in public and private", async () => {
    const out = await supabaseCli(["db", "lint", `--db-url=${stack.dbUrl}`, "--schema", "public,private", "--level", "warning", "-o", "json"]);
    const issues = out.trim() === "" ? [] : (JSON.parse(out) as Array<{ function: string; issues: Array<{ level: string; message: string }> }>);
    expect(issues.flatMap((f) => f.issues.map((i) => `${f.function}: ${i.level}: ${i.message}`))).toEqual([]);
  }, 120000); // the CLI as a child process: on a busy machine it takes a while
});
