// docs/deploy.md's commands, as the guide gives them (test/deploy-guide.test.ts checks them against
// the pinned CLI; test/deploy.test.ts runs its db push).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "../../stack/core/config.ts";

export const guide = readFileSync(join(root, "docs", "deploy.md"), "utf8");

/** Each `npx supabase …` of the guide: the command's words and its flags (without values). */
export function guideCommands(): Array<{ line: string; words: string[]; flags: string[] }> {
  const found = [...guide.matchAll(/npx supabase ([^`#\n]*)/g)].map((m) => m[1].trim()).filter((l) => l && !l.startsWith("…"));
  return found.map((line) => {
    const tokens = line.split(/\s+/);
    const first = tokens.findIndex((t) => t.startsWith("-") || t.startsWith("<") || t.startsWith("."));
    const words = first === -1 ? tokens : tokens.slice(0, first);
    const flags = tokens.filter((t) => t.startsWith("--")).map((t) => t.split("=")[0]);
    return { line, words, flags };
  });
}
