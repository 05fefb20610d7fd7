// Scale data for the benchmark: 100k members, 10k experts over a region (mainland Portugal: five
// city clusters plus experts scattered anywhere in it), and about 1M rows across favorites,
// bookings, activity and search_history, plus the reviews, support tickets and notifications
// those imply, and direct messaging: ~100k member-expert conversations with ~1M messages and
// each participant's read state. Everything is generated server-side with generate_series, so the load is a handful
// of statements; every "random" choice is a hash of (row number, stream, BENCH_SEED), so a given
// seed and scale always produce the same rows, whatever plan Postgres picks.
//
// How rows come in:
// - Sign-ups: a sample of users (40 members, 10 experts) first goes into auth.users WITH the
//   on_auth_user_created_* triggers on, inside a savepoint: the tables those triggers write and
//   the rows they give each user are recorded, then rolled back. Then all users go in without
//   triggers and signUpRows writes the same rows set-based (one statement per table); the load
//   fails unless it wrote exactly the triggers' tables, as many rows per user, and the sample
//   users' rows equal the triggers' rows column for column (generated ids and random referral
//   codes aside). A later capability's new sign-up trigger therefore fails the load until
//   signUpRows learns it. (Per-row triggers were 73% of the load: ~47 min of it at BENCH_SCALE=10.)
// - Bulk rows (expert locations, favorites, bookings, reviews, tickets, notifications, activity,
//   search_history, messaging) are loaded with session_replication_role = replica: per-row triggers (activity
//   recording, history pruning, rating aggregates) and FK checks are skipped for speed, so the
//   generator writes what those triggers would have: an activity row per favorite, booking, search,
//   review and ticket, at most 100 searches per member, experts' ratings computed from their
//   reviews, the searchable experts' cells. Replica mode needs a superuser (the stack's supabase_admin).
//   Each table's secondary indexes are dropped before its insert and built again right after it
//   (withIndexesAfter).
// - All in one transaction (then VACUUM ANALYZE): a failed load leaves nothing behind.
//
// Sizes scale with BENCH_SCALE (default 1; 0.1 for a quick run; at most 10); BENCH_SEED picks another data set.
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

    const step = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
      const t = performance.now();
      const result = await work();
      log(`  ${label.padEnd(52)} ${((performance.now() - t) / 1000).toFixed(1).padStart(6)} s`);
      return result;
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

type Step = <T>(label: string, work: () => Promise<T>) => Promise<T>;

