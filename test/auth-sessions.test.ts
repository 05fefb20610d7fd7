// Sessions against the real Auth server: login history from real sessions (client IP and user
// agent as Auth recorded them through the gateway), sign-out of one device and of all, and the
// custom access token hook's claims at sign-in, at refresh, and after an admin changes the role.
import { describe, expect, it } from "vitest";
import { anonClient, authSkipReason, newClientAddress } from "./helpers/stack.ts";
import { claimsOf, enrollVerified, password, signUpConfirmed } from "./helpers/auth.ts";
import { sql } from "./helpers/db.ts";
import { clientWithToken, ok } from "./helpers/rest.ts";
import { skipNote } from "./helpers/skip.ts";

async function signInFrom(email: string, address: string, userAgent: string) {
  const client = anonClient(address, userAgent);
  const { data, error } = await client.auth.signInWithPassword({ email, password });
  expect(error).toBeNull();
  return { client, session: data.session!, sessionId: claimsOf(data.session!.access_token).session_id as string };
}

describe.skipIf(authSkipReason)(`sessions and sign-out${skipNote(authSkipReason)}`, () => {
  it("shows each sign-in in login_history with the device's IP and user agent; signs out one device, then all", async () => {
    const { email, userId } = await signUpConfirmed();
    const phoneIp = newClientAddress();
    const laptopIp = newClientAddress();
    const phone = await signInFrom(email, phoneIp, "MemberbaseApp/2.1 (iPhone)");
    const laptop = await signInFrom(email, laptopIp, "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0");

    const history = ok(await clientWithToken(laptop.session.access_token).from("login_history").select("session_id, ip, user_agent, aal").order("signed_in_at"));
    expect(history).toEqual(expect.arrayContaining([
      { session_id: phone.sessionId, ip: phoneIp, user_agent: "MemberbaseApp/2.1 (iPhone)", aal: "aal1" },
      { session_id: laptop.sessionId, ip: laptopIp, user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", aal: "aal1" },
    ]));
    // Another member sees none of it.
    const other = await signUpConfirmed();
    const theirs = ok(await clientWithToken(other.session.access_token).from("login_history").select("session_id").eq("user_id", userId));
    expect(theirs).toEqual([]);

    // Local sign-out ends only the phone's session.
    expect((await phone.client.auth.signOut({ scope: "local" })).error).toBeNull();
    expect((await anonClient(phoneIp).auth.refreshSession({ refresh_token: phone.session.refresh_token })).error?.code).toBe("refresh_token_not_found");
    // Its unexpired access token no longer finds a session (Auth's 403 session_not_found, as supabase-js reports it).
    const stale = await anonClient(phoneIp).auth.getUser(phone.session.access_token);
    expect(stale.data.user).toBeNull();
    expect(stale.error?.name).toBe("AuthSessionMissingError");
    const refreshed = await laptop.client.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    expect(await sql`select id from auth.sessions where user_id = ${userId} and id = ${phone.sessionId}`).toHaveLength(0);
    expect((await sql`select count(*)::int as n from auth.sessions where user_id = ${userId}`)[0].n).toBeGreaterThanOrEqual(2);

    // Global sign-out ends every session of the member, including the one from the confirmation link.
    expect((await laptop.client.auth.signOut({ scope: "global" })).error).toBeNull();
    expect(await sql`select id from auth.sessions where user_id = ${userId}`).toEqual([]);
    expect((await anonClient(laptopIp).auth.refreshSession({ refresh_token: refreshed.data.session!.refresh_token })).error?.code).toBe("refresh_token_not_found");
    // The history stays: it is the record of past sign-ins, not of live sessions.
    expect((await sql`select count(*)::int as n from public.login_history where user_id = ${userId}`)[0].n).toBeGreaterThanOrEqual(3);
  });
});

describe.skipIf(authSkipReason)(`the custom access token hook with Auth-issued tokens${skipNote(authSkipReason)}`, () => {
  it("puts user_role and account_status in the token at sign-in and at refresh; an admin's role change shows at the next refresh", async () => {
    const { client, session, userId } = await signUpConfirmed();
    expect(claimsOf(session.access_token)).toMatchObject({ sub: userId, user_role: "member", account_status: "active", aal: "aal1", role: "authenticated" });
    const refreshed = await client.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    const atRefresh = refreshed.data.session!;
    expect(atRefresh.refresh_token).not.toBe(session.refresh_token); // rotation is on
    expect(claimsOf(atRefresh.access_token)).toMatchObject({ user_role: "member", session_id: claimsOf(session.access_token).session_id });

    // An admin (promoted by the service role) signs in through Auth, reaches aal2 with TOTP (admin role
    // changes need it), and changes the member's role under RLS with that token.
    const admin = await signUpConfirmed();
    await sql`update public.profiles set role = 'admin' where id = ${admin.userId}`;
    await enrollVerified(admin.client);
    const adminToken = (await admin.client.auth.getSession()).data.session!.access_token;
    expect(claimsOf(adminToken).aal).toBe("aal2");
    const changed = ok(await clientWithToken(adminToken).from("profiles").update({ role: "expert" } as never).eq("id", userId).select("role"));
    expect(changed).toEqual([{ role: "expert" }]);
    // The token in hand is stale until it is refreshed; the next one carries the new role.
    expect(claimsOf(atRefresh.access_token).user_role).toBe("member");
    const next = await client.auth.refreshSession();
    expect(next.error).toBeNull();
    expect(claimsOf(next.data.session!.access_token).user_role).toBe("expert");
  });

  it("refuses the member's own attempt to change the role with their Auth-issued token", async () => {
    const { session, userId } = await signUpConfirmed();
    const { error, status } = await clientWithToken(session.access_token).from("profiles").update({ role: "admin" } as never).eq("id", userId);
    expect(error?.message).toMatch(/only an admin/);
    expect(status).toBe(403);
  });
});
