// Reads exactly as docs/api.md writes them: no filter a client would not write (RLS alone narrows
// them to the member's rows), for the members with the most bookings, each through the gateway and
// PostgREST beside the PostgREST floor (a one-row select of the plans catalogue) in one measure()
// call. A read policy the planner cannot serve from an index shows here as a scan per request.
import postgres from "postgres";
import { budgetFromEnv, measure } from "./measure.ts";
import { getOk, memberClaims, signToken } from "./requests.ts";
import type { Row } from "./report.ts";

interface Reader {
  id: string;
  conversation: string;
  headers: Record<string, string>;
}

/** name → path under /rest/v1 (and whether supabase-js asks for an exact count). */
const reads: Record<string, { path: (r: Reader) => string; count?: boolean }> = {
  "from('bookings').select()": { path: () => "bookings?select=*" },
  "from('reviews').select('*', { count: 'exact', head: true })": { path: () => "reviews?select=*", count: true },
  "rpc('list_favorites')": { path: () => "rpc/list_favorites" },
  "from('activity').select().order('created_at', desc)": { path: () => "activity?select=*&order=created_at.desc" },
  "from('search_history').select().order('created_at', desc)": { path: () => "search_history?select=*&order=created_at.desc" },
  "from('notifications').select().is('read_at', null)": { path: () => "notifications?select=*&read_at=is.null" },
  "from('conversation_participants').select().eq('conversation_id', id)": { path: (r) => `conversation_participants?select=*&conversation_id=eq.${r.conversation}` },
  "a thread: from('messages').select().eq('conversation_id', id) newest 50": {
    path: (r) => `messages?select=*&conversation_id=eq.${r.conversation}&order=created_at.desc,id.desc&limit=50`,
  },
  "latest messages, no conversation named: from('messages').select() newest 20": { path: () => "messages?select=*&order=created_at.desc&limit=20" },
};

export async function documentedReadRows(db: postgres.Sql, opts: { apiUrl: string; anonKey: string; jwtSecret: string; issuer: string; log: (l: string) => void }): Promise<Row[]> {
  // The members with the most bookings who also have a conversation: the heaviest readers.
  const heavy = await db<{ id: string; conversation: string; bookings: number }[]>`
    select b.member_id as id, (select c.id from public.conversations c where c.member_id = b.member_id order by c.id limit 1) as conversation,
           count(*)::int as bookings
    from public.bookings b
    where exists (select 1 from public.conversations c where c.member_id = b.member_id)
    group by b.member_id order by count(*) desc, b.member_id limit 50`;
  if (heavy.length === 0) return [{ metric: "documented reads", value: "not measured", target: "", note: "no member with bookings and a conversation" }];
  const readers: Reader[] = await Promise.all(
    heavy.map(async (h) => ({
      id: h.id,
      conversation: h.conversation,
      headers: { authorization: `Bearer ${await signToken(memberClaims(h.id, {}, opts.issuer), opts.jwtSecret)}`, apikey: opts.anonKey },
    })),
  );
  const rest = `${opts.apiUrl}/rest/v1`;
  const reader = (i: number) => readers[Math.abs(i) % readers.length];
  opts.log(`bench: reads as docs/api.md writes them, ${readers.length} members with the most bookings (${heavy[0].bookings}–${heavy[heavy.length - 1].bookings})`);
  const cases = Object.fromEntries(
    Object.entries(reads).map(([name, read]) => [
      name,
      async (i: number) => {
        const r = reader(i);
        if (read.count) await headOk(`${rest}/${read.path(r)}`, { ...r.headers, prefer: "count=exact" });
        else await getOk(`${rest}/${read.path(r)}`, r.headers);
      },
    ]),
  );
  const timed = await measure(
    { floor: async (i) => void (await getOk(`${rest}/plans?select=code&limit=1`, reader(i).headers)), ...cases },
    budgetFromEnv({ warmup: 20, iterations: 400, seconds: 45 }),
  );
  const floor = timed.floor.p50;
  const rows: Row[] = [{ metric: "PostgREST floor for the documented reads p50 / p95 (a one-row select of plans)", value: `${floor.toFixed(2)} ms / ${timed.floor.p95.toFixed(2)} ms (n=${timed.floor.n})`, target: "" }];
  for (const name of Object.keys(reads)) {
    const s = timed[name];
    const x = s.p50 / floor;
    rows.push({ metric: `${name} ÷ floor (p50, as a member with ${heavy[heavy.length - 1].bookings}–${heavy[0].bookings} bookings)`, value: `${x.toFixed(2)}×`, target: "≤ 2×", pass: x <= 2, note: `${s.p50.toFixed(2)} ms, p95 ${s.p95.toFixed(2)} ms, n=${s.n}` });
  }
  return rows;
}

/** supabase-js' `head: true`: a HEAD request; the count comes back in Content-Range. */
async function headOk(url: string, headers: Record<string, string>): Promise<void> {
  const res = await fetch(url, { method: "HEAD", headers });
  if ((res.status !== 200 && res.status !== 206) || !/\/\d+$/.test(res.headers.get("content-range") ?? "")) {
    throw new Error(`HEAD ${url} answered ${res.status} (content-range ${res.headers.get("content-range")})`);
  }
}
