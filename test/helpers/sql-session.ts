// A statement run in the session PostgREST gives a request — one transaction, then one set_config()
// for role, claims, method, path and search_path, as `authenticator` — for tests about SQL itself:
// the access matrix's SQL pass, which can roll back every write (an HTTP pass cannot). Clients' calls
// are tested through supabase-js and PostgREST (./rest.ts).
import postgres from "postgres";
import type { Claims } from "../../stack/test-kit/tokens.ts";
import { stack } from "./stack.ts";

const authenticatorUrl = new URL(stack.dbUrl);
authenticatorUrl.username = "authenticator";
const api = postgres(authenticatorUrl.toString(), { max: 4, onnotice: () => {} });

/** Runs `query` in a request's session for these claims; the transaction is rolled back unless commit is set. */
export async function inRequestSession<T>(claims: Claims, query: (tx: postgres.TransactionSql) => Promise<T>, opts: { method?: string; path?: string; commit?: boolean } = {}): Promise<T> {
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
