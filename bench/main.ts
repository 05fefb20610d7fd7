// The benchmark proper (entry: bench/run.ts). Each group of figures comes from one measure() call
// whose cases alternate, so the numbers compared with each other were taken side by side.
import { existsSync, rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { adminDbUrl, anonKey, apiUrl, dbUrl, jwtSecret, root, serviceRoleKey, stateDir, supabaseDir } from "../stack/core/config.ts";
import { benchIds, loadScaleSeed, region, sizes, type ScaleResult } from "../seed/scale.ts";
import { budgetFromEnv, measure, prng, summarize, type Summary } from "./measure.ts";
import { atDatabase, dashboardPieces, dashboardPiecesSql, getOk, getPiece, memberClaims, serviceClaims, signToken, type Claims } from "./requests.ts";
import { writeReports, type Row } from "./report.ts";
import { billingRows } from "./billing.ts";
import { messagingRows } from "./messaging.ts";
import { commitMeasured } from "./commit.ts";
import { authGroup, authRunning } from "./auth.ts";
import { documentedReadRows } from "./documented-reads.ts";

const log = (line: string) => console.log(line);
const ms = (x: number) => `${x.toFixed(2)} ms`;
const times = (x: number) => `${x.toFixed(2)}×`;

export async function main(): Promise<number> {
  const useRunning = process.env.BENCH_USE_RUNNING === "1";
  const seed = Math.trunc(Number(process.env.BENCH_SEED ?? 42));
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  let stop = async () => {};
  const onSignal = () => void stop().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const started = new Date();
  const loadAtStart = loadavg()[0];
  let stackSeconds = 0;
  try {
    if (useRunning) {
      log(`bench: using the running stack at ${apiUrl}`);
    } else {
      log(`bench: starting a stack at ${apiUrl} (data in ${stateDir})`);
      const { startStack, stopStack } = await import("../stack/index.ts");
      stop = async () => {
        stop = async () => {};
        await stopStack();
        rmSync(stateDir, { recursive: true, force: true });
      };
      const t = performance.now();
      await startStack({ log });
      stackSeconds = (performance.now() - t) / 1000;
    }

    log(`bench: loading the scale seed (BENCH_SCALE=${scale}, BENCH_SEED=${seed})`);
    const load = await loadScaleSeed({ adminDbUrl, scale, seed, log });
    // Requests are measured one at a time, each role on a connection of its own: statements under
    // RLS are planned for the role, so one connection alternating roles would re-plan every
    // statement (costing more than RLS itself) where a busy pool keeps plans per role warm.
    const api = postgres(authenticatorUrl(), { max: 1, onnotice: () => {} });
    // JIT off for it: at the scan's cost JIT would compile for tens of ms, inflating the baseline.
    const apiService = postgres(authenticatorUrl(), { max: 1, onnotice: () => {}, connection: { jit: "off" } });
    const db = postgres(dbUrl, { max: 1, onnotice: () => {} });
    try {
      const rows = await run({ api, apiService, db, load, seed, scale, useRunning });
      const [{ version }] = await db<{ version: string }[]>`select current_setting('server_version') as version`;
      const report = {
        started: started.toISOString(),
        seconds: Math.round((Date.now() - started.getTime()) / 1000),
        machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version, postgres: version },
        stack: useRunning ? "running stack" : `own stack, started in ${stackSeconds.toFixed(1)} s`,
        conditions: `1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end, on ${cpus().length} CPUs`,
        commit: commitMeasured(),
        seed: { scale: load.scale, seed: load.seed, loadSeconds: Number(load.seconds.toFixed(1)), alreadyLoaded: load.alreadyLoaded, counts: load.counts },
        rows,
      };
      const files = writeReports(report, join(root, "bench"));
      log(`\nbench: finished in ${report.seconds} s; wrote ${files.join(", ")}`);
      // A missed target is a finding, not a crash; BENCH_STRICT=1 turns it into a failing exit code.
      return process.env.BENCH_STRICT === "1" && rows.some((r) => r.pass === false) ? 1 : 0;
    } finally {
      await api.end();
      await apiService.end();
      await db.end();
    }
  } finally {
    await stop();
  }
}

interface Ctx {
  /** authenticator, for member requests. */
  api: postgres.Sql;
  /** authenticator, for service_role requests. */
  apiService: postgres.Sql;
  db: postgres.Sql;
  load: ScaleResult;
  seed: number;
  scale: number;
  useRunning: boolean;
}

