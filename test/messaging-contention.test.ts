// Both participants of a conversation sending and reading at the same moment is the normal case of
// a chat: it must never deadlock into a 5xx. Sends and reads take the conversation's two
// participant rows; this fires both participants' sends and reads at once, in bursts, through
// supabase-js, with the flood limit at its maximum so every request reaches the rows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "./helpers/db.ts";
import { memberClient, ok, type ApiClient } from "./helpers/rest.ts";
import * as users from "./helpers/users.ts";

const bursts = 40;
const made: string[] = [];
let limit: number;

beforeAll(async () => {
  [{ limit }] = await sql<{ limit: number }[]>`select messages_per_minute as limit from private.messaging_settings`;
  await sql`update private.messaging_settings set messages_per_minute = 10000`;
});
afterAll(async () => {
  await sql`update private.messaging_settings set messages_per_minute = ${limit}`;
  for (const id of made) await users.deleteUser(id);
});

async function person(role: "member" | "expert"): Promise<{ id: string; api: ApiClient }> {
  const user = await users.createUser();
  made.push(user.id);
  if (role === "expert") {
    await sql`update public.profiles set role = 'expert' where id = ${user.id}`;
    await sql`insert into public.expert_profiles (id, verification_status, verified_at, hourly_rate_cents, is_available)
              values (${user.id}, 'verified', now(), 6000, true)`;
  }
  return { id: user.id, api: await memberClient(user.id) };
}

describe("messaging under contention", () => {
  it(`${bursts} bursts of both participants sending and marking read at once: no 5xx, every send kept`, async () => {
    const member = await person("member");
    const expert = await person("expert");
    const conversation_id = (ok(await member.api.rpc("start_conversation", { expert_id: expert.id, body: "hello" })) as { id: string }).id;
    const statuses: number[] = [];
    const failures: string[] = [];
    for (let burst = 0; burst < bursts; burst++) {
      const calls = [
        member.api.from("messages").insert({ conversation_id, body: `m${burst}` }),
        expert.api.from("messages").insert({ conversation_id, body: `e${burst}` }),
        member.api.rpc("mark_conversation_read", { conversation_id }),
        expert.api.rpc("mark_conversation_read", { conversation_id }),
      ];
      for (const r of await Promise.all(calls)) {
        statuses.push(r.status);
        if (r.error) failures.push(`${r.status} ${r.error.code}: ${r.error.message}`);
      }
    }
    expect(failures).toEqual([]);
    expect(statuses.every((s) => s < 300)).toBe(true);
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from public.messages where conversation_id = ${conversation_id}`;
    expect(n).toBe(1 + 2 * bursts);
    // Both rows agree with the messages: the last one each saw, and nothing unread after a final read.
    ok(await member.api.rpc("mark_conversation_read", { conversation_id }));
    ok(await expert.api.rpc("mark_conversation_read", { conversation_id }));
    const rows = await sql<{ unread_count: number; last_message_id: string }[]>`
      select unread_count, last_message_id::text from public.conversation_participants where conversation_id = ${conversation_id}`;
    const [{ last }] = await sql<{ last: string }[]>`select max(id)::text as last from public.messages where conversation_id = ${conversation_id}`;
    expect(rows.map((r) => [r.unread_count, r.last_message_id])).toEqual([[0, last], [0, last]]);
  }, 120000);
});
