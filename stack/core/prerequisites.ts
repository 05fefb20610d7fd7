// What the stack needs from the machine, checked before anything starts — and, where the missing
// pieces are Debian packages and we may run apt-get (root, or `sudo -n`), installed then and there,
// so a newcomer's `npm install && npm test` needs no third command. Where we may not, one message
// names exactly what is missing and the one command that installs it (not, say,
// `extension "postgis" is not available` half-way through a test run).
// This file holds the one package list: .ci/run installs through it too.
//   npx tsx stack/core/prerequisites.ts [--install] [--tests]
//     (exit 1 and the message when something is missing; --install installs what it can first;
//      --tests adds what only the tests need)
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";
import { cacheDir, pgBinDir, pgExtensionDir, pgLibDir, root } from "./config.ts";
import { runAsync } from "./run-async.ts";
import { StackError } from "./service.ts";
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
  /** Where the extensions' shared libraries are ($libdir). */
  pgLibDir: string;
  nodeVersion: string;
  /** Whether a Supabase Auth binary is there already (MEMBERBASE_AUTH_BIN or an earlier build). */
  authBinary: boolean;
}

export function thisMachine(): Machine {
  return { path: process.env.PATH ?? "", pgBinDir, pgExtensionDir, pgLibDir, nodeVersion: process.versions.node, authBinary: existsSync(authBinary) };
}

function onPath(path: string, tool: string): boolean {
  return path.split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, tool)));
}

/** A Debian package the stack (or, with `tests`, only the test suite) needs, and how to see it is there. */
export interface DebianRequirement {
  apt: string;
  what: (m: Machine) => string;
  present: (m: Machine) => boolean;
  /** Needed by the tests only (`npm test`), not by `npm run dev`. */
  tests?: boolean;
}

// The control file alone is not the extension: Debian ships PostGIS's control and SQL files in a
// package of their own (postgresql-15-postgis-3-scripts), which stays when postgresql-15-postgis-3,
// the library, is removed; `create extension` then fails on `$libdir/postgis-3`.
// So an extension with a library counts only with both (pgTAP is SQL alone).
const extension = (ext: string, what: string, apt: string, library?: string): DebianRequirement => ({
  apt,
  what: (m) => `${what} (${ext}.control in ${m.pgExtensionDir}${library ? `, ${library}.so in ${m.pgLibDir}` : ""})`,
  present: (m) => existsSync(join(m.pgExtensionDir, `${ext}.control`)) && (!library || existsSync(join(m.pgLibDir, `${library}.so`))),
});

/** THE package list: everything the stack and its tests need that is not in node_modules and apt provides. */
export const debianRequirements: DebianRequirement[] = [
  {
    apt: "postgresql-15",
    what: (m) => `PostgreSQL 15 server binaries (${join(m.pgBinDir, ["initdb", "pg_ctl", "postgres"].find((t) => !existsSync(join(m.pgBinDir, t))) ?? "postgres")})`,
    present: (m) => ["initdb", "pg_ctl", "postgres"].every((t) => existsSync(join(m.pgBinDir, t))),
  },
  extension("pgcrypto", "pgcrypto, uuid-ossp, pg_stat_statements (PostgreSQL 15 contrib)", "postgresql-15", "pgcrypto"),
  extension("postgis", "PostGIS for PostgreSQL 15", "postgresql-15-postgis-3", "postgis-3"),
  extension("pgtap", "pgTAP for PostgreSQL 15", "postgresql-15-pgtap"),
  extension("plpgsql_check", "plpgsql_check for PostgreSQL 15", "postgresql-15-plpgsql-check", "plpgsql_check"),
  extension("pg_cron", "pg_cron for PostgreSQL 15 (Supabase Cron)", "postgresql-15-cron", "pg_cron"),
  { apt: "libtap-parser-sourcehandler-pgtap-perl", what: () => "pg_prove on PATH (runs the pgTAP tests)", present: (m) => onPath(m.path, "pg_prove") },
  { apt: "chromium", what: () => "Chromium on PATH (the browser test)", present: (m) => onPath(m.path, "chromium"), tests: true },
];

/** package.json's engines.node, e.g. ">=24" → 24: the Node.js LTS the project runs on. */
export function nodeMajorWanted(): number {
  const engines = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).engines?.node ?? "";
  return Number(/(\d+)/.exec(engines)?.[1] ?? 0);
}

/** The one command that brings Node.js `major` through npm (Node's own binaries in the package
 * node-linux-<arch>, no download site) and puts it first on this shell's PATH. */
export function nodeCommand(major = nodeMajorWanted()): string {
  const prefix = join(cacheDir, `node-${major}`);
  return `npm install --prefix ${prefix} node-linux-${process.arch}@${major} && export PATH=${prefix}/node_modules/.bin:$PATH`;
}

