// The skip census that closes .ci/run: run on a real vitest JSON report of a small suite
// (test/fixtures/skip-census) that skips for a documented reason, for undocumented ones, and for none.
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "../stack/core/config.ts";
import { runAsync } from "../stack/core/run-async.ts";

const fixtures = join(root, "test", "fixtures", "skip-census");
const scratch = join(tmpdir(), `memberbase-skip-census-${process.pid}`);
mkdirSync(scratch, { recursive: true });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the fixture suite (only `files`) with vitest's JSON reporter, then the census on its report. */
async function censusOf(files: string) {
  const report = join(scratch, `${files.replace(/\W/g, "_")}.json`);
  const env = { ...process.env, SKIP_CENSUS_FIXTURES: files, CI: "" };
  const suite = await runAsync(join(root, "node_modules", ".bin", "vitest"), ["run", "--root", fixtures, "--reporter=json", `--outputFile=${report}`], { env });
  expect(JSON.parse(readFileSync(report, "utf8")).numTotalTests, suite.stderr).toBeGreaterThan(0);
  return runAsync(process.execPath, [join(root, "node_modules", "tsx", "dist", "cli.mjs"), join(root, "test", "helpers", "skip-census.ts"), report], { env });
}

describe("skip census", () => {
  it("passes a run whose only skips are documented, listing them by reason", async () => {
    const r = await censusOf("documented.fixture.ts");
    expect(r.stdout.trim().split("\n")).toEqual([
      "skipped, by reason:",
      "  2 Supabase Auth API not running: go mod download github.com/supabase/auth@0204331ca41a: 403 Forbidden (This module version is not available.)",
      "      documented: no Supabase Auth binary (MEMBERBASE_AUTH_BIN unset, and the Go module proxy does not serve github.com/supabase/auth)",
      "      documented (2)",
      "vitest: 1 passed, 0 failed, 2 skipped",
    ]);
    expect(r.status).toBe(0);
  }, 120000);

  it("fails a run where stripe-mock is missing or a test skips without a reason, naming each", async () => {
    const r = await censusOf("*.fixture.ts");
    const out = r.stdout.trim().split("\n");
    expect(out).toContain("  2 stripe-mock not running: Go is not installed");
    expect(out[out.indexOf("  2 stripe-mock not running: Go is not installed") + 2]).toBe("      undocumented (2)");
    expect(out).toContain('  1 no reason given (no "(skipped: …)" in its title, no skipNow)');
    expect(out.filter((l) => l.includes("NOT a documented skip"))).toHaveLength(2);
    expect(out.at(-2)).toBe("FAILED: 3 test(s) skipped for a reason CI does not accept");
    expect(out.at(-1)).toBe("vitest: 1 passed, 0 failed, 5 skipped");
    expect(r.status).toBe(1);
  }, 120000);

  it("every skipIf in test/ carries its reason in the title (skipNote), so a skip in CI is never reasonless", () => {
    const dir = join(root, "test");
    const silent: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".test.ts")))
      for (const m of readFileSync(join(dir, file), "utf8").matchAll(/\.skipIf\([\s\S]*?=>/g)) if (!m[0].includes("skipNote(")) silent.push(`${file}: ${m[0].slice(0, 80)}`);
    expect(silent).toEqual([]);
  });

  it("fails a run that ended before any test, still closing with the line", async () => {
    const r = await runAsync(process.execPath, [join(root, "node_modules", "tsx", "dist", "cli.mjs"), join(root, "test", "helpers", "skip-census.ts"), join(scratch, "absent.json")]);
    expect(r.stdout).toBe("vitest: 0 passed, 0 failed, 0 skipped (no results: the run ended before any test)\n");
    expect(r.status).toBe(1);
  });
});
