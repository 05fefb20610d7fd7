-- Chat rooms: a topic, public (any active member may join) or private (by invitation); roles
-- owner / moderator / member. Members join, leave, are invited, removed and muted through RPCs;
-- they write by inserting into room_messages. Moderators (and owners, and admins, and operators in
-- Studio) hide messages; an admin's or operator's hide is audited.
-- A member who left or was removed keeps what they could read until then and reads nothing new:
-- no message written or edited later, and no longer a private room's (later) name and topic.
-- Room messages (and their edits) count towards the same flood limit as direct messages. A member
-- creates at most 5 rooms a day (PT429 room_quota), and invites only people they already talk to
-- (a direct conversation or a private room they are both active in); an invitee declines with leave_room.

-- Types
create type public.room_visibility as enum ('public', 'private');

create type public.room_role as enum ('owner', 'moderator', 'member');

create type public.room_membership_status as enum ('invited', 'active', 'left', 'removed');

-- Tables
create table public.chat_rooms (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 100 and name = btrim(name)),
  topic text check (char_length(topic) <= 500),
  visibility public.room_visibility not null default 'public',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint chat_rooms_name_plain check (private.is_plain_line(name)),
  constraint chat_rooms_topic_plain check (private.is_plain_line(topic))
);
comment on table public.chat_rooms is 'Chat rooms. Public rooms are listed to every signed-in member; private rooms only to their invited and current members. Created with create_room().';

