// Scale data for the benchmark: 100k members, 10k experts over a region (mainland Portugal: five
// city clusters plus experts scattered anywhere in it), and about 1M rows across favorites,
// bookings, activity and search_history, plus the reviews, support tickets and notifications
// those imply, and direct messaging: ~100k member-expert conversations with ~1M messages and
// each participant's read state. Everything is generated server-side with generate_series, so the load is a handful
// of statements; every "random" choice is a hash of (row number, stream, BENCH_SEED), so a given
// seed and scale always produce the same rows, whatever plan Postgres picks.
//
// How rows come in:
// - Users are inserted into auth.users WITH the sign-up triggers on: every member gets exactly the
//   rows a real sign-up creates (profile, preferences, notification matrix, onboarding, and whatever
//   later capabilities add through on_auth_user_created_* triggers). That is most of the load time.
// - Bulk rows (expert locations, favorites, bookings, reviews, tickets, notifications, activity,
//   search_history) are loaded with session_replication_role = replica: per-row triggers (activity
//   recording, history pruning, rating aggregates) and FK checks are skipped for speed, so the
//   generator writes what those triggers would have: an activity row per favorite, booking, search,
//   review and ticket, at most 100 searches per member, experts' ratings computed from their
//   reviews, the searchable experts' cells. Replica mode needs a superuser (the stack's supabase_admin).
// - All in one transaction (then VACUUM ANALYZE): a failed load leaves nothing behind.
//
// Sizes scale with BENCH_SCALE (default 1; 0.1 for a quick run); BENCH_SEED picks another data set.
// Run alone against `npm run dev`: `MEMBERBASE_PORT_OFFSET=<n> npx tsx seed/scale.ts`.
import postgres from "postgres";

