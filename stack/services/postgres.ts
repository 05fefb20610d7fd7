// PostgreSQL 15 from the Debian binaries in the stack's own data dir (never the machine's server).
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { pgBinDir, ports, stateDir } from "../core/config.ts";
import { runAsync } from "../core/run-async.ts";
import { portOpen, StackError, waitFor, type Service } from "../core/service.ts";
import { commandLine, gone, identify, terminate, type ProcessId } from "../core/process-identity.ts";

export const dataDir = join(stateDir, "db");
const socketDir = join(stateDir, "run");

/** Debian keeps each major's binaries apart; we want 15 whatever else is installed. */
function pgBin(tool: string): string {
  const dir = pgBinDir;
  const p = join(dir, tool);
  if (!existsSync(p)) {
    const have = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").join(", ") : "none";
    throw new StackError(`PostgreSQL 15 binaries not found at ${dir} (installed majors: ${have}); apt-get install postgresql-15`);
  }
  return p;
}

/** initdb and postgres refuse to run as root: run them as the postgres OS user then. */
function asPgUser(cmd: string, args: string[]): string[] {
  return process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", cmd, ...args] : [cmd, ...args];
}

/** Runs a Postgres tool to completion without blocking this process: the stack's other services start meanwhile. */
async function run(cmd: string, args: string[]): Promise<void> {
  const [c, ...a] = asPgUser(cmd, args);
  const r = await runAsync(c, a);
  if (r.status !== 0) throw new StackError(`${cmd} failed: ${r.error?.message ?? ""}${r.stderr}${r.stdout}`);
}

/**
 * Crash safety of the stack's cluster. On by default: `npm run dev` data is what people keep, and
 * with fsync/synchronous_commit off an immediate restart lost acknowledged commits. A throwaway
 * cluster (the test suite's, the benchmark's) may turn it off with MEMBERBASE_DB_DURABLE=0.
 */
export function durable(): boolean {
  return process.env.MEMBERBASE_DB_DURABLE !== "0";
}

export function isInitialised(): boolean {
  return existsSync(join(dataDir, "PG_VERSION"));
}

/** A cluster of its own: the stack's, or a scratch one (the deploy check's, whose database must be
 * named postgres as a hosted project's is: pg_cron lives in that one database). */
export interface Cluster {
  dataDir: string;
  socketDir: string;
  port: number;
}

/** The data and socket directories exist and belong to the postgres OS user (when we are root). */
function ownDirs(c: Cluster): void {
  for (const d of [c.dataDir, c.socketDir]) mkdirSync(d, { recursive: true });
  if (process.getuid?.() === 0) for (const d of [c.dataDir, c.socketDir]) chownSync(d, uid("postgres"), gid("postgres"));
}

/** initdb with supabase_admin as the bootstrap superuser, as in Supabase's image. */
export async function initCluster(c: Cluster): Promise<void> {
  ownDirs(c);
  const pw = join(c.socketDir, "pwfile");
  writeFileSync(pw, "postgres\n");
  if (process.getuid?.() === 0) chownSync(pw, uid("postgres"), gid("postgres"));
  await run(pgBin("initdb"), ["-D", c.dataDir, "-U", "supabase_admin", "--pwfile", pw, "-A", "scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", ...(durable() ? [] : ["--no-sync"])]);
}

/** Starts the cluster with the stack's settings and waits until supabase_admin can connect. */
export async function startCluster(c: Cluster): Promise<void> {
  ownDirs(c);
  // Written at every start: the port follows MEMBERBASE_PORT_OFFSET even for an existing data dir.
  writeFileSync(join(c.dataDir, "postgresql.auto.conf"), serverSettings(c));
  if (process.getuid?.() === 0) chownSync(join(c.dataDir, "postgresql.auto.conf"), uid("postgres"), gid("postgres"));
  await run(pgBin("pg_ctl"), ["-D", c.dataDir, "-l", join(c.socketDir, "postgres.log"), "-w", "-t", "300", "start"]);
  await waitFor("postgres", async () => {
    const sql = postgres(`postgresql://supabase_admin:postgres@127.0.0.1:${c.port}/postgres`, { max: 1, onnotice: () => {} });
    try {
      await sql`select 1`;
      return true;
    } finally {
      await sql.end();
    }
  });
}

export async function stopCluster(c: Cluster): Promise<void> {
  if (!existsSync(join(c.dataDir, "postmaster.pid"))) return;
  await run(pgBin("pg_ctl"), ["-D", c.dataDir, "-m", "fast", "-w", "stop"]);
}

