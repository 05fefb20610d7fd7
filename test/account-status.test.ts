// Inactive accounts keep their data: a suspended or deactivated member still exports everything of
// theirs over HTTP (the capability table is in supabase/migrations/20261203120000_foundation.sql;
// each capability is tried in supabase/tests/database/account_status.test.sql).
import { describe, expect, it } from "vitest";
import { stack } from "./helpers/stack.ts";
import { sql } from "./helpers/db.ts";
import { signAccessToken } from "./helpers/jwt.ts";
import { createSession, usersDeletedAfterFile } from "./helpers/users.ts";

const { createUser } = usersDeletedAfterFile();

describe("inactive accounts", () => {
  for (const status of ["suspended", "deactivated"] as const) {
    it(`a ${status} member still exports their data, refused nothing`, async () => {
      const user = await createUser({ metadata: { first_name: "Inactive" } });
      await sql`update public.privacy_settings set marketing_consent = true where user_id = ${user.id}`;
      await sql`update public.profiles set status = ${status} where id = ${user.id}`;
      // A token of a live session, as Auth issues one at sign-in (export needs the session to exist).
      const token = await signAccessToken(await createSession(user.id));
      const res = await fetch(`${stack.apiUrl}/functions/v1/data-export`, { headers: { apikey: stack.anonKey, authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const doc = (await res.json()) as { tables: Record<string, { rows: Array<Record<string, unknown>> }> };
      expect(doc.tables.profiles.rows).toEqual([expect.objectContaining({ id: user.id, status, first_name: "Inactive" })]);
      expect(doc.tables.privacy_settings.rows).toEqual([expect.objectContaining({ marketing_consent: true })]);
    });
  }
});