async function seedTransaction(db: postgres.TransactionSql, p: { members: number; experts: number; seed: number; step: Step }) {
  const { members, experts, seed, step } = p;
  const mean = (t: number) => 1 / Math.log(1 + 1 / t); // floor(Exp(mean)) then averages t
  await db.unsafe(`
    set local statement_timeout = 0;
    -- The generator's temp tables (a million rows at BENCH_SCALE=10) in memory, not evicted page by page.
    set local temp_buffers = '512MB';
    -- Sorts of millions of rows and index builds after the load: in memory where it fits.
    set local work_mem = '256MB';
    set local maintenance_work_mem = '1GB';
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

  // The users' insert, for all of them or (proof) a few: person i is member i, then expert i - members.
  const insertUsers = (where: string) =>
    db.unsafe(
      `
      with pw as materialized (select extensions.crypt('bench-password-1', extensions.gen_salt('bf', 4)) as hash),
      people as (
        select g as i, case when g <= $1::int then 'member' else 'expert' end as kind, case when g <= $1::int then g else g - $1::int end as n
        from generate_series(1, $1::int + $2::int) g
        where ${where}
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
      from people, pw, lateral (select now() - interval '1 day' - pg_temp.u(i, 3) * interval '1095 days' as joined) t
      order by 2`, // in id order: the primary key grows at its right edge, not at random pages
      [members, experts, first, last],
    );

  // What the sign-up triggers write, for a sample of these users through the real triggers (rolled
  // back afterwards): the rows the set-based sign-up below must reproduce for the same users.
  const proofWhere = `g <= ${Math.min(members, 40)} or g > $1::int and g <= $1::int + ${Math.min(experts, 10)}`;
  const proof = await step(`sign-up triggers on a sample (proof, rolled back)`, () => signUpProof(db, () => insertUsers(proofWhere)));

  // Everything from here on in replica mode: no per-row triggers, no FK checks (see the header).
  await db`set local session_replication_role = replica`;
  await step(`auth.users: ${members} members + ${experts} experts`, async () => {
    await withIndexesAfter(db, ["auth.users"], () => insertUsers("true"));
    await db`analyze auth.users`; // the set-based sign-up below plans on it
  });
  await step(`sign-up rows, set-based (${signUpTables.length} tables)`, async () => {
    const written = await xactInserts(db, async () => withIndexesAfter(db, signUpTables, () => signUpRows(db, seed)));
    checkSignUpRows(proof, written, members + experts);
  });
  await step(`sign-up rows = the triggers' rows (sample)`, () => compareSignUpRows(db, proof));
  await db`set local session_replication_role = origin`;

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
    withIndexesAfter(db, ["public.expert_locations"], () => db.unsafe(`
      insert into public.expert_locations (expert_id, location, city, updated_at)
      select x.id, extensions.st_setsrid(extensions.st_makepoint(pt.lng, pt.lat), 4326)::extensions.geography, pt.city, now()
      from bench_experts x, lateral (${pointSql("x.n")}) pt`)),
  );
  // What the location triggers (off in replica mode) keep: the cells nearby_experts() searches, for
  // the experts loaded here only (a used stack's own experts have theirs already).
  await step(`searchable cells (the nearby search's index)`, () =>
    db.unsafe(`
      insert into private.searchable_cells (expert_id, cell)
      select l.expert_id, l.cell from bench_experts x join public.expert_locations l on l.expert_id = x.id
      join public.expert_profiles e on e.id = l.expert_id join public.profiles p on p.id = l.expert_id
      where private.expert_listing_rule(p.role, p.status, e.verification_status) and e.is_available -- bookable (the listing rule)
      `),
  );

  await step(`favorites (~${Math.round(members * perMember.favorites)})`, () =>
    withIndexesAfter(db, ["public.favorites"], () => db.unsafe(`
      insert into public.favorites (member_id, expert_id, created_at)
      select m.id, v.id, min(now() - pg_temp.u(m.n * 64 + k, 31) * interval '365 days')
      from bench_members m
      cross join lateral generate_series(1, pg_temp.how_many(m.n, 30, ${mean(perMember.favorites)}, 50)) k
      join bench_verified v on v.vk = floor(pg_temp.u(m.n * 64 + k, 32) ^ 2 * (select count(*) from bench_verified))::bigint
      group by m.id, v.id`)),
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
    await withIndexesAfter(db, ["public.bookings"], () => db.unsafe(`
      insert into public.bookings (id, member_id, expert_id, status, scheduled_at, duration_minutes, price_cents, currency,
                                   credits_applied_cents, note, created_at, updated_at, confirmed_at, completed_at, cancelled_at, cancelled_by)
      select b.id, b.member_id, b.expert_id, b.status::public.booking_status, b.at, b.minutes, b.price,
             'USD', case when pg_temp.u(b.r, 47) < 0.1 then (b.price * pg_temp.u(b.r, 48) * 0.5)::int else 0 end,
             null, b.created, greatest(b.created, least(now(), b.at)),
             case when b.status in ('confirmed', 'completed') or (b.status = 'cancelled' and pg_temp.u(b.r, 49) < 0.5) then b.created + interval '1 hour' end,
             case when b.status = 'completed' then b.at + b.minutes * interval '1 minute' end,
             case when b.status = 'cancelled' then least(now(), b.at - interval '1 hour') end,
             case when b.status = 'cancelled' then case when pg_temp.u(b.r, 50) < 0.7 then b.member_id else b.expert_id end end
      from bench_bookings b order by b.created`));
  });

  // Reviews of 30% of completed consultations, the experts' rating aggregates computed from them
  // (what the review trigger keeps), a support ticket for 5% of members, and notifications: one
  // per review to its expert, one per ticket to its member (half of each unread).
  await step(`reviews, rating aggregates, tickets, notifications`, () => withIndexesAfter(db, ["public.reviews", "public.support_tickets", "public.notifications"], async () => {
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
  }));

  await step(`search_history (~${Math.round(members * perMember.searches)}, ≤ 100 per member)`, () =>
    withIndexesAfter(db, ["public.search_history"], () => db.unsafe(
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
    )),
  );

  // What the favorites, booking and search RPCs/triggers write to the feed, for the rows above.
  await step(`activity (favorited, booked, searched, reviewed, ticket_opened)`, () =>
    withIndexesAfter(db, ["public.activity"], () => db.unsafe(`
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
      order by 6`)),
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
    await withIndexesAfter(db, ["public.conversations"], () => db.unsafe(`
      insert into public.conversations (id, member_id, expert_id, created_at)
      select id, member_id, expert_id, started from bench_conversations order by started`));
    // The messages' indexes are back before the read state below looks up each conversation's last message.
    await withIndexesAfter(db, ["public.messages"], () => db.unsafe(`
      insert into public.messages (conversation_id, sender_id, body, created_at)
      select c.id, case when k % 2 = 1 then c.member_id else c.expert_id end,
             'Bench message ' || k || ' of conversation ' || c.c || case when pg_temp.u(c.c * 256 + k, 104) < 0.5 then ': could we meet next week about the details?' else '.' end,
             least(now(), c.started + (k + pg_temp.u(c.c * 256 + k, 105)) * interval '2 hours')
        from bench_conversations c cross join lateral generate_series(1, c.messages) k
       order by 4`));
    await withIndexesAfter(db, ["public.conversation_participants"], () => db.unsafe(`
      insert into public.conversation_participants (conversation_id, user_id, last_message_id, last_message_at, last_read_message_id, last_read_at, unread_count)
      select c.id, p.user_id, l.id, l.created_at,
             case when u.unread = 0 then l.id end, case when u.unread = 0 then l.created_at end, u.unread
        from bench_conversations c
        cross join lateral (values (c.member_id, 0.3, 106), (c.expert_id, 0.2, 107)) p(user_id, share, stream)
        cross join lateral (select m.id, m.created_at from public.messages m where m.conversation_id = c.id order by m.created_at desc, m.id desc limit 1) l
        cross join lateral (select case when pg_temp.u(c.c, p.stream) < p.share then least(c.messages, 1 + floor(pg_temp.u(c.c, p.stream + 10) * 3)::int) else 0 end as unread) u`));
  });
}

