// Postgres over SUPABASE_DB_URL (postgres.js). Member-scoped work runs as PostgREST runs a request:
// one transaction, `set local role authenticated` and the caller's claims, so RLS decides.
import postgres from "postgres";
import type { MemberClaims } from "./claims.ts";

export const sql = postgres(Deno.env.get("SUPABASE_DB_URL")!, { max: 4, idle_timeout: 20, prepare: false, onnotice: () => {} });

export type Tx = postgres.TransactionSql;

export function asMember<T>(claims: MemberClaims, work: (tx: Tx) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                    set_config('search_path', 'public, extensions', true)`;
    return await work(tx);
  }) as Promise<T>;
}
