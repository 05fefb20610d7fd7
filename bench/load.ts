// `npm run bench:load` (entry: bench/load-run.ts): many signed-in members at once through the
// gateway, at 1, 8, 32 and 128 concurrent clients, each level run as the member mix and as its two
// floors (a trivial PostgREST read, the health function) side by side. Each client is a loop of
// requests, one at a time, as a browser tab of one member would make them; members come from the
// scale data with tokens signed as Supabase Auth signs them. What is counted: completions, per-call
// latency, errors by HTTP status and code, completions per 250 ms window, CPU by process (/proc).
// Writes its section of bench/RESULTS.md per scale (the member-experience sections stay as they are).
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { adminDbUrl, anonKey, apiUrl, binDir, jwtSecret, root, stateDir } from "../stack/core/config.ts";
import { loadScaleSeed, region } from "../seed/scale.ts";
import { prng } from "./measure.ts";
import { memberClaims, signToken } from "./requests.ts";
import { cpuBetween, sampleCpu } from "./cpu.ts";
import { commitMeasured } from "./commit.ts";
import { loadSection, writeLoadSection, type LoadReport, type Phase } from "./load-report.ts";

const log = (line: string) => console.log(line);
const rest = `${apiUrl}/rest/v1`;

/** The mix (weights in %). `thread` is a thread read followed by marking it read (two requests, one call). */
export const mix = [
  { type: "rpc('member_dashboard')", weight: 20 },
  { type: "member-dashboard function", weight: 20 },
  { type: "bookings page", weight: 20 / 3 },
  { type: "favourites list", weight: 20 / 3 },
  { type: "unread notifications", weight: 20 / 3 },
  { type: "nearby_experts", weight: 15 },
  { type: "send", weight: 10 },
  { type: "thread read + mark read", weight: 10 },
  { type: "favourite / saved-search write", weight: 5 },
] as const;
type CallType = (typeof mix)[number]["type"] | "PostgREST floor" | "health function";

interface Participant {
  conversation: string;
  member: string;
  expert: string;
  memberAuth: Record<string, string>;
  expertAuth: Record<string, string>;
}

interface Sample {
  type: CallType;
  ms: number;
  end: number;
  /** "200", or an error's "status code" (e.g. "500 40P01"). */
  outcome: string;
}

