// A name server that never answers, for one process (the functions host under test): a resolv.conf
// naming a loopback address where this process reads every query and answers none, as if every
// reply were lost; the host is run with that file over its /etc/resolv.conf (HostOptions.resolvConf:
// a private mount namespace). Why this way: glibc has no per-process name server setting (the
// resolv.conf path is fixed; RES_OPTIONS only tunes timeout/attempts/ndots, LOCALDOMAIN the search
// list), and a loopback address with nothing bound answers ICMP port-unreachable, which glibc takes
// as an immediate failure, not the silence of a lost reply. Needs root (a mount namespace, UDP port
// 53), which CI has.
import { createSocket, type Socket } from "node:dgram";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Why no dead resolver can be made here (undefined when it can). */
export const deadResolverSkipReason: string | undefined =
  process.getuid?.() !== 0
    ? "needs root: the functions host gets its own resolv.conf in a private mount namespace, and the silent name server binds UDP port 53"
    : spawnSync("unshare", ["--mount", "true"]).status !== 0
      ? "`unshare --mount` does not work here (no util-linux, or no CAP_SYS_ADMIN)"
      : undefined;

export interface DeadResolver {
  /** The resolv.conf naming it, for HostOptions.resolvConf. */
  resolvConf: string;
  /** Queries it received (and left unanswered) so far. */
  queries(): number;
  close(): Promise<void>;
}

export async function startDeadResolver(): Promise<DeadResolver> {
  let socket: Socket | undefined;
  let address = "";
  // An address of its own in 127/8: other suites on this machine may run one at the same time.
  for (let attempt = 0; !socket; attempt++) {
    address = `127.53.${1 + Math.floor(Math.random() * 254)}.${1 + Math.floor(Math.random() * 254)}`;
    const s = createSocket("udp4");
    try {
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.bind(53, address, () => resolve());
      });
      socket = s;
    } catch (e) {
      s.close();
      if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt > 20) throw e;
    }
  }
  let received = 0;
  socket.on("message", () => received++);
  const dir = mkdtempSync(join(tmpdir(), "memberbase-dead-resolver-"));
  const resolvConf = join(dir, "resolv.conf");
  writeFileSync(resolvConf, `nameserver ${address}\n`);
  const bound = socket;
  return {
    resolvConf,
    queries: () => received,
    close: async () => {
      await new Promise<void>((r) => bound.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
