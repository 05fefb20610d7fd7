// The database as its owner (postgres, the migrations' role): for setting up fixtures and checking
// what was written. Clients' calls go through supabase-js and PostgREST (./rest.ts); the SQL pass of
// the access matrix, which is about SQL, runs statements in PostgREST's session (./sql-session.ts).
import postgres from "postgres";
import { stack } from "./stack.ts";

export const sql = postgres(stack.dbUrl, { max: 4, onnotice: () => {} });

export { anonClaims, memberClaims, serviceClaims, type Claims, type Role } from "../../stack/test-kit/tokens.ts";

/**
 * Row counts of every table in public, and of Auth's users, sessions and factors, in one statement:
 * taken before and after requests that must be refused, they show that nothing was written.
 * (Test files run one after another, so nothing else writes meanwhile.)
 */
export async function rowCounts(): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }[]>`
    select format('%I.%I', n.nspname, c.relname) as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and not c.relispartition
       and (n.nspname = 'public' or (n.nspname = 'auth' and c.relname in ('users', 'sessions', 'mfa_factors')))
     order by 1`;
  const [row] = await sql.unsafe<Record<string, number>[]>(
    `select ${tables.map((t, i) => `(select count(*)::int from ${t.name}) as c${i}`).join(", ")}`,
  );
  return Object.fromEntries(tables.map((t, i) => [t.name, row[`c${i}`]]));
}
