// The custom access token hook: what Auth calls before issuing a JWT, called here as Auth calls it
// (role supabase_auth_admin), and the attack of a client forging the claim it adds.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memberClaims, sql } from "./helpers/db.ts";
import { clientAs, memberClient, ok } from "./helpers/rest.ts";
import { stack } from "./helpers/stack.ts";
import { createUser, deleteUser, type TestUser } from "./helpers/users.ts";

let alice: TestUser;
let bob: TestUser;
beforeAll(async () => {
  alice = await createUser();
  bob = await createUser();
});
// Auth's own login (postgres may not SET ROLE to it: on hosted projects since 2025 it is no member).
const authUrl = new URL(stack.dbUrl);
authUrl.username = "supabase_auth_admin";
const authAdmin = postgres(authUrl.toString(), { max: 1, onnotice: () => {} });
afterAll(async () => {
  await deleteUser(alice.id);
  await deleteUser(bob.id);
  await authAdmin.end();
});

async function hookClaims(userId: string): Promise<Record<string, unknown>> {
  const event = { user_id: userId, claims: { sub: userId, role: "authenticated", aud: "authenticated", aal: "aal1", session_id: "s", is_anonymous: false }, authentication_method: "password" };
  const [row] = await authAdmin`select public.custom_access_token_hook(${authAdmin.json(event)}) as result`;
  return row.result.claims;
}

describe("custom access token hook", () => {
  it("adds the member's role and status and keeps the required claims", async () => {
    const claims = await hookClaims(alice.id);
    expect(claims).toMatchObject({ sub: alice.id, role: "authenticated", aud: "authenticated", aal: "aal1", user_role: "member", account_status: "active" });
  });

  it("reflects a role change in the next token", async () => {
    await sql`update public.profiles set role = 'expert' where id = ${alice.id}`;
    expect((await hookClaims(alice.id)).user_role).toBe("expert");
    await sql`update public.profiles set role = 'member' where id = ${alice.id}`;
    expect((await hookClaims(alice.id)).user_role).toBe("member");
  });

  it("cannot be called by clients", async () => {
    const { error, status } = await (await memberClient(alice.id)).rpc("custom_access_token_hook" as never, { event: {} } as never);
    expect({ status, code: error?.code }).toEqual({ status: 403, code: "42501" });
    expect(error?.message).toMatch(/permission denied/);
  });

  it("a forged user_role claim grants nothing: policies read roles from the database", async () => {
    const forged = memberClaims(bob.id, { user_role: "admin", app_metadata: { role: "admin" } });
    const rows = ok(await (await clientAs(forged)).from("profiles").select("id").eq("id", alice.id));
    expect(rows).toHaveLength(0);
  });
});
// With Auth-issued tokens (sign-in, refresh, an admin's role change): test/auth-sessions.test.ts.
