// Table and RPC access exactly as PostgREST runs a request: one transaction, then one
// set_config() for role, claims, method, path and search_path, then the query, as `authenticator`.
import postgres from "postgres";
import { stack } from "./stack.ts";

/** postgres (the migrations' role) for setup and checks; authenticator for requests, as PostgREST. */
export const sql = postgres(stack.dbUrl, { max: 4, onnotice: () => {} });
const authenticatorUrl = new URL(stack.dbUrl);
authenticatorUrl.username = "authenticator";
export const api = postgres(authenticatorUrl.toString(), { max: 4, onnotice: () => {} });

export { anonClaims, memberClaims, serviceClaims, type Claims, type Role } from "../../stack/tokens.ts";
import type { Claims } from "../../stack/tokens.ts";

/** Runs `query` as PostgREST would for a request carrying these claims; the transaction is rolled back unless commit is set. */
export async function asRequest<T>(claims: Claims, query: (tx: postgres.TransactionSql) => Promise<T>, opts: { method?: string; path?: string; commit?: boolean } = {}): Promise<T> {
  let result: T;
  const rollback = new Error("rollback");
  try {
    await api.begin(async (tx) => {
      await tx`select set_config('search_path', 'public, extensions', true),
                      set_config('role', ${claims.role}, true),
                      set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                      set_config('request.method', ${opts.method ?? "GET"}, true),
                      set_config('request.path', ${opts.path ?? "/"}, true),
                      set_config('request.headers', '{}', true)`;
      result = await query(tx);
      if (!opts.commit) throw rollback;
    });
  } catch (e) {
    if (e !== rollback) throw e;
  }
  return result!;
}

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
