// Rows for a member in every member-linked table, found from the catalog (private.member_linked_tables),
// so tables other capabilities add are seeded without editing this file; and an independent oracle
// of which rows belong to a member, computed from the actual foreign-key values.
import { expect } from "vitest";
import { sql } from "./db.ts";
import { memberClient, ok, succeeded } from "./rest.ts";

export interface LinkPath {
  table_name: string;
  link_column: string;
  references_table: string;
  references_column: string;
  depth: number;
  path: string;
  predicate: string;
  excluded_reason: string | null;
}

export async function linkPaths(): Promise<LinkPath[]> {
  return sql<LinkPath[]>`select * from private.member_linked_tables()`;
}

/**
 * Runs `act` while `id` is a listed expert (role 'expert': private.is_listed_expert), then gives
 * them back the role they had: the fixture's members keep their role (a member with a verified
 * expert profile is not listed), and what was made stays.
 */
async function asListedExpert<T>(id: string, act: () => Promise<T>): Promise<T> {
  const [{ role }] = await sql<{ role: string }[]>`select role from public.profiles where id = ${id}`;
  await sql`update public.profiles set role = 'expert' where id = ${id} and role = 'member'`;
  try {
    return await act();
  } finally {
    await sql`update public.profiles set role = ${role}::public.member_role where id = ${id}`;
  }
}

/** Makes a completed booking of `memberId` with `expertId` (a verified expert from then on); returns its id. */
async function completedBooking(memberId: string, expertId: string): Promise<string> {
  await sql`update public.expert_profiles set verification_status = 'verified', verified_at = coalesce(verified_at, now()),
                   is_available = true, hourly_rate_cents = coalesce(hourly_rate_cents, 6000) where id = ${expertId}`;
  // Completed before the role goes back (a delisted expert's open bookings are cancelled).
  return asListedExpert(expertId, async () => {
    const { id } = ok(await (await memberClient(memberId)).rpc("create_booking", { expert_id: expertId, scheduled_at: new Date(Date.now() + 2 * 86400e3).toISOString(), duration_minutes: 60 }));
    await sql`update public.bookings set status = 'completed' where id = ${id}`;
    return id;
  });
}

async function review(authorId: string, bookingId: string, expertId: string): Promise<void> {
  succeeded(await (await memberClient(authorId)).from("reviews").insert({ booking_id: bookingId, expert_id: expertId, rating: 4, title: "Helpful", body: "seeded by the privacy tests" } as never));
}

async function verifiedExpert(id: string): Promise<void> {
  await sql`insert into public.expert_profiles (id, verification_status, verified_at) values (${id}, 'verified', now())
            on conflict (id) do update set verification_status = 'verified', verified_at = coalesce(public.expert_profiles.verified_at, now())`;
}

/**
 * A conversation the member opened with the counterpart (through the RPC) and one the counterpart
 * opened with the member as the expert (in SQL: the RPC reuses a pair's conversation either way),
 * each with a message from both sides. Idempotent.
 */
async function conversations(memberId: string, counterpartId: string): Promise<void> {
  if (memberId === counterpartId) return;
  const [done] = await sql`select 1 from public.conversations where member_id = ${memberId} and expert_id = ${counterpartId}`;
  if (done) return;
  await verifiedExpert(counterpartId);
  await asListedExpert(counterpartId, async () => {
    ok(await (await memberClient(memberId)).rpc("start_conversation", { expert_id: counterpartId, body: "seeded by the privacy tests" }));
  });
  await verifiedExpert(memberId);
  await sql.begin(async (tx) => {
    const [c] = await tx`insert into public.conversations (member_id, expert_id) values (${counterpartId}, ${memberId})
                         on conflict on constraint conversations_pair_key do nothing returning id`;
    if (!c) return;
    await tx`insert into public.conversation_participants (conversation_id, user_id) values (${c.id}, ${counterpartId}), (${c.id}, ${memberId})`;
    await tx`insert into public.messages (conversation_id, sender_id, body) values (${c.id}, ${counterpartId}, 'seeded enquiry to the member as an expert')`;
  });
  await sql`insert into public.messages (conversation_id, sender_id, body)
            select c.id, p.id, 'seeded reply' from public.conversations c cross join lateral (values (c.member_id), (c.expert_id)) p(id)
             where (c.member_id, c.expert_id) in ((${memberId}::uuid, ${counterpartId}::uuid), (${counterpartId}::uuid, ${memberId}::uuid))`;
}

