// Changing the email address with double_confirm_changes: Auth mails both the current and the new
// address, and the address changes only once both links are opened.
import { describe, expect, it } from "vitest";
import { anonClient, authSkipReason, uniqueEmail } from "./helpers/stack.ts";
import { verifyLink, waitForMail } from "./helpers/mail.ts";
import { follow, fragmentOf, password, signUpConfirmed } from "./helpers/auth.ts";
import { sql } from "./helpers/db.ts";
import { skipNote } from "./helpers/skip.ts";

describe.skipIf(authSkipReason)(`email change with double confirmation${skipNote(authSkipReason)}`, () => {
  it("changes the address only after the links sent to the old and the new address are both opened", async () => {
    const { client, email, address, userId } = await signUpConfirmed();
    const next = uniqueEmail("moved");
    const { data, error } = await client.auth.updateUser({ email: next });
    expect(error).toBeNull();
    expect(data.user?.email).toBe(email);
    expect(data.user?.new_email).toBe(next);

    const toOld = verifyLink(await waitForMail(email, /confirm your new email/i));
    const toNew = verifyLink(await waitForMail(next, /confirm your new email/i));
    expect(toOld.searchParams.get("type")).toBe("email_change");
    expect(toOld.searchParams.get("token")).not.toBe(toNew.searchParams.get("token"));

    const halfway = fragmentOf(await follow(toOld, address));
    expect(halfway.get("message")).toMatch(/confirm link sent to the other email/i);
    expect(await sql`select email from auth.users where id = ${userId}`).toEqual([{ email }]);

    const done = fragmentOf(await follow(toNew, address));
    expect(done.get("access_token")).toBeTruthy();
    expect(await sql`select email from auth.users where id = ${userId}`).toEqual([{ email: next }]);
    expect((await anonClient().auth.signInWithPassword({ email: next, password })).error).toBeNull();
    expect((await anonClient().auth.signInWithPassword({ email, password })).error?.code).toBe("invalid_credentials");
  });

  it("refuses to move to an address another account already has", async () => {
    const taken = await signUpConfirmed();
    const { client } = await signUpConfirmed();
    const { error } = await client.auth.updateUser({ email: taken.email });
    expect(error?.code).toBe("email_exists");
  });
});
