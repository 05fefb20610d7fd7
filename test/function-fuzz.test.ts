// Every edge function × malformed bodies, wrong methods, oversized bodies and bad tokens (none,
// forged, expired, the anon key, another member's ids, a signed-out session). Whatever a client
// sends gets a 4xx JSON answer with a machine-readable code, never a 5xx, and no row anywhere
// changes. The table is the folder list of supabase/functions: a new function is fuzzed as soon as
// it exists. Requests go through the gateway (as clients send them) and, where this stack exposes
// them, to each function's own origin (past the gateway), where the answer must be the function's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functionConfig } from "../stack/core/config.ts";
import { rowCounts, sql, type Claims } from "./helpers/db.ts";
import { forgedTokens, signAccessToken } from "./helpers/jwt.ts";
import { createSession, createUser, type TestUser } from "./helpers/users.ts";
import { memberRowsByForeignKeys, seedMember } from "./helpers/member-rows.ts";
import { functionOrigin, functions, gatewayUrl, originSkipReason } from "./helpers/functions.ts";
import { stack } from "./helpers/stack.ts";
import { functionJobs, jobsPausedDuringFile } from "./helpers/schedule.ts";

// This file proves no row changed anywhere: the scheduled jobs (which send, credit and delete what
// earlier files left due) wait meanwhile.
jobsPausedDuringFile(...functionJobs);

/** Functions whose work is sensitive (export, deletion, payments): a signed-out session must be refused. */
const sensitive = (fn: string) => /export|delet|payment|billing/.test(fn);

interface Probe {
  fn: string;
  what: string;
  method: string;
  token?: string;
  /** A function for streamed bodies, which can be sent once only. */
  body?: BodyInit | (() => BodyInit);
  query?: string;
}

interface Answer extends Probe {
  via: "gateway" | "origin";
  status: number;
  text: string;
  code?: string;
}

const skipOrigin = await originSkipReason();
const allowed = new Map<string, string[]>();
let attacker: TestUser;
let victim: TestUser;
let counterpart: TestUser;
let attackerToken: string;
let signedOutToken: string;
let attackerOnVictimSession: string;
let bad: Record<string, string>;
let counts: Record<string, number>;

beforeAll(async () => {
  attacker = await createUser();
  victim = await createUser();
  counterpart = await createUser();
  await seedMember(counterpart.id, counterpart.id); // makes the counterpart a bookable expert
  await seedMember(victim.id, counterpart.id); // the victim has rows on every member-linked path to lose
  const live = await createSession(attacker.id);
  attackerToken = await signAccessToken(live);
  const ended = await createSession(attacker.id);
  signedOutToken = await signAccessToken(ended);
  await sql`delete from auth.sessions where id = ${ended.session_id}`;
  const victimSession = await createSession(victim.id);
  attackerOnVictimSession = await signAccessToken({ ...live, session_id: victimSession.session_id } as Claims);
  bad = await forgedTokens(live);
  for (const fn of functions) {
    const res = await fetch(gatewayUrl(fn), { method: "OPTIONS" });
    expect(res.status, fn).toBe(204);
    allowed.set(fn, (res.headers.get("allow") ?? "").split(",").map((m) => m.trim()).filter((m) => m && m !== "OPTIONS"));
  }
  counts = await rowCounts();
}, 60000);

afterAll(async () => {
  await sql`delete from auth.users where id in ${sql([attacker.id, victim.id, counterpart.id])}`;
});

async function send(p: Probe, via: "gateway" | "origin"): Promise<Answer> {
  const url = (via === "gateway" ? gatewayUrl(p.fn) : functionOrigin(p.fn)) + (p.query ?? "");
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (via === "gateway") headers.apikey = stack.anonKey;
  if (p.token !== undefined) headers.authorization = `Bearer ${p.token}`;
  const body = typeof p.body === "function" ? p.body() : p.body;
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method: p.method, headers, body, ...(body instanceof ReadableStream ? { duplex: "half" } : {}) } as RequestInit);
    text = await res.text();
  } catch (e) {
    // A dropped connection is no answer at all: status 0 fails every check with the cause shown.
    return { ...p, via, status: 0, text: `${(e as Error).message}: ${String((e as { cause?: unknown }).cause)}` };
  }
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code as string | undefined;
  } catch {
    code = undefined;
  }
  return { ...p, via, status: res.status, text: text.slice(0, 300), code };
}