/** Everything the stack (and with `tests`, its test suite) needs that is not in node_modules. */
export function missingPrerequisites(m: Machine = thisMachine(), opts: { tests?: boolean; requirements?: DebianRequirement[] } = {}): Missing[] {
  const missing: Missing[] = [];
  const wanted = nodeMajorWanted();
  if (Number(m.nodeVersion.split(".")[0]) < wanted)
    missing.push({ what: `Node.js >= ${wanted} (this is ${m.nodeVersion})`, hint: `Node.js ${wanted} LTS; to bring it through npm, run: ${nodeCommand(wanted)}` });
  for (const r of opts.requirements ?? debianRequirements) if ((opts.tests || !r.tests) && !r.present(m)) missing.push({ what: r.what(m), apt: r.apt });
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

const aptPackages = (missing: Missing[]) => [...new Set(missing.flatMap((x) => (x.apt ? [x.apt] : [])))];

/** One message: what is missing, then the one command that installs it. */
export function prerequisitesMessage(missing: Missing[], notInstalled?: string): string {
  const packages = aptPackages(missing);
  const sudo = process.getuid?.() === 0 ? "" : "sudo ";
  return [
    "This machine lacks what the stack needs:",
    ...missing.map((x) => `  - ${x.what}${x.apt ? `: apt package ${x.apt}` : ""}${x.hint ? `: ${x.hint}` : ""}`),
    ...(packages.length ? ["Install with:", `  ${sudo}apt-get install -y ${packages.join(" ")}`] : []),
    ...(packages.length && notInstalled ? [`(not installed by the stack: ${notInstalled})`] : []),
  ].join("\n");
}

/** How apt-get may be run here: directly (root), through `sudo -n`, or not at all (and why not). */
async function aptCommand(path: string): Promise<{ prefix: string[] } | { refused: string }> {
  if (process.env.MEMBERBASE_NO_INSTALL === "1") return { refused: "MEMBERBASE_NO_INSTALL=1" };
  if (!onPath(path, "apt-get") || !onPath(path, "dpkg")) return { refused: "no apt-get here (not a Debian-family system)" };
  if (process.getuid?.() === 0) return { prefix: [] };
  if (onPath(path, "sudo") && (await runAsync("sudo", ["-n", "true"])).status === 0) return { prefix: ["sudo", "-n"] };
  return { refused: "not root, and `sudo -n` is not allowed" };
}

/** Whether apt has package lists at all (a fresh image often has none until `apt-get update`). */
function aptListsPresent(): boolean {
  try {
    return readdirSync("/var/lib/apt/lists").some((f) => f.includes("_Packages"));
  } catch {
    return false;
  }
}

/** apt's answers that mean its lists are missing or stale, which `apt-get update` cures. */
const wantsUpdate = /Unable to locate package|has no installation candidate|Failed to fetch|Unable to fetch some archives/;

/**
 * Installs the missing Debian packages when it may (MEMBERBASE_NO_INSTALL unset, apt-get here, root
 * or `sudo -n`), one progress line per package; `apt-get update` only when apt has no lists or an
 * install fails for want of them. Throws the prerequisites message when anything is still missing.
 */
export async function ensurePrerequisites(opts: { log?: (line: string) => void; tests?: boolean; requirements?: DebianRequirement[] } = {}): Promise<void> {
  const log = opts.log ?? (() => {});
  const check = () => missingPrerequisites(thisMachine(), { tests: opts.tests, requirements: opts.requirements });
  const missing = check();
  const packages = aptPackages(missing);
  // Node is not apt's to give: stop at once with the command that brings it.
  if (missing.some((x) => !x.apt)) throw new PrerequisitesMissing(prerequisitesMessage(missing));
  if (packages.length === 0) return;
  const apt = await aptCommand(thisMachine().path);
  if ("refused" in apt) throw new PrerequisitesMissing(prerequisitesMessage(missing, apt.refused));
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const run = (args: string[]) => {
    const [cmd, ...rest] = [...apt.prefix, ...(apt.prefix.length ? ["env", "DEBIAN_FRONTEND=noninteractive"] : []), "apt-get", ...args];
    return runAsync(cmd, rest, { env });
  };
  let updated = false;
  const update = async () => {
    const t = performance.now();
    const r = await run(["update", "-qq", "-o", "DPkg::Lock::Timeout=300"]);
    log(`  ${"apt".padEnd(10)} ${"apt-get update".padEnd(44)} ${String(Math.round(performance.now() - t)).padStart(6)} ms${r.status === 0 ? "" : `  (failed: ${lastLine(r.stderr)})`}`);
    updated = true;
  };
  log(`  ${"apt".padEnd(10)} installing ${packages.length} Debian package(s) the stack lacks, ${apt.prefix.length ? "through sudo -n" : "as root"} (MEMBERBASE_NO_INSTALL=1 turns this off)`);
  if (!aptListsPresent()) await update();
  const what = new Map<string, string>();
  for (const x of missing) if (x.apt && !what.has(x.apt)) what.set(x.apt, x.what);
  for (const pkg of packages) {
    const t = performance.now();
    const install = () => run(["install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=300", pkg]);
    let r = await install();
    if (r.status !== 0 && !updated && wantsUpdate.test(r.stderr)) {
      await update();
      r = await install();
    }
    const ms = String(Math.round(performance.now() - t)).padStart(6);
    if (r.status !== 0) {
      log(`  ${"apt".padEnd(10)} ${pkg.padEnd(44)} ${ms} ms  (FAILED: ${lastLine(r.stderr || r.stdout)})`);
      throw new PrerequisitesMissing(prerequisitesMessage(check(), `apt-get install ${pkg} failed: ${lastLine(r.stderr || r.stdout)}`));
    }
    log(`  ${"apt".padEnd(10)} ${pkg.padEnd(44)} ${ms} ms  (installed: ${what.get(pkg)})`);
  }
  const still = check();
  if (still.length) throw new PrerequisitesMissing(prerequisitesMessage(still, "installed, yet still missing"));
}

const lastLine = (s: string) => s.trim().split("\n").at(-1) ?? "";

export class PrerequisitesMissing extends StackError {}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const tests = process.argv.includes("--tests");
  try {
    if (process.argv.includes("--install")) await ensurePrerequisites({ log: console.log, tests });
    else {
      const missing = missingPrerequisites(thisMachine(), { tests });
      if (missing.length) throw new PrerequisitesMissing(prerequisitesMessage(missing));
    }
  } catch (e) {
    if (!(e instanceof PrerequisitesMissing)) throw e;
    console.error(e.message);
    process.exit(1);
  }
  for (const note of optionalNotes()) console.log(`note: ${note}`);
  console.log("prerequisites: all present");
}
