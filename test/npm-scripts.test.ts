// Every file an npm script names exists: a script left pointing at a moved or deleted file fails
// here, not in a newcomer's terminal.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const { scripts } = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> };

describe("npm scripts", () => {
  it("name only files that exist", () => {
    const named = Object.entries(scripts).flatMap(([name, cmd]) =>
      cmd.split(/\s+/).filter((w) => /^[\w./-]+\.(ts|mts|js|sql)$/.test(w)).map((file) => ({ name, file })));
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter(({ file }) => !existsSync(file))).toEqual([]);
  });
});