/** Sends every probe (a few at a time) through the gateway and to the function's origin. */
async function run(probes: Probe[]): Promise<Answer[]> {
  const vias: Array<"gateway" | "origin"> = skipOrigin ? ["gateway"] : ["gateway", "origin"];
  const answers: Answer[] = [];
  for (let i = 0; i < probes.length; i += 8) {
    answers.push(...(await Promise.all(probes.slice(i, i + 8).flatMap((p) => vias.map((via) => send(p, via))))));
  }
  return answers;
}

/**
 * The contract for a refused request: 4xx, JSON with a code (the gateway's refusal of a bad token
 * included: invalid_jwt, beside the edge runtime's `msg`).
 */
function notRefusedProperly(a: Answer): boolean {
  if (a.status < 400 || a.status >= 500) return true;
  return typeof a.code !== "string" || a.code === "";
}

const show = (a: Answer) => `${a.via} ${a.method} ${a.fn} [${a.what}] -> ${a.status} ${a.text.slice(0, 160)}`;

function expectAllRefused(answers: Answer[]) {
  expect(answers.length).toBeGreaterThan(0);
  expect(answers.filter(notRefusedProperly).map(show)).toEqual([]);
}

const jsonBodies: Record<string, string> = {
  "truncated JSON": '{"code":',
  "not JSON": "hello=world&user_id=1",
  "JSON null": "null",
  "JSON array": "[]",
  "JSON string": '"{}"',
  "JSON number": "42",
  "JSON true": "true",
  "unknown field": '{"is_admin":true}',
  "__proto__ pollution": '{"__proto__":{"role":"service_role"},"constructor":{"prototype":{"role":"service_role"}}}',
  "wrong types": '{"limit":"25","sweep":"yes","code":123,"referral_id":7}',
  "out-of-range numbers": '{"limit":-1e309}',
  "NUL inside a string": '{"code":"abc\\u0000def"}',
  "lone surrogate": '{"code":"\\ud800"}',
  "not a uuid where one is expected": '{"referral_id":"1 or 1=1"}',
  "deeply nested": "[".repeat(20000) + "]".repeat(20000),
  "many keys": `{${Array.from({ length: 2000 }, (_, i) => `"k${i}":${i}`).join(",")}}`,
};