/** The stack's own cluster (MEMBERBASE_STACK_DIR, MEMBERBASE_PORT_OFFSET). */
export const stackCluster: Cluster = { dataDir, socketDir, port: ports.db };
const cluster = stackCluster;

/**
 * The postmaster running from this data dir, read from its postmaster.pid (pg_ctl daemonises it: it
 * is no child of ours) and checked: the pid runs a postgres whose command line names this data dir.
 */
export function runningPostmaster(dir = dataDir): ProcessId | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n");
  } catch {
    return undefined;
  }
  const id = identify(Number(lines[0]));
  if (!id || id.comm !== "postgres" || lines[1] !== dir || !commandLine(id.pid).includes(dir)) return undefined;
  return { pid: id.pid, start: id.start };
}

/** Stops a cluster that runs from this data dir though no live stack owns the dir (its stack died). */
export async function stopLeftoverCluster(log: (line: string) => void): Promise<void> {
  const postmaster = runningPostmaster();
  if (!postmaster) return;
  log(`stopping the Postgres left running from ${dataDir} (postmaster pid ${postmaster.pid})`);
  // SIGINT is pg_ctl's "fast" mode: clients are cut off, a checkpoint is written; SIGQUIT (immediate) after 60 s.
  await terminate([postmaster], 60_000, "SIGINT");
}

export const postgresService: Service & { fresh: boolean } = {
  name: "postgres",
  url: `postgresql://postgres:postgres@127.0.0.1:${ports.db}/postgres`,
  fresh: false,
  async start() {
    mkdirSync(stateDir, { recursive: true });
    if (await portOpen(ports.db))
      throw new StackError(`port ${ports.db} is already in use (another \`npm run dev\` or \`supabase start\`?); stop it, or point the tests at it with SUPABASE_URL, SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY and SUPABASE_DB_URL`);
    this.fresh = !isInitialised();
    if (this.fresh) await initCluster(cluster);
    await startCluster(cluster);
    const version = (await runAsync(pgBin("postgres"), ["--version"])).stdout.trim().replace(/^postgres \(PostgreSQL\) /, "");
    this.detail = `PostgreSQL ${version} from ${pgBinDir}, ${this.fresh ? "new" : "existing"} data dir ${dataDir}, ${durable() ? "durable (fsync on)" : "throwaway (fsync off)"}`;
  },
  async stop() {
    await stopCluster(cluster);
  },
};

/**
 * Fault injection (test/durability.test.ts): stops the cluster in immediate mode, which is a crash as
 * far as the data is concerned (no checkpoint; the WAL is replayed at start), and starts it again.
 * Certain or loud: the postmaster running before must be gone and another running after, else this
 * throws (a silent no-op would let the durability test pass without any fault injected).
 */
export async function restartImmediately(): Promise<{ stopped: ProcessId; started: ProcessId }> {
  const stopped = runningPostmaster();
  if (!stopped) throw new StackError(`no postmaster runs from ${dataDir}: nothing to stop`);
  // run(): as the postgres OS user when we are root, and a failure throws.
  await run(pgBin("pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
  if (!(await gone([stopped], 10_000))) throw new StackError(`postmaster pid ${stopped.pid} still runs after pg_ctl stop -m immediate`);
  await run(pgBin("pg_ctl"), ["-D", dataDir, "-l", join(socketDir, "postgres.log"), "-w", "-t", "300", "start"]);
  const started = runningPostmaster();
  if (!started || started.pid === stopped.pid) throw new StackError(`no new postmaster runs from ${dataDir} after the restart`);
  return { stopped, started };
}

function serverSettings(c: Cluster): string {
  return [
    // 127.0.0.2 too: the Supabase CLI treats 127.0.0.1:<db.port> as its Docker database (see RESEARCH).
    `listen_addresses = '127.0.0.1,127.0.0.2'`,
    `port = ${c.port}`,
    `unix_socket_directories = '${c.socketDir}'`,
    `max_connections = 200`,
    `shared_buffers = '256MB'`,
    // Every acknowledged commit survives a crash unless this cluster is declared throwaway (durable()).
    ...(durable() ? ["fsync = on", "synchronous_commit = on", "full_page_writes = on"] : ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]),
    `wal_level = logical`,
    `shared_preload_libraries = 'pg_stat_statements,pg_cron'`,
    // Supabase Cron: jobs run in this database, in background workers (no password needed to connect).
    `cron.database_name = 'postgres'`,
    `cron.use_background_workers = on`,
    `max_worker_processes = 32`,
    `log_min_messages = warning`,
    `timezone = 'UTC'`,
    "",
  ].join("\n");
}

function uid(user: string): number {
  return Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
}
function gid(user: string): number {
  return Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
}
