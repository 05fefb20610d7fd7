// Postgres over SUPABASE_DB_URL (postgres.js). Member-scoped work runs as PostgREST runs a request:
// one transaction, `set local role authenticated` and the caller's claims, so RLS decides.
import postgres from "postgres";
import type { MemberClaims } from "./claims.ts";

// application_name: the functions' sessions are told apart from PostgREST's and Studio's in pg_stat_activity.
// idle_timeout outlasts the schedule's minute and a quiet spell: a new connection costs a SCRAM
// handshake and re-plans every statement (the dashboard's first call on a connection: 30–50 ms),
// which bench:load saw as stalls at each minute's scheduled calls and after each idle phase.
export const sql = postgres(Deno.env.get("SUPABASE_DB_URL")!, {
  max: 4,
  idle_timeout: 300,
  prepare: false,
  onnotice: () => {},
  connection: { application_name: "memberbase-functions" },
});

export type Tx = postgres.TransactionSql;
/** A connection taken from the pool for one caller's sole use until release(). */
export type ReservedSql = postgres.ReservedSql;

export function asMember<T>(claims: MemberClaims, work: (tx: Tx) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                    set_config('search_path', 'public, extensions', true)`;
    return await work(tx);
  }) as Promise<T>;
}

/** A text as an SQL string literal (standard_conforming_strings is on: only quotes double). */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * One fixed statement as the member in ONE round trip: a simple-protocol message runs as one
 * implicit transaction, so the local role and claims hold for the statement and vanish after it
 * (and an error rolls it all back). `statement` must be a constant: it takes no parameters.
 */
export async function asMemberOnce<T>(claims: MemberClaims, statement: string): Promise<T[]> {
  const results = (await sql
    .unsafe(
      `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${literal(JSON.stringify(claims))}, true),
              set_config('search_path', 'public, extensions', true);
       ${statement}`,
    )
    .simple()) as unknown as T[][];
  return results[results.length - 1];
}
