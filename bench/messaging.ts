// Messaging figures, at the database, as PostgREST runs each request (see requests.ts):
// - the inbox's first page (public.inbox(20): conversations, last message, unread counts, receipts);
// - the unread badge (public.unread_counts());
// - sending a message (insert into messages with its RLS check and triggers: flood control, read
//   state, notification, email outbox) against a plain insert of the same row shape into a table
//   with no triggers and no RLS, each as a whole request (begin .. commit), which is what a client
//   waits for; the statement alone is reported beside it. Two sends: to a recipient who has read
//   everything (the first unread message notifies: in-app row and outbox email) and to one with
//   unread messages (no second notice).
import postgres from "postgres";
import { budgetFromEnv, measure, prng, type Summary } from "./measure.ts";
import { atDatabase, memberClaims, type Claims } from "./requests.ts";
import { apiUrl } from "../stack/core/config.ts";
import type { Row } from "./report.ts";

const ms = (x: number) => `${x.toFixed(2)} ms`;
const times = (x: number) => `${x.toFixed(2)}×`;
const pp = (s: Summary) => `${ms(s.p50)} / ${ms(s.p95)} (n=${s.n})`;

export async function messagingRows(api: postgres.Sql, db: postgres.Sql, seed: number, log: (line: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  const [{ n }] = await db<{ n: number }[]>`select count(*)::int as n from public.conversation_participants`;
  if (n === 0) return [{ metric: "messaging", value: "not measured", target: "", note: "no conversations in the scale seed" }];

  // 200 participants (members and experts alike), drawn deterministically, with one of their conversations.
  const rand = prng(seed + 12);
  const picks = await db<{ user_id: string; conversation_id: string }[]>`
    select p.user_id::text, (select c.conversation_id::text from public.conversation_participants c where c.user_id = p.user_id limit 1) as conversation_id
      from (select distinct user_id from public.conversation_participants) p
     order by md5(p.user_id::text || ${String(Math.floor(rand() * 1e9))}) limit 200`;
  const claims: Claims[] = picks.map((p) => memberClaims(p.user_id, { email: `${p.user_id}@bench.memberbase.test` }, `${apiUrl}/auth/v1`));
  const who = (i: number) => Math.abs(i) % picks.length;

  log(`bench: inbox first page and unread badge (${picks.length} participants)`);
  const reads = await measure(
    {
      inbox: async (i) => (await atDatabase(api, claims[who(i)], (tx) => tx`select * from public.inbox(20)`)).queryMs,
      badge: async (i) => (await atDatabase(api, claims[who(i)], (tx) => tx`select public.unread_counts() as c`)).queryMs,
    },
    budgetFromEnv({ warmup: 30, iterations: 1000, seconds: 20 }),
  );
  rows.push({ metric: "inbox first page p50 (inbox(20) at the database, under RLS)", value: ms(reads.inbox.p50), target: "≤ 5 ms", pass: reads.inbox.p50 <= 5, note: `p95 ${ms(reads.inbox.p95)}, n=${reads.inbox.n}` });
  rows.push({ metric: "unread badge p50 (unread_counts(): messages + notifications)", value: ms(reads.badge.p50), target: "≤ 1 ms", pass: reads.badge.p50 <= 1, note: `p95 ${ms(reads.badge.p95)}, n=${reads.badge.n}` });

  // The trigger-less twin: same columns and indexes, no RLS, no triggers. Dropped afterwards.
  await db.unsafe(`
    create schema if not exists bench;
    grant usage on schema bench to authenticated;
    drop table if exists bench.plain_messages;
    create table bench.plain_messages (
      id bigint generated always as identity primary key,
      conversation_id uuid not null references public.conversations (id) on delete cascade,
      sender_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
      body text not null check (char_length(body) <= 4000),
      created_at timestamptz not null default now());
    create index on bench.plain_messages (conversation_id, created_at desc, id desc);
    create index on bench.plain_messages (sender_id, created_at desc);
    grant insert (conversation_id, body) on bench.plain_messages to authenticated;`);
  // Flood control still runs on every send; its limit is raised so 200 senders may send hundreds a minute.
  const [{ limit }] = await db<{ limit: number }[]>`select messages_per_minute as limit from private.messaging_settings`;
  await db`update private.messaging_settings set messages_per_minute = 10000`;
  const statement = { notify: [] as number[], quiet: [] as number[], plain: [] as number[] };
  try {
    log(`bench: sending a message (RLS + triggers) vs a plain insert into a table without triggers`);
    const sends = await measure(
      {
        notify: async (i) => {
          const p = picks[who(i)];
          // Untimed: the recipient has read everything, so this send notifies.
          await db`update public.conversation_participants set unread_count = 0 where conversation_id = ${p.conversation_id} and user_id <> ${p.user_id}`;
          const r = await atDatabase(api, claims[who(i)], (tx) => tx`insert into public.messages (conversation_id, body) values (${p.conversation_id}, ${"bench send " + i})`);
          if (i >= 0) statement.notify.push(r.queryMs);
          return r.totalMs;
        },
        quiet: async (i) => {
          const p = picks[who(i)];
          const r = await atDatabase(api, claims[who(i)], (tx) => tx`insert into public.messages (conversation_id, body) values (${p.conversation_id}, ${"bench send " + i})`);
          if (i >= 0) statement.quiet.push(r.queryMs);
          return r.totalMs;
        },
        plain: async (i) => {
          const p = picks[who(i)];
          const r = await atDatabase(api, claims[who(i)], (tx) => tx`insert into bench.plain_messages (conversation_id, body) values (${p.conversation_id}, ${"bench send " + i})`);
          if (i >= 0) statement.plain.push(r.queryMs);
          return r.totalMs;
        },
      },
      budgetFromEnv({ warmup: 30, iterations: 1000, seconds: 20 }),
    );
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const [notifyStmt, quietStmt, plainStmt] = [median(statement.notify), median(statement.quiet), median(statement.plain)];
    rows.push({ metric: "send a message that notifies p50 / p95 (whole request: begin, set_config, insert, commit)", value: pp(sends.notify), target: "" });
    rows.push({ metric: "send into a conversation with unread messages p50 / p95 (whole request)", value: pp(sends.quiet), target: "" });
    rows.push({ metric: "plain insert, no triggers p50 / p95 (whole request)", value: pp(sends.plain), target: "" });
    rows.push({
      metric: "send (notifying) ÷ plain insert (p50 of the whole request)",
      value: times(sends.notify.p50 / sends.plain.p50),
      target: "≤ 2×",
      pass: sends.notify.p50 / sends.plain.p50 <= 2,
      note: `the insert statement alone: ${ms(notifyStmt)} vs ${ms(plainStmt)} (${times(notifyStmt / plainStmt)}); the rest of a request (begin, set_config, commit) is the same for both`,
    });
    rows.push({
      metric: "send (recipient has unread) ÷ plain insert (p50 of the whole request)",
      value: times(sends.quiet.p50 / sends.plain.p50),
      target: "≤ 2×",
      pass: sends.quiet.p50 / sends.plain.p50 <= 2,
      note: `the insert statement alone: ${ms(quietStmt)} vs ${ms(plainStmt)} (${times(quietStmt / plainStmt)})`,
    });
  } finally {
    await db`update private.messaging_settings set messages_per_minute = ${limit}`;
    await db.unsafe(`drop table if exists bench.plain_messages; drop schema if exists bench;`);
  }
  return rows;
}
