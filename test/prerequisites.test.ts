// The stack's first step on a new machine: one message naming exactly what is missing and the one
// apt command that installs it. Run as a newcomer would meet it, with a PATH and PostgreSQL dirs
// that lack those parts.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pgBinDir, pgExtensionDir, root } from "../stack/core/config.ts";
import { missingPrerequisites, optionalNotes, thisMachine } from "../stack/core/prerequisites.ts";

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
  return spawnSync(process.execPath, [join(root, "node_modules", "tsx", "dist", "cli.mjs"), join(root, "stack", "prerequisites.ts")], {
    encoding: "utf8",
    env: { HOME: process.env.HOME ?? "/tmp", ...env },
  });
}

describe("prerequisite check", () => {
  it("passes on this machine", () => {
    expect(missingPrerequisites()).toEqual([]);
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

  it("asks for a newer Node.js, which apt does not provide, without an apt package for it", () => {
    const missing = missingPrerequisites({ ...thisMachine(), nodeVersion: "18.19.1" });
    expect(missing).toEqual([{ what: "Node.js >= 20 (this is 18.19.1)", hint: expect.stringContaining("Node.js 20") }]);
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
      env: { ...process.env, MEMBERBASE_PG_EXTENSION_DIR: extensionDirWithout("postgis"), MEMBERBASE_STACK_DIR: join(scratch, "stack"), MEMBERBASE_PORT_OFFSET: String(Number(process.env.MEMBERBASE_PORT_OFFSET ?? 0) + 50) },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("apt-get install -y postgresql-15-postgis-3");
    expect(r.stdout).not.toMatch(/^ {2}postgres /m); // no service line: nothing was started
    expect(readdirSync(scratch)).not.toContain("stack");
  });
});
