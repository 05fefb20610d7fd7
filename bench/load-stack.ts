// The stack for `npm run bench:load`, in a process of its own: the gateway runs in the stack's Node
// process, so a load generator sharing that event loop would measure itself. Started by
// bench/load.ts; prints "load-stack: ready" when every service answers and stops on SIGTERM.
import { startStack, stopStack } from "../stack/index.ts";

let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await stopStack();
  }
  process.exit(code);
}
process.on("SIGTERM", () => void shutdown(0));
process.on("SIGINT", () => void shutdown(0));

try {
  await startStack({ log: (line) => console.log(line) });
  console.log("load-stack: ready");
} catch (e) {
  console.error(`load-stack: failed: ${(e as Error).message}`);
  await shutdown(1);
}
