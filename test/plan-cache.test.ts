// A read the landing pages make on every visit must not be planned again on every call. Postgres 15
// plans a SQL-language function's statement on each call when it cannot be inlined (a SET clause
// prevents that), where PL/pgSQL keeps a plan per session. This calls rpc('list_favorites') through
// supabase-js and PostgREST many times and counts, with pg_stat_statements (nested statements and
// planning tracked for the file), how often the function's statement was planned: at most once per
// PostgREST connection, never once per call.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memberClient, ok } from "./helpers/rest.ts";
import { stack } from "./helpers/stack.ts";
import * as users from "./helpers/users.ts";

/** The bootstrap superuser of this suite's stack (only it may change pg_stat_statements' tracking). */
function adminUrl(): string {
  const url = new URL(stack.dbUrl);
  url.username = "supabase_admin";
  return url.toString();
}

const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
const made: string[] = [];

beforeAll(async () => {
  await admin`alter system set pg_stat_statements.track = 'all'`;
  await admin`alter system set pg_stat_statements.track_planning = on`;
  await admin`select pg_reload_conf()`;
});
afterAll(async () => {
  await admin`alter system reset pg_stat_statements.track`;
  await admin`alter system reset pg_stat_statements.track_planning`;
  await admin`select pg_reload_conf()`;
  await admin.end();
  for (const id of made) await users.deleteUser(id);
});

describe("plans kept across calls", () => {
  it("rpc('list_favorites'): its statement is planned at most once per connection, not per call", async () => {
    const user = await users.createUser();
    made.push(user.id);
    const api = await memberClient(user.id);
    // Tracking applies to sessions once they read the reloaded configuration: a first round of calls
    // lets every pooled connection pick it up before counting starts.
    for (let i = 0; i < 20; i++) ok(await api.rpc("list_favorites"));
    await admin`select extensions.pg_stat_statements_reset()`;
    const calls = 40;
    for (let i = 0; i < calls; i++) ok(await api.rpc("list_favorites"));
    const [{ executed, planned }] = await admin<{ executed: number; planned: number }[]>`
      select coalesce(sum(s.calls), 0)::int as executed, coalesce(sum(s.plans), 0)::int as planned
        from extensions.pg_stat_statements s
       where not s.toplevel and s.query ilike '%from public.favorites f%join public.expert_profiles e%'`;
    expect(executed).toBeGreaterThanOrEqual(calls);
    // PostgREST's pool is 10 connections: a plan kept per session is made at most 10 times.
    expect(planned).toBeLessThanOrEqual(10);
  }, 60000);
});
