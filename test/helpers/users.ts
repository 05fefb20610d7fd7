// Users for database-level tests, created in auth.users the way Supabase Auth writes them
// (so our auth.users triggers run exactly as on a real sign-up, and the Auth server can load, sign in
// and delete them: its token columns hold '', never NULL, which Auth cannot read).
import { randomUUID } from "node:crypto";
import { afterAll } from "vitest";
import { memberClaims, sql, type Claims } from "./db.ts";

export interface TestUser {
  id: string;
  email: string;
}

export async function createUser(opts: { email?: string; metadata?: unknown; confirmed?: boolean } = {}): Promise<TestUser> {
  const id = randomUUID();
  const email = opts.email ?? `user-${id}@example.test`;
  await sql`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                            confirmation_token, recovery_token, email_change_token_new, email_change)
    values ('00000000-0000-0000-0000-000000000000', ${id}, 'authenticated', 'authenticated', ${email},
            extensions.crypt('password-1', extensions.gen_salt('bf', 4)), ${opts.confirmed === false ? null : new Date()},
            '{"provider":"email","providers":["email"]}', ${sql.json((opts.metadata ?? {}) as never)}, now(), now(),
            '', '', '', '')`;
  return { id, email };
}

/**
 * createUser for one test file: every user it makes (and every id given to track) is deleted after
 * the file, so other files' whole-table counts stay true. Call it at the top level of the file.
 */
export function usersDeletedAfterFile() {
  const ids: string[] = [];
  afterAll(async () => {
    if (ids.length) await sql`delete from auth.users where id in ${sql(ids)}`;
  });
  return {
    createUser: async (opts?: Parameters<typeof createUser>[0]): Promise<TestUser> => {
      const user = await createUser(opts);
      ids.push(user.id);
      return user;
    },
    track: (id: string) => void ids.push(id),
  };
}

export async function deleteUser(id: string): Promise<void> {
  await sql`delete from auth.users where id = ${id}`;
}

/**
 * A signed-in session as Supabase Auth records it (a row in auth.sessions), and the claims of an
 * access token issued for it. Functions that need a live session (data-export, account-delete)
 * check that row; deleting it is what a sign-out does.
 */
export async function createSession(userId: string, extra: Partial<Claims> = {}): Promise<Claims & { session_id: string }> {
  const sessionId = randomUUID();
  const aal = extra.aal ?? "aal1";
  await sql`insert into auth.sessions (id, user_id, aal, created_at, updated_at) values (${sessionId}, ${userId}, ${aal}, now(), now())`;
  return { ...memberClaims(userId, extra), session_id: sessionId };
}
