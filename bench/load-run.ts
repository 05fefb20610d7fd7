// `npm run bench:load`: many signed-in members at once (bench/load.ts). Not a test and not in CI.
// Ports shifted by MEMBERBASE_PORT_OFFSET (900 unless set), a throwaway data dir unless
// BENCH_USE_RUNNING=1 (then the stack already running at that offset is used). The stack reads its
// ports and data dir when first imported, so they are set before that.
import { tmpdir } from "node:os";
import { join } from "node:path";

process.env.MEMBERBASE_PORT_OFFSET ??= "900";
if (process.env.BENCH_USE_RUNNING !== "1") process.env.MEMBERBASE_STACK_DIR ??= join(tmpdir(), `memberbase-bench-load-${process.pid}`);

const { main } = await import("./load.ts");
process.exitCode = await main();
