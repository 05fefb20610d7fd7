// This suite's own stack processes, found through /proc (Linux), for tests that measure them or
// inject faults into them (kill -9, SIGSTOP). Matched on the command line and on something only this
// stack has (its database URL, its port), never on a name alone: other stacks run on this machine.
import { readdirSync, readFileSync } from "node:fs";
import { stack } from "./stack.ts";

function findProcess(matches: (cmdline: string[], environ: string[]) => boolean): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (matches(cmdline, environ)) return Number(entry);
    } catch {
      // a process that went away or is not ours to read
    }
  }
  return undefined;
}

/** The functions host of this suite's stack (every function's worker runs inside it); undefined when this suite did not start the stack. */
export function functionsHostPid(): number | undefined {
  return findProcess((cmd, env) => cmd.some((a) => a.endsWith("stack/deno/functions-host.ts")) && env.includes(`SUPABASE_DB_URL=${stack.dbUrl}`));
}

/** The MailDev process whose SMTP side listens on `smtpPort`. */
export function mailDevPid(smtpPort: number): number | undefined {
  return findProcess((cmd) => cmd.some((a) => a.endsWith("maildev.js")) && cmd.includes("--smtp") && cmd[cmd.indexOf("--smtp") + 1] === String(smtpPort));
}

/** Polls until check() is true; false after timeoutMs (a bound for a hang, not a speed target). */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

/** The stripe-mock process listening on `port` (its -http-addr). */
export function stripeMockPid(port: number): number | undefined {
  return findProcess((cmd) => cmd.includes("-http-addr") && cmd[cmd.indexOf("-http-addr") + 1] === `127.0.0.1:${port}`);
}
