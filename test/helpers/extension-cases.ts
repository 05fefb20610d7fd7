// Runs CREATE / ALTER / DROP / COMMENT EXTENSION statements as a non-superuser and reports what
// came of them: the outcome (or SQLSTATE and message), where each named extension is and who owns
// it, and a few privilege checks. test/supautils-standin.test.ts runs the cases against the stack's
// supautils stand-in and compares with the answers real supautils gave (recorded as data there).
import postgres from "postgres";

export interface ExtensionCase {
  /** What the case is about; also its key in the recorded answers. */
  name: string;
  /** The login role that sends the statements (ext_tester is a plain login role, like any SQL user). */
  as: "postgres" | "ext_tester";
  /** One query string, sent as one simple query (several statements and comments allowed). */
  sql: string;
  /** Extensions whose schema and owner are reported afterwards. */
  extensions: string[];
  /** Boolean SQL expressions read afterwards (privileges the after-create scripts set). */
  checks?: string[];
}

export interface Answer {
  /** "ok", or the SQLSTATE of the error and its message. */
  outcome: string;
  /** schema/owner of each named extension, or "absent". */
  extensions: Record<string, string>;
  checks: Record<string, boolean | null>;
}

/** Creates the plain login role the cases use (as the cluster's superuser). */
export async function prepareCases(superuserUrl: string): Promise<void> {
  const sql = postgres(superuserUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`do $$ begin
      if not exists (select from pg_roles where rolname = 'ext_tester') then create role ext_tester login password 'postgres'; end if;
    end $$`);
  } finally {
    await sql.end();
  }
}

/**
 * Runs one case in a transaction that is rolled back, so every case starts from the same database.
 * The state is read inside the transaction after success, and after the rollback on an error
 * (showing that the failed statement left nothing behind).
 */
export async function runCase(urlFor: (user: string) => string, c: ExtensionCase): Promise<Answer> {
  const sql = postgres(urlFor(c.as), { max: 1, onnotice: () => {} });
  const observe = async (q: postgres.Sql | postgres.TransactionSql): Promise<Omit<Answer, "outcome">> => {
    const extensions: Record<string, string> = {};
    for (const name of c.extensions) {
      const [row] = await q<{ at: string }[]>`select extnamespace::regnamespace::text || '/' || pg_get_userbyid(extowner) as at from pg_extension where extname = ${name}`;
      extensions[name] = row?.at ?? "absent";
    }
    const checks: Record<string, boolean | null> = {};
    for (const check of c.checks ?? []) checks[check] = (await q.unsafe<{ v: boolean | null }[]>(`select (${check}) as v`))[0].v;
    return { extensions, checks };
  };
  try {
    let answer: Answer | undefined;
    const rollback = new Error("rollback");
    await sql
      .begin(async (tx) => {
        try {
          await tx.unsafe(c.sql).simple();
        } catch (e) {
          const err = e as { code?: string; message: string };
          answer = { outcome: `${err.code}: ${err.message}`, extensions: {}, checks: {} };
          throw e;
        }
        await tx`reset role`;
        answer = { outcome: "ok", ...(await observe(tx)) };
        throw rollback;
      })
      .catch((e) => {
        if (e !== rollback && answer === undefined) throw e;
      });
    if (answer === undefined) throw new Error(`case ${c.name}: no answer`);
    if (answer.outcome !== "ok") answer = { outcome: answer.outcome, ...(await observe(sql)) };
    return answer;
  } finally {
    await sql.end();
  }
}

// Looked up through the catalogs, not to_regclass(): the observing role may lack USAGE on the schema.
const fn = (role: string, schema: string, name: string, args: string) =>
  `(select has_function_privilege('${role}', p.oid, 'execute') from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = '${schema}' and p.proname = '${name}' and pg_get_function_identity_arguments(p.oid) = '${args}')`;
const anyFn = (role: string, schema: string, name: string) =>
  `(select bool_or(has_function_privilege('${role}', p.oid, 'execute')) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = '${schema}' and p.proname = '${name}')`;
const table = (role: string, schema: string, name: string, privilege: string) =>
  `(select has_table_privilege('${role}', c.oid, '${privilege}') from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = '${schema}' and c.relname = '${name}')`;
const cronGrants = [
  "(select has_schema_privilege('postgres', oid, 'usage') from pg_namespace where nspname = 'cron')",
  fn("postgres", "cron", "schedule", "job_name text, schedule text, command text"),
  table("postgres", "cron", "job", "select"),
  table("postgres", "cron", "job", "insert"),
  table("postgres", "cron", "job_run_details", "delete"),
];
const dblinkGrants = [
  fn("anon", "public", "dblink_connect_u", "text"),
  fn("postgres", "public", "dblink_connect_u", "text"),
  fn("anon", "public", "dblink_exec", "text, text"),
];

