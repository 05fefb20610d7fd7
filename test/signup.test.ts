// Sign-up never fails, whatever the metadata: 20+ hostile shapes, through Auth when it runs, and
// always through the same insert into auth.users that Auth makes (so our triggers see exactly that).
import { afterAll, describe, expect, it } from "vitest";
import { anonClient, authSkipReason, uniqueEmail } from "./helpers/stack.ts";
import { sql } from "./helpers/db.ts";
import { createUser, deleteUser } from "./helpers/users.ts";
import { skipNote } from "./helpers/skip.ts";

const big = "x".repeat(20 * 1024);
const hostile: Array<[string, unknown]> = [
  ["empty object", {}],
  ["missing names", { terms_accepted: true }],
  ["20 KB first name", { first_name: big, last_name: big }],
  ["numbers for names", { first_name: 42, last_name: 3.14 }],
  ["objects for names", { first_name: { nested: true }, last_name: ["a", "b"] }],
  ["null everywhere", { first_name: null, last_name: null, locale: null, terms_accepted: null }],
  ["SQL-looking text", { first_name: "Robert'); drop table public.profiles;--", last_name: "' or 1=1 --" }],
  ["unknown referral code", { referral_code: "NOPE-NOT-A-CODE" }],
  ["referral code as object", { referral_code: { $ne: null } }],
  ["emoji names", { first_name: "🦄✨", last_name: "👩🏽‍💻" }],
  // (\u0000 is refused by jsonb itself, before any trigger runs, so it is not a shape a trigger can see.)
  ["control characters", { first_name: "Al\u0001ice\u0007", last_name: "\u001b[31mred" }],
  ["right-to-left override", { first_name: "\u202Eecila", last_name: "normal" }],
  ["whitespace only", { first_name: "   ", last_name: "\t\n" }],
  ["bad locale", { locale: "english; drop" }],
  ["long locale", { locale: "de-DE-x-" + big }],
  ["terms as string", { terms_accepted: "yes", terms_version: "2026-01" }],
  ["terms version injection", { terms_accepted: true, terms_version: "1'; delete from auth.users;--" }],
  ["camelCase fields", { firstName: "Camel", lastName: "Case", agreesToTerms: true, termsVersion: "v2" }],
  ["deeply nested", { a: { b: { c: { d: { e: { f: { g: "deep" } } } } } } }],
  ["huge array", { tags: Array.from({ length: 5000 }, (_, i) => i) }],
  ["role escalation attempt", { role: "admin", user_role: "admin", status: "active" }],
  ["boolean metadata values", { first_name: true, last_name: false }],
  ["unicode normalisation", { first_name: "Ｚｏë", last_name: "A\u0301lvarez" }],
];

const created: string[] = [];
afterAll(async () => {
  for (const id of created) await deleteUser(id);
});

describe("sign-up with hostile metadata (as Auth inserts the user)", () => {
  it.each(hostile)("%s: the user and every member row are created", async (_name, metadata) => {
    const user = await createUser({ metadata });
    created.push(user.id);
    const [row] = await sql`
      select p.role::text as role, p.first_name, p.last_name,
             (select count(*)::int from public.notification_preferences n where n.user_id = p.id) as notification_rows,
             cardinality(enum_range(null::public.notification_channel)) * cardinality(enum_range(null::public.notification_category)) as channel_x_category,
             exists (select 1 from public.privacy_settings s where s.user_id = p.id) as privacy,
             exists (select 1 from public.onboarding o where o.user_id = p.id) as onboarding,
             (select locale from public.member_preferences m where m.user_id = p.id) as locale
      from public.profiles p where p.id = ${user.id}`;
    expect(row).toBeDefined();
    expect(row.role).toBe("member"); // metadata can never choose a role
    expect(row.notification_rows).toBe(row.channel_x_category); // every channel x category
    expect(row.notification_rows).toBeGreaterThanOrEqual(24);
    expect(row.privacy && row.onboarding).toBe(true);
    expect(row.locale).toMatch(/^[a-z]{2}(-[A-Z]{2})?$/);
    for (const name of [row.first_name, row.last_name]) {
      if (name === null) continue;
      expect(name.length).toBeLessThanOrEqual(100);
      expect(name).not.toMatch(/[\u0000-\u001f\u007f]/);
      expect(name.trim()).toBe(name);
    }
  });

  it("keeps names it can use and records accepted terms with their version", async () => {
    const user = await createUser({ metadata: { firstName: "Camel", lastName: "Case", agreesToTerms: true, termsVersion: "v2", locale: "pt-BR" } });
    created.push(user.id);
    const [row] = await sql`select p.display_name, o.terms_version, o.terms_accepted_at is not null as accepted, m.locale
      from public.profiles p join public.onboarding o on o.user_id = p.id join public.member_preferences m on m.user_id = p.id where p.id = ${user.id}`;
    expect(row).toEqual({ display_name: "Camel Case", terms_version: "v2", accepted: true, locale: "pt-BR" });
  });

  it("does not record terms that were not accepted or have a malformed version", async () => {
    const a = await createUser({ metadata: { terms_version: "v3" } });
    const b = await createUser({ metadata: { terms_accepted: true, terms_version: "v1'; --" } });
    created.push(a.id, b.id);
    const rows = await sql`select terms_accepted_at, terms_version from public.onboarding where user_id in ${sql([a.id, b.id])}`;
    expect(rows.every((r) => r.terms_accepted_at === null && r.terms_version === null)).toBe(true);
  });
});

describe.skipIf(authSkipReason)(`sign-up with hostile metadata through Supabase Auth${skipNote(authSkipReason)}`, () => {
  it.each(hostile)("%s: signUp succeeds", async (_name, metadata) => {
    const email = uniqueEmail("hostile");
    const { data, error } = await anonClient().auth.signUp({ email, password: "correct-horse-9", options: { data: metadata as object } });
    expect(error).toBeNull();
    created.push(data.user!.id);
    const [row] = await sql`select role::text from public.profiles where id = ${data.user!.id}`;
    expect(row.role).toBe("member");
  });
});