async function run({ api, apiService, db, load, seed, useRunning }: Ctx): Promise<Row[]> {
  const rows: Row[] = [];
  const rand = prng(seed);
  const { members } = sizes(load.scale);
  const sample = await benchIds(db, "member", Array.from({ length: 200 }, () => 1 + Math.floor(rand() * members)), seed);
  const claims: Claims[] = sample.map((id) => memberClaims(id, { email: `${id}@bench.memberbase.test` }, `${apiUrl}/auth/v1`));
  const tokens = await Promise.all(claims.map((c) => signToken(c, jwtSecret)));
  const who = (i: number) => Math.abs(i) % sample.length;
  const headers = (i: number) => ({ authorization: `Bearer ${tokens[who(i)]}`, apikey: anonKey });
  const tables = new Set((await db<{ t: string }[]>`select table_name as t from information_schema.tables where table_schema = 'public'`).map((r) => r.t));

  const httpBudget = budgetFromEnv({ warmup: 30, iterations: 1000, seconds: 30 });
  const dbBudget = budgetFromEnv({ warmup: 30, iterations: 1000, seconds: 25 });

  // --- Dashboard: end to end over HTTP, through the functions host and through PostgREST ---------
  // The naive client path is one request per piece through the gateway and PostgREST; the
  // dashboard is one call, either the member-dashboard function or rpc('member_dashboard') through
  // PostgREST; each is set beside its floor, a trivial request on the same path (the health
  // function; a one-row select through PostgREST). All cases alternate in one measure() call.
  const dashboardReason = await dashboardMissing(db, headers(0));
  const pieces = dashboardPieces(tables);
  const rest = `${apiUrl}/rest/v1`;
  log(`\nbench: dashboard over HTTP (function, rpc through PostgREST, naive path of ${pieces.length} PostgREST requests, and their floors)`);
  const http = await measure(
    {
      health: async (i) => void (await getOk(`${apiUrl}/functions/v1/health`, headers(i))),
      restFloor: async (i) => void (await getOk(`${rest}/plans?select=code&limit=1`, headers(i))),
      rpc: async (i) => void (await getOk(`${rest}/rpc/member_dashboard`, headers(i))),
      naive: async (i) => {
        for (const piece of pieces) await getPiece(apiUrl, piece, sample[who(i)], headers(i));
      },
      ...(dashboardReason ? {} : { dashboard: async (i: number) => void (await getOk(`${apiUrl}/functions/v1/member-dashboard`, headers(i))) }),
    },
    httpBudget,
  );
  rows.push(row("health function p50 / p95 (gateway → Deno → select now()): the functions floor", pp(http.health)));
  rows.push(row("PostgREST floor p50 / p95 (gateway → PostgREST → a one-row select)", pp(http.restFloor)));
  rows.push(row("rpc('member_dashboard') through PostgREST p50 / p95", pp(http.rpc)));
  rows.push(check("rpc('member_dashboard') ÷ PostgREST floor (p50)", http.rpc.p50 / http.restFloor.p50, "≤ 1.3×", (x) => x <= 1.3));
  rows.push(row(`naive client path p50 / p95 (${pieces.length} requests through the gateway and PostgREST)`, pp(http.naive)));
  rows.push(check("naive path ÷ rpc('member_dashboard') through PostgREST (p50)", http.naive.p50 / http.rpc.p50, "≥ 5×", (x) => x >= 5));
  if (dashboardReason) {
    rows.push({ metric: "member-dashboard p50 / p95", value: "not available", target: "", note: dashboardReason });
    rows.push({ metric: "member-dashboard ÷ health (p50)", value: "not available", target: "≤ 1.3×" });
    rows.push({ metric: "naive path ÷ member-dashboard (p50)", value: "not available", target: "≥ 5×" });
  } else {
    rows.push(row("member-dashboard p50 / p95 (gateway → Deno → member_dashboard())", pp(http.dashboard)));
    rows.push(check("member-dashboard ÷ health (p50)", http.dashboard.p50 / http.health.p50, "≤ 1.3×", (x) => x <= 1.3));
    rows.push(check("naive path ÷ member-dashboard (p50, both end to end over HTTP)", http.naive.p50 / http.dashboard.p50, "≥ 5×", (x) => x >= 5));
  }

  // The same comparison at the database: the naive path's statements, each in its own PostgREST-style
  // transaction (as its request would be), against member_dashboard() in one, whole transactions.
  if (!dashboardReason) {
    const naiveSql = dashboardPiecesSql(tables);
    log(`bench: dashboard at the database (member_dashboard() vs the naive path's ${naiveSql.length} statements)`);
    const atDb = await measure(
      {
        dashboard: async (i) => (await atDatabase(api, claims[who(i)], (tx) => tx`select public.member_dashboard()::text as d`)).totalMs,
        naive: async (i) => {
          let total = 0;
          for (const q of naiveSql) total += (await atDatabase(api, claims[who(i)], (tx) => tx.unsafe(q(sample[who(i)])))).totalMs;
          return total;
        },
      },
      dbBudget,
    );
    rows.push(row("member_dashboard() at the database p50 / p95 (one PostgREST-style transaction)", pp(atDb.dashboard)));
    rows.push(check(`naive path ÷ member_dashboard() at the database (p50; ${naiveSql.length} transactions against one)`, atDb.naive.p50 / atDb.dashboard.p50, "≥ 3×", (x) => x >= 3));
  }

  // --- Nearby experts: the KNN RPC vs a scan computing the same answer -------------------------
  const radiusKm = 25;
  const centres = Array.from({ length: 4096 }, () => randomCentre(rand));
  const centre = (i: number) => centres[(i + 4096 * 8) % centres.length];
  const knnAnswers = new Map<number, string>();
  const scanAnswers = new Map<number, string>();
  log(`bench: nearby experts (radius ${radiusKm} km, 20 results, random centres)`);
  // Thousands of searches by a few hundred members: lift the per-member hourly budget for the run.
  await db`update private.location_settings set hourly_search_budget = 100000`;
  const nearby = await measure(
    {
      knn: async (i) => {
        const [lat, lng] = centre(i);
        const { result, queryMs } = await atDatabase(api, claims[who(i)], (tx) => tx<{ expert_id: string }[]>`select expert_id from public.nearby_experts(${lat}, ${lng}, ${radiusKm}, null, null, 20)`);
        if (i >= 0) knnAnswers.set(i, result.map((r) => r.expert_id).join(","));
        return queryMs;
      },
      scan: async (i) => {
        const [lat, lng] = centre(i);
        const { result, queryMs } = await atDatabase(apiService, serviceClaims, (tx) => tx<{ expert_id: string }[]>`
          select x.expert_id from public.expert_locations x
          join public.expert_profiles e on e.id = x.expert_id join public.profiles p on p.id = x.expert_id,
          lateral (select extensions.st_distance(x.cell, extensions.st_setsrid(extensions.st_makepoint(${lng}, ${lat}), 4326)::extensions.geography, false) as d) dist
          where private.expert_listing_rule(p.role, p.status, e.verification_status) and e.is_available and dist.d <= ${radiusKm * 1000}
          order by dist.d, e.rating_avg desc nulls last, x.expert_id limit 20`);
        if (i >= 0) scanAnswers.set(i, result.map((r) => r.expert_id).join(","));
        return queryMs;
      },
    },
    budgetFromEnv({ warmup: 20, iterations: 600, seconds: 30 }),
  );
  const compared = [...knnAnswers.keys()].filter((i) => scanAnswers.has(i));
  const agree = compared.filter((i) => knnAnswers.get(i) === scanAnswers.get(i)).length;
  const found = compared.reduce((n, i) => n + (knnAnswers.get(i) ? knnAnswers.get(i)!.split(",").length : 0), 0) / (compared.length || 1);
  rows.push(check("nearby_experts p50 (KNN, GiST index)", nearby.knn.p50, "≤ 1 ms", (x) => x <= 1, ms, `p95 ${ms(nearby.knn.p95)}, n=${nearby.knn.n}, ${found.toFixed(1)} experts per answer`));
  rows.push(check("scan of every expert ÷ KNN (p50)", nearby.scan.p50 / nearby.knn.p50, "≥ 100×", (x) => x >= 100, times, `scan p50 ${ms(nearby.scan.p50)}`));
  rows.push(check("KNN answers equal the scan's (same ids, same order)", agree / (compared.length || 1), "all", (x) => x === 1 && compared.length > 0, () => `${agree}/${compared.length}`));

  // --- Member-scoped reads under RLS vs the same reads as service_role, through PostgREST ------
  // The same request (path and filters) with the member's token and with the service key; both
  // answers must be the same rows.
  const reads: Record<string, (me: string) => string> = {
    "bookings page": (me) => `bookings?select=*&member_id=eq.${me}&order=scheduled_at.desc,id.desc&limit=20`,
    "favorites list": (me) => `favorites?select=*&member_id=eq.${me}&order=created_at.desc,expert_id&limit=20`,
    "activity page": (me) => `activity?select=*&user_id=eq.${me}&order=created_at.desc,id.desc&limit=20`,
    "search history page": (me) => `search_history?select=*&member_id=eq.${me}&order=created_at.desc,id.desc&limit=20`,
  };
  const serviceHeaders = { authorization: `Bearer ${serviceRoleKey}`, apikey: serviceRoleKey };
  for (const [name, path] of Object.entries(reads)) {
    log(`bench: ${name} under RLS vs service_role, through PostgREST`);
    const seen = new Map<string, string>();
    let mismatches = 0;
    const compare = (key: string, result: unknown) => {
      const text = JSON.stringify(result);
      const other = seen.get(key);
      if (other === undefined) seen.set(key, text);
      else if (other !== text) mismatches++;
    };
    const r = await measure(
      {
        member: async (i) => {
          const result = await getOk(`${rest}/${path(sample[who(i)])}`, headers(i));
          if (i >= 0) compare(String(i), result);
        },
        service: async (i) => {
          const result = await getOk(`${rest}/${path(sample[who(i)])}`, serviceHeaders);
          if (i >= 0) compare(String(i), result);
        },
      },
      budgetFromEnv({ warmup: 30, iterations: 1000, seconds: 12 }),
    );
    if (mismatches) throw new Error(`${name}: the member saw other rows than service_role in ${mismatches} of ${r.member.n} requests`);
    rows.push(
      check(`${name}: RLS ÷ service_role through PostgREST (p50 of the whole request)`, r.member.p50 / r.service.p50, "≤ 1.1×", (x) => x <= 1.1, times,
        `${ms(r.member.p50)} vs ${ms(r.service.p50)}; n=${r.member.n}`),
    );
  }

  // --- Reads as docs/api.md writes them, without the filters clients do not write (bench/documented-reads.ts)
  rows.push(...(await documentedReadRows(db, { apiUrl, anonKey, jwtSecret, issuer: `${apiUrl}/auth/v1`, log })));

  // --- Billing: Stripe webhook deliveries -----------------------------------------------------
  rows.push(...(await billingRows(db, sample, headers)));

  // --- Messaging: inbox, unread badge, sending with triggers vs a plain insert (bench/messaging.ts)
  rows.push(...(await messagingRows(api, db, seed, log)));

  // --- Supabase Auth: what our hooks cost its own requests --------------------------------------
  if (await authRunning()) rows.push(...(await authGroup(log, seed)));
  else rows.push({ metric: "Auth group", value: "not measured", target: "", note: "no Supabase Auth server in this stack (MEMBERBASE_AUTH_BIN unset and none built)" });
  return rows;
}

