// An extension in an exposed schema is reachable with the anon key: the superuser's default
// privileges in `public` grant EXECUTE on what supabase_admin creates there to anon and
// authenticated, and an extension's own `revoke … from public` does not undo that. The attack:
// a SQL login (here postgres, as a migration would) creates dblink in `public` through supautils,
// then the anon key alone calls `rpc/dblink_connect_u`, which connects as its owner, the
// superuser, and `rpc/dblink_exec` runs SQL on that connection (as supabase_admin). On hosted Supabase the image's
// after-create script for dblink revokes dblink_connect_u from everyone but supabase_admin; the
// stand-in runs the same script, so the call is refused. (What keeps every extension out of
// exposed schemas is the migrations check in test/platform.test.ts.)
import { afterAll, describe, expect, it } from "vitest";
import { sql } from "./helpers/db.ts";
import { stack } from "./helpers/stack.ts";

const anonHeaders = { apikey: stack.anonKey, authorization: `Bearer ${stack.anonKey}` };

/** Calls a function of one unnamed text parameter the way PostgREST takes it: the raw body as text/plain. */
async function rpcText(fn: string, body: string): Promise<{ status: number; code?: string; text: string }> {
  const res = await fetch(`${stack.apiUrl}/rest/v1/rpc/${fn}`, { method: "POST", headers: { ...anonHeaders, "content-type": "text/plain" }, body });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { code?: string }).code;
  } catch {
    code = undefined;
  }
  return { status: res.status, code, text };
}

/** Waits until PostgREST's schema cache, reloaded by NOTIFY, has (or no longer has) dblink: probed with its harmless dblink_get_connections(). */
async function untilDblinkOffered(offered: boolean): Promise<void> {
  await sql`select pg_notify('pgrst', 'reload schema')`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(`${stack.apiUrl}/rest/v1/rpc/dblink_get_connections`, { method: "POST", headers: { ...anonHeaders, "content-type": "application/json" }, body: "{}" });
    await res.text();
    if ((res.status !== 404) === offered) return;
    if (Date.now() > deadline) throw new Error(`PostgREST did not ${offered ? "load" : "drop"} dblink after reloading its schema`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("an extension created in public", () => {
  afterAll(async () => {
    await sql`drop table if exists public.dblink_attack_marker`;
    await sql`drop extension if exists dblink`;
    await untilDblinkOffered(false);
  });

  it("does not let the anon key reach the superuser through dblink", async () => {
    await sql`create extension if not exists dblink schema public`;
    await untilDblinkOffered(true);
    const port = new URL(stack.dbUrl).port;
    const connect = await rpcText("dblink_connect_u", `host=127.0.0.1 port=${port} dbname=postgres user=supabase_admin password=postgres`);
    const exec = await rpcText("dblink_exec", "create table public.dblink_attack_marker ()");
    expect({ status: connect.status, code: connect.code }, connect.text).toEqual({ status: 401, code: "42501" });
    expect(exec.status, exec.text).not.toBe(200);
    const [marker] = await sql`select to_regclass('public.dblink_attack_marker') is not null as made`;
    expect(marker.made).toBe(false);
    // What anon keeps (dblink_connect, dblink_exec) needs the password of the role it connects as:
    // without one dblink refuses (here the local stack's password is public, as any local default is).
    const passwordless = await rpcText("dblink_connect", `host=127.0.0.1 port=${port} dbname=postgres user=supabase_admin`);
    expect(passwordless.code, passwordless.text).toBe("2F003");
  });
});
