// The run's figures as a printed table, bench/results.json (git-ignored, every run) and
// bench/RESULTS.md (the committed sample: the same table plus what each figure measures).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Row {
  metric: string;
  value: string;
  /** Empty for figures reported without a target. */
  target: string;
  pass?: boolean;
  note?: string;
}

export interface Report {
  started: string;
  seconds: number;
  machine: { cpus: number; cpu: string; node: string; postgres: string };
  /** How busy the machine was (load averages at start and end): shared machines skew the figures. */
  conditions?: string;
  stack: string;
  seed: { scale: number; seed: number; loadSeconds: number; alreadyLoaded: boolean; counts: Record<string, number> };
  /** The commit measured (with "+changes" when the tree had uncommitted edits). */
  commit?: string;
  rows: Row[];
}

const verdict = (r: Row) => (r.pass === undefined ? (r.target ? "n/a" : "") : r.pass ? "pass" : "FAIL");

export function table(rows: Row[]): string {
  const cells = [["metric", "value", "target", "result"], ...rows.map((r) => [r.metric, r.value, r.target, verdict(r)])];
  const width = [0, 1, 2, 3].map((c) => Math.max(...cells.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((cell, c) => cell.padEnd(width[c])).join("  ").trimEnd();
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.metric}: ${r.note}`);
  return [line(cells[0]), width.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line), ...(notes.length ? ["", ...notes] : [])].join("\n");
}

/** The closing verdict: every row with a target counts; one that could not be measured is missed. */
export function targetsLine(rows: Row[]): string {
  const withTarget = rows.filter((r) => r.target);
  const met = withTarget.filter((r) => r.pass === true).length;
  return `targets: ${met} met, ${withTarget.length - met} missed`;
}

/** One run's section of RESULTS.md: a scale's figures, replaced by the next run at that scale. */
function runSection(report: Report): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const c = report.seed.counts;
  const missed = report.rows.filter((r) => r.target && r.pass !== true).map((r) => `- ${esc(r.metric)}: ${esc(r.value)} (target ${esc(r.target)})`);
  return `${sectionStart(report.seed.scale)}
## BENCH_SCALE=${report.seed.scale}

Produced by \`npm run bench\` (bench/run.ts) on ${report.started.slice(0, 10)}${report.commit ? ` at commit \`${report.commit}\`` : ""}; the figures below are
that run's, unedited. Machine: ${report.machine.cpus} × ${report.machine.cpu}, Node ${report.machine.node},
PostgreSQL ${report.machine.postgres}; ${report.stack}; whole run ${report.seconds} s.${report.conditions ? `\nConditions: ${report.conditions}.` : ""}

Data (seed/scale.ts, BENCH_SCALE=${report.seed.scale}, BENCH_SEED=${report.seed.seed}): ${c.users} users
(${c.experts} expert profiles, ${c.experts_bookable} verified and available, ${c.expert_locations} located),
${c.favorites} favorites, ${c.bookings} bookings, ${c.activity} activity rows, ${c.search_history} searches
(${c.bulk_rows} bulk rows)${c.conversations === undefined ? "" : `, ${c.conversations} conversations with ${c.messages} messages`}; ${report.seed.alreadyLoaded ? "already loaded" : `loaded in ${report.seed.loadSeconds} s`}.

| metric | value | target | result |
| --- | --- | --- | --- |
${report.rows.map((r) => `| ${esc(r.metric)} | ${esc(r.value)}${r.note ? ` — ${esc(r.note)}` : ""} | ${esc(r.target)} | ${verdict(r)} |`).join("\n")}

**${targetsLine(report.rows)}**${missed.length ? `; missed:\n${missed.join("\n")}` : ""}
${sectionEnd(report.seed.scale)}
`;
}

const sectionStart = (scale: number) => `<!-- bench run BENCH_SCALE=${scale} -->`;
const sectionEnd = (scale: number) => `<!-- /bench run BENCH_SCALE=${scale} -->`;

/** The sections of earlier runs at other scales, kept as they were (scale 1 and 10 stand side by side). */
function otherRuns(text: string, scale: number): { scale: number; text: string }[] {
  const runs: { scale: number; text: string }[] = [];
  for (const m of text.matchAll(/<!-- bench run BENCH_SCALE=([\d.]+) -->[\s\S]*?<!-- \/bench run BENCH_SCALE=\1 -->\n/g)) {
    if (Number(m[1]) !== scale) runs.push({ scale: Number(m[1]), text: m[0] });
  }
  return runs;
}

/** The ratio rows (values starting "N.NN×") of a run section, by metric. */
function ratios(section: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of section.split("\n")) {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    const m = cells.length >= 5 ? /^(\d+(?:\.\d+)?)×/.exec(cells[2]) : null;
    // A row naming the sample's range (e.g. "as a member with 17–27 bookings") is the same row at every scale.
    if (m) out.set(cells[1].replace(/, as a member with [\d–-]+ bookings/, ""), Number(m[1]));
  }
  return out;
}

/** The issue's rule for 10× the data: every ratio within 20 % of its value at scale 1. */
function scaleComparison(runs: { scale: number; text: string }[]): string {
  const base = runs.find((r) => r.scale === 1);
  const big = runs.find((r) => r.scale === 10);
  if (!base || !big) return "";
  const a = ratios(base.text);
  const b = ratios(big.text);
  const rows = [...a.keys()].filter((k) => b.has(k)).map((k) => {
    const change = b.get(k)! / a.get(k)! - 1;
    return `| ${k} | ${a.get(k)!.toFixed(2)}× | ${b.get(k)!.toFixed(2)}× | ${change >= 0 ? "+" : ""}${(change * 100).toFixed(0)} % | ${Math.abs(change) <= 0.2 ? "pass" : "FAIL"} |`;
  });
  const held = rows.filter((r) => r.endsWith("pass |")).length;
  return `## Every ratio at BENCH_SCALE=10 against BENCH_SCALE=1 (target: within 20 %)

| metric | scale 1 | scale 10 | change | result |
| --- | --- | --- | --- | --- |
${rows.join("\n")}

**within 20 %: ${held} held, ${rows.length - held} did not**

`;
}

function markdown(report: Report, previous: string): string {
  const runs = [...otherRuns(previous, report.seed.scale), { scale: report.seed.scale, text: runSection(report) }].sort((a, b) => a.scale - b.scale);
  return `# Member experience benchmark

One section per data scale (\`BENCH_SCALE\`); each is one run, written by \`npm run bench\` at that
scale and replaced only by the next run at the same scale.

${runs.map((r) => r.text).join("\n")}
${scaleComparison(runs)}## What is measured
- **the dashboard over HTTP**, every case through the stack's gateway with a member's access token
  (HS256, signed as Supabase Auth signs them) for one of 200 sampled members, round-robin, all cases
  alternating in one run; time is the whole HTTP request as the client sees it:
  \`member-dashboard\` (gateway → the function's Deno worker → \`public.member_dashboard()\` under the
  member's RLS) against its floor \`health\` (gateway → Deno → \`select now()\`);
  \`rpc('member_dashboard')\` (\`GET /rest/v1/rpc/member_dashboard\`, gateway → PostgREST 12.0.2) against
  its floor, a one-row select through PostgREST (\`GET /rest/v1/plans?select=code&limit=1\`); and the
  naive client path: what a client without the dashboard RPC does with supabase-js — one PostgREST
  request per piece (profile, bookings for totals and spending, next bookings with their experts as
  an embed, recent activity, favorites count with \`count=exact\`, and reviews / unread notifications
  / open tickets when those tables exist), one after another, each through the gateway and PostgREST.
- **the dashboard at the database**: \`member_dashboard()\` in one PostgREST-style transaction (begin,
  \`set_config\` of role and claims, the statement, commit) against the naive path's statements, each
  in a transaction of its own as its request would have it (bench/requests.ts, dashboardPiecesSql),
  for the same member; whole transactions, no HTTP.
- **nearby_experts**: \`public.nearby_experts(lat, lng, 25 km, max 20)\` called as a member for
  random centres (mostly around the region's cities, some anywhere in it); the time of the query
  statement at the database, in the session PostgREST would give the request (it is about the
  query's plan). The scan computes the same answer with
  \`ST_Distance\` over every verified, available expert (no index can serve it; JIT off, as its
  compile time would otherwise dominate), and every answer is compared with the KNN one.
- **RLS ÷ service_role**: the same PostgREST request (a page filtered by the member's id, newest
  first, 20 rows) through the gateway with the member's token (RLS applies) and with the service
  key (service_role bypasses RLS), alternating; the whole HTTP request. The two must return the
  same rows, or the run fails.
- **reads as docs/api.md writes them** (bench/documented-reads.ts): each documented read with no
  filter the docs do not write (RLS alone narrows it to the member's rows), for the 50 members with
  the most bookings who have a conversation, through the gateway and PostgREST, alternating with the
  PostgREST floor (a one-row select of plans); each must stay within 2× the floor.
- **stripe-webhook**: a \`customer.subscription.updated\` event, signed as Stripe signs it (HMAC
  over timestamp and body; signing is done before the clock starts), POSTed through the gateway to
  the stripe-webhook function, which verifies the signature (SubtleCrypto) and applies the event in
  one database statement (claim the id, move one member's subscription forward). Alternating with
  \`health\` and with duplicates (a redelivery of an already applied event, freshly signed), so the
  ratios come from one run. Throughput: distinct events posted one after another.
- **inbox / unread badge / send** (bench/messaging.ts): as one of 200 participants (members and
  experts with conversations), round-robin. \`public.inbox(20)\` and \`public.unread_counts()\`: the
  time of the statement in the PostgREST-style transaction. Sending: \`insert into messages\` under
  RLS with its triggers (flood control, both read states, and, when the recipient had read
  everything, the in-app notification and the outbox email; a recipient with unread messages gets
  no second notice) against the same insert into \`bench.plain_messages\`, a twin with the same
  columns, foreign keys and indexes but no RLS and no triggers (created for the run, dropped
  after); each time is the whole request (begin, \`set_config\`, insert, commit), the statement
  alone is in the note. The flood limit is raised for the run (the check still runs on every send).
- **Supabase Auth** (when a real Auth server runs in the stack): \`POST /signup\` (confirmations on,
  so each also sends its mail) to the Auth server with our INSERT triggers on \`auth.users\` enabled
  and disabled, switched between requests outside the timed part; \`POST /token\` password sign-in
  and refresh against the stack's Auth server (custom access token hook on) and a second Auth
  server on the same database with the hook off, alternately, both on their own ports (no
  gateway). Password sign-in is dominated by bcrypt, so the hook's share is small there. Then
  sign-ups with random hostile metadata (wrong types, huge and nested values, injection-looking
  strings, role names, \`__proto__\` keys) through the gateway, 4 at a time, each from its own
  client address; a failure is any non-2xx answer or a user without member rows. Metadata with a
  NUL character is reported on its own line: Postgres' jsonb refuses it in Auth's own insert.
- p50/p95 over the measured iterations, after a warm-up; each group alternates its cases so
  drift falls on all of them alike. Iterations and time per group are bounded (BENCH_ITERATIONS,
  BENCH_SECONDS, BENCH_WARMUP override the defaults).
`;
}

/** The stack's own figures (`npm run bench:stack`, measured apart) survive a new benchmark run. */
function keptSection(md: string): string {
  const text = existsSync(md) ? readFileSync(md, "utf8") : "";
  const at = text.indexOf(stackSectionTitle);
  return at >= 0 ? `\n${text.slice(at)}` : "";
}

export const stackSectionTitle = "## The stack itself: footprint and cold start";

export function writeReports(report: Report, dir: string): string[] {
  console.log(`\n${table(report.rows)}\n\n${targetsLine(report.rows)}`);
  const json = join(dir, "results.json");
  const md = join(dir, "RESULTS.md");
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  const previous = existsSync(md) ? readFileSync(md, "utf8") : "";
  writeFileSync(md, markdown(report, previous) + keptSection(md));
  return [json, md];
}
