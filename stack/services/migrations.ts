// Migrations and seed, applied by the real Supabase CLI so the migration history is the CLI's own
// (supabase_migrations.schema_migrations). `db push` only applies what is new, so restarts are quick.
import { cliDbUrl } from "../core/config.ts";
import { requireContinuableMigrationHistory } from "./migration-history.ts";
import { pushMigrations } from "./fresh-database.ts";
import type { Service } from "../core/service.ts";

export const migrationsService: Service = {
  name: "migrations",
  url: "supabase/migrations + seed.sql",
  async start() {
    await requireContinuableMigrationHistory(); // a history db push cannot continue: say that --reset is needed
    const applied = await pushMigrations(cliDbUrl);
    this.detail = `supabase db push: ${applied} migration(s) applied`;
  },
  async stop() {},
};
