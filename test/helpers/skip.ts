// How a test says why it skips, so the skip census of .ci/run (skip-census.ts) can read the reason
// from vitest's JSON report: in the title of a skipIf'd describe or test, or in the meta of a test
// that skips part-way.
import type { TestContext } from "vitest";

declare module "vitest" {
  interface TaskMeta {
    /** Why the test skipped itself part-way (skipNow). */
    skipReason?: string;
  }
}

/** The title suffix " (skipped: <reason>)" for a describe/test under skipIf(reason); "" when it runs. */
export function skipNote(reason: string | false | undefined): string {
  return reason ? ` (skipped: ${reason})` : "";
}

/** Skips the running test, its reason kept where the JSON report carries it. */
export function skipNow(ctx: TestContext, reason: string): never {
  ctx.task.meta.skipReason = reason;
  return ctx.skip(reason);
}