export async function main(): Promise<number> {
  const useRunning = process.env.BENCH_USE_RUNNING === "1";
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  const seed = Math.trunc(Number(process.env.BENCH_SEED ?? 42));
  const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 30);
  const rampSeconds = Number(process.env.BENCH_LOAD_RAMP_SECONDS ?? 2);
  const levels = (process.env.BENCH_LOAD_LEVELS ?? "1,8,32,128").split(",").map(Number).filter((n) => n > 0);
  const started = new Date();
  const loadAtStart = loadavg()[0];
  let stack: ChildProcess | undefined;
  const stop = async () => {
    if (stack && stack.exitCode === null) {
      const exited = new Promise((r) => stack!.once("exit", r));
      stack.kill("SIGTERM");
      await exited;
    }
    if (!useRunning) rmSync(stateDir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void stop().finally(() => process.exit(130)));
  try {
    if (!useRunning) stack = await startStackProcess();
    log(`bench:load: loading the scale seed (BENCH_SCALE=${scale}, BENCH_SEED=${seed})`);
    const load = await loadScaleSeed({ adminDbUrl, scale, seed, log });
    const admin = postgres(adminDbUrl, { max: 1, onnotice: () => {} });
    try {
      const setup = await prepare(admin, seed);
      // A running stack (BENCH_USE_RUNNING=1) gets its flood limit and search budget back, whatever happens.
      try {
        // With BENCH_USE_RUNNING=1, BENCH_STACK_PID names the stack's process (for CPU by process).
        const stackPid = stack?.pid ?? (Number(process.env.BENCH_STACK_PID) || undefined);
        const phases: Phase[] = [];
        // Warm-up, not counted: every PostgREST connection and the functions' workers get used once,
        // the scheduled functions too (one tick of the schedule's calls, early), so the first
        // minute's tick does not boot three workers in the middle of a phase.
        await tickSchedule(admin);
        await runPhase("warm-up", 8, Math.min(3, seconds), setup, seed);
        await scheduleSettled(admin);
        for (const clients of levels) {
          for (const kind of ["PostgREST floor", "mix", "health function"] as const) {
            // Statement tracking is switched on before the ramp (a reload every backend takes in), its counts reset after it.
            const statements = kind === "mix" && clients === 32 ? await trackStatements(admin) : false;
            // The ramp, not counted: a level's first seconds open connections (PostgREST releases
            // one idle for 30 s) and plan each statement on connections new to it (the dashboard's
            // first plan alone is 30–50 ms), which showed as 250 ms windows far below the median at
            // every phase's start. The phase measures the steady state; the ramp's windows are reported.
            const ramp = rampSeconds > 0 ? summarisePhase(kind, clients, rampSeconds, await runPhase(kind, clients, rampSeconds, setup, seed + clients + 1), {}, `${kind} (ramp)`) : undefined;
            if (statements) await admin`select extensions.pg_stat_statements_reset()`;
            const before = sampleCpu(stateDir, stackPid);
            const run = await runPhase(kind, clients, seconds, setup, seed + clients);
            const cpu = cpuBetween(before, sampleCpu(stateDir, stackPid));
            const phase = summarisePhase(kind, clients, seconds, run, cpu);
            if (statements) phase.statements = await topStatements(admin);
            if (ramp) {
              phase.ramp = { seconds: rampSeconds, min: ramp.windows.min, median: ramp.windows.median };
              for (const [key, n] of Object.entries(ramp.errors)) phase.errors[key] = (phase.errors[key] ?? 0) + n;
            }
            phases.push(phase);
            log(`bench:load: ${String(clients).padStart(3)} clients ${kind.padEnd(16)} ${phase.perSecond.toFixed(0).padStart(5)} calls/s, ` +
              `p50 ${phase.all.p50.toFixed(1)} ms, p99 ${phase.all.p99.toFixed(1)} ms, errors ${JSON.stringify(phase.errors)}`);
          }
        }
        const heaviest = await heaviestMember(setup.heaviest, Math.max(5, Math.min(15, seconds)));
        const report: LoadReport = {
          started: started.toISOString(),
          seconds: Math.round((Date.now() - started.getTime()) / 1000),
          commit: commitMeasured(),
          machine: `${cpus().length} × ${cpus()[0]?.model ?? "unknown"}, Node ${process.version}`,
          conditions: `1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end, on ${cpus().length} CPUs`,
          scale: load.scale,
          seed: load.seed,
          users: load.counts.users,
          levelSeconds: seconds,
          phases,
          heaviest,
          setup: { participants: setup.participants.length, hot: setup.hot, experts: setup.experts.length },
        };
        const md = join(root, "bench", "RESULTS.md");
        writeLoadSection(md, report);
        log(`\n${loadSection(report)}\nbench:load: finished in ${report.seconds} s; wrote ${md}`);
        return 0;
      } finally {
        await restore(admin, setup);
      }
    } finally {
      await admin.end();
    }
  } finally {
    await stop();
  }
}

async function startStackProcess(): Promise<ChildProcess> {
  log(`bench:load: starting a stack at ${apiUrl} (data in ${stateDir})`);
  const child = spawn(join(binDir, "tsx"), [join(root, "bench", "load-stack.ts")], { cwd: root, env: process.env, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    let buffered = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let at = buffered.indexOf("\n"); at >= 0; at = buffered.indexOf("\n")) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        log(`  ${line}`);
        if (line === "load-stack: ready") resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`the stack exited (${code}) before it was ready`)));
  });
  child.stdout!.resume();
  return child;
}

interface Setup {
  participants: Participant[];
  /** The first `hot` participants' conversations take every send and thread read: both sides at once. */
  hot: number;
  experts: string[];
  heaviest: { id: string; bookings: number; auth: Record<string, string> };
  limits: { messages: number; searches: number };
  floorAuth: Record<string, string>;
}

