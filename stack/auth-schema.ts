// When the Auth server cannot be had, the auth schema still must be Supabase's own, never a
// hand-written one. The Supabase CLI ships pg_dump snapshots of a fresh project (it uses them to
// initialise older databases); this takes the auth schema's objects out of the newest one.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, root } from "./config.ts";

const cliBinary = join(root, "node_modules", "@supabase", "cli-linux-x64", "bin", "supabase");
const dumpStart = "-- Dumped from database version 14.";
const dumpEnd = "-- PostgreSQL database dump complete";

/** The statements of every object in schema auth, in dump order (types, functions, tables, data, constraints, grants). */
export function authSchemaFromCli(): string {
  if (!existsSync(cliBinary)) throw new Error(`Supabase CLI binary missing at ${cliBinary}: run npm ci`);
  const version = JSON.parse(readFileSync(join(root, "node_modules", "supabase", "package.json"), "utf8")).version as string;
  const cached = join(cacheDir, `auth-schema-cli-${version}.sql`);
  if (existsSync(cached)) return readFileSync(cached, "utf8");
  const binary = readFileSync(cliBinary);
  const start = binary.indexOf(dumpStart);
  const end = start < 0 ? -1 : binary.indexOf(dumpEnd, start);
  if (start < 0 || end < 0) throw new Error(`no Postgres 14 schema snapshot found in Supabase CLI ${version}`);
  const dump = binary.subarray(start, end).toString("utf8");
  // pg_dump heads each object with "--\n-- Name: ...; Type: ...; Schema: <schema>; Owner: ...\n--".
  const blocks = dump.split(/\n--\n(?=-- (?:Data for )?Name: )/);
  const auth = blocks.filter((b) => /^-- (?:Data for )?Name: [^\n]*; Schema: auth;/.test(b));
  if (auth.length < 20) throw new Error(`the CLI's schema snapshot has only ${auth.length} auth objects`);
  const sql = auth.map((b) => b.replace(/^-- [^\n]*\n--\n/, "")).join("\n");
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(cached, sql);
  return sql;
}