/** The tables a sign-up writes (the on_auth_user_created_* triggers), as signUpRows writes them. */
const signUpTables = [
  "public.profiles", "public.member_preferences", "public.notification_preferences", "public.email_preferences",
  "public.privacy_settings", "public.location_preferences", "public.onboarding", "public.credit_accounts", "public.referral_codes",
];
/** Columns that differ between two sign-ups by design (random), checked for their shape instead. */
const randomByDesign: Record<string, string[]> = { "public.referral_codes": ["code"] };

/**
 * The sign-up triggers' rows for every bench user, set-based: what private.create_member_rows
 * (on_auth_user_created_10_member) and private.handle_new_user_credits (…_20_credits) insert, with
 * the metadata read by the same private.meta_text / meta_true (once per distinct metadata), the
 * rows' own BEFORE INSERT triggers' effect included (onboarding_settle: updated_at now(), not
 * completed; privacy_settings_consent: no consent, no stamp). Referral codes: the same alphabet,
 * from a hash of (user, BENCH_SEED) instead of random bytes. compareSignUpRows proves the result.
 */
async function signUpRows(db: postgres.TransactionSql, seed: number) {
  await db.unsafe(`
    create temp table bench_signup_meta on commit drop as
    select d.meta,
           private.meta_text(d.o, array['first_name', 'firstName', 'given_name'], 100) as first_name,
           private.meta_text(d.o, array['last_name', 'lastName', 'family_name'], 100) as last_name,
           private.meta_text(d.o, array['locale', 'language'], 16) as locale,
           private.meta_text(d.o, array['terms_version', 'termsVersion'], 32) as terms_version,
           private.meta_true(d.o, array['terms_accepted', 'agreesToTerms', 'accepted_terms']) as terms
      from (select distinct raw_user_meta_data as meta,
                   case when jsonb_typeof(raw_user_meta_data) = 'object' then raw_user_meta_data else '{}'::jsonb end as o
              from auth.users where email like '%@${BENCH_DOMAIN}') d;
    analyze bench_signup_meta;
    create temp table bench_signups on commit drop as
    select u.id, m.first_name, m.last_name,
           case when m.locale is null or m.locale ~ '^[a-z]{2}(-[A-Z]{2})?$' then m.locale
                when lower(left(m.locale, 2)) ~ '^[a-z]{2}$' then lower(left(m.locale, 2)) end as locale,
           case when m.terms_version ~ '^[A-Za-z0-9._-]{1,32}$' then m.terms_version end as terms_version,
           m.terms
      from auth.users u join bench_signup_meta m on m.meta = u.raw_user_meta_data
     where u.email like '%@${BENCH_DOMAIN}'
     order by u.id; -- the inserts below go in this order: their user_id keys grow at the right edge
    analyze bench_signups;`);
  await db.unsafe(`
    insert into public.profiles (id, first_name, last_name, display_name)
    select id, first_name, last_name, nullif(btrim(concat_ws(' ', first_name, last_name)), '') from bench_signups;
    insert into public.member_preferences (user_id, locale) select id, coalesce(locale, 'en') from bench_signups;
`);
  // A row per channel and category: 32 per user, the largest table of the load (35 M rows at scale 10).
  // Its primary key is built once, sorted, after the insert instead of grown row by row.
  await withKeysAfter(db, "public.notification_preferences", () => db.unsafe(`
    insert into public.notification_preferences (user_id, channel, category, enabled)
    select s.id, ch, cat, not (cat = 'marketing' or ch = 'sms')
      from bench_signups s
      cross join lateral (select ch, cat from unnest(enum_range(null::public.notification_channel)) ch,
                                              unnest(enum_range(null::public.notification_category)) cat) e`));
  await db.unsafe(`
    insert into public.email_preferences (user_id) select id from bench_signups;
    insert into public.privacy_settings (user_id) select id from bench_signups;
    insert into public.location_preferences (user_id) select id from bench_signups;
    insert into public.onboarding (user_id, terms_accepted_at, terms_version)
    select id, case when terms and terms_version is not null then now() end, case when terms then terms_version end from bench_signups;
    insert into public.credit_accounts (user_id) select id from bench_signups;
    insert into public.referral_codes (code, user_id)
    select (select string_agg(substr('23456789ABCDEFGHJKLMNPQRSTUVWXYZ', get_byte(h.b, i) % 32 + 1, 1), '' order by i)
              from (select decode(md5('memberbase-bench:referral:' || s.id || ':${seed}'), 'hex') as b) h, generate_series(0, 9) i),
           s.id
      from bench_signups s;`);
}

