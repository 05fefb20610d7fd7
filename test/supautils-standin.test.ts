// The supautils stand-in (stack/platform/supautils.sql) against real supautils: the same statements,
// run as the same roles on a database set up as a new hosted project's, must give the answers real
// supautils 3.4.0 gave on a reference cluster configured as the hosted image configures it
// (privileged-extension list, pg_cron's schema override, after-create scripts; built from its
// public sources beside the project, not part of it). The answers are kept here as data, so any
// difference fails. A cluster of its own: pg_cron can only be created in the database named postgres.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterUrl, freshPlatformCluster } from "../stack/services/fresh-database.ts";
import { stopCluster, type Cluster } from "../stack/services/postgres.ts";
import { freePort } from "../stack/core/service.ts";
import { extensionCases, prepareCases, runCase } from "./helpers/extension-cases.ts";

/** What real supautils answered, case by case (outcome; schema/owner of each extension; the case's checks in order). */
const recorded: Record<string, { outcome: string; extensions: Record<string, string>; checks?: Array<boolean | null> }> = {
  "if not exists, with schema": { outcome: "ok", extensions: { "pgtap": "extensions/supabase_admin" }, checks: [true, true] },
  "without if not exists": { outcome: "ok", extensions: { "pgtap": "extensions/supabase_admin" } },
  "without a schema: the first existing schema of the search path": { outcome: "ok", extensions: { "pgtap": "public/supabase_admin" } },
  "without a schema, search path set in the transaction": { outcome: "ok", extensions: { "pgtap": "tools/supabase_admin" } },
  "without a schema, a schema named after the role first in the path": { outcome: "ok", extensions: { "pgtap": "public/supabase_admin" } },
  "a schema that does not exist": { outcome: "3F000: schema \"nowhere\" does not exist", extensions: { "pgtap": "absent" } },
  "a comment naming another extension and schema": { outcome: "ok", extensions: { "pgcrypto": "extensions/supabase_admin", "dblink": "absent" } },
  "a line comment and quoted names": { outcome: "ok", extensions: { "uuid-ossp": "extensions/supabase_admin", "hstore": "absent", "ltree": "absent" } },
  "several statements in one query": { outcome: "ok", extensions: { "hstore": "extensions/supabase_admin", "citext": "kit/supabase_admin" } },
  "inside a DO block": { outcome: "ok", extensions: { "ltree": "extensions/supabase_admin" } },
  "cascade creates what it requires as the superuser too": { outcome: "ok", extensions: { "earthdistance": "extensions/supabase_admin", "cube": "extensions/supabase_admin" } },
  "already there, without if not exists": { outcome: "42710: extension \"pgcrypto\" already exists", extensions: { "pgcrypto": "extensions/supabase_admin" } },
  "already there, with if not exists": { outcome: "ok", extensions: { "pgcrypto": "extensions/supabase_admin" } },
  "pg_cron without a schema goes to pg_catalog": { outcome: "ok", extensions: { "pg_cron": "pg_catalog/supabase_admin" }, checks: [true, true, true, false, true] },
  "pg_cron with schema extensions goes to pg_catalog too": { outcome: "ok", extensions: { "pg_cron": "pg_catalog/supabase_admin" }, checks: [true, true, true, false, true] },
  "dblink: the after-create script revokes dblink_connect_u": { outcome: "ok", extensions: { "dblink": "public/supabase_admin" }, checks: [false, false, true] },
  "any login role may create a privileged extension": { outcome: "ok", extensions: { "postgis": "extensions/supabase_admin" }, checks: [true, false, true] },
  "any role, even an API role set in the session": { outcome: "ok", extensions: { "dblink": "public/supabase_admin" }, checks: [false, false, true] },
  "plpgsql_check": { outcome: "ok", extensions: { "plpgsql_check": "extensions/supabase_admin" }, checks: [true, true] },
  "an untrusted extension off the list is refused": { outcome: "42501: permission denied to create extension \"adminpack\"", extensions: { "adminpack": "absent" } },
  "an untrusted extension off the list is refused to any role": { outcome: "42501: permission denied to create extension \"file_fdw\"", extensions: { "file_fdw": "absent" } },
  "a trusted extension off the list is created as the caller": { outcome: "ok", extensions: { "lo": "extensions/postgres" } },
  "a trusted extension off the list needs CREATE on the database": { outcome: "42501: permission denied to create extension \"lo\"", extensions: { "lo": "absent" } },
  "drop a privileged extension": { outcome: "ok", extensions: { "pgcrypto": "absent" } },
  "drop a privileged extension, any role": { outcome: "ok", extensions: { "pg_stat_statements": "absent" } },
  "drop one created in the same query": { outcome: "ok", extensions: { "hstore": "absent" } },
  "alter extension set schema": { outcome: "ok", extensions: { "pgcrypto": "public/supabase_admin" } },
  "alter extension update": { outcome: "42501: must be owner of extension pgcrypto", extensions: { "pgcrypto": "extensions/supabase_admin" } },
  "alter extension drop a member is not elevated": { outcome: "42501: must be owner of extension pgcrypto", extensions: { "pgcrypto": "extensions/supabase_admin" } },
  "comment on extension": { outcome: "ok", extensions: { "pgcrypto": "extensions/supabase_admin" }, checks: [true] },
  "comment on extension, another role": { outcome: "42501: must be owner of extension pgcrypto", extensions: { "pgcrypto": "extensions/supabase_admin" } },
  "comment on extension inside a DO block": { outcome: "ok", extensions: { "pgcrypto": "extensions/supabase_admin" }, checks: [true] },
  "comment on another object is PostgreSQL's own check": { outcome: "42501: must be owner of schema public", extensions: {} },
  "comment on an object the caller may comment on": { outcome: "ok", extensions: {} },
};

const scratch = mkdtempSync(join(tmpdir(), "mb-supautils-"));
chmodSync(scratch, 0o755); // the postgres OS user runs the cluster inside it
const cluster: Cluster = { dataDir: join(scratch, "db"), socketDir: join(scratch, "run"), port: 0 };
const url = (user: string) => clusterUrl(cluster, user);

describe("the supautils stand-in answers as real supautils did", () => {
  beforeAll(async () => {
    cluster.port = await freePort();
    await freshPlatformCluster(cluster);
    await prepareCases(url("supabase_admin"));
  }, 180_000);
  afterAll(async () => {
    await stopCluster(cluster);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("has a recorded answer for every case, and a case for every answer", () => {
    expect(extensionCases.map((c) => c.name).sort()).toEqual(Object.keys(recorded).sort());
  });

  it.each(extensionCases)("$name", async (c) => {
    const answer = await runCase(url, c);
    const got = { outcome: answer.outcome, extensions: answer.extensions, ...(c.checks ? { checks: Object.values(answer.checks) } : {}) };
    expect(got).toEqual(recorded[c.name]);
  }, 60_000);
});
