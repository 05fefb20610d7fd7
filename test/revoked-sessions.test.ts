// Finding 5 of the security review: after a sign-out, the old access token still exported the
// member's data and could delete the account until it expired (Auth deletes the session, but a JWT
// stays valid until its exp). The sensitive functions now need the token's session to exist in
// auth.sessions. Tested at the database level (the session row deleted, as a sign-out deletes it),
// which runs everywhere, and with real Auth sessions and signOut() where the Auth server runs.
import { beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { rowCounts, sql, type Claims } from "./helpers/db.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { createSession, usersDeletedAfterFile, type TestUser } from "./helpers/users.ts";
import { gatewayUrl } from "./helpers/functions.ts";
import { anonClient, authSkipReason, serviceClient, stack, uniqueEmail } from "./helpers/stack.ts";
import { functionJobs, jobsPausedDuringFile } from "./helpers/schedule.ts";
import { skipNote } from "./helpers/skip.ts";

jobsPausedDuringFile(...functionJobs); // this file proves no row changed: the scheduled jobs wait meanwhile

const users = usersDeletedAfterFile();
const member = (): Promise<TestUser> => users.createUser();

/** Calls a function as a client would, with this access token. */
async function call(fn: "data-export" | "account-delete" | "member-dashboard", token: string): Promise<Response> {
  const init: RequestInit =
    fn === "data-export"
      ? { method: "GET" }
      : { method: "POST", body: "{}", headers: { "content-type": "application/json" } };
  return fetch(gatewayUrl(fn), { ...init, headers: { ...(init.headers as Record<string, string>), apikey: stack.anonKey, authorization: `Bearer ${token}` } });
}

async function expectSessionRefused(res: Response) {
  expect(res.status).toBe(401);
  expect(await res.json()).toMatchObject({ error: { code: "session_not_found" } });
}

describe("the sensitive functions need the token's session (database level)", () => {
  let user: TestUser;
  let claims: Claims & { session_id: string };
  let token: string;

  beforeAll(async () => {
    user = await member();
    claims = await createSession(user.id);
    token = await signAccessToken(claims);
  });

  it("export works while the session exists", async () => {
    const res = await call("data-export", token);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ member_id: user.id });
  });

  it("once the session is gone (signed out), the same token neither exports nor deletes, and nothing is written", async () => {
    await sql`delete from auth.sessions where id = ${claims.session_id}`;
    const before = await rowCounts();
    await expectSessionRefused(await call("data-export", token));
    await expectSessionRefused(await call("account-delete", token));
    expect(await rowCounts()).toEqual(before);
    expect(await sql`select 1 from auth.users where id = ${user.id}`).toHaveLength(1);
  });

  it("reading the dashboard is not sensitive: the token works there until it expires", async () => {
    expect((await call("member-dashboard", token)).status).toBe(200);
  });

  it("refuses a session that is another member's, one past its not_after, and tokens naming no session or a malformed one", async () => {
    const other = await member();
    const othersSession = await createSession(other.id);
    const timedOut = await createSession(user.id);
    await sql`update auth.sessions set not_after = now() - interval '1 minute' where id = ${timedOut.session_id}`;
    const { session_id: _, ...withoutSession } = claims;
    const cases: Record<string, Claims> = {
      "another member's live session": { ...claims, session_id: othersSession.session_id },
      "a session past its not_after": { ...claims, session_id: timedOut.session_id },
      "no session_id claim": withoutSession,
      "a session_id that is no uuid": { ...claims, session_id: "s'; select 1 --" },
      "a random session_id": { ...claims, session_id: randomUUID() },
    };
    const before = await rowCounts();
    for (const [name, c] of Object.entries(cases)) {
      const t = await signAccessToken(c);
      for (const fn of ["data-export", "account-delete"] as const) {
        const res = await call(fn, t);
        expect(res.status, `${fn}: ${name}`).toBe(401);
        expect(await res.json(), `${fn}: ${name}`).toMatchObject({ error: { code: "session_not_found" } });
      }
    }
    expect(await rowCounts()).toEqual(before);
  });

  it("an account deleted meanwhile has no sessions left: its tokens are refused the same way", async () => {
    const gone = await member();
    const goneToken = await signAccessToken(await createSession(gone.id));
    await sql`delete from auth.users where id = ${gone.id}`;
    await expectSessionRefused(await call("data-export", goneToken));
  });
});

describe.skipIf(!!authSkipReason)(`with real Auth sessions${skipNote(authSkipReason)}`, () => {
  const password = "revoke-me-9-horse";
  let email: string;
  let userId: string;

  beforeAll(async () => {
    email = uniqueEmail("revoked");
    const { data, error } = await serviceClient().auth.admin.createUser({ email, password, email_confirm: true });
    expect(error).toBeNull();
    userId = data.user!.id;
    users.track(userId);
  });

  async function signIn() {
    const client = anonClient();
    const { data, error } = await client.auth.signInWithPassword({ email, password });
    expect(error).toBeNull();
    return { client, token: data.session!.access_token };
  }

  it("signOut() of one session revokes that session's token only", async () => {
    const a = await signIn();
    const b = await signIn();
    expect((await call("data-export", a.token)).status).toBe(200);
    expect((await a.client.auth.signOut({ scope: "local" })).error).toBeNull();
    await expectSessionRefused(await call("data-export", a.token));
    const stillSignedIn = await call("data-export", b.token);
    expect(stillSignedIn.status).toBe(200);
    await stillSignedIn.text();
  });

  it("after signOut({ scope: 'global' }) every old token is refused by export and account deletion; the account stays", async () => {
    const a = await signIn();
    const b = await signIn();
    const res = await call("data-export", b.token);
    expect(res.status).toBe(200);
    await res.text();
    expect((await a.client.auth.signOut({ scope: "global" })).error).toBeNull();
    expect(await sql`select count(*)::int as n from auth.sessions where user_id = ${userId}`).toEqual([{ n: 0 }]);
    const before = await rowCounts();
    for (const token of [a.token, b.token]) {
      await expectSessionRefused(await call("data-export", token));
      await expectSessionRefused(await call("account-delete", token));
    }
    expect(await rowCounts()).toEqual(before);
    expect(await sql`select 1 from auth.users where id = ${userId}`).toHaveLength(1);
  });
});
