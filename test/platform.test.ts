// The platform baseline and the migration history, checked in the catalog.
import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { sql } from "./helpers/db.ts";

describe("platform roles and schemas", () => {
  it("has Supabase's roles with their documented attributes", async () => {
    const rows = await sql<{ rolname: string; rolsuper: boolean; rolinherit: boolean; rolcanlogin: boolean; rolbypassrls: boolean }[]>`
      select rolname, rolsuper, rolinherit, rolcanlogin, rolbypassrls from pg_roles
      where rolname in ('postgres', 'anon', 'authenticated', 'service_role', 'authenticator', 'supabase_auth_admin') order by rolname`;
    const by = Object.fromEntries(rows.map((r) => [r.rolname, r]));
    expect(Object.keys(by).sort()).toEqual(["anon", "authenticated", "authenticator", "postgres", "service_role", "supabase_auth_admin"]);
    expect(by.postgres).toMatchObject({ rolsuper: false, rolbypassrls: true });
    expect(by.authenticator).toMatchObject({ rolcanlogin: true, rolinherit: false });
    expect(by.anon).toMatchObject({ rolcanlogin: false, rolbypassrls: false });
    expect(by.authenticated).toMatchObject({ rolcanlogin: false, rolbypassrls: false });
    expect(by.service_role).toMatchObject({ rolcanlogin: false, rolbypassrls: true });
  });

  it("has auth.users and auth.uid() reading request.jwt.claims", async () => {
    const [row] = await sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', '{"sub":"6f1d2c56-7e51-4b4f-9a0e-1f0c1c7d4c11","role":"authenticated"}', true)`;
      return tx`select auth.uid()::text as uid, to_regclass('auth.users') is not null as users`;
    });
    expect(row).toEqual({ uid: "6f1d2c56-7e51-4b4f-9a0e-1f0c1c7d4c11", users: true });
  });

  it("records every migration file in the CLI's own history table", async () => {
    const files = readdirSync("supabase/migrations").filter((f) => f.endsWith(".sql")).map((f) => f.split("_")[0]).sort();
    const rows = await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by version`;
    expect(rows.map((r) => r.version)).toEqual(files);
  });
});
