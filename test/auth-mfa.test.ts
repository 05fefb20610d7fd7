// TOTP MFA against the real Auth server: enroll -> challenge -> verify with a code computed by an
// authenticator (otpauth) -> aal2; what an aal1 session may no longer do; the aal2 policies checked
// with the tokens Auth issued; config.toml's max_enrolled_factors.
import { describe, expect, it } from "vitest";
import { anonClient, authSkipReason, stack } from "./helpers/stack.ts";
import { claimsOf, enrollVerified, signUpConfirmed, totpFor, password, type Client } from "./helpers/auth.ts";
import { sql } from "./helpers/db.ts";
import { clientWithToken, ok } from "./helpers/rest.ts";
import { skipNote } from "./helpers/skip.ts";

const readAs = async (token: string, table: string) => {
  const { count, error } = await clientWithToken(token).from(table as never).select("*", { count: "exact", head: true });
  if (error) throw new Error(error.message);
  return count;
};

describe.skipIf(authSkipReason)(`TOTP MFA${skipNote(authSkipReason)}`, () => {
  it("enrolls, refuses a wrong code, verifies a computed code and reaches aal2 (amr totp)", async () => {
    const { client } = await signUpConfirmed();
    const { data: factor } = await client.auth.mfa.enroll({ factorType: "totp", friendlyName: "phone" });
    const { data: challenge } = await client.auth.mfa.challenge({ factorId: factor!.id });
    const totp = totpFor(factor!.totp.secret);
    const wrongCode = String((Number(totp.generate()) + 1) % 1000000).padStart(6, "0");
    const wrong = await client.auth.mfa.verify({ factorId: factor!.id, challengeId: challenge!.id, code: wrongCode });
    expect(wrong.error?.code).toBe("mfa_verification_failed");
    const ok = await client.auth.mfa.challengeAndVerify({ factorId: factor!.id, code: totp.generate() });
    expect(ok.error).toBeNull();
    const { data: aal } = await client.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(aal).toMatchObject({ currentLevel: "aal2", nextLevel: "aal2" });
    const claims = claimsOf((await client.auth.getSession()).data.session!.access_token);
    expect(claims.aal).toBe("aal2");
    expect((claims.amr as Array<{ method: string }>).map((a) => a.method)).toEqual(expect.arrayContaining(["password", "totp"]));
  });

  it("signs in again at aal1 with nextLevel aal2; unenroll and a new factor need aal2", async () => {
    const { client, email, address } = await signUpConfirmed();
    const { factorId, totp } = await enrollVerified(client);
    const later = anonClient(address);
    expect((await later.auth.signInWithPassword({ email, password })).error).toBeNull();
    expect((await later.auth.mfa.getAuthenticatorAssuranceLevel()).data).toMatchObject({ currentLevel: "aal1", nextLevel: "aal2" });
    const unenroll = await later.auth.mfa.unenroll({ factorId });
    expect(unenroll.error?.code).toBe("insufficient_aal");
    const second = await later.auth.mfa.enroll({ factorType: "totp", friendlyName: "tablet" });
    expect(second.error?.code).toBe("insufficient_aal");
    expect(await sql`select status from auth.mfa_factors where id = ${factorId}`).toEqual([{ status: "verified" }]);

    expect((await later.auth.mfa.challengeAndVerify({ factorId, code: totp.generate() })).error).toBeNull();
    expect((await later.auth.mfa.unenroll({ factorId })).error).toBeNull();
    expect(await sql`select 1 from auth.mfa_factors where id = ${factorId}`).toHaveLength(0);
  });

  it("applies the aal2 policies to Auth-issued tokens: an aal1 token of an MFA member sees nothing sensitive, the aal2 one does", async () => {
    const { client, email, address, userId } = await signUpConfirmed();
    const before = (await client.auth.getSession()).data.session!.access_token;
    expect(await readAs(before, "login_history")).toBeGreaterThan(0); // no MFA yet: aal1 is enough
    await enrollVerified(client);
    const aal2 = (await client.auth.getSession()).data.session!.access_token;
    const aal1 = (await anonClient(address).auth.signInWithPassword({ email, password })).data.session!.access_token;
    expect(claimsOf(aal1)).toMatchObject({ sub: userId, aal: "aal1" });
    expect(await readAs(aal1, "login_history")).toBe(0);
    expect(await readAs(aal2, "login_history")).toBeGreaterThan(0);
    const rpc = async (token: string) => {
      const { data, error, status } = await clientWithToken(token).rpc("request_account_deletion", { reason: "testing aal" });
      if (error) return `${status} ${error.message}`;
      // Withdrawn at once, so the member's account is left as it was.
      ok(await clientWithToken(token).rpc("cancel_account_deletion", { request_id: (data as { id: string }).id }));
      return "ok";
    };
    expect(await rpc(aal1)).toMatch(/aal2/);
    expect(await rpc(aal2)).toBe("ok");
    // The functions see the same: data export refuses the aal1 token.
    const exportAs = (token: string) => fetch(`${stack.apiUrl}/functions/v1/data-export`, { headers: { apikey: stack.anonKey, authorization: `Bearer ${token}` } });
    const refused = await exportAs(aal1);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "aal2_required" } });
    const allowed = await exportAs(aal2);
    expect(allowed.status).toBe(200);
    await allowed.arrayBuffer();
  });

  it("stops at max_enrolled_factors = 3, counting unverified factors", async () => {
    const { client } = await signUpConfirmed();
    for (const name of ["one", "two", "three"]) expect((await client.auth.mfa.enroll({ factorType: "totp", friendlyName: name })).error).toBeNull();
    const fourth = await client.auth.mfa.enroll({ factorType: "totp", friendlyName: "four" });
    expect(fourth.error?.code).toBe("too_many_enrolled_mfa_factors");
    const { data } = await client.auth.mfa.listFactors();
    expect(data?.all).toHaveLength(3);
  });
});
