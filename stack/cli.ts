// `npm run dev`: starts the Docker-free stack, prints URLs and keys, stops on Ctrl-C.
// `npm run dev -- --reset` wipes .stack/ first.
import { rmSync } from "node:fs";
import { stateDir } from "./core/config.ts";
import { startStack, stopStack, summary } from "./index.ts";
import { postgresService } from "./services/postgres.ts";
import { functionsOptions } from "./services/functions.ts";

if (process.argv.includes("--reset")) {
  await postgresService.stop(); // a cluster left running from this data dir would hold the port
  rmSync(stateDir, { recursive: true, force: true });
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

try {
  await startStack({ log: (line) => console.log(line) });
  console.log(summary());
  if (process.argv.includes("--once")) await shutdown(0);
} catch (e) {
  console.error(`\nstack failed: ${(e as Error).message}`);
  await shutdown(1);
}
