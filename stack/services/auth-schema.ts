// When the Auth server cannot be had, the auth schema still must be Supabase's own, never a
// hand-written one. The Supabase CLI ships pg_dump snapshots of a fresh project (it uses them to
// initialise older databases); this takes the auth schema's objects out of the newest one.
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { cacheDir, root } from "../core/config.ts";

const cliBinary = join(root, "node_modules", "@supabase", "cli-linux-x64", "bin", "supabase");
const dumpStart = "-- Dumped from database version 14.";
const dumpEnd = "-- PostgreSQL database dump complete";

/** The first dump in the CLI binary (~140 MB), read in pieces: reading and searching it whole would
 * hold the stack's event loop for seconds on a first start (the result is cached after). */
async function dumpInCli(): Promise<string | undefined> {
  let tail = Buffer.alloc(0); // the end of the last piece, where a marker may begin
  let dump: Buffer | undefined;
  for await (const piece of createReadStream(cliBinary, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (!dump) {
      const window = Buffer.concat([tail, piece]);
      const start = window.indexOf(dumpStart);
      tail = window.subarray(Math.max(0, window.length - dumpStart.length));
      if (start < 0) continue;
      dump = window.subarray(start);
    } else dump = Buffer.concat([dump, piece]);
    const end = dump.indexOf(dumpEnd);
    if (end >= 0) return dump.subarray(0, end).toString("utf8");
  }
  return undefined;
}

/** The statements of every object in schema auth, in dump order (types, functions, tables, data, constraints, grants). */
export async function authSchemaFromCli(): Promise<string> {
  if (!existsSync(cliBinary)) throw new Error(`Supabase CLI binary missing at ${cliBinary}: run npm ci`);
  const version = JSON.parse(readFileSync(join(root, "node_modules", "supabase", "package.json"), "utf8")).version as string;
  const cached = join(cacheDir, `auth-schema-cli-${version}.sql`);
  if (existsSync(cached)) return readFileSync(cached, "utf8");
  const dump = await dumpInCli();
  if (dump === undefined) throw new Error(`no Postgres 14 schema snapshot found in Supabase CLI ${version}`);
  // pg_dump heads each object with "--\n-- Name: ...; Type: ...; Schema: <schema>; Owner: ...\n--".
  const blocks = dump.split(/\n--\n(?=-- (?:Data for )?Name: )/);
  const auth = blocks.filter((b) => /^-- (?:Data for )?Name: [^\n]*; Schema: auth;/.test(b));
  if (auth.length < 20) throw new Error(`the CLI's schema snapshot has only ${auth.length} auth objects`);
  const sql = auth.map((b) => b.replace(/^-- [^\n]*\n--\n/, "")).join("\n");
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(cached, sql);
  return sql;
}

/** Applies the snapshot's auth schema unless schema auth already has its users table (a restart, or
 * Auth's own migrations ran); as a superuser, since the dump sets owners. True when it applied it. */
export async function applyAuthSchemaSnapshot(superuserUrl: string): Promise<boolean> {
  const sql = postgres(superuserUrl, { max: 1, onnotice: () => {} });
  try {
    const [{ exists }] = await sql<{ exists: boolean }[]>`select to_regclass('auth.users') is not null as exists`;
    if (!exists) await sql.unsafe(await authSchemaFromCli());
    return !exists;
  } finally {
    await sql.end();
  }
}