/** Tables that cannot be filled generically, seeded the way the product creates them (RPCs, member requests). */
const seeders: Record<string, (memberId: string, counterpartId: string) => Promise<void>> = {
  // Only the member of a completed booking may review it: the member reviews the counterpart, and
  // (when the member is an expert too) the counterpart reviews the member.
  reviews: async (memberId, counterpartId) => {
    if (memberId === counterpartId) return;
    await review(memberId, await completedBooking(memberId, counterpartId), counterpartId);
    await sql`insert into public.expert_profiles (id) values (${memberId}) on conflict do nothing`;
    await review(counterpartId, await completedBooking(counterpartId, memberId), memberId);
  },
  // The RPC gives it the 7-day grace period; a generic row would be a due request that
  // process-deletion-requests could pick up.
  // The ledger is append-only and written only through its functions: an adjustment the member
  // made (created_by) on their own account (account_id) reaches both of its paths.
  credit_transactions: async (memberId) => {
    await sql`select private.adjust_credits(${memberId}, 500, ${`seed-${Date.now()}-${Math.random().toString(36).slice(2)}`}, 'seeded by the privacy tests', 'adjustment', ${memberId})`;
  },
  conversations,
  conversation_participants: conversations,
  messages: conversations,
  // Blocking after the conversations exist, so nothing the member is shown is withheld.
  blocks: async (memberId, counterpartId) => {
    if (memberId === counterpartId) return;
    await conversations(memberId, counterpartId);
    succeeded(await (await memberClient(memberId)).from("blocks").upsert({ blocked_id: counterpartId } as never, { onConflict: "blocker_id,blocked_id", ignoreDuplicates: true }));
  },
  message_reports: async (memberId, counterpartId) => {
    if (memberId === counterpartId) return;
    await conversations(memberId, counterpartId);
    const client = await memberClient(memberId);
    const [first] = ok(await client.from("messages").select("id").eq("sender_id", counterpartId).order("id").limit(1));
    succeeded(await client.from("message_reports").insert({ message_id: first.id, reason: "seeded by the privacy tests" }));
  },
  // A room the member created (so owns and is in) with a message of theirs.
  room_members: async (memberId) => {
    const client = await memberClient(memberId);
    const { id } = ok(await client.rpc("create_room", { name: "Seeded room", topic: "seeded by the privacy tests" }));
    succeeded(await client.from("room_messages").insert({ room_id: id, body: "seeded by the privacy tests" }));
  },
  room_messages: async (memberId) => {
    const client = await memberClient(memberId);
    const [room] = ok(await client.from("room_members").select("room_id").eq("user_id", memberId).eq("status", "active").limit(1));
    const id = room?.room_id ?? ok(await client.rpc("create_room", { name: "Seeded room" })).id;
    succeeded(await client.from("room_messages").insert({ room_id: id, body: "seeded by the privacy tests" }));
  },
  // Attempts are written by the delivery side only (private.finish_email): one delivered email.
  email_delivery_attempts: async (memberId) => {
    await sql`select private.notify(${memberId}, 'seeded', 'bookings', 'seeded by the privacy tests')`;
    await sql`insert into public.email_delivery_attempts (outbox_id, attempt, worker, started_at, outcome)
              select max(id), 1, 'privacy-tests', now(), 'sent' from public.email_outbox where user_id = ${memberId}`;
  },
  // Written only by the audit triggers and functions; one entry the member is both actor and subject of reaches both paths.
  admin_audit_log: async (memberId) => {
    await sql`insert into public.admin_audit_log (actor_id, actor_role, action, target_id, details)
              values (${memberId}, 'admin', 'seeded', ${memberId}, '{"by":"the privacy tests"}')`;
  },
  data_deletion_requests: async (memberId) => {
    ok(await (await memberClient(memberId)).rpc("request_account_deletion", { reason: "seeded by the privacy tests" }));
  },
  // Billing rows are mirrored from Stripe: made as the webhook makes them, from events.
  billing_customers: async (memberId) => void (await billingCustomer(memberId)),
  subscriptions: async (memberId) => {
    const customer = await billingCustomer(memberId);
    const price = await paidPrice();
    await stripeEvent("customer.subscription.created", { id: seedId("sub"), object: "subscription", customer, status: "active", cancel_at_period_end: false,
                                                          items: { data: [{ quantity: 1, price: { id: price } }] } });
  },
  payment_methods: async (memberId) => {
    const customer = await billingCustomer(memberId);
    await stripeEvent("payment_method.attached", { id: seedId("pm"), object: "payment_method", customer, card: { brand: "visa", last4: "4242", exp_month: 12, exp_year: 2034 } });
  },
  invoices: async (memberId) => {
    const customer = await billingCustomer(memberId);
    await stripeEvent("invoice.paid", { id: seedId("in"), object: "invoice", customer, status: "paid", number: "SEED-1", amount_due: 900, amount_paid: 900, currency: "usd",
                                        hosted_invoice_url: "https://invoice.stripe.test/seed" });
    // And the card payment of one of the member's bookings, as booking-payment and Stripe make it.
    const [booking] = await sql<{ id: string }[]>`select b.id from public.bookings b
                                                              where b.member_id = ${memberId} and not exists (select 1 from public.invoices i where i.booking_id = b.id) limit 1`;
    if (booking) {
      await stripeEvent("payment_intent.succeeded", { id: seedId("pi"), object: "payment_intent", customer, amount: 3000, amount_received: 3000, currency: "usd",
                                                      status: "succeeded", metadata: { booking_id: booking.id } });
    }
  },
};