async function prepare(admin: postgres.Sql, seed: number): Promise<Setup> {
  await forgetBenchSearches(admin); // a run stopped midway on a running stack left them
  const issuer = `${apiUrl}/auth/v1`;
  const auth = async (id: string) => ({ authorization: `Bearer ${await signToken(memberClaims(id, { email: `${id}@bench.memberbase.test` }, issuer), jwtSecret)}`, apikey: anonKey });
  // Conversations between an active member and an active expert, drawn deterministically.
  const rows = await admin<{ conversation: string; member: string; expert: string }[]>`
    select c.id::text as conversation, c.member_id::text as member, c.expert_id::text as expert
      from public.conversations c
      join public.profiles m on m.id = c.member_id and m.role = 'member' and m.status = 'active'
      join public.profiles e on e.id = c.expert_id and e.status = 'active'
     order by md5(c.id::text || ${String(seed)}) limit 512`;
  const participants = await Promise.all(rows.map(async (r) => ({ ...r, memberAuth: await auth(r.member), expertAuth: await auth(r.expert) })));
  const experts = (await admin<{ id: string }[]>`
    select e.id::text from public.expert_profiles e join public.profiles p on p.id = e.id and p.status = 'active'
     where e.verification_status = 'verified' order by md5(e.id::text || ${String(seed)}) limit 256`).map((r) => r.id);
  const [heavy] = await admin<{ id: string; bookings: number }[]>`
    select b.member_id::text as id, count(*)::int as bookings from public.bookings b
      join public.profiles p on p.id = b.member_id and p.status = 'active'
     group by b.member_id order by count(*) desc, b.member_id limit 1`;
  // Thousands of sends and searches by a few hundred members: the flood limit and the search budget
  // are raised to their allowed maximum for the run (both checks still run on every call).
  const [limits] = await admin<{ messages: number; searches: number }[]>`
    select (select messages_per_minute from private.messaging_settings) as messages, (select hourly_search_budget from private.location_settings) as searches`;
  await admin`update private.messaging_settings set messages_per_minute = 10000`;
  await admin`update private.location_settings set hourly_search_budget = 100000`;
  return { participants, hot: Math.min(64, participants.length), experts, heaviest: { ...heavy, auth: await auth(heavy.id) }, limits, floorAuth: participants[0].memberAuth };
}

async function restore(admin: postgres.Sql, setup: Setup): Promise<void> {
  await admin`update private.messaging_settings set messages_per_minute = ${setup.limits.messages}`;
  await admin`update private.location_settings set hourly_search_budget = ${setup.limits.searches}`;
  await forgetBenchSearches(admin);
}

/** Deletes the searches the write calls saved and had not deleted yet. */
async function forgetBenchSearches(admin: postgres.Sql): Promise<void> {
  await admin`delete from public.saved_searches where name like ${BENCH_SEARCH + " %"}`;
}

/** Runs the scheduled jobs that call edge functions, as pg_cron runs them (private.call_function through pg_net). */
async function tickSchedule(admin: postgres.Sql): Promise<void> {
  const jobs = await admin<{ command: string }[]>`select command from cron.job where command like '%private.call_function(%'`;
  for (const job of jobs) await admin.unsafe(job.command);
}

/** Waits (up to 30 s) until pg_net has sent every queued request. */
async function scheduleSettled(admin: postgres.Sql): Promise<void> {
  for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
    const [{ queued }] = await admin<{ queued: number }[]>`select count(*)::int as queued from net.http_request_queue`;
    if (queued === 0) return;
  }
}

/** pg_stat_statements over the 32-client mix, nested statements and planning included. */
async function trackStatements(admin: postgres.Sql): Promise<boolean> {
  try {
    await admin`create extension if not exists pg_stat_statements with schema extensions`;
    // One statement per call: ALTER SYSTEM cannot run inside the implicit transaction of a multi-statement query.
    await admin`alter system set pg_stat_statements.track = 'all'`;
    await admin`alter system set pg_stat_statements.track_planning = on`;
    await admin`select pg_reload_conf()`;
    return true;
  } catch (e) {
    log(`bench:load: no pg_stat_statements (${(e as Error).message})`);
    return false;
  }
}

async function topStatements(admin: postgres.Sql): Promise<Phase["statements"]> {
  const rows = await admin<{ query: string; calls: number; plan: number; exec: number; planMean: number; execMean: number; toplevel: boolean }[]>`
    select left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 140) as query, calls::int, total_plan_time as plan, total_exec_time as exec,
           mean_plan_time as "planMean", mean_exec_time as "execMean", toplevel
      from extensions.pg_stat_statements
     order by total_plan_time + total_exec_time desc limit 12`;
  await admin`alter system reset pg_stat_statements.track`;
  await admin`alter system reset pg_stat_statements.track_planning`;
  await admin`select pg_reload_conf()`;
  return rows;
}

/** One call: the request(s) a client makes for it; returns "200" or "status code". */
async function call(url: string, init: RequestInit): Promise<string> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (res.status < 400) return "200";
  let code = "";
  try {
    const body = JSON.parse(text) as { code?: string; error?: { code?: string } };
    code = body.code ?? body.error?.code ?? "";
  } catch {
    /* not JSON */
  }
  return `${res.status} ${code}`.trim();
}

