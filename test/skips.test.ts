// The `auth` line's "tests that skip" list (stack/core/skips.ts), read from test files' skipIf guards:
// every form of guard the tests use must count, and nothing else. The fixtures guard on probeReason, so
// this file does not list itself on the auth line.
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testsSkippedWithout } from "../stack/core/skips.ts";

const dir = join(tmpdir(), `memberbase-skips-${process.pid}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Written as SKIPIF: the skip census (test/skip-census.test.ts) takes every skipIf call in test/ for a real one.
const files: Record<string, string> = {
  "plain.test.ts": "it.SKIPIF(probeReason)('a', () => {});\ndescribe.SKIPIF(!!probeReason)('b', () => {});",
  "chained.test.ts": "describe.SKIPIF(stripeSkipReason ?? probeReason)('c', () => {});",
  "aliased.test.ts": "const reason = probeReason ?? otherReason;\nit.SKIPIF(reason)('d', () => {});",
  "other-guard.test.ts": "it.SKIPIF(stripeSkipReason)('e', () => {});\nit.SKIPIF(probeReasonless)('f', () => {});",
  "branches.test.ts": "it('g', () => { if (probeReason) return; });",
  "not-a-test.ts": "it.SKIPIF(probeReason)('h', () => {});",
};
for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text.replaceAll("SKIPIF", "skipIf"));

describe("tests skipped without a service", () => {
  it("counts skipIf(<guard>), skipIf(!!<guard>), <guard> at the end of a ?? chain and a local alias; no other guard or file", () => {
    expect(testsSkippedWithout("probeReason", dir)).toBe("aliased, chained, plain (2)");
  });

  it("lists billing-functions on the auth line: its account-deletion block skips without Auth behind stripe-mock's guard", () => {
    const listed = testsSkippedWithout("authSkipReason").split(", ");
    expect(listed).toContain("billing-functions");
    expect(listed.filter((f) => f.startsWith("skips"))).toEqual([]);
  });
});
