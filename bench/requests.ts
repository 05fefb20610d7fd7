// How the bench talks to the stack: member tokens signed like Supabase Auth's (HS256, project
// secret); client reads over HTTP through the gateway and PostgREST (getOk); and, for the figures
// that are about a query itself (nearby's KNN against a scan, messaging's triggers), the statement
// at the database in the session PostgREST would give it (atDatabase).
import postgres from "postgres";

export { memberClaims, serviceClaims, signAccessToken as signToken, type Claims } from "../stack/test-kit/tokens.ts";
import type { Claims } from "../stack/test-kit/tokens.ts";

/**
 * A statement at the database in the session PostgREST would give the request: a transaction, one
 * set_config() for search_path, role and claims, then `query`. For figures about the SQL itself (no
 * HTTP). Returns its result, the milliseconds the query statement alone took and those of the whole
 * transaction (begin to commit).
 */
export async function atDatabase<T>(api: postgres.Sql, claims: Claims, query: (tx: postgres.TransactionSql) => Promise<T>): Promise<{ result: T; queryMs: number; totalMs: number }> {
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

/** A read a client makes as one request through PostgREST: a name and its path under /rest/v1, given the member's id. */
export interface Piece {
  name: string;
  path: (me: string) => string;
  /** Counted reads ask PostgREST for the count (`count: 'exact'`), as supabase-js' `{ count: 'exact', head: true }` does. */
  count?: boolean;
}

/**
 * The dashboard as a client without member_dashboard() assembles it with supabase-js: one request
 * per piece through the gateway and PostgREST (embeds join in one request; totals and monthly
 * spending are computed client-side from the member's bookings). Pieces for tables that do not
 * exist in this database are left out.
 */
export function dashboardPieces(tables: Set<string>): Piece[] {
  const pieces: Piece[] = [
    { name: "profile", path: (me) => `profiles?select=id,first_name,last_name,display_name,avatar_url,role,status,created_at&id=eq.${me}` },
    {
      name: "bookings (for totals and spending)",
      path: (me) => `bookings?select=id,status,scheduled_at,duration_minutes,price_cents,credits_applied_cents,card_amount_cents,currency,expert_id,completed_at&member_id=eq.${me}&limit=1000`,
    },
    {
      name: "next bookings with experts",
      path: (me) => `bookings?select=id,status,scheduled_at,duration_minutes,price_cents,currency,expert_id,expert:expert_profiles!bookings_expert_id_fkey(headline,profile:profiles!expert_profiles_id_fkey(display_name))` +
        `&member_id=eq.${me}&status=in.(requested,confirmed)&scheduled_at=gte.${encodeURIComponent(new Date().toISOString())}&order=scheduled_at,id&limit=5`,
    },
    { name: "recent activity", path: (me) => `activity?select=*&user_id=eq.${me}&order=created_at.desc,id.desc&limit=10` },
    { name: "favorites count", path: (me) => `favorites?select=expert_id&member_id=eq.${me}&limit=1`, count: true },
  ];
  if (tables.has("reviews")) pieces.push({ name: "reviews written", path: (me) => `reviews?select=rating&author_id=eq.${me}&limit=1000` });
  if (tables.has("notifications")) pieces.push({ name: "unread notifications", path: (me) => `notifications?select=id&user_id=eq.${me}&read_at=is.null&limit=1`, count: true });
  if (tables.has("support_tickets")) pieces.push({ name: "open tickets", path: (me) => `support_tickets?select=id&member_id=eq.${me}&status=in.(open,pending)&limit=1`, count: true });
  return pieces;
}

/**
 * The naive path at the database: for each piece above, the statement PostgREST runs for it (the
 * rows as json_agg, an exact count where the piece asks for one), to set beside member_dashboard()
 * itself in the same PostgREST-style transactions (atDatabase) — what the eight requests cost the
 * database, without HTTP.
 */
export function dashboardPiecesSql(tables: Set<string>): ((me: string) => string)[] {
  const agg = (q: string) => `select coalesce(json_agg(t), '[]')::text as body from (${q}) t`;
  const counted = (from: string) => `select (select count(*) from ${from}) as n, (${agg(`select 1 from ${from} limit 1`)}) as body`;
  const pieces: ((me: string) => string)[] = [
    (me) => agg(`select id, first_name, last_name, display_name, avatar_url, role, status, created_at from public.profiles where id = '${me}'`),
    (me) => agg(`select id, status, scheduled_at, duration_minutes, price_cents, credits_applied_cents, card_amount_cents, currency, expert_id, completed_at
                   from public.bookings where member_id = '${me}' limit 1000`),
    (me) => agg(`select b.id, b.status, b.scheduled_at, b.duration_minutes, b.price_cents, b.currency, b.expert_id,
                        (select row_to_json(x) from (select e.headline, (select row_to_json(y) from (select p.display_name from public.profiles p where p.id = e.id) y) as profile
                                                       from public.expert_profiles e where e.id = b.expert_id) x) as expert
                   from public.bookings b where b.member_id = '${me}' and b.status in ('requested', 'confirmed') and b.scheduled_at >= now()
                  order by b.scheduled_at, b.id limit 5`),
    (me) => agg(`select * from public.activity where user_id = '${me}' order by created_at desc, id desc limit 10`),
    (me) => counted(`public.favorites where member_id = '${me}'`),
  ];
  if (tables.has("reviews")) pieces.push((me) => agg(`select rating from public.reviews where author_id = '${me}' limit 1000`));
  if (tables.has("notifications")) pieces.push((me) => counted(`public.notifications where user_id = '${me}' and read_at is null`));
  if (tables.has("support_tickets")) pieces.push((me) => counted(`public.support_tickets where member_id = '${me}' and status in ('open', 'pending')`));
  return pieces;
}

/** GET through HTTP; fails on anything but 200/206 (a bench of error responses measures nothing). */
export async function getOk(url: string, headers: Record<string, string>): Promise<unknown> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (res.status !== 200 && res.status !== 206) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** One naive-path piece through the gateway and PostgREST. */
export function getPiece(apiUrl: string, piece: Piece, me: string, headers: Record<string, string>): Promise<unknown> {
  return getOk(`${apiUrl}/rest/v1/${piece.path(me)}`, piece.count ? { ...headers, prefer: "count=exact" } : headers);
}
