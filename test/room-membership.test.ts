// Room membership transitions (issue 20, finding 3): docs/api.md's table "Room membership
// transitions" checked both ways through supabase-js → gateway → PostgREST. Every combination of a
// person's state in a room, a membership call, its caller and the room's visibility is performed:
// the ones the table lists must end in its state, every other one must change nothing. So a
// documented transition that does not happen fails, and so does an undocumented one that does (a
// moderator re-inviting someone the owner removed was one).
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "./helpers/db.ts";
import { apiDocPath } from "./helpers/api-doc.ts";
import { memberClient, type ApiClient } from "./helpers/rest.ts";
import { usersDeletedAfterFile, type TestUser } from "./helpers/users.ts";

const users = usersDeletedAfterFile();

const states = ["none", "invited", "active", "left", "removed"] as const;
type State = (typeof states)[number];
const calls = ["join_room", "leave_room", "invite_to_room", "remove_from_room"] as const;
type Call = (typeof calls)[number];
/** Who calls: the person themselves, or someone acting on them. */
const callers = { join_room: ["member"], leave_room: ["member"], invite_to_room: ["owner", "moderator", "other member", "admin"], remove_from_room: ["owner", "moderator", "other member", "admin"] } as const;
type Caller = "member" | "owner" | "moderator" | "other member" | "admin";
type Visibility = "public" | "private";

interface Row { from: State; call: Call; by: Caller[]; rooms: Visibility[]; to: State }

