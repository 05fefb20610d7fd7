// Supabase's database advisors on the migrated schema: `supabase db advisors` (the real CLI,
// security and performance lints) must report no WARN or ERROR that test/advisors-allow.txt does
// not list with its reason; an allow-list entry that no longer matches fails too, so the list
// only shrinks. The CLI pinned here (3.1.0) predates the advisors' lints 0028/0029 (a SECURITY
// DEFINER function in an exposed schema that anon / authenticated may execute); until it ships
// them, this file checks that rule itself from the catalog, reported under the same names.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stack } from "./helpers/stack.ts";
import { sql } from "./helpers/db.ts";
import { toml } from "../stack/core/config.ts";
import { supabaseCli } from "../stack/core/supabase-cli.ts";

const ALLOW = "test/advisors-allow.txt";

interface Finding { name: string; level: string; detail: string; cacheKey: string }

/** The CLI treats 127.0.0.1:<db.port> as its Docker database; 127.0.0.2 reaches the same server as a remote. */
function cliUrl(dbUrl: string): string {
  const u = new URL(dbUrl);
  if (u.hostname === "127.0.0.1" || u.hostname === "localhost") u.hostname = "127.0.0.2";
  return u.toString();
}

async function cliAdvisors(): Promise<Finding[]> {
  const out = await supabaseCli(["db", "advisors", `--remote=${cliUrl(stack.dbUrl)}`, "--type", "all", "--level", "warn", "--output-format", "json"]);
  return (JSON.parse(out) as { results: Finding[] }).results;
}

/** Lints 0028/0029 as the advisors document them, for the exposed schemas of config.toml. */
async function definerExecutable(): Promise<Finding[]> {
  const exposed: string[] = toml.api?.schemas ?? ["public"];
  const rows = await sql<{ role: string; fn: string; args: string }[]>`
    select r.role, format('%s.%s', n.nspname, p.proname) as fn, pg_get_function_identity_arguments(p.oid) as args
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      cross join (values ('anon'), ('authenticated')) r(role)
     where p.prosecdef and n.nspname = any(${exposed}) and has_function_privilege(r.role, p.oid, 'EXECUTE')
     order by 2, 3, 1`;
  return rows.map((r) => ({
    name: `${r.role}_security_definer_function_executable`,
    level: "WARN",
    detail: `Function \`${r.fn}(${r.args})\` can be executed by the \`${r.role}\` role as a SECURITY DEFINER function`,
    cacheKey: `${r.role}_security_definer_function_executable_${r.fn.replace(".", "_")}_${r.args}`,
  }));
}

function allowList(): Map<string, string> {
  const allowed = new Map<string, string>();
  for (const [i, raw] of readFileSync(ALLOW, "utf8").split("\n").entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(.+?)\s+\|\s+(.*\S)$/.exec(line);
    if (!m) throw new Error(`${ALLOW}:${i + 1}: an entry is "<allow-list key> | <reason>": "${raw}"`);
    allowed.set(m[1], m[2]);
  }
  return allowed;
}

describe("Supabase advisors (supabase db advisors)", () => {
  it("report no WARN or ERROR beyond the reasoned allow-list, and every allow-list entry still matches", async () => {
    const findings = [...(await cliAdvisors()), ...(await definerExecutable())].filter((f) => f.level === "WARN" || f.level === "ERROR");
    const allowed = allowList();
    const unexpected = findings.filter((f) => !allowed.has(f.cacheKey)).map((f) => `${f.level} ${f.name}: ${f.detail}\n    (allow-list key: ${f.cacheKey})`);
    const keys = new Set(findings.map((f) => f.cacheKey));
    const stale = [...allowed.keys()].filter((k) => !keys.has(k)).map((k) => `allow-listed but no longer reported (remove it): ${k}`);
    expect([...unexpected, ...stale], [...unexpected, ...stale].join("\n")).toEqual([]);
  }, 120000); // the CLI as a child process: on a busy machine it takes a while
});
