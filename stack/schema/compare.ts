// `npm run schema:compare -- [A] [B] [--expect FILE]`: builds a fresh database from the migrations
// and seed of A and of B (each a git revision, or `.` for the working tree; default HEAD and `.`),
// the way the stack does, and diffs their normalised dumps (stack/schema/dump.ts): schema, grants
// down to columns, policies, comments, publication membership, default privileges, roles, and every
// table's rows. Exit 0 when identical (or when the difference is exactly the --expect file's), 1
// otherwise. A revision's dump is cached by the content it is built from.
// Both sides are built by this tree's stack (platform-*.sql, the auth schema, the CLI): only their
// supabase/config.toml, migrations and seed.sql differ.
// --no-cache: build every side afresh.
// --expect FILE: the intended delta, as the `-`/`+` lines of the diff (other lines are ignored).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheDir, root } from "../core/config.ts";
import { freePort } from "../core/service.ts";

/** What a side's database is built from, beside the stack's own code. */
const projectPaths = ["supabase/config.toml", "supabase/migrations", "supabase/seed.sql"];
const defaultDbPort = 54322; // config.toml's db.port, which MEMBERBASE_PORT_OFFSET shifts

function git(args: string[]): string {
  return execFileSync("git", args, { cwd: root, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
}

/** A folder holding the side's supabase/ files; for a revision also a cache key for its dump. */
function materialise(side: string, dir: string): { dir: string; key?: string } {
  mkdirSync(dir, { recursive: true });
  if (side === ".") {
    for (const p of projectPaths) cpSync(join(root, p), join(dir, p), { recursive: true });
    return { dir };
  }
  const commit = git(["rev-parse", "--verify", `${side}^{commit}`]).trim();
  const archive = spawnSync("git", ["archive", "--format=tar", commit, ...projectPaths], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
  if (archive.status !== 0) throw new Error(`git archive ${side}: ${archive.stderr}`);
  execFileSync("tar", ["-x", "-C", dir], { input: archive.stdout });
  const tree = git(["rev-parse", ...projectPaths.map((p) => `${commit}:${p}`)]);
  const tools = ["stack/schema/dump.ts", "stack/services/fresh-database.ts", ...["roles", "database", "supautils", "pg-net", "vault"].map((p) => `stack/platform/${p}.sql`), "node_modules/supabase/package.json"].map((f) => readFileSync(join(root, f), "utf8"));
  return { dir, key: createHash("sha256").update(tree).update(tools.join("\0")).digest("hex").slice(0, 24) };
}

/** Runs stack/schema/dump.ts in a throwaway data dir on a port of its own. */
async function dumpSide(side: string, dir: string): Promise<string> {
  const { key } = materialise(side, dir);
  const cached = key && useCache && join(cacheDir, "schema-dumps", `${key}.txt`);
  if (cached && existsSync(cached)) return readFileSync(cached, "utf8");
  const out = join(dir, "dump.txt");
  const env = {
    ...process.env,
    MEMBERBASE_STACK_DIR: join(dir, ".stack"),
    MEMBERBASE_PORT_OFFSET: String((await freePort()) - defaultDbPort),
  };
  const child = spawn(join(root, "node_modules", ".bin", "tsx"), [join(root, "stack", "schema", "dump.ts"), dir, out], { cwd: root, env, stdio: ["ignore", "inherit", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise<number | null>((res) => child.once("exit", res));
  if (code !== 0) throw new Error(`building ${side} failed:\n${stderr}`);
  const text = readFileSync(out, "utf8");
  if (cached) {
    mkdirSync(join(cacheDir, "schema-dumps"), { recursive: true });
    writeFileSync(cached, text);
  }
  return text;
}

function changedLines(diff: string): string[] {
  return diff.split("\n").filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l));
}

const args = process.argv.slice(2);
const expectAt = args.indexOf("--expect");
const expectFile = expectAt >= 0 ? args.splice(expectAt, 2)[1] : undefined;
const useCache = !args.includes("--no-cache"); // --no-cache: build a revision's database even when its dump is cached
const [a = "HEAD", b = "."] = args.filter((x) => x !== "--no-cache");
const work = mkdtempSync(join(tmpdir(), "schema-compare-"));
chmodSync(work, 0o755); // the postgres OS user (when we are root) must reach the data dirs inside
try {
  // Both settle before the folder goes: a failed side must not pull the other's data dir away.
  const sides = await Promise.allSettled([dumpSide(a, join(work, "a")), dumpSide(b, join(work, "b"))]);
  const failed = sides.find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
  const [dumpA, dumpB] = sides.map((s) => (s as PromiseFulfilledResult<string>).value);
  const fileA = join(work, "a.txt");
  const fileB = join(work, "b.txt");
  writeFileSync(fileA, dumpA);
  writeFileSync(fileB, dumpB);
  const diff = spawnSync("diff", ["-u", "--label", `${a}`, "--label", `${b}`, fileA, fileB], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }).stdout;
  if (!diff) {
    console.log(`identical: ${a} and ${b} (${dumpA.split("\n").length} lines of dump)`);
  } else if (expectFile) {
    const want = changedLines(readFileSync(expectFile, "utf8"));
    const got = changedLines(diff);
    if (JSON.stringify(want) === JSON.stringify(got)) console.log(`${a} → ${b}: exactly the expected delta in ${expectFile} (${got.length} changed lines)`);
    else {
      process.stdout.write(diff);
      console.log(`\n${a} → ${b}: the delta differs from the expected one in ${expectFile}`);
      process.exitCode = 1;
    }
  } else {
    process.stdout.write(diff);
    process.exitCode = 1;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
