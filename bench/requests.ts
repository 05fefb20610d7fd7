// How the bench talks to the stack: member tokens signed like Supabase Auth's (HS256, project
// secret), and table reads run exactly as PostgREST runs a request (one transaction, set_config
// of role and claims, then the query, as `authenticator`).
import postgres from "postgres";

export { memberClaims, serviceClaims, signAccessToken as signToken, type Claims } from "../stack/tokens.ts";
import type { Claims } from "../stack/tokens.ts";

/**
 * One PostgREST-style request: a transaction, one set_config() for search_path, role and claims,
 * then `query`. Returns its result, the milliseconds the query statement alone took (the
 * set_config is the same whatever the role, so comparisons between roles look at the query) and
 * those of the whole request (begin to commit).
 */
export async function asRequest<T>(api: postgres.Sql, claims: Claims, query: (tx: postgres.TransactionSql) => Promise<T>): Promise<{ result: T; queryMs: number; totalMs: number }> {
  let result!: T;
  let queryMs = 0;
  const t0 = performance.now();
  await api.begin(async (tx) => {
    await tx`select set_config('search_path', 'public, extensions', true), set_config('role', ${claims.role}, true),
                    set_config('request.jwt.claims', ${JSON.stringify(claims)}, true), set_config('request.method', 'GET', true)`;
    const t = performance.now();
    result = await query(tx);
    queryMs = performance.now() - t;
  });
  return { result, queryMs, totalMs: performance.now() - t0 };
}

/** A read a client makes as one request: a name and the query, given the member's id. */
export interface Piece {
  name: string;
  run: (tx: postgres.TransactionSql, me: string) => Promise<unknown>;
}

/**
 * The dashboard as a client without member_dashboard() would assemble it with supabase-js: one
 * request per piece (PostgREST embeds joins in one request; totals and monthly spending are
 * computed client-side from the member's bookings). Pieces for tables that do not exist in this
 * database are left out.
 */
export function dashboardPieces(tables: Set<string>): Piece[] {
  const pieces: Piece[] = [
    { name: "profile", run: (tx, me) => tx`select id, first_name, last_name, display_name, avatar_url, role, status, created_at from public.profiles where id = ${me}` },
    {
      name: "bookings (for totals and spending)",
      run: (tx, me) => tx`select id, status, scheduled_at, duration_minutes, price_cents, credits_applied_cents, card_amount_cents, currency, expert_id, completed_at
                          from public.bookings where member_id = ${me} limit 1000`,
    },
    {
      name: "next bookings with experts",
      run: (tx, me) => tx`select b.id, b.status, b.scheduled_at, b.duration_minutes, b.price_cents, b.currency, b.expert_id, p.display_name, e.headline
                          from public.bookings b left join public.expert_profiles e on e.id = b.expert_id left join public.profiles p on p.id = e.id
                          where b.member_id = ${me} and b.status in ('requested', 'confirmed') and b.scheduled_at >= now()
                          order by b.scheduled_at, b.id limit 5`,
    },
    { name: "recent activity", run: (tx, me) => tx`select * from public.activity where user_id = ${me} order by created_at desc, id desc limit 10` },
    { name: "favorites count", run: (tx, me) => tx`select count(*) from public.favorites where member_id = ${me}` },
  ];
  if (tables.has("reviews")) pieces.push({ name: "reviews written", run: (tx, me) => tx`select rating from public.reviews where author_id = ${me} limit 1000` });
  if (tables.has("notifications")) pieces.push({ name: "unread notifications", run: (tx, me) => tx`select count(*) from public.notifications where user_id = ${me} and read_at is null` });
  if (tables.has("support_tickets"))
    pieces.push({ name: "open tickets", run: (tx, me) => tx`select count(*) from public.support_tickets where member_id = ${me} and status in ('open', 'pending')` });
  return pieces;
}

/** GET through HTTP; fails on anything but 200 (a bench of error responses measures nothing). */
export async function getOk(url: string, headers: Record<string, string>): Promise<unknown> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}