interface SignUpProof {
  users: string[];
  /** Rows per user each table got from the triggers. */
  perUser: Record<string, number>;
  /** Each table's rows for the sample users (jsonb text, volatile columns left out), sorted. */
  rows: Record<string, string[]>;
  where: Record<string, string>;
  omit: Record<string, string[]>;
}

type Counts = Record<string, { ins: number; upd: number; del: number }>;

/** Rows inserted, updated, deleted per (non-temporary) table by work, from this transaction's statistics. */
async function xactInserts(db: postgres.TransactionSql, work: () => Promise<unknown>): Promise<Counts> {
  const snap = async () => {
    const rows = await db<{ t: string; ins: string; upd: string; del: string }[]>`
      select format('%I.%I', schemaname, relname) as t, n_tup_ins as ins, n_tup_upd as upd, n_tup_del as del
        from pg_stat_xact_user_tables where schemaname !~ '^pg_(temp|toast_temp)'`;
    return new Map(rows.map((r) => [r.t, [Number(r.ins), Number(r.upd), Number(r.del)]]));
  };
  const before = await snap();
  await work();
  const after = await snap();
  const out: Counts = {};
  for (const [t, [i, u, d]] of after) {
    const [i0, u0, d0] = before.get(t) ?? [0, 0, 0];
    if (i - i0 || u - u0 || d - d0) out[t] = { ins: i - i0, upd: u - u0, del: d - d0 };
  }
  return out;
}

