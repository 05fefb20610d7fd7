// `npm run types`: regenerates types/database.ts with the real CLI (`supabase gen types`) from the
// stack's database. Starts the database part of the stack for the run when it is not already up.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import postgres from "postgres";
import { dbUrl, root } from "../core/config.ts";
import { supabaseCli } from "../core/supabase-cli.ts";

export const typesFile = join(root, "types", "database.ts");

export function generateTypes(url = dbUrl): Promise<string> {
  return supabaseCli(["gen", "types", "--lang", "typescript", `--db-url=${url}`, "--schema", "public"]);
}

async function reachable(): Promise<boolean> {
  const sql = postgres(dbUrl, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = [];
  if (!(await reachable())) {
    const { postgresService } = await import("../services/postgres.ts");
    const { platformService } = await import("../platform/bootstrap.ts");
    const { authService } = await import("../services/auth.ts");
    const { migrationsService } = await import("../services/migrations.ts");
    for (const s of [postgresService, platformService, authService, migrationsService]) {
      await s.start();
      started.unshift(s);
    }
  }
  try {
    writeFileSync(typesFile, await generateTypes());
    console.log(`wrote ${typesFile}`);
  } finally {
    for (const s of started) await s.stop();
  }
}
