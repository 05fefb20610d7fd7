// What the stack needs from the machine, checked before anything starts, so a newcomer gets one
// message naming exactly what is missing and the one command that installs it (not, say,
// `extension "postgis" is not available` half-way through a test run).
//   npx tsx stack/core/prerequisites.ts   (exit 1 and the message when something is missing)
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";
import { pgBinDir, pgExtensionDir, root } from "./config.ts";
import { authBinary } from "../services/auth.ts";

export interface Missing {
  what: string;
  /** The Debian package that provides it, when apt can. */
  apt?: string;
  /** How to get it when apt cannot. */
  hint?: string;
}

export interface Machine {
  path: string;
  pgBinDir: string;
  pgExtensionDir: string;
  nodeVersion: string;
  /** Whether a Supabase Auth binary is there already (MEMBERBASE_AUTH_BIN or an earlier build). */
  authBinary: boolean;
}

export function thisMachine(): Machine {
  return { path: process.env.PATH ?? "", pgBinDir, pgExtensionDir, nodeVersion: process.versions.node, authBinary: existsSync(authBinary) };
}

function onPath(path: string, tool: string): boolean {
  return path.split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, tool)));
}

/** package.json's engines.node, e.g. ">=20" → 20. */
function nodeMajorWanted(): number {
  const engines = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).engines?.node ?? ">=20";
  return Number(/(\d+)/.exec(engines)?.[1] ?? 20);
}

/** Everything the stack and its tests need that is not in node_modules. */
export function missingPrerequisites(m: Machine = thisMachine()): Missing[] {
  const missing: Missing[] = [];
  const wanted = nodeMajorWanted();
  if (Number(m.nodeVersion.split(".")[0]) < wanted)
    missing.push({ what: `Node.js >= ${wanted} (this is ${m.nodeVersion})`, hint: `install Node.js ${wanted} or later (nodejs.org, or nvm install ${wanted})` });
  for (const tool of ["initdb", "pg_ctl", "postgres"])
    if (!existsSync(join(m.pgBinDir, tool))) {
      missing.push({ what: `PostgreSQL 15 server binaries (${join(m.pgBinDir, tool)})`, apt: "postgresql-15" });
      break;
    }
  const extensions: Array<[string, string, string]> = [
    ["pgcrypto", "pgcrypto, uuid-ossp, pg_stat_statements (PostgreSQL 15 contrib)", "postgresql-15"],
    ["postgis", "PostGIS for PostgreSQL 15", "postgresql-15-postgis-3"],
    ["pgtap", "pgTAP for PostgreSQL 15", "postgresql-15-pgtap"],
    ["plpgsql_check", "plpgsql_check for PostgreSQL 15", "postgresql-15-plpgsql-check"],
    ["pg_cron", "pg_cron for PostgreSQL 15 (Supabase Cron)", "postgresql-15-cron"],
  ];
  for (const [ext, what, apt] of extensions)
    if (!existsSync(join(m.pgExtensionDir, `${ext}.control`))) missing.push({ what: `${what} (${ext}.control in ${m.pgExtensionDir})`, apt });
  if (!onPath(m.path, "pg_prove")) missing.push({ what: "pg_prove on PATH (runs the pgTAP tests)", apt: "libtap-parser-sourcehandler-pgtap-perl" });
  return missing;
}

/** Go builds Supabase Auth when no binary is there; without it the stack still runs, with the Auth
 * API off and its tests skipped (auth.ts says so), so this is a note, never a stop. */
export function optionalNotes(m: Machine = thisMachine()): string[] {
  if (m.authBinary) return [];
  const go = onPath(m.path, "go") ? spawnSync("go", ["version"], { encoding: "utf8", env: { ...process.env, PATH: m.path } }).stdout ?? "" : "";
  const version = /go(\d+)\.(\d+)/.exec(go);
  if (version && (Number(version[1]) > 1 || Number(version[2]) >= 26)) return [];
  return [
    `Go >= 1.26 ${version ? `(this is ${version[0]})` : "is not on PATH"}: it builds Supabase Auth when no binary is given (MEMBERBASE_AUTH_BIN); ` +
      "without it the Auth API is off and the tests that need it skip (Debian's golang-go is older: https://go.dev/dl/)",
  ];
}

/** One message: what is missing, then the one command that installs it. */
export function prerequisitesMessage(missing: Missing[]): string {
  const packages = [...new Set(missing.flatMap((x) => (x.apt ? [x.apt] : [])))];
  const sudo = process.getuid?.() === 0 ? "" : "sudo ";
  return [
    "This machine lacks what the stack needs:",
    ...missing.map((x) => `  - ${x.what}${x.apt ? `: apt package ${x.apt}` : ""}${x.hint ? `: ${x.hint}` : ""}`),
    ...(packages.length ? ["Install with:", `  ${sudo}apt-get install -y ${packages.join(" ")}`] : []),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const missing = missingPrerequisites();
  if (missing.length) {
    console.error(prerequisitesMessage(missing));
    process.exit(1);
  }
  for (const note of optionalNotes()) console.log(`note: ${note}`);
  console.log("prerequisites: all present");
}
