// `npm run bench:stack`: the stack's own cost. Starts a fresh stack (throwaway data dir, ports
// shifted by MEMBERBASE_PORT_OFFSET, 900 unless set), reports the time to ready and the footprint
// (stack/core/footprint.ts) at ready, then after one request to every function, then stops it.
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

process.env.MEMBERBASE_PORT_OFFSET ??= "900";
const dir = join(tmpdir(), `memberbase-bench-stack-${process.pid}`); // not mkdtemp: its 0700 would shut out the postgres user
process.env.MEMBERBASE_STACK_DIR = dir;

const { startStack, stopStack } = await import("../stack/index.ts");
const { formatFootprint, measureFootprint } = await import("../stack/core/footprint.ts");
const { functionNames } = await import("../stack/services/functions.ts");

const t0 = performance.now();
try {
  const info = await startStack({ log: (l) => console.log(l) });
  const readyMs = Math.round(performance.now() - t0);
  const atReady = measureFootprint();
  const names = functionNames();
  const t1 = performance.now();
  const statuses = await Promise.all(
    names.map(async (name) => {
      const res = await fetch(`${info.apiUrl}/functions/v1/${name}`, { headers: { authorization: `Bearer ${info.serviceRoleKey}`, apikey: info.anonKey } });
      await res.body?.cancel();
      return `${name} ${res.status}`;
    }),
  );
  const firstRequestsMs = Math.round(performance.now() - t1);
  const warm = measureFootprint();
  console.log(`\n${names.length} functions; cold start to ready ${readyMs} ms`);
  console.log(`at ready:                 ${formatFootprint(atReady)}`);
  console.log(`after one request to each: ${formatFootprint(warm)} (first requests took ${firstRequestsMs} ms: ${statuses.join(", ")})`);
} finally {
  await stopStack();
  rmSync(dir, { recursive: true, force: true });
}
