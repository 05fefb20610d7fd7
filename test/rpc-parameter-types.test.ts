// Every RPC docs/api.md documents refuses a parameter of the wrong JSON type with a 400 and a code,
// never a 200 (answering as if the call were right) or a 500. PostgREST turns each JSON value into
// the parameter's SQL type through its text: an array or object sent for a text parameter arrives as
// its JSON text (`rpc('nearby_experts', { expertise: ['tax'] })` searched for the expertise
// '["tax"]' and answered []), so the functions refuse those themselves; for every other type
// PostgREST's conversion refuses what is not a value of the type.
// What no check can see, and so is not sent here: a JSON value whose text IS a value of the type
// ("5" for an integer, 5 or true for a text, 1 for a boolean, ["<a time>"] for a time) arrives as
// that value (docs/api.md).
// Each call is first made with right values (which must not be a 400), then once per wrong value of
// one parameter, as a member through supabase-js → gateway → PostgREST.
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { documentedCalls } from "./helpers/api-doc.ts";
import { sql } from "./helpers/db.ts";
import { clientAs, type ApiClient } from "./helpers/rest.ts";
import { createSession, usersDeletedAfterFile } from "./helpers/users.ts";

const { createUser } = usersDeletedAfterFile();

/** The documented RPCs, each once, in the page's order. */
const rpcs = [...new Set(documentedCalls().flatMap((c) => [...c.matchAll(/\brpc\('([a-z_]+)'/g)].map((m) => m[1])))];

interface Param {
  name: string;
  type: string;
  /** 'e' for an enum, else the type's category ('S' string, 'N' numeric, 'U' uuid and others, 'D' time, 'B' boolean). */
  kind: string;
  label?: string;
}

/** Right values, by parameter name (what docs/api.md's calls take), else by type. */
const byName: Record<string, unknown> = {
  step: "profile", version: "2026-11", lat: 52.52, lng: 13.405, radius_km: 5, min_rating: 4, max_results: 5,
  page_size: 20, page_offset: 0, months: 12, minutes: 5, duration_minutes: 60, amount_cents: 100, message_id: 1,
  hide: true, suspend_sender: false, query: "tax advice", expertise: "tax", city: "Berlin", area: "Mitte",
  name: "Type checks", topic: "Types", subject: "Help", body: "Hello there", note: "A note", reason: "A reason",
  reference: "types-test", memo: "A memo", filters: {},
};
const inDays = (d: number) => new Date(Date.now() + d * 86400e3).toISOString();

function rightValue(p: Param): unknown {
  if (p.name in byName) return byName[p.name];
  if (p.name === "scheduled_at") return inDays(3);
  if (p.name === "before") return new Date().toISOString();
  if (p.kind === "e") return p.label;
  if (p.type === "uuid") return randomUUID();
  throw new Error(`no right value for ${p.name} ${p.type}: add one to byName`);
}

/** Values of another JSON type than the parameter's, none of whose text is a value of its type. */
function wrongValues(p: Param, right: unknown): [string, unknown][] {
  const containers: [string, unknown][] = [["an array", [right]], ["an object", { value: right }]];
  if (p.type === "jsonb") return [["an array", [right]], ["a string", "filters"], ["a number", 1], ["a boolean", true]];
  if (p.type === "text") return containers;
  if (p.kind === "N") return [["a string", "not-a-number"], ["a boolean", true], ...containers];
  if (p.kind === "B") return [["a string", "not-a-boolean"], ...containers];
  // Postgres's time input reads '["<a time>"]' as that time: a one-element array of a right time
  // cannot be told from the time (docs/api.md); an array of two is refused.
  if (p.kind === "D") return [["a number", 12345], ["a boolean", true], ["an array", [right, right]], ["an object", { value: right }]];
  // uuids and enums
  return [["a number", 12345], ["a boolean", true], ...containers];
}

let m: ApiClient;
const signatures = new Map<string, Param[]>();

beforeAll(async () => {
  const member = await createUser();
  m = await clientAs(await createSession(member.id));
  const rows = await sql<{ proname: string; name: string; type: string; kind: string; label: string | null }[]>`
    select p.proname, a.name, format_type(t.oid, null) as type,
           case when t.typtype = 'e' then 'e' else t.typcategory::text end as kind,
           (select e.enumlabel from pg_enum e where e.enumtypid = t.oid order by e.enumsortorder limit 1) as label
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace and n.nspname = 'public'
      cross join lateral unnest(p.proargnames, coalesce(p.proallargtypes, p.proargtypes::oid[]), p.proargmodes) with ordinality as a(name, typ, mode, i)
      join pg_type t on t.oid = a.typ
     where p.proname in ${sql(rpcs)} and coalesce(a.mode, 'i') = 'i'
     order by p.proname, a.i`;
  for (const name of rpcs) signatures.set(name, []);
  for (const r of rows) signatures.get(r.proname)!.push({ name: r.name, type: r.type, kind: r.kind, label: r.label ?? undefined });
});

describe("documented RPCs refuse a parameter of the wrong JSON type with 400 and a code", () => {
  it("finds the documented RPCs and their parameters", () => {
    expect(rpcs.length).toBeGreaterThan(30);
    expect(signatures.get("nearby_experts")?.map((p) => p.name)).toEqual(["lat", "lng", "radius_km", "expertise", "min_rating", "max_results"]);
  });

  it.each(rpcs)("rpc('%s')", async (name) => {
    const params = signatures.get(name)!;
    if (params.length === 0) return; // nothing to send wrong
    const right = Object.fromEntries(params.map((p) => [p.name, rightValue(p)]));
    const base = await m.rpc(name as never, right as never);
    expect(base.status, `${name} with right values: ${JSON.stringify(base.error)}`).not.toBe(400);
    expect(base.status, `${name} with right values: ${JSON.stringify(base.error)}`).toBeLessThan(500);
    const wrong: string[] = [];
    for (const p of params) {
      for (const [what, value] of wrongValues(p, right[p.name])) {
        const r = await m.rpc(name as never, { ...right, [p.name]: value } as never);
        if (r.status !== 400 || !r.error?.code) wrong.push(`${p.name} (${p.type}) as ${what} ${JSON.stringify(value)}: HTTP ${r.status} ${r.error ? `${r.error.code} ${r.error.message}` : JSON.stringify(r.data)?.slice(0, 120)}`);
      }
    }
    expect(wrong, `${name}: answered other than 400 with a code`).toEqual([]);
  });
});
