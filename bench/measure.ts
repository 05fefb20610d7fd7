// Timing: warm up, then run cases in rotating order (so drift and cache effects fall on all of
// them alike) until an iteration count or a time budget runs out; percentiles from the samples.

export interface Budget {
  warmup: number;
  iterations: number;
  seconds: number;
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  mean: number;
}

/** A case returns the milliseconds to count (it may time only part of its work), or undefined to time the whole call. */
export type Case = (i: number) => Promise<number | void>;

export function budgetFromEnv(defaults: Budget): Budget {
  const num = (name: string, fallback: number) => {
    const v = Number(process.env[name]);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  return {
    warmup: num("BENCH_WARMUP", defaults.warmup),
    iterations: Math.floor(num("BENCH_ITERATIONS", defaults.iterations)),
    seconds: num("BENCH_SECONDS", defaults.seconds),
  };
}

export async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function measure(cases: Record<string, Case>, budget: Budget): Promise<Record<string, Summary>> {
  const names = Object.keys(cases);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const run = async (name: string, i: number) => {
    const t = performance.now();
    const counted = await cases[name](i);
    return typeof counted === "number" ? counted : performance.now() - t;
  };
  for (let i = 0; i < budget.warmup; i++) for (const name of names) await run(name, -1 - i);
  const deadline = performance.now() + budget.seconds * 1000;
  for (let i = 0; i < budget.iterations && performance.now() < deadline; i++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length];
      samples[name].push(await run(name, i));
    }
  }
  return Object.fromEntries(names.map((n) => [n, summarize(samples[n])]));
}

export function summarize(xs: number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : NaN);
  return { n: s.length, p50: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / (s.length || 1) };
}

/** mulberry32: a small deterministic PRNG, so a given BENCH_SEED picks the same members and centres. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
