// `npm run bench:load`'s section of bench/RESULTS.md: one per scale, replaced by the next run at
// that scale, kept after everything `npm run bench` writes (its writer keeps the file's tail).
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export interface Latency {
  n: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface Phase {
  kind: "mix" | "PostgREST floor" | "health function";
  clients: number;
  perSecond: number;
  all: Latency;
  byType: Record<string, Latency>;
  /** "call type: status code" → count. */
  errors: Record<string, number>;
  /** Completions per 250 ms window: the smallest, the median, how many fell below half the median. */
  windows: { min: number; smallestAt?: string; median: number; below: number; count: number };
  /** The uncounted first seconds of the phase (connections opening, first plans): their windows. */
  ramp?: { seconds: number; min: number; median: number };
  /** % of one core by process group. */
  cpu: Record<string, number>;
  statements?: { query: string; calls: number; plan: number; exec: number; planMean: number; execMean: number; toplevel: boolean }[];
}

export interface LoadReport {
  started: string;
  seconds: number;
  commit?: string;
  machine: string;
  conditions: string;
  scale: number;
  seed: number;
  users: number;
  levelSeconds: number;
  phases: Phase[];
  heaviest: { id: string; bookings: number; rpc: Latency; floor: Latency };
  setup: { participants: number; hot: number; experts: number };
}

interface Target {
  metric: string;
  value: string;
  target: string;
  pass: boolean;
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "–");
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
const esc = (s: string) => s.replaceAll("|", "\\|");

export function targets(r: LoadReport): Target[] {
  const at = (kind: Phase["kind"], clients: number) => r.phases.find((p) => p.kind === kind && p.clients === clients);
  const out: Target[] = [];
  const mix32 = at("mix", 32);
  const floor32 = at("PostgREST floor", 32);
  if (mix32 && floor32) {
    const x = mix32.perSecond / floor32.perSecond;
    out.push({ metric: "mix throughput ÷ PostgREST floor throughput at 32 clients", value: `${f2(x)}×`, target: "≥ 0.7×", pass: x >= 0.7 });
  }
  if (mix32) {
    for (const [type, l] of Object.entries(mix32.byType)) {
      const x = l.p99 / l.p50;
      out.push({ metric: `${type}: p99 ÷ p50 at 32 clients`, value: `${f2(x)}× (${f1(l.p50)} / ${f1(l.p99)} ms)`, target: "≤ 4×", pass: x <= 4 });
    }
  }
  const h = r.heaviest.rpc.p50 / r.heaviest.floor.p50;
  out.push({ metric: `rpc('member_dashboard') ÷ PostgREST floor, the member with the most bookings (${r.heaviest.bookings}), p50, one client`, value: `${f2(h)}×`, target: "≤ 1.3×", pass: h <= 1.3 });
  for (const p of r.phases.filter((p) => p.kind === "mix")) {
    out.push({
      metric: `mix at ${p.clients} clients: 250 ms windows below half the median`,
      value: `${p.windows.below} of ${p.windows.count} (smallest ${p.windows.min}, median ${p.windows.median})`,
      target: "0",
      pass: p.windows.below === 0,
    });
  }
  const fivexx = r.phases.flatMap((p) => Object.entries(p.errors).filter(([k]) => / 5\d\d\b/.test(k) || k.includes("network")).map(([, n]) => n)).reduce((a, b) => a + b, 0);
  out.push({ metric: "answers with a 5xx status (or no answer) in any phase", value: String(fivexx), target: "0", pass: fivexx === 0 });
  return out;
}

export function loadSection(r: LoadReport): string {
  const levels = [...new Set(r.phases.map((p) => p.clients))];
  const at = (kind: Phase["kind"], clients: number) => r.phases.find((p) => p.kind === kind && p.clients === clients);
  const t = targets(r);
  const missed = t.filter((x) => !x.pass);
  const errors = r.phases.flatMap((p) => Object.entries(p.errors).map(([k, n]) => `| ${p.clients} | ${p.kind} | ${esc(k)} | ${n} |`));
  const cpuNames = [...new Set(r.phases.flatMap((p) => Object.keys(p.cpu)))];
  const typeRows = (clients: number) => {
    const p = at("mix", clients);
    return p ? Object.entries(p.byType).map(([type, l]) => `| ${clients} | ${esc(type)} | ${l.n} | ${f1(l.p50)} | ${f1(l.p95)} | ${f1(l.p99)} | ${f2(l.p99 / l.p50)}× |`) : [];
  };
  const stmts = r.phases.find((p) => p.statements)?.statements ?? [];
  return `${start(r.scale)}
## Load: many members at once (\`npm run bench:load\`), BENCH_SCALE=${r.scale}

Produced by \`npm run bench:load\` (bench/load.ts) on ${r.started.slice(0, 10)}${r.commit ? ` at commit \`${r.commit}\`` : ""}; the figures below are
that run's, unedited. Machine: ${r.machine}; whole run ${r.seconds} s, ${r.levelSeconds} s per phase.
Conditions: ${r.conditions}. What else ran on the machine meanwhile is "everything else on the
machine" in the CPU table below; the ratios within one level, taken back to back, are the comparable
part.
Data: seed/scale.ts at BENCH_SCALE=${r.scale} (${r.users} users), BENCH_SEED=${r.seed}; ${r.setup.participants} conversations' members
and experts act, sends and thread reads go to ${r.setup.hot} of those conversations from both sides.

| clients | mix calls/s | mix p50 / p95 / p99 ms | PostgREST floor req/s | health function req/s | mix ÷ PostgREST floor |
| --- | --- | --- | --- | --- | --- |
${levels.map((c) => {
    const m = at("mix", c);
    const fl = at("PostgREST floor", c);
    const h = at("health function", c);
    return `| ${c} | ${m ? f1(m.perSecond) : "–"} | ${m ? `${f1(m.all.p50)} / ${f1(m.all.p95)} / ${f1(m.all.p99)}` : "–"} | ${fl ? f1(fl.perSecond) : "–"} | ${h ? f1(h.perSecond) : "–"} | ${m && fl ? `${f2(m.perSecond / fl.perSecond)}×` : "–"} |`;
  }).join("\n")}

Per call type (ms; a "thread read + mark read" call is two requests):

| clients | call | n | p50 | p95 | p99 | p99 ÷ p50 |
| --- | --- | --- | --- | --- | --- | --- |
${levels.flatMap(typeRows).join("\n")}

The member with the most bookings (${r.heaviest.bookings}), one client alternating: rpc('member_dashboard') p50 / p99
${f1(r.heaviest.rpc.p50)} / ${f1(r.heaviest.rpc.p99)} ms (n=${r.heaviest.rpc.n}), PostgREST floor ${f1(r.heaviest.floor.p50)} / ${f1(r.heaviest.floor.p99)} ms (n=${r.heaviest.floor.n}).

Errors by status and code (every answer ≥ 400; a conflict a member's own concurrent writes cause is a 409 by design):

| clients | phase | call: status code | count |
| --- | --- | --- | --- |
${errors.length ? errors.join("\n") : "| – | – | none | 0 |"}

Completions per 250 ms window (the ramp: each phase's first seconds at its level, run before it and not counted in it):

| clients | phase | smallest (began, UTC) | median | windows below half the median | ramp: smallest / median |
| --- | --- | --- | --- | --- | --- |
${r.phases.map((p) => `| ${p.clients} | ${p.kind} | ${p.windows.min}${p.windows.smallestAt ? ` (${p.windows.smallestAt})` : ""} | ${p.windows.median} | ${p.windows.below} of ${p.windows.count} | ${p.ramp ? `${p.ramp.min} / ${p.ramp.median} (${p.ramp.seconds} s)` : "–"} |`).join("\n")}

CPU by process, % of one core (from /proc; ${r.machine.split(" ")[0]} cores = ${Number(r.machine.split(" ")[0]) * 100} %):

| clients | phase | ${cpuNames.map(esc).join(" | ")} |
| --- | --- | ${cpuNames.map(() => "---").join(" | ")} |
${r.phases.map((p) => `| ${p.clients} | ${p.kind} | ${cpuNames.map((n) => p.cpu[n] ?? "–").join(" | ")} |`).join("\n")}
${stmts.length ? `
Where the database time went in the 32-client mix (pg_stat_statements, nested statements and planning
tracked for that phase; the statements with the most plan + execution time):

| statement (start) | top level | calls | plan ms mean | exec ms mean | plan + exec ms total |
| --- | --- | --- | --- | --- | --- |
${stmts.map((s) => `| \`${esc(s.query.replaceAll("`", "'"))}\` | ${s.toplevel ? "yes" : "no"} | ${s.calls} | ${f2(s.planMean)} | ${f2(s.execMean)} | ${f1(s.plan + s.exec)} |`).join("\n")}
` : ""}
Targets (issue [22]):

| metric | value | target | result |
| --- | --- | --- | --- |
${t.map((x) => `| ${esc(x.metric)} | ${esc(x.value)} | ${x.target} | ${x.pass ? "pass" : "FAIL"} |`).join("\n")}

**targets: ${t.length - missed.length} met, ${missed.length} missed**${missed.length ? `; missed:\n${missed.map((x) => `- ${esc(x.metric)}: ${esc(x.value)} (target ${x.target})`).join("\n")}` : ""}
${end(r.scale)}
`;
}

const start = (scale: number) => `<!-- bench:load BENCH_SCALE=${scale} -->`;
const end = (scale: number) => `<!-- /bench:load BENCH_SCALE=${scale} -->`;

/** Replaces this scale's load section, or appends it at the end of the file. */
export function writeLoadSection(md: string, r: LoadReport): void {
  const text = existsSync(md) ? readFileSync(md, "utf8") : "";
  const section = loadSection(r);
  const a = text.indexOf(start(r.scale));
  const b = text.indexOf(end(r.scale));
  const next = a >= 0 && b > a ? text.slice(0, a) + section + text.slice(b + end(r.scale).length + 1) : `${text.trimEnd()}\n\n${section}`;
  writeFileSync(md, next);
}
