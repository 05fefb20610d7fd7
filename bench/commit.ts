// The commit a bench run measured, for its section of bench/RESULTS.md (both `npm run bench` and
// `npm run bench:load` name it).
import { execFileSync } from "node:child_process";
import { root } from "../stack/core/config.ts";

/** HEAD's short hash; "+changes" when the tracked files differ from it, bench/RESULTS.md aside (the
 * benches' own output: scale 1 and scale 10 can then run back to back on one commit). */
export function commitMeasured(): string | undefined {
  try {
    const git = (args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();
    const head = git(["rev-parse", "--short", "HEAD"]);
    return git(["status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/RESULTS.md"]) ? `${head}+changes` : head;
  } catch {
    return undefined;
  }
}
