// Which tests a missing optional service turns into skips, read from the tests themselves (their
// skipIf(<reason>) guards), so `npm run dev` can say so while the list stays true as tests change.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./config.ts";

/** "auth-mfa, account-deletion (2)": test files with skipIf(<guard>) or skipIf(!!<guard>) guards, also at the end of
 * a `??` chain (skipIf(other ?? <guard>) skips when only <guard> is set) or through a local
 * `const reason = <guard> ?? ...`, and how many. */
export function testsSkippedWithout(guard: string, dir = join(root, "test")): string {
  const counts: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".test.ts")).sort()) {
    const text = readFileSync(join(dir, file), "utf8");
    const aliases = [...text.matchAll(new RegExp(`const (\\w+)\\s*=[^;]*\\b${guard}\\b`, "g"))].map((m) => m[1]);
    const names = [guard, ...aliases].join("|");
    const n = (text.match(new RegExp(`skipIf\\(\\s*(?:!!)?\\s*(?:\\w+\\s*\\?\\?\\s*)*(?:${names})\\b`, "g")) ?? []).length;
    if (n > 0) counts.push(`${file.replace(/\.test\.ts$/, "")}${n > 1 ? ` (${n})` : ""}`);
  }
  return counts.length ? counts.join(", ") : "none";
}