/** PostgREST's login role: it switches to the request's role per transaction. */
function authenticatorUrl(): string {
  const u = new URL(dbUrl);
  u.username = "authenticator";
  return u.toString();
}

function pp(s: Summary): string {
  return `${ms(s.p50)} / ${ms(s.p95)} (n=${s.n})`;
}

function row(metric: string, value: string): Row {
  return { metric, value, target: "" };
}

function check(metric: string, x: number, target: string, ok: (x: number) => boolean, format: (x: number) => string = times, note?: string): Row {
  return { metric, value: format(x), target, pass: ok(x), note };
}

/** A search centre: mostly around one of the region's cities (where people are), sometimes anywhere in it. */
function randomCentre(rand: () => number): [number, number] {
  if (rand() < 0.2) return [region.minLat + rand() * (region.maxLat - region.minLat), region.minLng + rand() * (region.maxLng - region.minLng)];
  const city = region.cities[Math.floor(rand() * region.cities.length)];
  return [city.lat + (rand() - 0.5) * 4 * city.spread, city.lng + (rand() - 0.5) * 4 * city.spread];
}

/** Why the dashboard cannot be measured here (function or RPC not in this checkout), or undefined. */
async function dashboardMissing(db: postgres.Sql, headers: Record<string, string>): Promise<string | undefined> {
  if (!existsSync(join(supabaseDir, "functions", "member-dashboard", "index.ts"))) return "no supabase/functions/member-dashboard in this checkout";
  const [{ fn }] = await db<{ fn: string | null }[]>`select to_regprocedure('public.member_dashboard()')::text as fn`;
  if (!fn) return "public.member_dashboard() is not in this database";
  try {
    await getOk(`${apiUrl}/functions/v1/member-dashboard`, headers);
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

