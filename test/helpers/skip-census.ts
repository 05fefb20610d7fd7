// The skip census closing `.ci/run`: every skipped test, grouped by its reason (read from vitest's
// JSON report: the "(skipped: …)" of its title or an enclosing describe's, or the reason skipNow
// kept), then the closing line. A skip for a reason docs/testing.md does not list ("What CI may
// skip") fails the run: a missing stripe-mock or Go must not turn billing grey and CI green.
//   npx tsx test/helpers/skip-census.ts <vitest JSON report>   (exit 1: no test passed, or an undocumented skip)
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { pathToFileURL } from "node:url";

interface AssertionResult {
  ancestorTitles: string[];
  title: string;
  status: string;
  meta?: { skipReason?: string };
}
export interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: Array<{ name: string; assertionResults: AssertionResult[] }>;
}

/** The skips CI accepts, as docs/testing.md lists them. */
export const documentedSkips: Array<{ reason: RegExp; why: string }> = [
  {
    // auth.ts's reason when MEMBERBASE_AUTH_BIN is unset and the Go module proxy refuses the module.
    reason: /^Supabase Auth API not running: go mod download github\.com\/supabase\/auth@\w+: /,
    why: "no Supabase Auth binary (MEMBERBASE_AUTH_BIN unset, and the Go module proxy does not serve github.com/supabase/auth)",
  },
];

/** Why a skipped test skipped; undefined when nothing says. */
export function skipReason(t: AssertionResult): string | undefined {
  if (t.status === "todo") return "todo: not written yet";
  if (t.meta?.skipReason) return t.meta.skipReason;
  for (const title of [t.title, ...[...t.ancestorTitles].reverse()]) {
    const m = /\(skipped: ([\s\S]*)\)\s*$/.exec(title);
    if (m) return m[1];
  }
  return undefined;
}

/** The census's lines, closing with `vitest: N passed, N failed, N skipped`, and whether CI passes. */
export function census(report: JsonReport | undefined): { lines: string[]; ok: boolean } {
  if (!report) return { lines: ["vitest: 0 passed, 0 failed, 0 skipped (no results: the run ended before any test)"], ok: false };
  const groups = new Map<string, Map<string, number>>();
  for (const file of report.testResults)
    for (const t of file.assertionResults) {
      if (!["skipped", "pending", "todo"].includes(t.status)) continue;
      const reason = skipReason(t)?.split("\n")[0] ?? "no reason given (no \"(skipped: …)\" in its title, no skipNow)";
      const byFile = groups.get(reason) ?? new Map<string, number>();
      const name = basename(file.name).replace(/(\.[a-z]+)?\.ts$/, "");
      byFile.set(name, (byFile.get(name) ?? 0) + 1);
      groups.set(reason, byFile);
    }
  const lines: string[] = [];
  let undocumented = 0;
  if (groups.size) lines.push("skipped, by reason:");
  for (const [reason, byFile] of groups) {
    const n = [...byFile.values()].reduce((a, b) => a + b, 0);
    const documented = documentedSkips.find((d) => d.reason.test(reason));
    if (!documented) undocumented += n;
    lines.push(`  ${n} ${reason}`, `      ${documented ? `documented: ${documented.why}` : "NOT a documented skip (docs/testing.md, \"What CI may skip\")"}`);
    lines.push(`      ${[...byFile].map(([f, k]) => (k > 1 ? `${f} (${k})` : f)).join(", ")}`);
  }
  if (undocumented) lines.push(`FAILED: ${undocumented} test(s) skipped for a reason CI does not accept`);
  const { numPassedTests: passed, numFailedTests: failed } = report;
  lines.push(`vitest: ${passed} passed, ${failed} failed, ${report.numPendingTests + report.numTodoTests} skipped`);
  return { lines, ok: passed > 0 && undocumented === 0 };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const file = process.argv[2] ?? ".stack/test-results.json";
  const { lines, ok } = census(existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as JsonReport) : undefined);
  console.log(lines.join("\n"));
  process.exit(ok ? 0 : 1);
}
