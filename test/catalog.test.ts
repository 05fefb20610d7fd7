// Catalog-driven checks that fail the moment a new table is added without RLS or without tests.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { sql } from "./helpers/db.ts";

const dir = "supabase/tests/database";
const testSql = readdirSync(dir).filter((f) => f.endsWith(".test.sql")).map((f) => readFileSync(`${dir}/${f}`, "utf8")).join("\n");

describe("catalog", () => {
  it("every public table has RLS enabled and is exercised by a pgTAP file", async () => {
    const tables = await sql<{ name: string; rls: boolean }[]>`
      select c.relname as name, c.relrowsecurity as rls from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') order by 1`;
    expect(tables.length).toBeGreaterThan(0);
    expect(tables.filter((t) => !t.rls).map((t) => t.name)).toEqual([]);
    expect(tables.map((t) => t.name).filter((name) => !new RegExp(`public\\.${name}\\b`).test(testSql))).toEqual([]);
  });

  it("every foreign key column has an index that starts with it", async () => {
    const missing = await sql<{ fk: string }[]>`
      select format('%s(%s)', c.conrelid::regclass, a.attname) as fk
      from pg_constraint c
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
      where c.contype = 'f' and c.connamespace = 'public'::regnamespace
        and not exists (select 1 from pg_index i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1])`;
    expect(missing.map((m) => m.fk)).toEqual([]);
  });

  it("every security definer function pins search_path to ''", async () => {
    const loose = await sql<{ fn: string }[]>`
      select p.oid::regprocedure::text as fn from pg_proc p
      where p.prosecdef and p.pronamespace in ('public'::regnamespace, 'private'::regnamespace, 'admin'::regnamespace)
        and not coalesce(p.proconfig @> array['search_path=""'], false)`;
    expect(loose.map((l) => l.fn)).toEqual([]);
  });
  // A read policy whose arms an index cannot serve makes a client's plain `from(t).select()` a scan
  // of every row (and a lever for anyone who wants to load the database). With sequential scans
  // priced out, the planner still picks one only where no index path exists: that is the finding.
  // Run for a signed-in member and for anon, on every table the role may select from.
  it.each([
    ["a member", "authenticated"],
    ["anon", "anon"],
  ])("every table %s may read is read through an index, as clients write the read", async (_who, role) => {
    // The public catalogue of plans is a handful of rows, read whole by design.
    const wholeByDesign = new Set(["plans"]);
    const scanned = await sql.begin(async (tx) => {
      await tx`set local enable_seqscan = off`;
      const claims = role === "anon" ? { role } : { sub: randomUUID(), role, aal: "aal1" };
      await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
      const tables = await tx<{ name: string }[]>`
        select c.relname as name from pg_class c
        where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and c.relrowsecurity
          and has_table_privilege(${role}, c.oid, 'select') order by 1`;
      expect(tables.length).toBeGreaterThan(0);
      await tx.unsafe(`set local role ${role}`);
      const found: string[] = [];
      for (const { name } of tables) {
        const plan = (await tx.unsafe<{ "QUERY PLAN": string }[]>(`explain select * from public.${name}`)).map((r) => r["QUERY PLAN"]).join("\n");
        if (/Seq Scan/.test(plan) && !wholeByDesign.has(name)) found.push(`${name}:\n${plan}`);
      }
      return found;
    });
    expect(scanned).toEqual([]);
  });

  // The admin console (docs/admin.md) is for Studio's postgres session only: a grant to an API role
  // on the schema or on anything added to it later would hand the operator's queues to members.
  it("no API role may use the admin schema or anything in it, and PostgREST does not expose it", async () => {
    const granted = await sql<{ what: string }[]>`
      select format('schema admin: usage for %s', r) as what from unnest(array['anon', 'authenticated', 'service_role', 'public']) r
       where r <> 'public' and has_schema_privilege(r, 'admin', 'usage')
      union all
      select format('schema admin: %s', a.privilege_type) from pg_namespace n, aclexplode(n.nspacl) a
       where n.nspname = 'admin' and a.grantee = 0
      union all
      select format('%s: %s for %s', c.oid::regclass, a.privilege_type, coalesce(g.rolname, 'public'))
        from pg_class c cross join aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a left join pg_roles g on g.oid = a.grantee
       where c.relnamespace = 'admin'::regnamespace and (a.grantee = 0 or g.rolname in ('anon', 'authenticated', 'service_role'))
      union all
      select format('%s: execute for %s', p.oid::regprocedure, coalesce(g.rolname, 'public'))
        from pg_proc p cross join aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a left join pg_roles g on g.oid = a.grantee
       where p.pronamespace = 'admin'::regnamespace and (a.grantee = 0 or g.rolname in ('anon', 'authenticated', 'service_role'))`;
    expect(granted.map((g) => g.what)).toEqual([]);
    const [{ relations }] = await sql<{ relations: number }[]>`select count(*)::int as relations from pg_class where relnamespace = 'admin'::regnamespace`;
    expect(relations).toBeGreaterThanOrEqual(6);
    expect(readFileSync("supabase/config.toml", "utf8")).toMatch(/^schemas = \["public", "graphql_public"\]$/m);
  });

  // Grants are the boundary, not exposure: `private` is not served by PostgREST today, but a
  // function anon or a member may execute is one configuration change from being an endpoint (and is
  // reachable from any SQL they can run). So each one is listed here with why an API role needs it:
  // a policy or check constraint evaluates it as the caller, or a public security-invoker RPC calls
  // it (the foundation's pattern: invoker wrapper, elevated body in private.<same name>).
  it("no function in private is executable by anon or authenticated unless listed here with the reason", async () => {
    const found = await sql<{ fn: string; roles: string }[]>`
      select p.oid::regprocedure::text as fn,
             concat_ws(',', case when has_function_privilege('anon', p.oid, 'EXECUTE') then 'anon' end,
                            case when has_function_privilege('authenticated', p.oid, 'EXECUTE') then 'authenticated' end) as roles
        from pg_proc p
       where p.pronamespace = 'private'::regnamespace
         and (has_function_privilege('anon', p.oid, 'EXECUTE') or has_function_privilege('authenticated', p.oid, 'EXECUTE'))
       order by 1`;
    // An RPC body is recognised from the catalog: a public security-invoker function of the same name
    // whose body calls it. Everything else needs its line below.
    const bodies = new Set((await sql<{ name: string }[]>`
      select p.proname::text as name from pg_proc p
       where p.pronamespace = 'public'::regnamespace and not p.prosecdef
         and p.prosrc ~ ('private[.]' || p.proname || '[(]')`).map((r) => r.name));
    const lines = found.filter((f) => !bodies.has(f.fn.replace(/^private\.|\(.*$/g, ""))).map((f) => `${f.fn} ${f.roles}`);
    expect(lines, `as found (not an RPC body):\n${lines.join("\n")}`).toEqual(Object.keys(privateExecutable).sort());
    expect(bodies.size).toBeGreaterThan(10);
  });

  // Supabase's platform grants EXECUTE on every function created later in public to anon and
  // authenticated (default privileges). The foundation takes that default back, so a function a
  // later migration forgets to grant deliberately is executable by no API role: checked by creating
  // one (as the migrations' role, rolled back) in each exposed schema.
  it.each(["public", "graphql_public"])("a function created later in %s is executable by no API role until granted", async (schema) => {
    const [{ creatable }] = await sql<{ creatable: boolean }[]>`select has_schema_privilege(current_user, ${schema}, 'CREATE') as creatable`;
    if (!creatable) return; // the migrations' role cannot add functions there at all
    const roles = await sql.begin(async (tx) => {
      await tx.unsafe(`create function ${schema}.catalog_probe_later() returns int language sql as 'select 1'`);
      const [r] = await tx<{ anon: boolean; authenticated: boolean }[]>`
        select has_function_privilege('anon', ${`${schema}.catalog_probe_later()`}, 'EXECUTE') as anon,
               has_function_privilege('authenticated', ${`${schema}.catalog_probe_later()`}, 'EXECUTE') as authenticated`;
      await tx`rollback and chain`; // nothing of the probe stays
      return r;
    });
    expect(roles).toEqual({ anon: false, authenticated: false });
  });
});

/** private functions anon or authenticated may execute, "<signature> <roles>", and why. */
const policy = "a read or write policy evaluates it as the caller";
const privateExecutable: Record<string, string> = {
  "private.aal_satisfied() authenticated": policy + " (restrictive aal2 policies on sensitive tables)",
  "private.admin_bigint_floor() authenticated": policy + " (the admin key-range arm)",
  "private.admin_uuid_floor() authenticated": policy + " (the admin key-range arm)",
  "private.conversation_party_name(uuid) authenticated": "public.inbox (security invoker) names the other party with it",
  "private.entitlements(uuid) authenticated": "invoker triggers on saved_searches and support_tickets call it as the member; invoker itself, so it reads only what RLS shows the caller",
  "private.is_active_member() authenticated": policy + " (restrictive: inactive members write nothing)",
  "private.is_admin() authenticated": policy + " (admin arms of update policies)",
  "private.is_listed_expert(uuid) anon,authenticated": policy + " (profiles, expert_profiles, favorites: the listing rule)",
  "private.is_plain_line(text) anon,authenticated": "check constraints on one-line text run as the writer",
  "private.is_plain_text(text) anon,authenticated": "check constraints on multi-line text run as the writer",
  "private.is_privileged_session() anon,authenticated": "the column guard triggers run as the caller (invoker on purpose: current_user is the question)",
  "private.is_safe_link(text) anon,authenticated": "the avatar_url check constraint runs as the writer",
  "private.is_withheld_message(bigint) authenticated": policy + " (messages: withheld messages hidden from the blocker)",
  "private.location_cell(geography) authenticated": "the generated column expert_locations.cell is computed as the writer",
  "private.my_role() authenticated": policy + " (expert_profiles insert: experts only)",
  "private.my_room_ids(room_membership_status[]) authenticated": policy + " (chat_rooms, room_members, room_messages)",
  "private.my_room_membership(uuid) authenticated": policy + " (chat_rooms update: the owner)",
  "private.open_conversation(uuid) authenticated": "public.start_conversation (security invoker) opens the conversation with it",
  "private.reported_message_ids() authenticated": policy + " (messages: the admins' moderation arm)",
  "private.require_member() authenticated": "public security-invoker RPCs start with it",
  "private.require_text_value(text,text) authenticated": "public security-invoker RPCs check each text parameter with it first (an array or object is 400 wrong_json_type)",
  "private.require_signed_in() authenticated": "public security-invoker RPCs start with it",
  "private.room_moderates(uuid) authenticated": policy + " (room_messages: moderators read hidden messages)",
  "private.room_read_horizon(uuid) authenticated": policy + " (room_messages: nothing after leaving)",
  "private.room_membership_action(uuid,text,uuid,room_role,integer) authenticated": "the body of the security-invoker room RPCs (join_room, leave_room, invite_to_room, remove_from_room, mute_room_member, set_room_role)",
  "private.search_filters_problem(jsonb) authenticated": "the search_filters domain's check runs as the writer",
};

