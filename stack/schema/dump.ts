// One side of `npm run schema:compare`: builds a fresh database from a project folder with the one
// builder (../services/fresh-database.ts: platform bootstrap, the auth schema from the CLI's snapshot,
// `supabase db push --include-seed`) and writes a normalised dump of it. Runs in its own process: the
// stack's modules read MEMBERBASE_STACK_DIR and MEMBERBASE_PORT_OFFSET when imported (the parent sets both).
// Usage: tsx stack/schema/dump.ts <project dir holding supabase/> <output file>
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { adminDbUrl, pgBinDir } from "../core/config.ts";
import { runAsync } from "../core/run-async.ts";
import { stackCluster, stopCluster } from "../services/postgres.ts";
import { buildFreshDatabase } from "../services/fresh-database.ts";

type Sql = postgres.Sql;

/** A pg_dump tool's stdout; throws with its output when it fails. */
async function pgTool(tool: string, args: string[]): Promise<string> {
  const r = await runAsync(join(pgBinDir, tool), args, { env: { ...process.env, PGPASSWORD: "postgres", PGSSLMODE: "disable" } });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(" ")} failed:\n${r.error?.message ?? ""}${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** pg_dump's connection options for the superuser (it alone sees every object). */
function pgConn(): string[] {
  const u = new URL(adminDbUrl);
  return ["-h", u.hostname, "-p", u.port, "-U", u.username, "-d", u.pathname.slice(1)];
}

/** pg_dump --schema-only, without the migration history; each ACL block's lines sorted, since the
 * order of entries in an ACL follows the order of the GRANT statements and means nothing. */
export function normaliseSchemaDump(dump: string): string {
  const lines = dump
    .split("\n")
    .filter((l) => !/^\\(un)?restrict /.test(l)); // pg_dump's per-run random key
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    if (!/^-- Name: .*; Type: (ACL|DEFAULT ACL);/.test(lines[i])) continue;
    out.push(lines[++i]); // the header's closing "--"
    const block: string[] = [];
    while (i + 1 < lines.length && lines[i + 1] !== "--") block.push(lines[++i]);
    out.push("", ...block.filter((l) => l.trim() !== "").sort(), "");
  }
  return out.join("\n");
}

const catalog: Record<string, string> = {
  "privileges on schemas, relations, columns, functions, types": `
    with objs as (
      select 'schema' as kind, n.nspname::text as name, n.nspacl as acl from pg_namespace n
      union all
      select 'relation', format('%I.%I', n.nspname, c.relname), c.relacl from pg_class c join pg_namespace n on n.oid = c.relnamespace
      union all
      select 'column', format('%I.%I.%I', n.nspname, c.relname, a.attname), a.attacl
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where a.attnum > 0 and not a.attisdropped and a.attacl is not null
      union all
      select 'function', p.oid::regprocedure::text, p.proacl from pg_proc p
      union all
      select 'type', t.oid::regtype::text, t.typacl from pg_type t where t.typacl is not null
    )
    select kind, name, coalesce(e.grantee::regrole::text, 'public') as grantee, e.grantor::regrole::text as grantor, e.privilege_type, e.is_grantable
    from objs, aclexplode(acl) e
    where name !~ '^(pg_catalog|information_schema|pg_toast)\\.' and name not in ('pg_catalog', 'information_schema', 'pg_toast')
    order by 1, 2, 3, 5, 4, 6`,
  "default privileges": `
    select d.defaclrole::regrole::text as owner, coalesce(n.nspname, '(all schemas)') as schema, d.defaclobjtype,
           coalesce(e.grantee::regrole::text, 'public') as grantee, e.privilege_type, e.is_grantable
    from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace, aclexplode(d.defaclacl) e
    order by 1, 2, 3, 4, 5`,
  policies: `select schemaname, tablename, policyname, permissive, roles::text, cmd, qual, with_check from pg_policies order by 1, 2, 3`,
  "row level security": `
    select format('%I.%I', n.nspname, c.relname) as relation, c.relrowsecurity, c.relforcerowsecurity
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') order by 1`,
  comments: `
    select pg_describe_object(classoid, objoid, objsubid) as object, description
    from pg_description where objoid >= 16384 order by 1, 2`,
  "publication membership": `
    select p.pubname, p.puballtables, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate, t.schemaname, t.tablename, t.attnames::text, t.rowfilter
    from pg_publication p left join pg_publication_tables t on t.pubname = p.pubname order by 1, 7, 8`,
  "role and database settings": `
    select coalesce(r.rolname, '(all roles)') as role, coalesce(d.datname, '(all databases)') as database, s.setconfig::text
    from pg_db_role_setting s left join pg_roles r on r.oid = s.setrole left join pg_database d on d.oid = s.setdatabase order by 1, 2`,
  extensions: `select e.extname, e.extversion, n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace order by 1`,
};