const seedId = (prefix: string) => `${prefix}_seed${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;

async function billingCustomer(memberId: string): Promise<string> {
  await sql`insert into public.billing_customers (user_id, stripe_customer_id) values (${memberId}, ${seedId("cus")}) on conflict (user_id) do nothing`;
  const [{ stripe_customer_id }] = await sql<{ stripe_customer_id: string }[]>`select stripe_customer_id from public.billing_customers where user_id = ${memberId}`;
  return stripe_customer_id;
}

/** A paid plan's Stripe price (the privacy tests' own plan when the database has none). */
async function paidPrice(): Promise<string> {
  await sql`insert into public.plans (code, name, price_cents, features, stripe_price_id)
            values ('privacy-seed', 'Seeded by the privacy tests', 100,
                    '{"saved_search_notify_limit": 1, "booking_fee_discount_percent": 0, "priority_support": false}', 'price_privacyseed')
            on conflict (code) do nothing`;
  const [{ price }] = await sql<{ price: string }[]>`select stripe_price_id as price from public.plans where stripe_price_id is not null and active order by code limit 1`;
  return price;
}

async function stripeEvent(type: string, object: Record<string, unknown>): Promise<void> {
  const [{ outcome }] = await sql<{ outcome: string }[]>`
    select private.apply_stripe_event(${JSON.stringify({ id: seedId("evt"), object: "event", type, created: Math.floor(Date.now() / 1000), data: { object } })}::text::jsonb) as outcome`;
  if (outcome !== "applied") throw new Error(`seeding ${type}: ${outcome}`);
}

interface Column {
  name: string;
  type: string;
  typtype: string;
  category: string;
  length: number;
  notnull: boolean;
  hasdefault: boolean;
  generated: boolean;
  first_label: string | null;
  fk_table: string | null;
  fk_column: string | null;
  /** The referenced row is a person (its key is itself a profile / user id), e.g. expert_profiles. */
  fk_is_person: boolean;
}

async function columns(table: string): Promise<Column[]> {
  return sql<Column[]>`
    select a.attname::text as name, format_type(a.atttypid, a.atttypmod) as type, t.typtype::text as typtype,
           t.typcategory::text as category, greatest(a.atttypmod - 4, 0) as length, a.attnotnull as notnull,
           a.atthasdef as hasdefault, (a.attgenerated <> '' or a.attidentity = 'a') as generated,
           (select e.enumlabel::text from pg_enum e where e.enumtypid = a.atttypid order by e.enumsortorder limit 1) as first_label,
           (select c.confrelid::regclass::text from pg_constraint c where c.conrelid = a.attrelid and c.contype = 'f' and c.conkey = array[a.attnum]) as fk_table,
           (select pa.attname::text from pg_constraint c join pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = c.confkey[1]
             where c.conrelid = a.attrelid and c.contype = 'f' and c.conkey = array[a.attnum]) as fk_column,
           exists (select 1 from pg_constraint c join pg_constraint c2 on c2.conrelid = c.confrelid and c2.contype = 'f' and c2.conkey = c.confkey
                    where c.conrelid = a.attrelid and c.contype = 'f' and c.conkey = array[a.attnum]
                      and c2.confrelid in ('public.profiles'::regclass, 'auth.users'::regclass)) as fk_is_person
      from pg_attribute a join pg_type t on t.oid = a.atttypid
     where a.attrelid = ${`public.${table}`}::regclass and a.attnum > 0 and not a.attisdropped
     order by a.attnum`;
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const textCandidates = ["test", "test@example.test", "https://example.test/x", "TEST"];
const numberCandidates = ["1", "60", "0", "5"];

/** A value for a NOT NULL column without a default, as SQL; attempt picks among candidates that checks may refuse. */
function valueFor(c: Column, attempt: number): string | undefined {
  const pick = (xs: string[]) => xs[attempt % xs.length];
  if (c.category === "A") return `'{}'::${c.type}`;
  if (c.typtype === "e") return `${lit(c.first_label!)}::${c.type}`;
  switch (c.type.replace(/\(.*\)/, "")) {
    case "uuid":
      return "extensions.gen_random_uuid()";
    case "text":
    case "character varying":
    case "citext":
      return lit(pick(textCandidates));
    case "character":
      return lit("USD".slice(0, c.length || 1));
    case "smallint":
    case "integer":
    case "bigint":
    case "numeric":
    case "real":
    case "double precision":
      return pick(numberCandidates);
    case "boolean":
      return "true";
    case "timestamp with time zone":
    case "timestamp without time zone":
    case "date":
      return "now() + interval '1 day'";
    case "interval":
      return "interval '1 hour'";
    case "jsonb":
    case "json":
      return `'{}'::${c.type}`;
    case "inet":
      return "'192.0.2.1'::inet";
    case "extensions.geography":
    case "geography":
    case "extensions.geometry":
    case "geometry":
      return `'SRID=4326;POINT(13.4 52.5)'::${c.type}`;
    default:
      return undefined;
  }
}

export interface SeedResult {
  /** Paths that got a row for the member (new or already there, e.g. from sign-up). */
  reached: string[];
  /** Paths no row could be made for, with the reason. */
  unreachable: Array<{ path: string; error: string }>;
  /** Rows this seeding inserted, per table, as to_json of the row. */
  inserted: Record<string, unknown[]>;
}

async function count(predicate: string, table: string, memberId: string): Promise<number> {
  const [{ n }] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from public.${table} t where ${predicate}`, [memberId]);
  return n;
}