const get = (url: string, headers: Record<string, string>) => call(url, { headers });
const post = (url: string, headers: Record<string, string>, body: unknown, prefer = "return=minimal") =>
  call(url, { method: "POST", headers: { ...headers, "content-type": "application/json", prefer }, body: JSON.stringify(body) });

function randomCentre(rand: () => number): [number, number] {
  const city = region.cities[Math.floor(rand() * region.cities.length)];
  return [city.lat + (rand() - 0.5) * 4 * city.spread, city.lng + (rand() - 0.5) * 4 * city.spread];
}

/** The name of the searches the write calls save (and delete), numbered: two clients may write for one member at once. */
const BENCH_SEARCH = "bench: yoga nearby";
let saves = 0;

/** Per member: which write comes next (favourite add, its removal, a saved search, notify on, its removal). */
const writeState = new Map<string, { step: number; expert?: string; savedId?: string }>();

async function write(p: Participant, experts: string[], rand: () => number): Promise<string> {
  const s = writeState.get(p.member) ?? { step: 0 };
  writeState.set(p.member, s);
  const step = s.step++ % 5;
  const h = p.memberAuth;
  if (step === 0) {
    s.expert = experts[Math.floor(rand() * experts.length)];
    return post(`${rest}/favorites`, h, { expert_id: s.expert });
  }
  if (step === 1) return call(`${rest}/favorites?expert_id=eq.${s.expert}`, { method: "DELETE", headers: h });
  if (step === 2) {
    const res = await fetch(`${rest}/saved_searches?select=id`, {
      method: "POST",
      headers: { ...h, "content-type": "application/json", prefer: "return=representation", accept: "application/vnd.pgrst.object+json" },
      body: JSON.stringify({ name: `${BENCH_SEARCH} ${++saves}`, query: "yoga", notify: false }),
    });
    const text = await res.text();
    if (res.status >= 400) return `${res.status} ${(JSON.parse(text) as { code?: string }).code ?? ""}`.trim();
    s.savedId = (JSON.parse(text) as { id: string }).id;
    return "200";
  }
  if (!s.savedId) return "200";
  if (step === 3) return call(`${rest}/saved_searches?id=eq.${s.savedId}`, { method: "PATCH", headers: { ...h, "content-type": "application/json" }, body: JSON.stringify({ notify: true }) });
  const id = s.savedId;
  s.savedId = undefined;
  return call(`${rest}/saved_searches?id=eq.${id}`, { method: "DELETE", headers: h });
}

async function mixCall(type: CallType, k: number, j: number, setup: Setup, rand: () => number): Promise<string> {
  const { participants, hot } = setup;
  // Reads and writes rotate over all participants; sends and thread reads over the hot conversations,
  // from either side, so both people of a chat act at the same moment.
  const p = participants[(k + 128 * j) % participants.length];
  const h = p.memberAuth;
  switch (type) {
    case "rpc('member_dashboard')":
      return get(`${rest}/rpc/member_dashboard`, h);
    case "member-dashboard function":
      return get(`${apiUrl}/functions/v1/member-dashboard`, h);
    case "bookings page":
      return get(`${rest}/bookings?select=*`, h);
    case "favourites list":
      return get(`${rest}/rpc/list_favorites`, h);
    case "unread notifications":
      return get(`${rest}/notifications?select=*&read_at=is.null`, h);
    case "nearby_experts": {
      const [lat, lng] = randomCentre(rand);
      return post(`${rest}/rpc/nearby_experts`, h, { lat, lng, radius_km: 25, max_results: 20 }, "return=representation");
    }
    case "send": {
      const c = participants[Math.floor(rand() * hot)];
      return post(`${rest}/messages`, rand() < 0.5 ? c.memberAuth : c.expertAuth, { conversation_id: c.conversation, body: `bench:load ${k}.${j}` });
    }
    case "thread read + mark read": {
      const c = participants[Math.floor(rand() * hot)];
      const who = rand() < 0.5 ? c.memberAuth : c.expertAuth;
      const read = await get(`${rest}/messages?select=*&conversation_id=eq.${c.conversation}&order=created_at.desc,id.desc&limit=50`, who);
      if (read !== "200") return read;
      return post(`${rest}/rpc/mark_conversation_read`, who, { conversation_id: c.conversation });
    }
    case "favourite / saved-search write":
      return write(p, setup.experts, rand);
    case "PostgREST floor":
      return get(`${rest}/plans?select=code&limit=1`, h);
    case "health function":
      return get(`${apiUrl}/functions/v1/health`, h);
  }
}