/** Sample users inserted with the sign-up triggers on, inside a savepoint rolled back afterwards. */
async function signUpProof(db: postgres.TransactionSql, insertSample: () => Promise<unknown>): Promise<SignUpProof> {
  await db`savepoint bench_signup_proof`;
  const written = await xactInserts(db, insertSample);
  const users = (await db<{ id: string }[]>`select id::text from auth.users where email like ${"%@" + BENCH_DOMAIN} order by 1`).map((r) => r.id);
  if (written["auth.users"]?.ins !== users.length) throw new Error(`sign-up proof: expected ${users.length} auth.users inserts, saw ${JSON.stringify(written)}`);
  const tables = Object.keys(written).filter((t) => t !== "auth.users").sort();
  // Each table's rows of a user: its single-column foreign keys to auth.users or profiles.
  const fks = await db<{ t: string; col: string }[]>`
    select format('%I.%I', n.nspname, r.relname) as t, a.attname as col
      from pg_constraint k join pg_class r on r.oid = k.conrelid join pg_namespace n on n.oid = r.relnamespace
      join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
     where k.contype = 'f' and cardinality(k.conkey) = 1 and k.confrelid in ('auth.users'::regclass, 'public.profiles'::regclass)
       and k.conrelid = any(${tables}::regclass[])`;
  // Columns two identical sign-ups may differ in: generated ids, clock readings, random values.
  const volatile = await db<{ t: string; col: string }[]>`
    select format('%I.%I', n.nspname, r.relname) as t, a.attname as col
      from pg_attribute a join pg_class r on r.oid = a.attrelid join pg_namespace n on n.oid = r.relnamespace
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where a.attrelid = any(${tables}::regclass[]) and a.attnum > 0 and not a.attisdropped
       and (a.attidentity <> '' or a.attgenerated <> '' or pg_get_expr(d.adbin, d.adrelid) ~ '(gen_random_uuid|uuid_generate|nextval|clock_timestamp|random|timeofday)')`;
  const proof: SignUpProof = { users, perUser: {}, rows: {}, where: {}, omit: {} };
  for (const t of tables) {
    const { ins, upd, del } = written[t];
    const cols = fks.filter((f) => f.t === t).map((f) => f.col);
    if (upd || del || !cols.length || ins % users.length)
      throw new Error(`sign-up proof: the sign-up triggers wrote ${t} in a way the set-based sign-up does not model (${JSON.stringify(written[t])}, user columns ${cols.join(", ") || "none"}); update signUpRows in seed/scale.ts`);
    proof.perUser[t] = ins / users.length;
    proof.where[t] = cols.map((c) => `t.${JSON.stringify(c)} = any($1::uuid[])`).join(" or ");
    proof.omit[t] = [...volatile.filter((v) => v.t === t).map((v) => v.col), ...(randomByDesign[t] ?? [])];
    proof.rows[t] = await signUpRowsOf(db, t, proof);
    if (proof.rows[t].length !== ins) throw new Error(`sign-up proof: ${t} has ${proof.rows[t].length} rows of the sample users, the triggers inserted ${ins}`);
  }
  await db`rollback to savepoint bench_signup_proof`;
  return proof;
}