/**
 * Gives the member at least one row on every path of the catalog, parents before children. Other
 * NOT NULL foreign keys point at a person: the counterpart; at a thing: the member's own row when
 * there is one (a message on the member's own ticket), else the counterpart's, else any row.
 */
export async function seedMember(memberId: string, counterpartId: string): Promise<SeedResult> {
  const paths = (await linkPaths()).filter((p) => p.excluded_reason === null).sort((a, b) => a.depth - b.depth);
  const result: SeedResult = { reached: [], unreachable: [], inserted: {} };
  const byPath = new Map(paths.map((p) => [p.path, p]));
  for (const p of paths) {
    if ((await count(p.predicate, p.table_name, memberId)) > 0) {
      result.reached.push(p.path);
      continue;
    }
    const seeder = seeders[p.table_name];
    if (seeder) {
      await seeder(memberId, counterpartId);
      if ((await count(p.predicate, p.table_name, memberId)) > 0) result.reached.push(p.path);
      else result.unreachable.push({ path: p.path, error: "the seeder made no row on this path" });
      continue;
    }
    // The value of the link column: the member's id, or the key of one of the member's parent rows.
    let link: string;
    if (p.depth === 1) link = `${lit(memberId)}::uuid`;
    else {
      const parent = byPath.get(p.path.slice(p.path.indexOf(" -> ") + 4))!;
      const [row] = await sql.unsafe<{ v: string }[]>(
        `select t.${p.references_column}::text as v from ${p.references_table} t where ${parent.predicate} limit 1`, [memberId]);
      if (!row) {
        result.unreachable.push({ path: p.path, error: `no parent row in ${p.references_table}` });
        continue;
      }
      link = lit(row.v);
    }
    const cols = await columns(p.table_name);
    const names: string[] = [];
    const values: Array<(attempt: number) => Promise<string | undefined>> = [];
    for (const c of cols) {
      if (c.name === p.link_column) {
        names.push(c.name);
        values.push(async () => `${link}::${c.type}`);
      } else if (c.generated || c.hasdefault || !c.notnull) {
        continue;
      } else if (c.fk_table) {
        names.push(c.name);
        values.push(async () => {
          if (c.fk_table === "profiles" || c.fk_table === "public.profiles" || c.fk_table === "auth.users") return `${lit(counterpartId)}::uuid`;
          const parentPaths = paths.filter((x) => `public.${x.table_name}` === c.fk_table || x.table_name === c.fk_table);
          const owners = c.fk_is_person ? [counterpartId] : [memberId, counterpartId];
          for (const owner of owners) {
            for (const pp of parentPaths) {
              const [row] = await sql.unsafe<{ v: string }[]>(`select t.${c.fk_column}::text as v from ${c.fk_table} t where ${pp.predicate} limit 1`, [owner]);
              if (row) return `${lit(row.v)}::${c.type}`;
            }
          }
          const [row] = await sql.unsafe<{ v: string }[]>(`select t.${c.fk_column}::text as v from ${c.fk_table} t limit 1`);
          return row ? `${lit(row.v)}::${c.type}` : undefined;
        });
      } else {
        names.push(c.name);
        values.push(async (attempt) => valueFor(c, attempt));
      }
    }
    let lastError = "";
    let done = false;
    for (let attempt = 0; attempt < 4 && !done; attempt++) {
      const exprs = await Promise.all(values.map((v) => v(attempt)));
      const missing = exprs.findIndex((e) => e === undefined);
      if (missing >= 0) {
        lastError = `no value for ${p.table_name}.${names[missing]}`;
        break;
      }
      try {
        const [row] = await sql.unsafe<{ row: unknown }[]>(
          `insert into public.${p.table_name} (${names.map((n) => `"${n}"`).join(", ")}) values (${exprs.join(", ")}) returning to_json(${p.table_name}.*) as row`);
        (result.inserted[p.table_name] ??= []).push(row.row);
        done = true;
      } catch (e) {
        lastError = (e as Error).message;
      }
    }
    if (done) result.reached.push(p.path);
    else result.unreachable.push({ path: p.path, error: lastError });
  }
  return result;
}