function pick(rand: () => number): CallType {
  let x = rand() * 100;
  for (const m of mix) if ((x -= m.weight) < 0) return m.type;
  return mix[mix.length - 1].type;
}

/** A phase's calls, each `end` in ms from the phase's start, and that start (epoch ms). */
interface PhaseRun {
  samples: Sample[];
  startedAt: number;
}

async function runPhase(kind: "warm-up" | "mix" | "PostgREST floor" | "health function", clients: number, seconds: number, setup: Setup, seed: number): Promise<PhaseRun> {
  const samples: Sample[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, k) => {
      const rand = prng(seed * 1000 + k);
      for (let j = 0; performance.now() < end; j++) {
        const type: CallType = kind === "mix" || kind === "warm-up" ? pick(rand) : kind;
        const t = performance.now();
        let outcome: string;
        try {
          outcome = await mixCall(type, k, j, setup, rand);
        } catch (e) {
          outcome = `network ${(e as Error).message}`;
        }
        const now = performance.now();
        samples.push({ type, ms: now - t, end: now, outcome });
      }
    }),
  );
  const first = end - seconds * 1000;
  for (const s of samples) s.end -= first;
  return { samples, startedAt: performance.timeOrigin + first };
}

function percentile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : NaN;
}

function latency(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 0.5), p95: percentile(s, 0.95), p99: percentile(s, 0.99) };
}

/** A phase's figures; `label` names it in the log of low windows (the ramp's are expected there). */
function summarisePhase(kind: Phase["kind"], clients: number, seconds: number, { samples, startedAt }: PhaseRun, cpu: Record<string, number>, label: string = kind): Phase {
  const inTime = samples.filter((s) => s.end <= seconds * 1000);
  const byType: Phase["byType"] = {};
  for (const type of new Set(inTime.map((s) => s.type))) byType[type] = latency(inTime.filter((s) => s.type === type).map((s) => s.ms));
  const errors: Record<string, number> = {};
  for (const s of samples) if (s.outcome !== "200") errors[`${s.type}: ${s.outcome}`] = (errors[`${s.type}: ${s.outcome}`] ?? 0) + 1;
  // Completions per 250 ms window over the phase's whole windows.
  const windows = Array.from({ length: Math.floor((seconds * 1000) / 250) }, () => 0);
  for (const s of inTime) {
    const w = Math.floor(s.end / 250);
    if (w < windows.length) windows[w]++;
  }
  const sorted = [...windows].sort((a, b) => a - b);
  const median = percentile(sorted, 0.5);
  // When the smallest window began (UTC), to line it up with the database's and the stack's logs.
  const at = (w: number) => new Date(startedAt + w * 250).toISOString().slice(11, 23);
  const smallestAt = at(windows.indexOf(sorted[0] ?? 0));
  const lowAt = windows.flatMap((w, i) => (w < median / 2 ? [`${at(i)} (${w})`] : []));
  if (lowAt.length) {
    const slowest = [...inTime].sort((a, b) => b.ms - a.ms).slice(0, 5);
    log(`bench:load: ${clients} clients ${label}: windows below half the median (${median}) began at ${lowAt.join(", ")}; ` +
      `slowest calls: ${slowest.map((s) => `${s.type} ${s.ms.toFixed(0)} ms from ${at((s.end - s.ms) / 250)}`).join(", ")}`);
  }
  return {
    kind,
    clients,
    perSecond: inTime.length / seconds,
    all: latency(inTime.map((s) => s.ms)),
    byType,
    errors,
    windows: { min: sorted[0] ?? 0, smallestAt, median, below: windows.filter((w) => w < median / 2).length, count: windows.length },
    cpu,
  };
}

/** The member with the most bookings: rpc('member_dashboard') against the floor, alternating, one client. */
async function heaviestMember(heavy: Setup["heaviest"], seconds: number): Promise<LoadReport["heaviest"]> {
  const rpc: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < 20; i++) {
    await get(`${rest}/rpc/member_dashboard`, heavy.auth);
    await get(`${rest}/plans?select=code&limit=1`, heavy.auth);
  }
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (const [url, into] of [[`${rest}/rpc/member_dashboard`, rpc], [`${rest}/plans?select=code&limit=1`, floor]] as const) {
      const t = performance.now();
      const outcome = await get(url, heavy.auth);
      if (outcome !== "200") throw new Error(`${url} as the heaviest member answered ${outcome}`);
      into.push(performance.now() - t);
    }
  }
  return { id: heavy.id, bookings: heavy.bookings, rpc: latency(rpc), floor: latency(floor) };
}