describe("every function refuses what a client can get wrong (no 5xx, a 4xx with a code)", () => {
  it("finds the functions and what methods each takes", () => {
    expect(functions).toEqual(expect.arrayContaining(["account-delete", "data-export", "health", "member-dashboard"]));
    for (const fn of functions) expect(allowed.get(fn)!.length, fn).toBeGreaterThan(0);
  });

  it("malformed bodies, from a member, the service role and the anon key", async () => {
    const identities: Record<string, string> = { member: attackerToken, service_role: stack.serviceRoleKey, anon: stack.anonKey };
    const probes: Probe[] = [];
    for (const fn of functions) {
      for (const [who, token] of Object.entries(identities)) {
        for (const [what, body] of Object.entries(jsonBodies)) probes.push({ fn, what: `${who}: ${what}`, method: "POST", token, body });
        probes.push({ fn, what: `${who}: invalid UTF-8`, method: "POST", token, body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) });
      }
    }
    expectAllRefused(await run(probes));
  }, 30000);

  it("methods a function does not take: 405 method_not_allowed, naming the ones it does", async () => {
    const probes: Probe[] = [];
    for (const fn of functions) {
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => !allowed.get(fn)!.includes(m))) {
        probes.push({ fn, what: "wrong method", method, token: attackerToken, body: method === "GET" ? undefined : "{}" });
      }
    }
    const answers = await run(probes);
    expectAllRefused(answers);
    expect(answers.filter((a) => a.status !== 405 || a.code !== "method_not_allowed").map(show)).toEqual([]);
  });

  it("oversized bodies, declared or streamed without a length: refused before they are read", async () => {
    const big = JSON.stringify({ code: "x".repeat(2 * 1024 * 1024) });
    const streamed = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
          controller.enqueue(new TextEncoder().encode('{"code":"'));
          for (let i = 0; i < 32; i++) controller.enqueue(chunk);
          controller.enqueue(new TextEncoder().encode('"}'));
          controller.close();
        },
      });
    const probes = functions.flatMap((fn): Probe[] =>
        allowed.get(fn)!.includes("POST")
          ? [
              { fn, what: "2 MiB with content-length", method: "POST", token: attackerToken, body: big },
              { fn, what: "2 MiB streamed", method: "POST", token: attackerToken, body: streamed },
              { fn, what: "2 MiB from the service role", method: "POST", token: stack.serviceRoleKey, body: big },
            ]
          : [],
    );
    const answers = await run(probes);
    expectAllRefused(answers);
    // Where the body is read at all, the refusal is the size's.
    const read = answers.filter((a) => a.status !== 401 && a.status !== 403);
    expect(read.filter((a) => a.status !== 413 || a.code !== "payload_too_large").map(show)).toEqual([]);
  });

  it("no token, forged, expired and malformed tokens: 401 wherever a function verifies JWTs", async () => {
    const probes: Probe[] = [];
    for (const fn of functions) {
      for (const method of allowed.get(fn)!) {
        const body = method === "GET" ? undefined : "{}";
        probes.push({ fn, what: "no token", method, body });
        for (const [what, token] of Object.entries(bad)) probes.push({ fn, what, method, token, body });
      }
    }
    const answers = await run(probes);
    expectAllRefused(answers);
    const verifying = answers.filter((a) => functionConfig(a.fn).verifyJwt);
    expect(verifying.filter((a) => a.status !== 401).map(show)).toEqual([]);
  });

  it("another member's ids in the body: refused, and nothing of theirs is revealed", async () => {
    const probes: Probe[] = [];
    const naming = [
      { user_id: victim.id },
      { member_id: victim.id },
      { id: victim.id },
      { sub: victim.id },
      { email: victim.email },
      { referral_id: victim.id },
      { code: victim.id },
    ];
    for (const fn of functions) {
      for (const body of naming) probes.push({ fn, what: `names the victim: ${Object.keys(body)[0]}`, method: "POST", token: attackerToken, body: JSON.stringify(body) });
    }
    const answers = await run(probes);
    expect(answers.filter((a) => a.text.includes(victim.id) || a.text.includes(victim.email)).map(show)).toEqual([]);
    expectAllRefused(answers); // strict schemas: no function takes someone else's id from the body
  });

  it("the anon key: refused by every function that needs a member or the service role", async () => {
    const probes: Probe[] = [];
    for (const fn of functions) {
      for (const method of allowed.get(fn)!) probes.push({ fn, what: "anon key", method, token: stack.anonKey, body: method === "GET" ? undefined : "{}" });
    }
    const answers = await run(probes);
    expect(answers.filter((a) => a.status >= 500).map(show)).toEqual([]);
    // health is the one function open to any valid JWT; every other one refuses the anon key.
    expectAllRefused(answers.filter((a) => a.fn !== "health"));
  });

  it("a signed-out session, or a live session that is not the caller's: refused by every sensitive function", async () => {
    const probes: Probe[] = [];
    for (const fn of functions.filter(sensitive)) {
      for (const method of allowed.get(fn)!) {
        const body = method === "GET" ? undefined : "{}";
        probes.push({ fn, what: "signed-out session", method, token: signedOutToken, body });
        probes.push({ fn, what: "the victim's session", method, token: attackerOnVictimSession, body });
      }
    }
    expect(probes.length).toBeGreaterThanOrEqual(4);
    const answers = await run(probes);
    expectAllRefused(answers);
    expect(answers.filter((a) => ![401, 403].includes(a.status)).map(show)).toEqual([]);
  });

  it("changed no row anywhere", async () => {
    expect(await rowCounts()).toEqual(counts);
    expect(await sql`select id from auth.users where id in ${sql([attacker.id, victim.id])} order by id`).toHaveLength(2);
  });
});

describe("a member's GET naming another member in the query string", () => {
  it("acts for the caller alone: none of the victim's rows change or show", async () => {
    const victimRows = await memberRowsByForeignKeys(victim.id);
    const probes: Probe[] = functions
      .filter((fn) => allowed.get(fn)!.includes("GET"))
      .map((fn) => ({ fn, what: "victim in the query", method: "GET", token: attackerToken, query: `?user_id=${victim.id}&member_id=${victim.id}&id=${victim.id}` }));
    expect(probes.length).toBeGreaterThan(0);
    const answers = await run(probes);
    expect(answers.filter((a) => a.status >= 500 || (a.status >= 400 && !a.code)).map(show)).toEqual([]);
    expect(answers.filter((a) => a.text.includes(victim.id) || a.text.includes(victim.email)).map(show)).toEqual([]);
    expect(await memberRowsByForeignKeys(victim.id)).toEqual(victimRows);
  });
});
