// The snippets docs/admin.md documents, read from the page itself: every ```sql and ```ts block,
// each opening with its id (`-- admin-guide: <id>` / `// admin-guide: <id>`), with what runs them:
// SQL with its <placeholders> filled in, supabase-js as the body of an async function of `supabase`
// and the variables it names.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "../../stack/core/config.ts";

export const adminDocPath = join(root, "docs", "admin.md");

export interface Snippet {
  /** The id of its first line; "" when the block has none (the suite fails on it). */
  id: string;
  lang: "sql" | "ts";
  /** The code without its id line. */
  code: string;
}

export function adminSnippets(text = readFileSync(adminDocPath, "utf8")): Snippet[] {
  const snippets: Snippet[] = [];
  let open: { lang: "sql" | "ts"; lines: string[] } | undefined;
  for (const line of text.split("\n")) {
    const fence = /^```(\w*)\s*$/.exec(line);
    if (fence && !open) {
      if (fence[1] === "sql" || fence[1] === "ts") open = { lang: fence[1], lines: [] };
      else if (fence[1]) open = undefined;
      continue;
    }
    if (fence && open) {
      const [first = "", ...rest] = open.lines;
      const id = /^(?:--|\/\/) admin-guide: ([a-z0-9-]+)$/.exec(first.trim())?.[1];
      snippets.push({ id: id ?? "", lang: open.lang, code: (id ? rest : open.lines).join("\n").trim() });
      open = undefined;
      continue;
    }
    open?.lines.push(line);
  }
  return snippets;
}

/** The SQL with each <name> replaced by its value (quoted by the snippet itself); an unknown name throws. */
export function fillPlaceholders(code: string, values: Record<string, string | number>): string {
  return code.replace(/<([a-z_]+)>/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`no value for the placeholder <${name}>`);
    return String(values[name]);
  });
}

/** Writes among the snippets that do not name their rows (SQL without WHERE, supabase-js without a filter). */
export function unfilteredWrites(snippets: Snippet[]): string[] {
  return snippets
    .filter((s) =>
      s.lang === "sql"
        ? /^\s*(update|delete)\b/im.test(s.code) && !/\bwhere\b/i.test(s.code)
        : /\.(update|delete|upsert)\(/.test(s.code) && !/\.(update|delete|upsert)\([^]*\)\.(eq|in|match|is)\(/.test(s.code))
    .map((s) => s.id || s.code);
}
