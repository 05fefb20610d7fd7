// types/database.ts must be what the CLI generates from the migrated database today.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { generateTypes, typesFile } from "../stack/schema/types.ts";
import { stack } from "./helpers/stack.ts";

describe("generated Database types", () => {
  it("are up to date with the migrations (run `npm run types` when this fails)", async () => {
    expect(readFileSync(typesFile, "utf8")).toBe(await generateTypes(stack.dbUrl));
  }, 120000); // the CLI as a child process: on a busy machine it takes a while
});
