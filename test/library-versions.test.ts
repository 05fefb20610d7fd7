// One version of each library: the edge functions (deno.json, resolved in deno.lock) and the Node
// side (package.json, resolved in package-lock.json) pin the same exact version of every library
// both use, so the tests validate and sign with what the functions run.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "../stack/core/config.ts";

const json = (path: string) => JSON.parse(readFileSync(join(root, path), "utf8"));

/** deno.json's `npm:` imports: name → the version after the last `@`. */
function denoPins(denoJson: { imports: Record<string, string> }): Map<string, string> {
  const pins = new Map<string, string>();
  for (const spec of Object.values(denoJson.imports)) {
    const m = /^npm:(@?[^@]+)@(.+)$/.exec(spec);
    if (m) pins.set(m[1], m[2]);
  }
  return pins;
}

/** Where deno.json and package.json name the same library with different versions (or either floats). */
function disagreements(denoJson: { imports: Record<string, string> }, packageJson: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }): string[] {
  const node = { ...packageJson.dependencies, ...packageJson.devDependencies };
  const out: string[] = [];
  for (const [name, version] of denoPins(denoJson)) {
    if (!/^\d+\.\d+\.\d+$/.test(version)) out.push(`${name}: deno.json has ${version}, not an exact version`);
    if (name in node && node[name] !== version) out.push(`${name}: deno.json has ${version}, package.json ${node[name]}`);
  }
  return out;
}

const deno = json("supabase/functions/deno.json");
const pkg = json("package.json");

describe("one version of each library", () => {
  it("deno.json pins exact versions, the same as package.json for every library both use", () => {
    expect(disagreements(deno, pkg)).toEqual([]);
    // The shared ones are most of them: a rename on either side would otherwise slip through.
    expect([...denoPins(deno).keys()].filter((n) => n in { ...pkg.dependencies, ...pkg.devDependencies }).sort()).toEqual(
      ["@supabase/supabase-js", "@types/nodemailer", "jose", "nodemailer", "postgres", "stripe", "zod"],
    );
  });

  it("notices a library whose versions differ, and one that floats", () => {
    const drifted = { imports: { ...deno.imports, zod: "npm:zod@3.25.76", jose: "npm:jose@6" } };
    expect(disagreements(drifted, pkg)).toEqual([`zod: deno.json has 3.25.76, package.json ${pkg.dependencies.zod}`, "jose: deno.json has 6, not an exact version", `jose: deno.json has 6, package.json ${pkg.devDependencies.jose}`]);
  });

  it("the lock files resolve each shared library to that version", () => {
    const denoLock = json("supabase/functions/deno.lock");
    const npmLock = json("package-lock.json");
    for (const [name, version] of denoPins(deno)) {
      expect(denoLock.specifiers[`npm:${name}@${version}`], `deno.lock: ${name}`).toBe(version);
      const installed = npmLock.packages[`node_modules/${name}`]?.version;
      if (installed !== undefined) expect(installed, `package-lock.json: ${name}`).toBe(version);
    }
  });
});