/**
 * The oracle: every row of every public table that belongs to the member, found by following the
 * actual foreign-key values from the member's id (not the SQL the export runs), minus the documented
 * exclusions. Returns table -> rows (to_json).
 */
export async function memberRowsByForeignKeys(memberId: string): Promise<Map<string, unknown[]>> {
  const fks = await sql<{ child: string; col: string; parent: string; pcol: string }[]>`
    select c.conrelid::regclass::text as child, a.attname::text as col, c.confrelid::regclass::text as parent, pa.attname::text as pcol
      from pg_constraint c
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
      join pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = c.confkey[1]
     where c.contype = 'f' and c.connamespace = 'public'::regnamespace and cardinality(c.conkey) = 1`;
  const excluded = new Set((await sql<{ k: string }[]>`select table_name || '.' || column_name as k from private.member_link_exclusions()`).map((r) => r.k));
  const bare = (t: string) => t.replace(/^public\./, "");
  const found = new Map<string, Map<string, Record<string, unknown>>>();
  const add = (table: string, rows: Array<{ row: Record<string, unknown> }>) => {
    const m = found.get(table) ?? new Map<string, Record<string, unknown>>();
    found.set(table, m);
    let added = 0;
    for (const { row } of rows) {
      const key = JSON.stringify(row);
      if (!m.has(key)) (m.set(key, row), added++);
    }
    return added;
  };
  for (let round = 0; round < 8; round++) {
    let added = 0;
    for (const fk of fks) {
      if (excluded.has(`${bare(fk.child)}.${fk.col}`)) continue;
      let values: string[];
      if (fk.parent === "auth.users" || fk.parent === "profiles" || fk.parent === "public.profiles") values = [memberId];
      else values = [...(found.get(bare(fk.parent))?.values() ?? [])].map((r) => String(r[fk.pcol]));
      if (values.length === 0) continue;
      const rows = await sql.unsafe<{ row: Record<string, unknown> }[]>(
        `select to_json(t) as row from public.${bare(fk.child)} t where t."${fk.col}"::text = any($1::text[])`, [values]);
      added += add(bare(fk.child), rows);
    }
    if (added === 0) break;
  }
  return new Map([...found].map(([t, m]) => [t, [...m.values()]]));
}

