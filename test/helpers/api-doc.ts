// The supabase-js calls docs/api.md documents, read from the page itself: every code span in a
// table's last cell that is a call (`from(...)…`, `rpc(...)`, `auth.…(...)`, `functions.invoke(...)`,
// or a `.method(...)` continuing the cell's last `from(...)`), and every statement of a ```ts snippet.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "../../stack/core/config.ts";

export const apiDocPath = join(root, "docs", "api.md");

const callStart = /^(from\(|rpc\(|auth\.|functions\.invoke\(|supabase\.)/;
const continuation = /^\.(select|insert|update|upsert|delete|eq|neq|is|in|match|order|limit|range|single|maybeSingle|csv)\(/;

/** The last cell of a markdown table row (the one holding the supabase-js calls). */
function lastCell(row: string): string {
  const cells = row.replace(/\\\|/g, "\u0000").split("|").slice(1, -1);
  return (cells.at(-1) ?? "").replace(/\u0000/g, "|");
}

/** Every documented call, in the page's order, continuations prefixed with the `from(...)` they continue. */
export function documentedCalls(text = readFileSync(apiDocPath, "utf8")): string[] {
  const calls: string[] = [];
  let inSnippet = false;
  let snippet: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) {
      if (inSnippet && snippet.length) calls.push(snippet.join("\n").trim());
      inSnippet = line.trim() === "```ts";
      snippet = [];
      continue;
    }
    if (inSnippet) {
      snippet.push(line);
      continue;
    }
    if (!line.startsWith("|")) {
      // Prose names whole table and RPC calls too (e.g. the admins' role change).
      for (const [, span] of line.matchAll(/`((?:from|rpc)\('[^`]+\))`/g)) calls.push(span.trim());
      continue;
    }
    if (/^\|\s*-/.test(line)) continue;
    let table: string | undefined;
    for (const [, span] of lastCell(line).matchAll(/`([^`]+)`/g)) {
      const code = span.trim();
      const from = /^from\('[a-z_]+'\)/.exec(code);
      if (from) table = from[0];
      if (callStart.test(code)) calls.push(code);
      else if (continuation.test(code) && table) calls.push(table + code);
    }
  }
  return calls;
}

/** Writes (update/delete/upsert) among the calls, each with whether it names its rows with a filter. */
export function writesWithoutFilter(calls: string[]): string[] {
  return calls.filter((c) => /\.(update|delete|upsert)\(/.test(c) && !/\.(update|delete|upsert)\([^]*\)\.(eq|neq|is|in|match|gt|lt|gte|lte|like|filter)\(/.test(c));
}