async function signUpRowsOf(db: postgres.TransactionSql, t: string, proof: SignUpProof): Promise<string[]> {
  const rows = await db.unsafe<{ r: string }[]>(`select (to_jsonb(t) - $2::text[])::text as r from ${t} t where ${proof.where[t]}`, [proof.users, proof.omit[t]]);
  return rows.map((x) => x.r).sort();
}

/** The set-based load wrote the tables the triggers write, as many rows per user. */
function checkSignUpRows(proof: SignUpProof, written: Counts, users: number) {
  const want = Object.keys(proof.perUser).sort().join(", ");
  const got = Object.keys(written).sort().join(", ");
  if (want !== got) throw new Error(`set-based sign-up wrote [${got}], the sign-up triggers write [${want}]: update signUpRows in seed/scale.ts`);
  for (const [t, n] of Object.entries(proof.perUser))
    if (written[t].ins !== n * users || written[t].upd || written[t].del)
      throw new Error(`set-based sign-up wrote ${JSON.stringify(written[t])} to ${t}; the triggers write ${n} per user (${n * users} for ${users})`);
}

/** The sample users' rows from the set-based load equal the rows the real triggers gave them. */
async function compareSignUpRows(db: postgres.TransactionSql, proof: SignUpProof) {
  for (const t of Object.keys(proof.rows)) {
    const got = await signUpRowsOf(db, t, proof);
    const want = proof.rows[t];
    const diff = got.findIndex((r, i) => r !== want[i]);
    if (got.length !== want.length || diff >= 0)
      throw new Error(`set-based sign-up differs from the sign-up triggers in ${t}: ${got.length} rows vs ${want.length}; first difference:\n  set-based: ${got[diff]}\n  triggers:  ${want[diff]}`);
  }
  const [{ bad }] = await db<{ bad: number }[]>`
    select count(*)::int as bad from public.referral_codes where code is distinct from private.normalise_referral_code(code)`;
  if (bad) throw new Error(`${bad} generated referral codes are not in the referral code alphabet`);
}

/**
 * Runs a bulk load into tables without their secondary indexes, re-creating them after it (one
 * sorted build instead of millions of insertions). Indexes behind constraints (primary keys,
 * unique, exclusion, and those foreign keys point at) stay; all inside the load's transaction.
 */
/**
 * Drops the table's primary key and unique constraints that no foreign key depends on, runs work,
 * and adds them back: each is then built (and its uniqueness checked) once over the sorted rows.
 */
async function withKeysAfter<T>(db: postgres.TransactionSql, table: string, work: () => Promise<T>): Promise<T> {
  const keys = await db<{ name: string; def: string }[]>`
    select quote_ident(k.conname) as name, pg_get_constraintdef(k.oid) as def from pg_constraint k
     where k.conrelid = ${table}::regclass and k.contype in ('p', 'u')
       and not exists (select 1 from pg_constraint f where f.contype = 'f' and f.conindid = k.conindid)`;
  for (const k of keys) await db.unsafe(`alter table ${table} drop constraint ${k.name}`);
  const result = await withIndexesAfter(db, [table], work);
  for (const k of keys) await db.unsafe(`alter table ${table} add constraint ${k.name} ${k.def}`);
  return result;
}

async function withIndexesAfter<T>(db: postgres.TransactionSql, tables: string[], work: () => Promise<T>): Promise<T> {
  const indexes = await db<{ name: string; def: string }[]>`
    select format('%I.%I', n.nspname, c.relname) as name, pg_get_indexdef(i.indexrelid) as def
      from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
     where i.indrelid = any(${tables}::regclass[])
       and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
       and not i.indisreplident and not i.indisclustered and obj_description(i.indexrelid, 'pg_class') is null
     order by 1`;
  for (const ix of indexes) await db.unsafe(`drop index ${ix.name}`);
  const result = await work();
  for (const ix of indexes) await db.unsafe(ix.def);
  return result;
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
  const { adminDbUrl } = await import("../stack/core/config.ts");
  await loadScaleSeed({ adminDbUrl, log: (l) => console.log(l) });
}