export interface ScaleOptions {
  /** A superuser connection (replica mode for the bulk load). */
  adminDbUrl: string;
  scale?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface ScaleResult {
  scale: number;
  seed: number;
  alreadyLoaded: boolean;
  seconds: number;
  counts: Record<string, number>;
  /** The region the experts are spread over, for picking search centres. */
  region: typeof region;
}

/** Mainland Portugal's box, and the cities most experts cluster around (lat, lng, spread in degrees). */
export const region = {
  minLat: 37.0,
  maxLat: 42.1,
  minLng: -9.5,
  maxLng: -6.2,
  cities: [
    { name: "Lisboa", lat: 38.7223, lng: -9.1393, spread: 0.12, share: 0.35 },
    { name: "Porto", lat: 41.1579, lng: -8.6291, spread: 0.1, share: 0.2 },
    { name: "Braga", lat: 41.5454, lng: -8.4265, spread: 0.06, share: 0.07 },
    { name: "Coimbra", lat: 40.2033, lng: -8.4103, spread: 0.06, share: 0.07 },
    { name: "Faro", lat: 37.0194, lng: -7.9304, spread: 0.06, share: 0.06 },
  ],
} as const;

/** Average rows per member at scale 1 (members: 100k → ~150k favorites, ~200k bookings, ~150k searches, ~500k activity). */
const perMember = { favorites: 1.5, bookings: 2, searches: 1.5, conversations: 1, messagesPerConversation: 10 } as const;
const BENCH_DOMAIN = "bench.memberbase.test";

export function sizes(scale: number) {
  return { members: Math.max(10, Math.round(100_000 * scale)), experts: Math.max(5, Math.round(10_000 * scale)) };
}

export async function loadScaleSeed(opts: ScaleOptions): Promise<ScaleResult> {
  const scale = opts.scale ?? Number(process.env.BENCH_SCALE ?? 1);
  const seed = Math.trunc(opts.seed ?? Number(process.env.BENCH_SEED ?? 42));
  if (!(scale > 0 && scale <= 10)) throw new Error(`BENCH_SCALE must be in (0, 10], got ${scale}`);
  const log = opts.log ?? (() => {});
  const { members, experts } = sizes(scale);
  const sql = postgres(opts.adminDbUrl, { max: 1, onnotice: () => {}, connection: { application_name: "memberbase-scale-seed" } });
  const t0 = performance.now();
  try {
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from auth.users where email like ${"%@" + BENCH_DOMAIN}`;
    if (n > 0) {
      log(`  scale seed already loaded (${n} bench users); not loading again`);
      return { scale, seed, alreadyLoaded: true, seconds: 0, counts: await counts(sql), region };
    }

    const step = async (label: string, work: () => Promise<unknown>) => {
      const t = performance.now();
      await work();
      log(`  ${label.padEnd(44)} ${((performance.now() - t) / 1000).toFixed(1).padStart(6)} s`);
    };

    // One transaction: a failed load leaves nothing behind (so "already loaded" means complete),
    // and the temp helpers and replica mode below live and die with it.
    await sql.begin((tx) => seedTransaction(tx, { members, experts, seed, step }));
    // A settled database (visibility map set, fresh statistics), as a long-running one would be.
    await step(`vacuum analyze`, async () => {
      for (const t of ["auth.users", "public.profiles", "public.expert_profiles", "public.expert_locations", "private.searchable_cells", "public.favorites", "public.bookings", "public.search_history", "public.activity", "public.reviews", "public.support_tickets", "public.notifications", "public.conversations", "public.conversation_participants", "public.messages"])
        await sql.unsafe(`vacuum (analyze) ${t}`);
    });
    const seconds = (performance.now() - t0) / 1000;
    const result = { scale, seed, alreadyLoaded: false, seconds, counts: await counts(sql), region };
    log(`  loaded in ${seconds.toFixed(1)} s: ${Object.entries(result.counts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    return result;
  } finally {
    await sql.end();
  }
}

type Step = (label: string, work: () => Promise<unknown>) => Promise<void>;

async function seedTransaction(db: postgres.TransactionSql, p: { members: number; experts: number; seed: number; step: Step }) {
  const { members, experts, seed, step } = p;
  const mean = (t: number) => 1 / Math.log(1 + 1 / t); // floor(Exp(mean)) then averages t
  await db.unsafe(`
    set local statement_timeout = 0;
    -- u(i, stream): a uniform number in [0, 1) from a hash, so results do not depend on row order.
    create function pg_temp.u(i bigint, stream integer) returns double precision
      language sql immutable parallel restricted
      as $$ select (hashint8extended(i, ${seed}::bigint * 1000003 + stream) & 9007199254740991)::double precision / 9007199254740992 $$;
    -- How many rows a member gets: floor of an exponential with the given mean, capped.
    create function pg_temp.how_many(i bigint, stream integer, mean double precision, cap integer) returns integer
      language sql immutable parallel restricted
      as $$ select least(cap, floor(-ln(1 - pg_temp.u(i, stream)) * mean))::integer $$;
    create function pg_temp.bench_uuid(kind text, i bigint) returns uuid
      language sql immutable parallel restricted
      as $$ select md5('memberbase-bench:' || kind || ':' || i || ':' || ${seed})::uuid $$;
  `);

  const first = ["Ana", "João", "Maria", "Pedro", "Inês", "Tiago", "Sofia", "Rui", "Marta", "Nuno", "Beatriz", "Luís", "Carla", "Miguel", "Rita", "André", "Helena", "Paulo", "Joana", "Diogo"];
  const last = ["Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Jesus", "Sousa", "Fernandes", "Gonçalves", "Gomes", "Lopes", "Marques", "Alves", "Almeida", "Ribeiro", "Pinto", "Carvalho"];
  const skills = ["tax", "law", "finance", "design", "health", "coaching", "marketing", "software", "real_estate", "immigration", "nutrition", "fitness", "career", "languages", "accounting", "insurance", "architecture", "photography", "music", "parenting"];

  await step(`auth.users: ${members} members + ${experts} experts (sign-up triggers on)`, () =>
    db.unsafe(
      `
      with pw as materialized (select extensions.crypt('bench-password-1', extensions.gen_salt('bf', 4)) as hash),
      people as (
        select g as i, case when g <= $1::int then 'member' else 'expert' end as kind, case when g <= $1::int then g else g - $1::int end as n
        from generate_series(1, $1::int + $2::int) g
      )
      insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                              raw_app_meta_data, raw_user_meta_data, created_at, updated_at, last_sign_in_at,
                              confirmation_token, recovery_token, email_change_token_new, email_change)
      select '00000000-0000-0000-0000-000000000000', pg_temp.bench_uuid(kind, n), 'authenticated', 'authenticated',
             kind || '-' || n || '@${BENCH_DOMAIN}', pw.hash, t.joined,
             '{"provider":"email","providers":["email"]}',
             jsonb_build_object('first_name', ($3::text[])[1 + floor(pg_temp.u(i, 1) * 20)::int],
                                'last_name', ($4::text[])[1 + floor(pg_temp.u(i, 2) * 20)::int],
                                'terms_accepted', true, 'terms_version', '2026-01'),
             t.joined, t.joined, now() - pg_temp.u(i, 4) * interval '30 days', '', '', '', ''
      from people, pw, lateral (select now() - interval '1 day' - pg_temp.u(i, 3) * interval '1095 days' as joined) t`,
      [members, experts, first, last],
    ),
  );

  // Lookup tables: row number -> id, for picking members and (verified) experts by index.
  await db.unsafe(
    `create temp table bench_members on commit drop as
       select n, pg_temp.bench_uuid('member', n) as id from generate_series(1, ${members}) n;
     alter table bench_members add primary key (n);
     create temp table bench_experts on commit drop as
       select n, pg_temp.bench_uuid('expert', n) as id,
              case when pg_temp.u(n, 10) < 0.88 then 'verified' when pg_temp.u(n, 10) < 0.94 then 'pending' else 'unverified' end as verification,
              pg_temp.u(n, 11) < 0.9 as available
       from generate_series(1, ${experts}) n;
     alter table bench_experts add primary key (n);
     create temp table bench_verified on commit drop as
       select row_number() over (order by n) - 1 as vk, id from bench_experts where verification = 'verified';
     alter table bench_verified add primary key (vk);
     analyze bench_members; analyze bench_experts; analyze bench_verified;`,
  );

  await step(`experts: profiles, expert_profiles`, async () => {
    await db.unsafe(`update public.profiles p set role = 'expert' from bench_experts x where p.id = x.id`);
    await db.unsafe(
      `insert into public.expert_profiles (id, headline, expertise, credentials, experience_years, hourly_rate_cents, bio,
                                           is_available, verification_status, verified_at, rating_avg, rating_count, city, area, created_at)
       select x.id,
              initcap(replace(s1, '_', ' ')) || ' advice from a ' || (2 + floor(pg_temp.u(x.n, 13) * 30)::int) || '-year professional',
              array(select distinct t from unnest(array[s1, s2, s3]) t where t is not null order by 1), array['Certified ' || replace(s1, '_', ' ') || ' professional'],
              (2 + floor(pg_temp.u(x.n, 13) * 30))::smallint,
              (3000 + floor(pg_temp.u(x.n, 14) * 27) * 1000)::int,
              'Bench expert ' || x.n || '.',
              x.available, x.verification::public.verification_status,
              case when x.verification = 'verified' then now() - pg_temp.u(x.n, 15) * interval '700 days' end,
              0, 0,
              c.name, null, now() - pg_temp.u(x.n, 19) * interval '900 days'
       from bench_experts x,
            lateral (select ($1::text[])[1 + floor(pg_temp.u(x.n, 20) ^ 1.5 * 20)::int] as s1,
                            ($1::text[])[1 + floor(pg_temp.u(x.n, 21) * 20)::int] as s2,
                            case when pg_temp.u(x.n, 22) < 0.5 then ($1::text[])[1 + floor(pg_temp.u(x.n, 23) * 20)::int] end as s3) s,
            lateral (select case ${cityCase("x.n")} end as name) c`,
      [skills],
    );
  });

  await db`set local session_replication_role = replica`;
  await step(`expert_locations (replica mode from here)`, () =>
    db.unsafe(`
      insert into public.expert_locations (expert_id, location, city, updated_at)
      select x.id, extensions.st_setsrid(extensions.st_makepoint(pt.lng, pt.lat), 4326)::extensions.geography, pt.city, now()
      from bench_experts x, lateral (${pointSql("x.n")}) pt`),
  );
  // What the location triggers (off in replica mode) keep: the cells nearby_experts() searches.
  await step(`searchable cells (the nearby search's index)`, () =>
    db.unsafe(`
      insert into private.searchable_cells (expert_id, cell)
      select l.expert_id, l.cell from public.expert_locations l
      join public.expert_profiles e on e.id = l.expert_id join public.profiles p on p.id = l.expert_id
      where e.verification_status = 'verified' and e.is_available and p.status = 'active'`),
  );

  await step(`favorites (~${Math.round(members * perMember.favorites)})`, () =>
    db.unsafe(`
      insert into public.favorites (member_id, expert_id, created_at)
      select m.id, v.id, min(now() - pg_temp.u(m.n * 64 + k, 31) * interval '365 days')
      from bench_members m
      cross join lateral generate_series(1, pg_temp.how_many(m.n, 30, ${mean(perMember.favorites)}, 50)) k
      join bench_verified v on v.vk = floor(pg_temp.u(m.n * 64 + k, 32) ^ 2 * (select count(*) from bench_verified))::bigint
      group by m.id, v.id`),
  );

  await step(`bookings (~${Math.round(members * perMember.bookings)}; past and future, mixed statuses)`, async () => {
    // Generated into a temp table first: reviews are drawn from the same rows (by their row key r).
    await db.unsafe(`
      create temp table bench_bookings on commit drop as
      select pg_temp.bench_uuid('booking', r) as id, r, member_id, expert_id, status, at, minutes, price, created
      from (
        select m.id as member_id, v.id as expert_id, m.n * 64 + k as r, t.at, t.minutes,
               round(coalesce(e.hourly_rate_cents, 0) * t.minutes / 60.0)::int as price,
               least(now() - interval '1 minute', t.at - (1 + pg_temp.u(m.n * 64 + k, 44) * 29) * interval '1 day') as created,
               case when t.at < now()
                    then case when pg_temp.u(m.n * 64 + k, 45) < 0.8 then 'completed' else 'cancelled' end
                    else case when pg_temp.u(m.n * 64 + k, 45) < 0.4 then 'requested' when pg_temp.u(m.n * 64 + k, 45) < 0.9 then 'confirmed' else 'cancelled' end
               end as status
        from bench_members m
        cross join lateral generate_series(1, pg_temp.how_many(m.n, 40, ${mean(perMember.bookings)}, 60)) k
        join bench_verified v on v.vk = floor(pg_temp.u(m.n * 64 + k, 41) ^ 2 * (select count(*) from bench_verified))::bigint
        join public.expert_profiles e on e.id = v.id
        cross join lateral (
          select date_trunc('hour', now() + (pg_temp.u(m.n * 64 + k, 42) * 540 - 450) * interval '1 day') as at,
                 (array[30, 45, 60, 60, 90])[1 + floor(pg_temp.u(m.n * 64 + k, 43) * 5)::int] as minutes) t
      ) g`);
    await db.unsafe(`
      insert into public.bookings (id, member_id, expert_id, status, scheduled_at, duration_minutes, price_cents, currency,
                                   credits_applied_cents, note, created_at, updated_at, confirmed_at, completed_at, cancelled_at, cancelled_by)
      select b.id, b.member_id, b.expert_id, b.status::public.booking_status, b.at, b.minutes, b.price,
             'USD', case when pg_temp.u(b.r, 47) < 0.1 then (b.price * pg_temp.u(b.r, 48) * 0.5)::int else 0 end,
             null, b.created, greatest(b.created, least(now(), b.at)),
             case when b.status in ('confirmed', 'completed') or (b.status = 'cancelled' and pg_temp.u(b.r, 49) < 0.5) then b.created + interval '1 hour' end,
             case when b.status = 'completed' then b.at + b.minutes * interval '1 minute' end,
             case when b.status = 'cancelled' then least(now(), b.at - interval '1 hour') end,
             case when b.status = 'cancelled' then case when pg_temp.u(b.r, 50) < 0.7 then b.member_id else b.expert_id end end
      from bench_bookings b order by b.created`);
  });

  // Reviews of 30% of completed consultations, the experts' rating aggregates computed from them
  // (what the review trigger keeps), a support ticket for 5% of members, and notifications: one
  // per review to its expert, one per ticket to its member (half of each unread).
  await step(`reviews, rating aggregates, tickets, notifications`, async () => {
    await db.unsafe(`
      insert into public.reviews (id, booking_id, author_id, expert_id, rating, title, body, created_at, updated_at)
      select pg_temp.bench_uuid('review', b.r), b.id, b.member_id, b.expert_id, g.rating,
             (array['Great session', 'Very helpful', 'Good advice', 'Okay', 'Not what I needed'])[6 - g.rating],
             case when pg_temp.u(b.r, 72) < 0.5 then 'Bench review of booking ' || b.r || '.' end,
             b.at + (1 + pg_temp.u(b.r, 73) * 5) * interval '1 day', b.at + interval '1 day'
      from bench_bookings b,
           lateral (select (case when pg_temp.u(b.r, 71) < 0.55 then 5 when pg_temp.u(b.r, 71) < 0.85 then 4
                                 when pg_temp.u(b.r, 71) < 0.93 then 3 when pg_temp.u(b.r, 71) < 0.97 then 2 else 1 end)::smallint as rating) g
      where b.status = 'completed' and pg_temp.u(b.r, 70) < 0.3 and b.at + interval '6 days' < now()`);
    await db.unsafe(`
      update public.expert_profiles e set rating_avg = s.avg, rating_count = s.n
      from (select expert_id, round(avg(rating), 2) as avg, count(*)::integer as n from public.reviews where not is_hidden group by 1) s
      where e.id = s.expert_id`);
    await db.unsafe(`
      insert into public.support_tickets (id, member_id, subject, category, status, priority, created_at, updated_at, last_message_at, resolved_at)
      select pg_temp.bench_uuid('ticket', m.n), m.id, 'Bench ticket ' || m.n,
             (enum_range(null::public.ticket_category))[1 + floor(pg_temp.u(m.n, 81) * 6)::int],
             st.status, 'normal', t.opened, t.opened, t.opened + interval '2 hours',
             case when st.status in ('resolved', 'closed') then t.opened + interval '1 day' end
      from bench_members m,
           lateral (select now() - pg_temp.u(m.n, 82) * interval '200 days' as opened) t,
           lateral (select (enum_range(null::public.ticket_status))[1 + floor(pg_temp.u(m.n, 83) * 4)::int] as status) st
      where pg_temp.u(m.n, 80) < 0.05`);
    await db.unsafe(`
      insert into public.notifications (user_id, kind, title, data, read_at, created_at)
      select r.expert_id, 'review_received', format('New %s-star review', r.rating), jsonb_build_object('review_id', r.id),
             case when pg_temp.u(('x' || left(md5(r.id::text), 15))::bit(60)::bigint, 90) < 0.5 then r.created_at + interval '1 day' end, r.created_at
        from public.reviews r
      union all
      select t.member_id, 'support_reply', 'Support replied: ' || t.subject, jsonb_build_object('ticket_id', t.id),
             case when pg_temp.u(('x' || left(md5(t.id::text), 15))::bit(60)::bigint, 91) < 0.5 then t.last_message_at + interval '1 hour' end, t.last_message_at
        from public.support_tickets t
      order by 6`);
  });

  await step(`search_history (~${Math.round(members * perMember.searches)}, ≤ 100 per member)`, () =>
    db.unsafe(
      `
      insert into public.search_history (member_id, query, filters, created_at)
      select m.id,
             case when pg_temp.u(m.n * 128 + k, 52) < 0.2 then '' else ($1::text[])[1 + floor(pg_temp.u(m.n * 128 + k, 53) * 20)::int] end,
             case when pg_temp.u(m.n * 128 + k, 52) < 0.2
                  then jsonb_build_object('city', ($2::text[])[1 + floor(pg_temp.u(m.n * 128 + k, 54) * 5)::int], 'radius_km', 25)
                  when pg_temp.u(m.n * 128 + k, 55) < 0.3 then jsonb_build_object('min_rating', 4)
                  else '{}'::jsonb end,
             now() - pg_temp.u(m.n * 128 + k, 56) * interval '180 days'
      from bench_members m
      cross join lateral generate_series(1, pg_temp.how_many(m.n, 51, ${mean(perMember.searches)}, 100)) k
      order by m.n, k`,
      [skills.map((s) => s.replace("_", " ")), region.cities.map((c) => c.name)],
    ),
  );

  // What the favorites, booking and search RPCs/triggers write to the feed, for the rows above.
  await step(`activity (favorited, booked, searched, reviewed, ticket_opened)`, () =>
    db.unsafe(`
      insert into public.activity (user_id, kind, subject_type, subject_id, details, created_at)
      select f.member_id, 'favorited', 'expert', f.expert_id::text, '{}', f.created_at
        from public.favorites f join bench_members m on m.id = f.member_id
      union all
      select b.member_id, 'booked', 'booking', b.id::text, jsonb_build_object('expert_id', b.expert_id, 'scheduled_at', b.scheduled_at), b.created_at
        from public.bookings b join bench_members m on m.id = b.member_id
      union all
      select h.member_id, 'searched', 'search', h.id::text, '{}', h.created_at
        from public.search_history h join bench_members m on m.id = h.member_id
      union all
      select r.author_id, 'reviewed', 'review', r.id::text, jsonb_build_object('expert_id', r.expert_id, 'rating', r.rating), r.created_at
        from public.reviews r
      union all
      select t.member_id, 'ticket_opened', 'support_ticket', t.id::text, '{}', t.created_at
        from public.support_tickets t
      order by 6`),
  );

  // Direct messaging: conversations between a member and a verified expert (popular experts get
  // more), ~10 messages each alternating between the two, and each participant's read state as
  // the message triggers keep it (30% of members and 20% of experts with 1-3 unread).
  await step(`conversations (~${Math.round(members * perMember.conversations)}) and messages (~${Math.round(members * perMember.conversations * perMember.messagesPerConversation)})`, async () => {
    await db.unsafe(`
      create temp table bench_conversations on commit drop as
      select distinct on (m.id, v.id) pg_temp.bench_uuid('conversation', c) as id, c, m.id as member_id, v.id as expert_id,
             now() - (1 + pg_temp.u(c, 101) * 179) * interval '1 day' as started,
             1 + pg_temp.how_many(c, 103, ${mean(perMember.messagesPerConversation - 1)}, 200) as messages
        from generate_series(1, ${Math.round(members * perMember.conversations)}) c
        join bench_members m on m.n = 1 + floor(pg_temp.u(c, 100) * ${members})::bigint
        join bench_verified v on v.vk = floor(pg_temp.u(c, 102) ^ 2 * (select count(*) from bench_verified))::bigint
       order by m.id, v.id, c`);
    await db.unsafe(`
      insert into public.conversations (id, member_id, expert_id, created_at)
      select id, member_id, expert_id, started from bench_conversations order by started`);
    await db.unsafe(`
      insert into public.messages (conversation_id, sender_id, body, created_at)
      select c.id, case when k % 2 = 1 then c.member_id else c.expert_id end,
             'Bench message ' || k || ' of conversation ' || c.c || case when pg_temp.u(c.c * 256 + k, 104) < 0.5 then ': could we meet next week about the details?' else '.' end,
             least(now(), c.started + (k + pg_temp.u(c.c * 256 + k, 105)) * interval '2 hours')
        from bench_conversations c cross join lateral generate_series(1, c.messages) k
       order by 4`);
    await db.unsafe(`
      insert into public.conversation_participants (conversation_id, user_id, last_message_id, last_message_at, last_read_message_id, last_read_at, unread_count)
      select c.id, p.user_id, l.id, l.created_at,
             case when u.unread = 0 then l.id end, case when u.unread = 0 then l.created_at end, u.unread
        from bench_conversations c
        cross join lateral (values (c.member_id, 0.3, 106), (c.expert_id, 0.2, 107)) p(user_id, share, stream)
        cross join lateral (select m.id, m.created_at from public.messages m where m.conversation_id = c.id order by m.created_at desc, m.id desc limit 1) l
        cross join lateral (select case when pg_temp.u(c.c, p.stream) < p.share then least(c.messages, 1 + floor(pg_temp.u(c.c, p.stream + 10) * 3)::int) else 0 end as unread) u`);
  });
}

/** The city an expert (row number n) belongs to: the shares of region.cities, the rest scattered. */
function cityCase(n: string): string {
  let acc = 0;
  return region.cities
    .map((c) => {
      acc += c.share;
      return `when pg_temp.u(${n}, 60) < ${acc.toFixed(4)} then '${c.name}'`;
    })
    .join(" ");
}

/** A point for expert n: around its city (Box-Muller normal, spread in degrees) or uniform over the box. */
function pointSql(n: string): string {
  let acc = 0;
  const arms = region.cities.map((c) => {
    acc += c.share;
    return `when pg_temp.u(${n}, 60) < ${acc.toFixed(4)} then array[${c.lat} + ${c.spread} * z.a, ${c.lng} + ${c.spread} * 1.3 * z.b]`;
  });
  return `select ll[1] as lat, ll[2] as lng, case ${cityCase(n)} end as city
          from (select sqrt(-2 * ln(1 - pg_temp.u(${n}, 61))) * cos(2 * pi() * pg_temp.u(${n}, 62)) as a,
                       sqrt(-2 * ln(1 - pg_temp.u(${n}, 61))) * sin(2 * pi() * pg_temp.u(${n}, 62)) as b) z,
               lateral (select case ${arms.join(" ")}
                               else array[${region.minLat} + (${region.maxLat} - ${region.minLat}) * pg_temp.u(${n}, 63),
                                          ${region.minLng} + (${region.maxLng} - ${region.minLng}) * pg_temp.u(${n}, 64)] end as ll) l`;
}

async function counts(sql: postgres.Sql): Promise<Record<string, number>> {
  const [row] = await sql<Record<string, number>[]>`
    select (select count(*) from auth.users where email like ${"%@" + BENCH_DOMAIN})::int as users,
           (select count(*) from public.expert_profiles)::int as experts,
           (select count(*) from public.expert_profiles where verification_status = 'verified' and is_available)::int as experts_bookable,
           (select count(*) from public.expert_locations)::int as expert_locations,
           (select count(*) from public.favorites)::int as favorites,
           (select count(*) from public.bookings)::int as bookings,
           (select count(*) from public.activity)::int as activity,
           (select count(*) from public.search_history)::int as search_history,
           (select count(*) from public.reviews)::int as reviews,
           (select count(*) from public.support_tickets)::int as support_tickets,
           (select count(*) from public.notifications)::int as notifications,
           (select count(*) from public.conversations)::int as conversations,
           (select count(*) from public.messages)::int as messages`;
  return { ...row, bulk_rows: row.favorites + row.bookings + row.activity + row.search_history };
}

/** The ids the generator gives member n and expert n (1-based), as the SQL above computes them. */
export async function benchIds(sql: postgres.Sql, kind: "member" | "expert", ns: number[], seed = Math.trunc(Number(process.env.BENCH_SEED ?? 42))): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select md5('memberbase-bench:' || ${kind}::text || ':' || n || ':' || ${seed}::int)::uuid::text as id
    from unnest(${ns}::int[]) with ordinality as t(n, o) order by o`;
  return rows.map((r) => r.id);
}

// CLI: load into the stack at MEMBERBASE_PORT_OFFSET (e.g. a running `npm run dev`).
if (import.meta.url === `file://${process.argv[1]}`) {
  const { adminDbUrl } = await import("../stack/config.ts");
  await loadScaleSeed({ adminDbUrl, log: (l) => console.log(l) });
}