/** The table under "Room membership transitions" in docs/api.md. */
function documentedTransitions(): Row[] {
  const text = readFileSync(apiDocPath, "utf8");
  const start = text.indexOf("| from | call | by | rooms | to |");
  expect(start, "docs/api.md has the room membership transitions table").toBeGreaterThan(0);
  const rows: Row[] = [];
  for (const line of text.slice(start).split("\n").slice(2)) {
    if (!line.startsWith("|")) break;
    const [from, call, by, rooms, to] = line.split("|").slice(1, -1).map((c) => c.trim().replace(/`/g, ""));
    const row = { from, call, by: by.split(",").map((b) => (b.trim() === "the member" ? "member" : b.trim())), rooms: rooms.split(",").map((r) => r.trim()), to } as Row;
    expect(states).toContain(row.from);
    expect(states).toContain(row.to);
    expect(calls).toContain(row.call);
    for (const b of row.by) expect(callers[row.call] as readonly string[]).toContain(b);
    for (const r of row.rooms) expect(["public", "private"]).toContain(r);
    rows.push(row);
  }
  expect(rows.length).toBeGreaterThan(0);
  return rows;
}

type Actor = TestUser & { api: ApiClient };
const actors = {} as Record<Caller, Actor>;
const rooms = {} as Record<Visibility, string>;

beforeAll(async () => {
  for (const who of ["member", "owner", "moderator", "other member", "admin"] as Caller[]) {
    const u = await users.createUser();
    if (who === "admin") await sql`update public.profiles set role = 'admin' where id = ${u.id}`;
    actors[who] = { ...u, api: await memberClient(u.id) };
  }
  // Setup in SQL (the calls under test go through the API): two rooms with an owner, a moderator and
  // a plain member; everyone who may invite talks to the person (a conversation), so only the room's
  // rules decide.
  for (const visibility of ["public", "private"] as Visibility[]) {
    const [{ id }] = await sql<{ id: string }[]>`insert into public.chat_rooms (name, visibility) values (${`transitions ${visibility}`}, ${visibility}::public.room_visibility) returning id`;
    rooms[visibility] = id;
    await sql`insert into public.room_members (room_id, user_id, role, status, joined_at) values
              (${id}, ${actors.owner.id}, 'owner', 'active', now()), (${id}, ${actors.moderator.id}, 'moderator', 'active', now()),
              (${id}, ${actors["other member"].id}, 'member', 'active', now())`;
  }
  for (const who of ["owner", "moderator", "other member"] as Caller[]) {
    await sql`insert into public.conversations (member_id, expert_id) values (${actors[who].id}, ${actors.member.id})`;
  }
});

afterAll(async () => {
  await sql`delete from public.chat_rooms where id in ${sql(Object.values(rooms))}`;
});

async function putInState(room: string, state: State): Promise<void> {
  const who = actors.member.id;
  await sql`delete from public.room_members where room_id = ${room} and user_id = ${who}`;
  if (state === "none") return;
  await sql`insert into public.room_members (room_id, user_id, role, status, joined_at, left_at)
            values (${room}, ${who}, 'member', ${state}::public.room_membership_status,
                    ${state === "invited" ? null : new Date(Date.now() - 60_000)}, ${state === "left" || state === "removed" ? new Date() : null})`;
}

async function stateOf(room: string): Promise<State> {
  const [row] = await sql<{ status: State }[]>`select status from public.room_members where room_id = ${room} and user_id = ${actors.member.id}`;
  return row?.status ?? "none";
}

async function perform(call: Call, by: Caller, room: string): Promise<string> {
  const args = call === "join_room" || call === "leave_room" ? { room_id: room } : { room_id: room, user_id: actors.member.id };
  const r = await actors[by].api.rpc(call, args as never);
  return r.error ? `${r.status} ${r.error.code}` : "ok";
}

describe("room membership transitions: docs/api.md's table, both ways", () => {
  it("every (state, call, caller, room) ends where the table says, and only the table's rows change anything", async () => {
    const table = documentedTransitions();
    const observed: string[] = [];
    const expected: string[] = [];
    for (const visibility of ["public", "private"] as Visibility[]) {
      for (const from of states) {
        for (const call of calls) {
          for (const by of callers[call] as readonly Caller[]) {
            await putInState(rooms[visibility], from);
            const answer = await perform(call, by, rooms[visibility]);
            const to = await stateOf(rooms[visibility]);
            const row = table.find((t) => t.from === from && t.call === call && t.by.includes(by) && t.rooms.includes(visibility));
            const label = `${visibility}: ${from} --${call} by ${by}-->`;
            observed.push(`${label} ${to}${to !== from && answer !== "ok" ? ` (${answer})` : ""}`);
            expected.push(`${label} ${row ? row.to : from}`);
          }
        }
      }
    }
    expect(observed).toEqual(expected);
  });

  // Found by the access matrix's RPC returns: private.room_moderates answered null (not false) for
  // someone with no membership row, and hide_room_message let them through.
  it("someone not in a room, and a plain member of it, hide none of its messages", async () => {
    const room = rooms.public;
    const [{ id }] = await sql<{ id: string }[]>`insert into public.room_messages (room_id, sender_id, body) values (${room}, ${actors.owner.id}, 'keep me') returning id::text as id`;
    await putInState(room, "none");
    for (const by of ["member", "other member"] as Caller[]) {
      const r = await actors[by].api.rpc("hide_room_message", { message_id: Number(id), reason: "vandal" });
      expect(r.error ? `${r.status} ${r.error.code}` : "ok").toBe("404 PT404");
    }
    const [{ hidden }] = await sql<{ hidden: Date | null }[]>`select hidden_at as hidden from public.room_messages where id = ${id}`;
    expect(hidden).toBeNull();
  });

  it("the attack: the owner removes someone, a moderator invites them back — refused, and they cannot rejoin", async () => {
    const room = rooms.private;
    await putInState(room, "active");
    expect(await perform("remove_from_room", "owner", room)).toBe("ok");
    expect(await perform("invite_to_room", "moderator", room)).toBe("403 42501");
    expect(await perform("join_room", "member", room)).toBe("403 42501");
    expect(await stateOf(room)).toBe("removed");
    // The owner lifts it.
    expect(await perform("invite_to_room", "owner", room)).toBe("ok");
    expect(await perform("join_room", "member", room)).toBe("ok");
    expect(await stateOf(room)).toBe("active");
  });
});