create table public.room_members (
  room_id uuid not null references public.chat_rooms (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  role public.room_role not null default 'member',
  status public.room_membership_status not null,
  joined_at timestamptz,
  left_at timestamptz,
  muted_until timestamptz,
  updated_at timestamptz not null default now(),
  primary key (room_id, user_id)
);
comment on table public.room_members is 'Membership of a room: role and status (invited, active, left, removed). Changed only through the room RPCs.';
comment on column public.room_members.left_at is 'When the member left or was removed: they read messages up to this time and nothing after.';
comment on column public.room_members.muted_until is 'A muted member reads but cannot write until this time.';

create table public.room_messages (
  id bigint generated always as identity primary key,
  room_id uuid not null references public.chat_rooms (id) on delete cascade,
  sender_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  body text not null check (char_length(body) <= 4000),
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  deleted_at timestamptz,
  hidden_at timestamptz,
  hidden_reason text check (char_length(hidden_reason) <= 500),
  check (deleted_at is not null or char_length(btrim(body)) >= 1),
  constraint room_messages_body_plain check (private.is_plain_text(body))
);
comment on table public.room_messages is 'Messages in a room, ordered by (created_at, id) with the server''s time; senders edit within the edit window and soft-delete; moderators hide.';
comment on column public.room_messages.hidden_at is 'Hidden by a moderator, the owner or an admin: only they still see it.';

create table private.room_creations (
  creator_id uuid not null references public.profiles (id) on delete cascade,
  created_at timestamptz not null default now()
);
comment on table private.room_creations is 'When each member created a room (the daily room quota; ownership can be handed over, this cannot). Rows older than a day are dropped at the creator''s next room.';

-- Indexes
create index chat_rooms_public_idx on public.chat_rooms (created_at desc) where visibility = 'public';
create index room_creations_creator_idx on private.room_creations (creator_id, created_at);

create index room_members_user_idx on public.room_members (user_id, status);
create index room_messages_room_created_idx on public.room_messages (room_id, created_at desc, id desc);
create index room_messages_sender_created_idx on public.room_messages (sender_id, created_at desc);

-- Grants and row level security
-- Grants: owners edit a room's name, topic and visibility; members write message bodies; the
-- rest goes through the RPCs below.
revoke all on private.room_creations from public, anon, authenticated, service_role;
revoke all on public.chat_rooms from anon, authenticated;
grant select on public.chat_rooms to authenticated;
grant update (name, topic, visibility) on public.chat_rooms to authenticated;

alter table public.chat_rooms enable row level security;
revoke all on public.room_members from anon, authenticated;
grant select on public.room_members to authenticated;
alter table public.room_members enable row level security;
revoke all on public.room_messages from anon, authenticated;
grant select on public.room_messages to authenticated;
grant insert (room_id, body), update (body, deleted_at) on public.room_messages to authenticated;
alter table public.room_messages enable row level security;

-- Functions
create or replace function private.my_room_membership(room_id uuid)
returns public.room_members
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  result public.room_members;
begin
  select * into result from public.room_members m where m.room_id = my_room_membership.room_id and m.user_id = (select auth.uid());
  return result;
end;
$$;
comment on function private.my_room_membership(uuid) is 'The caller''s membership row in a room (null fields when none); for policies and the room RPCs.';
revoke execute on function private.my_room_membership(uuid) from public, anon, authenticated;
grant execute on function private.my_room_membership(uuid) to authenticated, service_role;

-- The rooms where the caller's membership has one of these statuses. Read policies compare room ids
-- with this set (`room_id = any(...)`, an index condition) instead of asking per row, so no read of
-- rooms, rosters or room messages scans the whole table; definer, as room_members' own policy uses it.
create or replace function private.my_room_ids(statuses public.room_membership_status[])
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return array(select m.room_id from public.room_members m
               where m.user_id = (select auth.uid()) and m.status = any (my_room_ids.statuses));
end;
$$;
comment on function private.my_room_ids(public.room_membership_status[]) is 'Ids of the rooms where the caller''s membership status is one of these; for read policies.';
revoke execute on function private.my_room_ids(public.room_membership_status[]) from public, anon, authenticated;
grant execute on function private.my_room_ids(public.room_membership_status[]) to authenticated, service_role;

-- Up to when the caller reads a room: forever while active, until leaving or removal after that.
create or replace function private.room_read_horizon(room_id uuid)
returns timestamptz
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  m public.room_members := private.my_room_membership(room_id);
begin
  return case m.status when 'active' then 'infinity'::timestamptz when 'left' then m.left_at when 'removed' then m.left_at end;
end;
$$;
comment on function private.room_read_horizon(uuid) is 'Messages of the room the caller may read are those created up to this time (null: none).';
revoke execute on function private.room_read_horizon(uuid) from public, anon, authenticated;
grant execute on function private.room_read_horizon(uuid) to authenticated, service_role;

create or replace function private.room_moderates(room_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  m public.room_members := private.my_room_membership(room_id);
begin
  -- coalesce: someone not in the room has no row (status null), and "not null" would let them through.
  return coalesce(m.status = 'active' and m.role in ('owner', 'moderator'), false) or private.is_admin();
end;
$$;
comment on function private.room_moderates(uuid) is 'Whether the caller moderates the room (an active owner or moderator, or an admin).';
revoke execute on function private.room_moderates(uuid) from public, anon, authenticated;
grant execute on function private.room_moderates(uuid) to authenticated, service_role;

create or replace function private.create_room(name text, topic text, visibility public.room_visibility)
returns public.chat_rooms
language plpgsql
security definer
set search_path = ''
as $$
declare
  room public.chat_rooms;
begin
  perform private.require_text_value('name', create_room.name);
  perform private.require_text_value('topic', create_room.topic);
  if (select private.my_role()) is null then
    raise exception 'your account is not active' using errcode = '42501';
  end if;
  -- The quota: one member's creations queue on a lock, so parallel calls cannot all pass the count.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('memberbase.create_room:' || (select auth.uid())::text, 0));
  delete from private.room_creations c where c.creator_id = (select auth.uid()) and c.created_at <= now() - interval '24 hours';
  if (select count(*) from private.room_creations c where c.creator_id = (select auth.uid())) >= 5 then
    raise exception 'room_quota: at most 5 new rooms a day' using errcode = 'PT429', detail = 'room_quota', hint = 'PostgREST answers this with HTTP 429';
  end if;
  insert into private.room_creations (creator_id) values ((select auth.uid()));
  insert into public.chat_rooms (name, topic, visibility)
  values (btrim(name), nullif(btrim(topic), ''), coalesce(visibility, 'public'))
  returning * into room;
  insert into public.room_members (room_id, user_id, role, status, joined_at)
  values (room.id, (select auth.uid()), 'owner', 'active', now());
  return room;
end;
$$;
revoke execute on function private.create_room(text, text, public.room_visibility) from public, anon, authenticated;
grant execute on function private.create_room(text, text, public.room_visibility) to authenticated, service_role;

-- Every membership change, checked here: join / leave (the caller), invite / remove / mute / set_role
-- (owners and moderators; roles, removing moderators and lifting a removal: owners only). The table
-- of transitions and who makes them is in docs/api.md (test/room-membership.test.ts checks it).
create or replace function private.room_membership_action(room_id uuid, action text, target uuid default null,
                                                          new_role public.room_role default null, mute_minutes integer default null)
returns public.room_members
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  room public.chat_rooms;
  mine public.room_members;
  theirs public.room_members;
  result public.room_members;
begin
  if (select private.my_role()) is null then
    raise exception 'your account is not active' using errcode = '42501';
  end if;
  select * into room from public.chat_rooms r where r.id = room_membership_action.room_id;
  mine := private.my_room_membership(room_membership_action.room_id);
  if room.id is null or (room.visibility = 'private' and mine.status is null and not private.is_admin()) then
    raise exception 'no room %', room_id using errcode = 'PT404';
  end if;

  if action = 'join' then
    if mine.status = 'active' then
      return mine;
    elsif mine.status = 'removed' or (room.visibility = 'private' and mine.status is distinct from 'invited') then
      raise exception 'this room is by invitation' using errcode = '42501';
    end if;
    insert into public.room_members as m (room_id, user_id, role, status, joined_at)
    values (room.id, me, 'member', 'active', now())
    on conflict on constraint room_members_pkey do update set status = 'active', role = 'member', joined_at = now(), left_at = null, updated_at = now()
    returning * into result;
    return result;
  elsif action = 'leave' then
    if mine.status = 'invited' then -- declining an invitation leaves no trace of it
      delete from public.room_members m where m.room_id = room.id and m.user_id = me returning * into result;
      return result;
    elsif mine.status is distinct from 'active' then
      raise exception 'you are not in this room' using errcode = 'PT404';
    elsif mine.role = 'owner' then
      raise exception 'hand the room to another member (set_room_role owner) before leaving' using errcode = '22023';
    end if;
    update public.room_members m set status = 'left', left_at = now(), updated_at = now()
     where m.room_id = room.id and m.user_id = me returning * into result;
    return result;
  end if;

  -- The rest acts on someone else and needs a moderator of the room.
  if not ((mine.status = 'active' and mine.role in ('owner', 'moderator')) or private.is_admin()) then
    raise exception 'only the room''s owner or moderators can do that' using errcode = '42501';
  end if;
  if target is null or target = me then
    raise exception 'choose another member' using errcode = '22023';
  end if;
  select * into theirs from public.room_members m where m.room_id = room.id and m.user_id = target for update;

  if action = 'invite' then
    -- Only people the inviter already talks to (a conversation, or a private room both are in; a
    -- public room anyone joins is no consent): the same answer for no one and for a stranger.
    if not exists (select 1 from public.profiles p where p.id = target and p.status = 'active')
       or not (private.is_admin()
               or exists (select 1 from public.conversations c
                           where (c.member_id = me and c.expert_id = target) or (c.member_id = target and c.expert_id = me))
               or exists (select 1 from public.room_members a join public.room_members b on b.room_id = a.room_id
                                   join public.chat_rooms r on r.id = a.room_id and r.visibility = 'private'
                           where a.user_id = me and a.status = 'active' and b.user_id = target and b.status = 'active')) then
      raise exception 'no active member % you talk to', target using errcode = 'PT404';
    end if;
    if theirs.status = 'active' then
      return theirs;
    end if;
    -- A removal stands until the owner (or an admin) lifts it by inviting again; a moderator cannot.
    if theirs.status = 'removed' and mine.role is distinct from 'owner' and not private.is_admin() then
      raise exception 'only the room''s owner can invite back someone who was removed' using errcode = '42501';
    end if;
    insert into public.room_members (room_id, user_id, role, status)
    values (room.id, target, 'member', 'invited')
    on conflict on constraint room_members_pkey do update set status = 'invited', role = 'member', updated_at = now()
    returning * into result;
    return result;
  end if;

  if theirs.status is distinct from 'active' then
    raise exception 'member % is not in this room', target using errcode = 'PT404';
  end if;
  if theirs.role = 'owner' or (theirs.role = 'moderator' and mine.role is distinct from 'owner' and not private.is_admin()) then
    raise exception 'moderators cannot act on the owner or other moderators' using errcode = '42501';
  end if;
  if action = 'remove' then
    update public.room_members m set status = 'removed', left_at = now(), updated_at = now()
     where m.room_id = room.id and m.user_id = target returning * into result;
  elsif action = 'mute' then
    if mute_minutes is null or mute_minutes not between 0 and 525600 then
      raise exception 'mute_minutes must be between 0 (unmute) and 525600' using errcode = '22023';
    end if;
    update public.room_members m set muted_until = case when mute_minutes = 0 then null else now() + make_interval(mins => mute_minutes) end,
                                     updated_at = now()
     where m.room_id = room.id and m.user_id = target returning * into result;
  elsif action = 'set_role' then
    if mine.role is distinct from 'owner' and not private.is_admin() then
      raise exception 'only the owner changes roles' using errcode = '42501';
    end if;
    if new_role is null then
      raise exception 'give a role: owner, moderator or member' using errcode = '22023';
    end if;
    if new_role = 'owner' then -- one owner: handing over makes the old owner a moderator
      update public.room_members m set role = 'moderator', updated_at = now() where m.room_id = room.id and m.role = 'owner';
    end if;
    update public.room_members m set role = new_role, updated_at = now()
     where m.room_id = room.id and m.user_id = target returning * into result;
  else
    raise exception 'unknown room action %', action using errcode = '22023';
  end if;
  return result;
end;
$$;
comment on function private.room_membership_action(uuid, text, uuid, public.room_role, integer) is 'join | leave | invite | remove | mute | set_role, with the room''s rules; behind the public room RPCs.';
revoke execute on function private.room_membership_action(uuid, text, uuid, public.room_role, integer) from public, anon, authenticated;
grant execute on function private.room_membership_action(uuid, text, uuid, public.room_role, integer) to authenticated, service_role;

create or replace function private.hide_room_message(message_id bigint, reason text)
returns public.room_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  m public.room_messages;
  staff boolean;
begin
  perform private.require_text_value('reason', hide_room_message.reason);
  select * into m from public.room_messages x where x.id = hide_room_message.message_id;
  -- An operator in a direct database session (Studio) moderates every room, as an admin does.
  staff := (select auth.uid()) is null and private.is_operator_session();
  if not found or not (staff or private.room_moderates(m.room_id)) then
    raise exception 'no message % that you moderate', message_id using errcode = 'PT404';
  end if;
  -- The room's own moderators act inside their room; admins and operators act for the marketplace,
  -- and that is audited.
  staff := staff or private.is_admin();
  update public.room_messages x set hidden_at = coalesce(x.hidden_at, now()), hidden_reason = left(reason, 500)
   where x.id = m.id returning * into m;
  if staff then
    perform private.record_admin_action('hide_room_message', m.sender_id,
                                        jsonb_build_object('message_id', m.id, 'room_id', m.room_id, 'reason', m.hidden_reason));
  end if;
  return m;
end;
$$;
revoke execute on function private.hide_room_message(bigint, text) from public, anon, authenticated;
grant execute on function private.hide_room_message(bigint, text) to authenticated, service_role;

-- When a membership row goes (an account deleted): a room nobody belongs to any more goes too,
-- and a room that lost its owner passes to its longest-standing active moderator, else member.
create or replace function private.room_member_gone()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from public.room_members m where m.room_id = old.room_id) then
    delete from public.chat_rooms r where r.id = old.room_id;
  elsif old.role = 'owner' then
    update public.room_members m set role = 'owner', updated_at = now()
     where (m.room_id, m.user_id) = (select x.room_id, x.user_id from public.room_members x
                                       where x.room_id = old.room_id and x.status = 'active'
                                       order by (x.role = 'moderator') desc, x.joined_at, x.user_id limit 1);
  end if;
  return null;
end;
$$;
revoke execute on function private.room_member_gone() from public, anon, authenticated;

-- Public RPCs (security invoker; the private back-ends check the caller)
create or replace function public.create_room(name text, topic text default null, visibility public.room_visibility default 'public')
returns public.chat_rooms
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform private.require_member();
  return private.create_room(name, topic, visibility);
end;
$$;
comment on function public.create_room(text, text, public.room_visibility) is 'Creates a room with the caller as its owner.';
revoke execute on function public.create_room(text, text, public.room_visibility) from public, anon;
grant execute on function public.create_room(text, text, public.room_visibility) to authenticated, service_role;

create or replace function public.join_room(room_id uuid)
returns public.room_members
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform private.require_member();
  return private.room_membership_action(room_id, 'join');
end;
$$;
comment on function public.join_room(uuid) is 'Joins a public room, or a private room the caller was invited to (removed members need a new invitation).';
revoke execute on function public.join_room(uuid) from public, anon;
grant execute on function public.join_room(uuid) to authenticated, service_role;

create or replace function public.leave_room(room_id uuid)
returns public.room_members
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform private.require_member();
  return private.room_membership_action(room_id, 'leave');
end;
$$;
comment on function public.leave_room(uuid) is 'Leaves a room (the caller keeps reading what was written before and nothing after), or declines an invitation.';
revoke execute on function public.leave_room(uuid) from public, anon;
grant execute on function public.leave_room(uuid) to authenticated, service_role;

create or replace function public.invite_to_room(room_id uuid, user_id uuid)
returns public.room_members
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform private.require_member();
  return private.room_membership_action(room_id, 'invite', user_id);
end;
$$;
comment on function public.invite_to_room(uuid, uuid) is 'Owners and moderators invite someone they share a conversation or a room with (who then calls join_room, or leave_room to decline).';
revoke execute on function public.invite_to_room(uuid, uuid) from public, anon;
grant execute on function public.invite_to_room(uuid, uuid) to authenticated, service_role;

create or replace function public.remove_from_room(room_id uuid, user_id uuid)
returns public.room_members
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform private.require_member();
  return private.room_membership_action(room_id, 'remove', user_id);
end;
$$;
comment on function public.remove_from_room(uuid, uuid) is 'Owners and moderators remove a member, who then reads nothing new.';
revoke execute on function public.remove_from_room(uuid, uuid) from public, anon;
grant execute on function public.remove_from_room(uuid, uuid) to authenticated, service_role;

create or replace function public.mute_room_member(room_id uuid, user_id uuid, minutes integer)
returns public.room_members
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform private.require_member();
  return private.room_membership_action(room_id, 'mute', user_id, null, minutes);
end;
$$;
comment on function public.mute_room_member(uuid, uuid, integer) is 'Owners and moderators mute a member for some minutes (0 unmutes).';
revoke execute on function public.mute_room_member(uuid, uuid, integer) from public, anon;
grant execute on function public.mute_room_member(uuid, uuid, integer) to authenticated, service_role;

create or replace function public.set_room_role(room_id uuid, user_id uuid, role public.room_role)
returns public.room_members
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform private.require_member();
  return private.room_membership_action(room_id, 'set_role', user_id, role);
end;
$$;
comment on function public.set_room_role(uuid, uuid, public.room_role) is 'The owner makes a member a moderator or member, or hands ownership over.';
revoke execute on function public.set_room_role(uuid, uuid, public.room_role) from public, anon;
grant execute on function public.set_room_role(uuid, uuid, public.room_role) to authenticated, service_role;

create or replace function public.hide_room_message(message_id bigint, reason text default null)
returns public.room_messages
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform private.require_member();
  return private.hide_room_message(message_id, reason);
end;
$$;
comment on function public.hide_room_message(bigint, text) is 'Moderators, the owner and admins hide a message in the room.';
revoke execute on function public.hide_room_message(bigint, text) from public, anon;
grant execute on function public.hide_room_message(bigint, text) to authenticated, service_role;

-- Triggers
create trigger chat_rooms_touch before update on public.chat_rooms for each row execute function private.touch_updated_at();

-- The same preparation as direct messages: flood control, server time, server-owned columns reset.
create trigger room_members_gone after delete on public.room_members for each row execute function private.room_member_gone();
create trigger room_messages_prepare before insert on public.room_messages for each row execute function private.prepare_message();

-- Editing and soft-deleting follow the same rules as direct messages.
create trigger room_messages_guard before update on public.room_messages for each row execute function private.guard_message_update();

-- Policies
create policy "Members see public rooms and the private rooms they belong to" on public.chat_rooms
  for select to authenticated
  using (visibility = 'public'
         or id = any ((select private.my_room_ids('{invited,active}'))::uuid[])
         or id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');

create policy "Owners can edit their rooms" on public.chat_rooms
  for update to authenticated
  using ((private.my_room_membership(id)).role = 'owner' and (private.my_room_membership(id)).status = 'active')
  with check ((private.my_room_membership(id)).role = 'owner' and (private.my_room_membership(id)).status = 'active');

create policy "Inactive members cannot edit rooms" on public.chat_rooms
  as restrictive for update to authenticated with check ((select private.is_active_member()));

create policy "Members see their memberships and the rosters of their rooms" on public.room_members
  for select to authenticated
  using (user_id = (select auth.uid())
         or room_id = any ((select private.my_room_ids('{active}'))::uuid[])
         or room_id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');

create policy "Room members read messages while in the room" on public.room_messages
  for select to authenticated
  using (room_id = any ((select private.my_room_ids('{active,left,removed}'))::uuid[])
         and coalesce(edited_at, created_at) <= private.room_read_horizon(room_id)
         and (hidden_at is null or sender_id = (select auth.uid()) or private.room_moderates(room_id))
         or id between (select private.admin_bigint_floor()) and 9223372036854775807);

create policy "Active, unmuted room members can write" on public.room_messages
  for insert to authenticated
  with check (sender_id = (select auth.uid()) and (select private.my_role()) is not null
              and exists (select 1 from public.room_members m
                           where m.room_id = room_messages.room_id and m.user_id = (select auth.uid()) and m.status = 'active'
                             and (m.muted_until is null or m.muted_until <= now())));

create policy "Senders can edit or delete their own visible room messages" on public.room_messages
  for update to authenticated
  using (sender_id = (select auth.uid()) and hidden_at is null and deleted_at is null)
  with check (sender_id = (select auth.uid()));

create policy "Inactive members cannot write in rooms" on public.room_messages
  as restrictive for insert to authenticated with check ((select private.is_active_member()));

create policy "Inactive members cannot edit room messages" on public.room_messages
  as restrictive for update to authenticated with check ((select private.is_active_member()));

-- Realtime: members subscribe to their rooms' messages (RLS decides what each subscriber gets).
alter publication supabase_realtime add table public.room_messages;