/** Every row of every table outside the system and the migration history (rows of extensions' own
 * tables left out: they are the extensions' data), one JSON line each, sorted. What differs from run
 * to run is masked: times, bcrypt hashes, values of columns whose default is random, and the columns
 * below that a function fills with random values. */
const randomColumns = new Set(["public.referral_codes.code"]);

async function tableData(sql: Sql): Promise<string[]> {
  const tables = await sql<{ rel: string; cols: { name: string; type: string; dflt: string | null }[] }[]>`
    select format('%I.%I', n.nspname, c.relname) as rel,
           json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'dflt', pg_get_expr(d.adbin, d.adrelid)) order by a.attnum) as cols
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
    where c.relkind in ('r', 'p')
      and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'supabase_migrations')
      and not exists (select 1 from pg_depend x where x.classid = 'pg_class'::regclass and x.objid = c.oid and x.deptype = 'e')
    group by 1 order by 1`;
  const lines: string[] = [];
  for (const t of tables) {
    const rows = await sql.unsafe(`select to_jsonb(t) as row from ${t.rel} t`);
    const masked = new Set(t.cols.filter((c) => /^(timestamp|date|time)/.test(c.type) || /random|uuid_generate|gen_salt/.test(c.dflt ?? "") || randomColumns.has(`${t.rel}.${c.name}`)).map((c) => c.name));
    for (const { row } of rows) {
      for (const [k, v] of Object.entries(row as Record<string, unknown>)) {
        if (v === null) continue;
        if (masked.has(k)) row[k] = "<run-dependent>";
        else if (typeof v === "string" && /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(v)) row[k] = "<bcrypt>";
      }
      lines.push(`${t.rel}: ${JSON.stringify(row)}`);
    }
  }
  return lines.sort();
}

async function dump(): Promise<string> {
  const sections: string[] = [];
  const schema = await pgTool("pg_dump", [...pgConn(), "--schema-only", "--exclude-schema=supabase_migrations"]);
  sections.push("==== pg_dump --schema-only (without supabase_migrations)", normaliseSchemaDump(schema));
  const roles = await pgTool("pg_dumpall", [...pgConn().filter((_, i, a) => a[i - 1] !== "-d" && a[i] !== "-d"), "--roles-only", "--no-role-passwords"]);
  sections.push("==== pg_dumpall --roles-only --no-role-passwords", normaliseSchemaDump(roles));
  const sql = postgres(adminDbUrl, { max: 1, onnotice: () => {} });
  try {
    for (const [title, query] of Object.entries(catalog)) {
      const rows = await sql.unsafe(query);
      sections.push(`==== ${title}`, ...rows.map((r) => Object.values(r).map((v) => (v === null ? "∅" : String(v))).join(" | ")));
    }
    sections.push("==== table data (seed and migrations)", ...(await tableData(sql)));
  } finally {
    await sql.end();
  }
  return sections.join("\n") + "\n";
}

const [projectDir, outFile] = process.argv.slice(2);
if (!projectDir || !outFile) {
  console.error("usage: tsx stack/schema/dump.ts <project dir> <output file>");
  process.exit(2);
}
try {
  await buildFreshDatabase(stackCluster, { projectDir });
  writeFileSync(outFile, await dump());
} finally {
  await stopCluster(stackCluster);
}
