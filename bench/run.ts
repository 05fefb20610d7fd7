// `npm run bench`: the "Member experience" benchmark. Not a test: it starts its own stack (on
// ports shifted by MEMBERBASE_PORT_OFFSET, 900 unless set, in a throwaway data dir) or, with
// BENCH_USE_RUNNING=1, uses the stack already running at that offset; loads the scale seed
// (seed/scale.ts, BENCH_SCALE=0.1 for a quick run) and prints the figures of one run, writing them
// to bench/results.json and bench/RESULTS.md. Exit code 0 unless it breaks (or, with
// BENCH_STRICT=1, a target is missed).
// The stack reads its ports and data dir when first imported, so they are set before that.
import { tmpdir } from "node:os";
import { join } from "node:path";

process.env.MEMBERBASE_PORT_OFFSET ??= "900";
if (process.env.BENCH_USE_RUNNING !== "1") process.env.MEMBERBASE_STACK_DIR ??= join(tmpdir(), `memberbase-bench-${process.pid}`);

const { main } = await import("./main.ts");
process.exitCode = await main();
