// The platform baseline and the migration history, checked in the catalog.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
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
    // A new hosted project's API roles inherit (since 2023).
    for (const r of ["anon", "authenticated", "service_role"]) expect(by[r].rolinherit, r).toBe(true);
  });

  it("gives postgres what a new hosted project gives it, and no more", async () => {
    const [row] = await sql`
      select pg_get_userbyid(d.datdba) as db_owner,
             pg_has_role('postgres', 'supabase_auth_admin', 'member') as auth_admin_member,
             has_schema_privilege('postgres', 'auth', 'create') as create_on_auth,
             (select bool_or(m.admin_option) from pg_auth_members m
               where m.member = 'postgres'::regrole and m.roleid in ('anon'::regrole, 'authenticated'::regrole, 'service_role'::regrole)) as api_admin_option,
             (select setconfig from pg_db_role_setting where setrole = 'authenticator'::regrole and setdatabase = 0) as authenticator_settings
      from pg_database d where d.datname = current_database()`;
    expect(row.db_owner).toBe("postgres");
    expect(row.auth_admin_member).toBe(false);
    expect(row.create_on_auth).toBe(false);
    expect(row.api_admin_option).toBe(false);
    expect(row.authenticator_settings).toEqual(expect.arrayContaining(["lock_timeout=8s", "statement_timeout=8s"]));
  });

  it("gives postgres the image's attributes, predefined roles and search path, and schema extensions", async () => {
    const [row] = await sql`
      select r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolcanlogin, r.rolreplication, r.rolbypassrls,
             array(select b.rolname::text from pg_auth_members m join pg_roles b on b.oid = m.roleid
                    where m.member = r.oid and starts_with(b.rolname, 'pg_') order by 1) as predefined,
             (select setconfig from pg_db_role_setting where setrole = r.oid and setdatabase = 0) as settings,
             (select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'extensions') as extensions_owner
      from pg_roles r where r.rolname = 'postgres'`;
    expect(row).toEqual({
      rolsuper: false, rolcreatedb: true, rolcreaterole: true, rolcanlogin: true, rolreplication: true, rolbypassrls: true,
      predefined: ["pg_monitor", "pg_read_all_data", "pg_signal_backend"],
      settings: ['search_path="$user", public, extensions'],
      extensions_owner: "postgres",
    });
  });

  it("has the hosted project's other schemas and roles, so a migration creating one fails here as there", async () => {
    for (const schema of ["storage", "realtime", "pgbouncer", "graphql", "graphql_public", "vault", "pgsodium"]) {
      await expect(sql.unsafe(`create schema ${schema}`), schema).rejects.toMatchObject({ code: "42P06" });
    }
    const roles = ["supabase_storage_admin", "supabase_replication_admin", "supabase_realtime_admin", "supabase_functions_admin",
      "supabase_read_only_user", "pgbouncer", "dashboard_user", "pgsodium_keyholder"];
    for (const role of roles) await expect(sql.unsafe(`create role ${role}`), role).rejects.toMatchObject({ code: "42710" });
  });

  it("grants what supabase_admin creates in extensions to postgres only", async () => {
    const [row] = await sql`
      select has_table_privilege('anon', 'extensions.spatial_ref_sys', 'insert') as anon_insert,
             has_table_privilege('authenticated', 'extensions.spatial_ref_sys', 'update') as authenticated_update,
             has_table_privilege('postgres', 'extensions.spatial_ref_sys', 'select') as postgres_select`;
    expect(row).toEqual({ anon_insert: false, authenticated_update: false, postgres_select: true });
  });

  it("lets postgres create an allow-listed extension (as supautils does) and refuses any other untrusted one", async () => {
    await sql.begin(async (tx) => {
      await tx`create extension if not exists tsm_system_rows with schema extensions`;
      const [ext] = await tx`select pg_get_userbyid(extowner) as owner from pg_extension where extname = 'tsm_system_rows'`;
      expect(ext.owner).toBe("supabase_admin");
      throw new Error("rollback");
    }).catch((e) => expect((e as Error).message).toBe("rollback"));
    await expect(sql`create extension adminpack`).rejects.toThrow(/permission denied to create extension "adminpack"/);
  });

  it("pre-creates only the extensions a new hosted project has; migrations create the rest", async () => {
    const rows = await sql<{ extname: string }[]>`select extname from pg_extension order by extname`;
    const migrations = readdirSync("supabase/migrations").map((f) => readFileSync(`supabase/migrations/${f}`, "utf8")).join("\n");
    for (const { extname } of rows) {
      if (["plpgsql", "uuid-ossp", "pgcrypto", "pg_stat_statements", "pgtap", "plpgsql_check"].includes(extname)) continue; // hosted's own, and the test tools
      // pg_cron's schema is pg_catalog whatever a migration says (supautils' override on hosted), so its migration names none.
      const schema = extname === "pg_cron" ? ";" : " with schema extensions";
      expect(migrations, `extension ${extname} is created by a migration`).toMatch(new RegExp(`create extension if not exists "?${extname}"?${schema}`, "i"));
    }
  });

  it("keeps every extension in schema extensions (pg_cron where supautils puts it): none in an exposed schema", async () => {
    // What the migrations built, in the catalog (plpgsql is PostgreSQL's own, in pg_catalog).
    const rows = await sql<{ extname: string; schema: string }[]>`
      select extname, extnamespace::regnamespace::text as schema from pg_extension where extname <> 'plpgsql' order by extname`;
    const misplaced = rows.filter((r) => r.schema !== (r.extname === "pg_cron" ? "pg_catalog" : "extensions"));
    expect(misplaced).toEqual([]);
    // And what each migration says: an extension created without `with schema extensions` lands in
    // the first schema of the search path (public) on hosted Supabase, where the anon key reaches it.
    const wrong: string[] = [];
    for (const file of readdirSync("supabase/migrations").filter((f) => f.endsWith(".sql"))) {
      for (const stmt of sqlStatements(readFileSync(`supabase/migrations/${file}`, "utf8"))) {
        const create = /^create\s+extension\s+(?:if\s+not\s+exists\s+)?("[^"]+"|[\w-]+)(.*)$/is.exec(stmt);
        const alter = /^alter\s+extension\s+("[^"]+"|[\w-]+)\s+set\s+schema\s+("[^"]+"|\w+)/is.exec(stmt);
        if (create) {
          const name = create[1].replace(/"/g, "").toLowerCase();
          const schema = /\bschema\s+("[^"]+"|\w+)/i.exec(create[2])?.[1].replace(/"/g, "").toLowerCase();
          const ok = name === "pg_cron" ? schema === undefined || schema === "pg_catalog" : schema === "extensions";
          if (!ok) wrong.push(`${file}: ${stmt}`);
        }
        if (alter && alter[2].replace(/"/g, "").toLowerCase() !== "extensions") wrong.push(`${file}: ${stmt}`);
      }
    }
    expect(wrong).toEqual([]);
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

/**
 * The statements of a SQL file, without comments, and with quoted literals and dollar-quoted bodies
 * blanked (statements run by dynamic SQL are seen in the catalog check instead).
 */
function sqlStatements(text: string): string[] {
  let out = "";
  for (let i = 0; i < text.length; ) {
    const rest = text.slice(i);
    const dollar = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest);
    if (rest.startsWith("--")) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
    } else if (rest.startsWith("/*")) {
      let depth = 0;
      do {
        if (text.startsWith("/*", i)) (depth++, (i += 2));
        else if (text.startsWith("*/", i)) (depth--, (i += 2));
        else i++;
      } while (depth > 0 && i < text.length);
      out += " ";
    } else if (text[i] === "'") {
      let j = i + 1;
      while (j < text.length && !(text[j] === "'" && text[j + 1] !== "'")) j += text[j] === "'" ? 2 : 1;
      out += "''";
      i = j + 1;
    } else if (text[i] === '"') {
      const j = text.indexOf('"', i + 1);
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (dollar) {
      const end = text.indexOf(dollar[0], i + dollar[0].length);
      out += "$$";
      i = end < 0 ? text.length : end + dollar[0].length;
    } else {
      out += text[i++];
    }
  }
  return out.split(";").map((s) => s.trim().replace(/\s+/g, " ")).filter(Boolean);
}
