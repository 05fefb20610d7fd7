// The one builder of a fresh database set up as a new hosted Supabase project has it: a cluster
// (postgres.ts), the platform bootstrap with its stand-ins (../platform/bootstrap.ts), Auth's schema
// (Auth's own migrations when there is an Auth server, else the CLI's snapshot, auth-schema.ts), then
// every migration and the seed by the real CLI's `db push`, with the flags docs/deploy.md gives it.
// The schema comparison (../schema/dump.ts) and the deploy check (test/deploy.test.ts) call
// buildFreshDatabase; the stack runs the same steps as its services (postgres, platform, auth,
// migrations), since other services start between them and Auth's server migrates its own schema.
import { bootstrapCluster } from "../platform/bootstrap.ts";
import { supabaseCli } from "../core/supabase-cli.ts";
import { applyAuthSchemaSnapshot } from "./auth-schema.ts";
import { migrateAuthSchema } from "./auth.ts";
import { initCluster, startCluster, type Cluster } from "./postgres.ts";

/** docs/deploy.md's demo push (step 2), flags without values: test/deploy.test.ts holds the guide to
 * these, so what every fresh database gets is what the guide tells people to run. */
export const guidePushFlags = ["--remote", "--include-seed"] as const;

/** A role's URL for a cluster's postgres database (every role's password is `postgres` here). The
 * CLI takes 127.0.0.1:<config.toml's db.port> for its Docker database; 127.0.0.2 is the same server
 * to it as a remote. */
export function clusterUrl(c: Cluster, user: string, host = "127.0.0.1"): string {
  return `postgresql://${user}:postgres@${host}:${c.port}/postgres`;
}

/** `supabase db push --remote=<url> --include-seed --yes` from `projectDir` (which holds supabase/):
 * as postgres over TCP, one transaction per file, as to a hosted project (--yes: no one answers the
 * prompt). Returns how many migrations it applied. */
export async function pushMigrations(cliUrl: string, projectDir?: string): Promise<number> {
  let applied = 0;
  const flags = guidePushFlags.map((f) => (f === "--remote" ? `--remote=${cliUrl}` : f));
  await supabaseCli(["db", "push", ...flags, "--yes"], { cwd: projectDir, progress: (t) => (applied = (t.match(/Applying migration/g) ?? []).length) });
  return applied;
}

/** Auth's schema before any migration (they reference auth.users): Auth's own migrations when its
 * server can be had, else the CLI's snapshot. Returns which, for messages. */
export async function applyAuthSchema(c: Cluster, authServer: boolean): Promise<string> {
  if (authServer) {
    await migrateAuthSchema(clusterUrl(c, "supabase_auth_admin"));
    return "Supabase Auth's own migrations";
  }
  await applyAuthSchemaSnapshot(clusterUrl(c, "supabase_admin"));
  return "the CLI's snapshot of the auth schema";
}

/** A new cluster at `c` (its data dir must not exist yet), running, with the platform bootstrap and
 * its stand-ins and nothing of the project: the caller stops it (postgres.ts stopCluster), also
 * when this throws. */
export async function freshPlatformCluster(c: Cluster): Promise<void> {
  await initCluster(c);
  await startCluster(c);
  await bootstrapCluster(clusterUrl(c, "supabase_admin"));
}

/** freshPlatformCluster, then Auth's schema, every migration and the seed from `projectDir`. */
export async function buildFreshDatabase(c: Cluster, opts: { projectDir?: string; authServer?: boolean } = {}): Promise<{ auth: string; applied: number }> {
  await freshPlatformCluster(c);
  const auth = await applyAuthSchema(c, opts.authServer ?? false);
  const applied = await pushMigrations(clusterUrl(c, "postgres", "127.0.0.2"), opts.projectDir);
  return { auth, applied };
}
