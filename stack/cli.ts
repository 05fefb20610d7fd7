// `npm run dev`: starts the Docker-free stack, prints URLs and keys, stops on Ctrl-C.
// `npm run dev -- --reset` wipes .stack/ first.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { stateDir } from "./core/config.ts";
import { lockFile } from "./core/stack-lock.ts";
import { startStack, stopStack, summary } from "./index.ts";
import { claimDataDir } from "./lifecycle.ts";
import { functionsOptions } from "./services/functions.ts";

if (process.argv.includes("--reset")) {
  try {
    // Not while another stack runs from it; a cluster a dead stack left running here is stopped first.
    await claimDataDir((line) => console.log(`  ${line}`));
  } catch (e) {
    console.error(`\nstack failed: ${(e as Error).message}`);
    process.exit(1);
  }
  for (const entry of readdirSync(stateDir)) if (join(stateDir, entry) !== lockFile) rmSync(join(stateDir, entry), { recursive: true, force: true });
  console.log(`wiped ${stateDir}`);
}

functionsOptions.watch = true; // a saved function file restarts that function's worker

let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    process.stdout.write("\nstopping...\n");
    await stopStack();
  }
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
// `npm run dev` runs this in a child of tsx's own process: when that wrapper dies (kill -9 of it or
// of npm), nothing would stop the stack any more, so it stops as on Ctrl-C.
// Once: a second shutdown() call (a second Ctrl-C) exits at once, mid-stop.
const parent = process.ppid;
const orphaned = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(orphaned);
  void shutdown(0);
}, 1000).unref();

try {
  await startStack({ log: (line) => console.log(line) });
  console.log(summary());
  if (process.argv.includes("--once")) await shutdown(0);
} catch (e) {
  console.error(`\nstack failed: ${(e as Error).message}`);
  await shutdown(1);
}