/** The cases, each about one thing supautils decides (which role, which schema, which statement form). */
export const extensionCases: ExtensionCase[] = [
  {
    name: "if not exists, with schema",
    as: "postgres",
    sql: "create extension if not exists pgtap with schema extensions",
    extensions: ["pgtap"],
    checks: [fn("postgres", "extensions", "plan", "integer"), fn("anon", "extensions", "plan", "integer")],
  },
  { name: "without if not exists", as: "postgres", sql: "create extension pgtap with schema extensions", extensions: ["pgtap"] },
  { name: "without a schema: the first existing schema of the search path", as: "postgres", sql: "create extension pgtap", extensions: ["pgtap"] },
  { name: "without a schema, search path set in the transaction", as: "postgres", sql: "create schema tools; set local search_path = tools, public; create extension pgtap", extensions: ["pgtap"] },
  { name: "without a schema, a schema named after the role first in the path", as: "postgres", sql: "create schema postgres; create extension pgtap", extensions: ["pgtap"] },
  { name: "a schema that does not exist", as: "postgres", sql: "create extension pgtap schema nowhere", extensions: ["pgtap"] },
  {
    name: "a comment naming another extension and schema",
    as: "postgres",
    sql: "create schema private; create extension if not exists pgcrypto with schema extensions /* create extension dblink schema private */",
    extensions: ["pgcrypto", "dblink"],
  },
  { name: "a line comment and quoted names", as: "postgres", sql: `-- create extension hstore\ncreate extension if not exists "uuid-ossp" with schema "extensions"; select 'create extension ltree'`, extensions: ["uuid-ossp", "hstore", "ltree"] },
  { name: "several statements in one query", as: "postgres", sql: "create extension if not exists hstore with schema extensions; create schema kit; create extension citext schema kit", extensions: ["hstore", "citext"] },
  { name: "inside a DO block", as: "postgres", sql: "do $$ begin execute 'create extension if not exists ltree with schema extensions'; end $$", extensions: ["ltree"] },
  { name: "cascade creates what it requires as the superuser too", as: "postgres", sql: "create extension earthdistance with schema extensions cascade", extensions: ["earthdistance", "cube"] },
  { name: "already there, without if not exists", as: "postgres", sql: "create extension pgcrypto with schema extensions", extensions: ["pgcrypto"] },
  { name: "already there, with if not exists", as: "postgres", sql: "create extension if not exists pgcrypto", extensions: ["pgcrypto"] },
  { name: "pg_cron without a schema goes to pg_catalog", as: "postgres", sql: "create extension if not exists pg_cron", extensions: ["pg_cron"], checks: cronGrants },
  { name: "pg_cron with schema extensions goes to pg_catalog too", as: "postgres", sql: "create extension pg_cron with schema extensions", extensions: ["pg_cron"], checks: cronGrants },
  { name: "dblink: the after-create script revokes dblink_connect_u", as: "postgres", sql: "create extension dblink", extensions: ["dblink"], checks: dblinkGrants },
  {
    name: "any login role may create a privileged extension",
    as: "ext_tester",
    sql: "create extension if not exists postgis with schema extensions",
    extensions: ["postgis"],
    // What supabase_admin creates in extensions is granted to postgres only (the image's default privileges).
    checks: [table("postgres", "extensions", "spatial_ref_sys", "select"), table("anon", "extensions", "spatial_ref_sys", "insert"), fn("anon", "extensions", "postgis_version", "")],
  },
  { name: "any role, even an API role set in the session", as: "postgres", sql: "set local role authenticated; create extension dblink schema public", extensions: ["dblink"], checks: dblinkGrants },
  {
    name: "plpgsql_check",
    as: "postgres",
    sql: "create extension if not exists plpgsql_check with schema extensions",
    extensions: ["plpgsql_check"],
    checks: [anyFn("postgres", "extensions", "plpgsql_check_function_tb"), anyFn("anon", "extensions", "plpgsql_check_function_tb")],
  },
  { name: "an untrusted extension off the list is refused", as: "postgres", sql: "create extension adminpack", extensions: ["adminpack"] },
  { name: "an untrusted extension off the list is refused to any role", as: "ext_tester", sql: "create extension file_fdw", extensions: ["file_fdw"] },
  { name: "a trusted extension off the list is created as the caller", as: "postgres", sql: "create extension lo with schema extensions", extensions: ["lo"] },
  { name: "a trusted extension off the list needs CREATE on the database", as: "ext_tester", sql: "create extension lo with schema extensions", extensions: ["lo"] },
  { name: "drop a privileged extension", as: "postgres", sql: "drop extension pgcrypto", extensions: ["pgcrypto"] },
  { name: "drop a privileged extension, any role", as: "ext_tester", sql: "drop extension pg_stat_statements", extensions: ["pg_stat_statements"] },
  { name: "drop one created in the same query", as: "postgres", sql: "create extension if not exists hstore with schema extensions; drop extension hstore", extensions: ["hstore"] },
  { name: "alter extension set schema", as: "postgres", sql: "alter extension pgcrypto set schema public", extensions: ["pgcrypto"] },
  { name: "alter extension update", as: "postgres", sql: "alter extension pgcrypto update", extensions: ["pgcrypto"] },
  { name: "alter extension drop a member is not elevated", as: "postgres", sql: "alter extension pgcrypto drop function extensions.digest(text, text)", extensions: ["pgcrypto"] },
  {
    name: "comment on extension",
    as: "postgres",
    sql: "comment on extension pgcrypto is 'hashing'",
    extensions: ["pgcrypto"],
    checks: ["obj_description((select oid from pg_extension where extname = 'pgcrypto'), 'pg_extension') = 'hashing'"],
  },
  { name: "comment on extension, another role", as: "ext_tester", sql: "comment on extension pgcrypto is 'hashing'", extensions: ["pgcrypto"] },
  {
    name: "comment on extension inside a DO block",
    as: "postgres",
    sql: "do $$ begin execute format('comment on %s pgcrypto is %L', 'extension', 'hashing'); end $$",
    extensions: ["pgcrypto"],
    checks: ["obj_description((select oid from pg_extension where extname = 'pgcrypto'), 'pg_extension') = 'hashing'"],
  },
  { name: "comment on another object is PostgreSQL's own check", as: "ext_tester", sql: "comment on schema public is 'api'", extensions: [] },
  { name: "comment on an object the caller may comment on", as: "postgres", sql: "comment on schema public is 'api'", extensions: [] },
];