/** Canonical form for comparing sets of rows: sorted keys, rows sorted. */
export function canonicalRows(rows: unknown[], dropColumns: string[] = []): string[] {
  const canon = (v: unknown): unknown =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).filter((k) => !dropColumns.includes(k)).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v;
  return rows.map((r) => JSON.stringify(canon(r))).sort();
}

/** Every row of every public table whose uuid/text-like column (or array of them) holds the id. */
export async function referencesTo(id: string): Promise<string[]> {
  const cols = await sql<{ tbl: string; col: string }[]>`
    select c.relname::text as tbl, a.attname::text as col
      from pg_class c join pg_attribute a on a.attrelid = c.oid
      join pg_type t on t.oid = a.atttypid
      left join pg_type e on e.oid = t.typelem and t.typcategory = 'A'
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
       and coalesce(e.typname, t.typname) in ('uuid', 'text', 'varchar', 'bpchar', 'citext', 'name')`;
  expect(cols.length).toBeGreaterThan(20);
  const hits: string[] = [];
  for (const { tbl, col } of cols) {
    const [{ n }] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from public."${tbl}" where strpos("${col}"::text, $1) > 0`, [id]);
    if (n > 0) hits.push(`${tbl}.${col}: ${n} row(s)`);
  }
  return hits;
}
