-- Direct messages between a member and an expert. A member opens a conversation with a verified,
-- active expert (start_conversation); after that both participants write by inserting into
-- messages. The server stamps the time, keeps each participant's read state (read receipts and
-- unread counts), limits how fast anyone sends (flood control, private.messaging_settings), and
-- withholds messages from a sender the recipient has blocked without telling the sender: nothing the
-- blocked sender can read (their messages, their own read state, Realtime events) differs from an
-- unblocked conversation, so the withheld mark lives in a private table and each participant reads
-- only their own read-state row (the other side's read receipt is copied into it). Edits count
-- towards the flood limit. Reporting messages and their moderation are message_moderation's (the
-- next migration).

-- Inactive (suspended or deactivated) members keep reading what they could, but write nothing in
-- direct messages and chat rooms, as everywhere else (see the account status table in the foundation
-- migration). The room and conversation RPCs already refuse them through private.require_member().

-- Tables
create table private.messaging_settings (
  id boolean primary key default true check (id),
  messages_per_minute integer not null default 20 check (messages_per_minute between 1 and 10000),
  edit_window interval not null default '15 minutes' check (edit_window between interval '0' and interval '1 day'),
  updated_at timestamptz not null default now()
);
comment on table private.messaging_settings is 'The one row of messaging configuration: flood limit (messages per sender per minute, direct and room messages together) and the edit window.';
insert into private.messaging_settings default values;

create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  member_id uuid not null references public.profiles (id) on delete cascade,
  expert_id uuid not null references public.profiles (id) on delete cascade,
  created_at timestamptz not null default now(),
  constraint conversations_pair_key unique (member_id, expert_id),
  check (member_id <> expert_id)
);
comment on table public.conversations is 'One direct conversation per member and expert, opened by the member through start_conversation(); both participants read it.';
comment on column public.conversations.member_id is 'Who opened the conversation (any active account); expert_id is the verified expert they wrote to.';

create table public.messages (
  id bigint generated always as identity primary key,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  sender_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  body text not null check (char_length(body) <= 4000),
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  deleted_at timestamptz,
  hidden_at timestamptz,
  hidden_reason text check (char_length(hidden_reason) <= 500),
  check (deleted_at is not null or char_length(btrim(body)) >= 1),
  constraint messages_body_plain check (private.is_plain_text(body))
);
comment on table public.messages is 'Direct messages, ordered by (created_at, id); created_at is the server''s time. Senders edit within the edit window and soft-delete; admins hide.';
comment on column public.messages.deleted_at is 'Soft delete by the sender: the body is erased, the row stays so the thread keeps its shape.';
comment on column public.messages.hidden_at is 'Set by an admin (moderation); hidden messages are shown to nobody but admins.';

create table private.withheld_messages (
  message_id bigint primary key references public.messages (id) on delete cascade
);
comment on table private.withheld_messages is 'Messages sent while the recipient blocks the sender: only the sender sees them, nothing is notified. Private, so no row or event the sender reads tells them.';

create table private.message_edits (
  sender_id uuid not null references public.profiles (id) on delete cascade,
  edited_at timestamptz not null default now()
);
comment on table private.message_edits is 'When each sender edited a message (direct or room) in the last minute: edits count towards the flood limit. Older rows are dropped on the sender''s next edit.';

create table public.conversation_participants (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  last_message_id bigint,
  last_message_at timestamptz,
  last_read_message_id bigint,
  last_read_at timestamptz,
  unread_count integer not null default 0 check (unread_count >= 0),
  other_last_read_message_id bigint,
  other_last_read_at timestamptz,
  constraint conversation_participants_pair_key unique (conversation_id, user_id)
);
comment on table public.conversation_participants is 'Each participant''s view of a conversation: the last message they can see, what they have read (read receipts) and how many are unread. Kept by triggers.';
comment on column public.conversation_participants.id is 'An opaque key: Realtime sends a deleted row''s key to every subscriber, so the key must not say who talked to whom.';
comment on column public.conversation_participants.last_message_id is 'The newest message this participant can see (messages.id; not a foreign key so that deleting a message never blocks).';
comment on column public.conversation_participants.last_read_message_id is 'The newest message this participant has read; copied to the other participant''s row as their read receipt.';
comment on column public.conversation_participants.other_last_read_message_id is 'Read receipt: the newest message the other participant has read (each participant reads only their own row, so a block changes nothing they can see).';

create table public.blocks (
  blocker_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  blocked_id uuid not null references public.profiles (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (blocker_id, blocked_id),
  check (blocker_id <> blocked_id)
);
comment on table public.blocks is 'Who a member blocks. Only the blocker sees the row; the blocked party''s messages to the blocker are withheld without telling them.';

-- Links the data export and the deletion check do not follow (privacy), with the reason.
insert into private.excluded_member_links (table_name, column_name, reason) values
  ('blocks', 'blocked_id',
   'a block is invisible to the blocked party: it is the blocker''s data only'),
  ('conversation_participants', 'conversation_id',
   'the other participant''s read state is theirs (each reads only their own row, linked through user_id)');

-- Indexes
create index conversations_expert_idx on public.conversations (expert_id);
create index messages_conversation_created_idx on public.messages (conversation_id, created_at desc, id desc);
create index messages_sender_created_idx on public.messages (sender_id, created_at desc);
create index conversation_participants_inbox_idx on public.conversation_participants (user_id, last_message_at desc nulls last, conversation_id);
create index conversation_participants_unread_idx on public.conversation_participants (user_id) include (unread_count) where unread_count > 0;
create index blocks_blocked_idx on public.blocks (blocked_id);
create index message_edits_sender_idx on private.message_edits (sender_id, edited_at);

-- Grants and row level security
-- Grants: conversations and read state change only through the functions below; members write
-- message bodies (and stamp a soft delete), block and unblock (reports: message_moderation).
revoke all on private.messaging_settings from public, anon, authenticated, service_role;
revoke all on private.withheld_messages, private.message_edits from public, anon, authenticated, service_role;
revoke all on public.conversations from anon, authenticated;
grant select on public.conversations to authenticated;

alter table public.conversations enable row level security;
revoke all on public.messages from anon, authenticated;
grant select on public.messages to authenticated;
grant insert (conversation_id, body), update (body, deleted_at) on public.messages to authenticated;
alter table public.messages enable row level security;
revoke all on public.conversation_participants from anon, authenticated;
grant select on public.conversation_participants to authenticated;
alter table public.conversation_participants enable row level security;
revoke all on public.blocks from anon, authenticated;
grant select on public.blocks to authenticated;
grant insert (blocked_id) on public.blocks to authenticated;
grant delete on public.blocks to authenticated;
alter table public.blocks enable row level security;

-- Functions
-- Counts the sender's messages of the last minute, direct and in chat rooms (room_messages, rooms):
-- one flood limit for both.
create or replace function private.recent_message_count(sender uuid)
returns integer
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (select count(*)::integer from public.messages m
           where m.sender_id = recent_message_count.sender and m.created_at > now() - interval '1 minute')
       + (select count(*)::integer from public.room_messages m
           where m.sender_id = recent_message_count.sender and m.created_at > now() - interval '1 minute')
       + (select count(*)::integer from private.message_edits e
           where e.sender_id = recent_message_count.sender and e.edited_at > now() - interval '1 minute');
end;
$$;
comment on function private.recent_message_count(uuid) is 'Messages the sender wrote or edited in the last minute (direct and room messages).';

-- Only the helpers that the public RPCs and policies call are executable by clients.
revoke execute on function private.recent_message_count(uuid) from public, anon, authenticated;

-- Flood control for every client-written message table. One sender's sends queue on an advisory
-- lock, so parallel requests cannot all pass the count; the service side is not limited.
create or replace function private.check_send_rate(sender uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  per_minute integer;
  recent integer;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('memberbase.send_rate:' || sender::text, 0));
  -- A new statement after the lock: its snapshot sees the sends the lock waited for. One statement
  -- reads the limit and counts (it runs inside every send).
  select s.messages_per_minute, private.recent_message_count(check_send_rate.sender) into per_minute, recent
    from private.messaging_settings s;
  if recent >= per_minute then
    raise exception 'flood_limit: at most % messages per minute; wait and send again', per_minute
      using errcode = 'PT429', detail = 'flood_limit', hint = 'PostgREST answers this with HTTP 429';
  end if;
end;
$$;
comment on function private.check_send_rate(uuid) is 'Raises PT429 (HTTP 429 through PostgREST, detail flood_limit) when the sender reached messages_per_minute in the last minute.';
revoke execute on function private.check_send_rate(uuid) from public, anon, authenticated;


create or replace function private.is_withheld_message(message_id bigint)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from private.withheld_messages w where w.message_id = is_withheld_message.message_id);
end;
$$;
comment on function private.is_withheld_message(bigint) is 'Whether the message was sent while the recipient blocked the sender (for the read policy; the sender never learns it).';
grant execute on function private.is_withheld_message(bigint) to authenticated, service_role;

-- The request's role (the `role` setting PostgREST sets; security definer does not change it) tells
-- a client request, which is flood-limited, from the service side.
create or replace function private.is_client_request()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return coalesce(current_setting('role', true), 'none') in ('authenticated', 'anon');
end;
$$;
comment on function private.is_client_request() is 'True inside an API request as anon/authenticated (also within security definer functions, unlike current_user).';
-- Only definer triggers ask it (they run as the owner): no API role needs it.
grant execute on function private.is_client_request() to service_role;

create or replace function private.prepare_message()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if private.is_client_request() then
    -- A conversation whose expert is no longer listed (demoted, suspended, unverified) is read-only.
    -- (Nested: room_messages rows, which share this trigger, have no conversation_id.)
    if tg_table_name = 'messages' then
      if not private.is_listed_expert((select c.expert_id from public.conversations c where c.id = new.conversation_id)) then
        raise exception 'this conversation is read-only: the expert is no longer listed'
          using errcode = '42501', detail = 'conversation_read_only';
      end if;
    end if;
    perform private.check_send_rate(new.sender_id);
  end if;
  new.created_at := now();
  new.edited_at := null;
  new.deleted_at := null;
  new.hidden_at := null;
  new.hidden_reason := null;
  new.body := btrim(new.body);
  return new;
end;
$$;
revoke execute on function private.prepare_message() from public, anon, authenticated;

create or replace function private.guard_message_update()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  window_ interval := (select s.edit_window from private.messaging_settings s);
begin
  -- The service side, and moderation (hidden_at and hidden_reason, which no client may write: only
  -- the moderation functions change them), even on a deleted or edited message.
  if not private.is_client_request()
     or (new.body is not distinct from old.body and new.deleted_at is not distinct from old.deleted_at) then
    return new;
  end if;
  if old.deleted_at is not null then
    raise exception 'this message was deleted' using errcode = '22023';
  end if;
  if new.deleted_at is not null then
    new.deleted_at := now();
    new.body := '';
    return new;
  end if;
  if new.body is distinct from old.body then
    if now() - old.created_at > window_ then
      raise exception 'messages can be edited for % after sending', window_ using errcode = '22023', detail = 'edit_window_over';
    end if;
    -- An edit is a send for the flood limit (check_send_rate queues the sender's edits and sends).
    perform private.check_send_rate(new.sender_id);
    delete from private.message_edits e where e.sender_id = new.sender_id and e.edited_at <= now() - interval '1 minute';
    insert into private.message_edits (sender_id) values (new.sender_id);
    new.body := btrim(new.body);
    new.edited_at := now();
  end if;
  return new;
end;
$$;
revoke execute on function private.guard_message_update() from public, anon, authenticated;

-- Sends and reads both write the conversation's two participant rows, each starting from its own
-- side: locking the pair first, always in user order, keeps two people writing at once from
-- deadlocking (a send from each side, or a send and a read).
create or replace function private.lock_conversation_participants(conversation_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform from public.conversation_participants p
   where p.conversation_id = lock_conversation_participants.conversation_id
   order by p.user_id
     for no key update;
end;
$$;
comment on function private.lock_conversation_participants(uuid) is 'Locks a conversation''s participant rows in user order before a send or a read writes them (no deadlock between the two sides).';
revoke execute on function private.lock_conversation_participants(uuid) from public, anon, authenticated;

-- After a message: both participants' rows move on (the recipient's only when the message is not
-- withheld), and the recipient is notified.
create or replace function private.message_sent()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  recipient uuid;
  unread integer;
  withheld boolean;
begin
  -- Withheld when the other participant blocks the sender (recorded privately).
  withheld := exists (select 1 from public.conversations c
                        join public.blocks b on b.blocked_id = new.sender_id
                                            and b.blocker_id = case when c.member_id = new.sender_id then c.expert_id else c.member_id end
                       where c.id = new.conversation_id);
  if withheld then
    insert into private.withheld_messages (message_id) values (new.id);
  end if;
  perform private.lock_conversation_participants(new.conversation_id);
  -- One statement moves both rows on: the sender has read their own message; the recipient has
  -- one more unread and, as their read receipt, the sender's read of it — unless the message is
  -- withheld from them (then their row is left alone, receipt included). copy_read_receipt leaves
  -- sends to this statement (its WHEN skips updates that move last_message_id), which saves a
  -- second update of the recipient's row per message. The recipient is notified of the first
  -- unread message of a conversation only: one notice (and email) until they read it.
  with moved as (
    -- Only forward: two sends at once take ids in one order and these rows in the other, and the
    -- later id must stay the last message (greatest() passes over a null).
    update public.conversation_participants p
       set last_message_id = greatest(p.last_message_id, new.id), last_message_at = greatest(p.last_message_at, new.created_at),
           last_read_message_id = case when p.user_id = new.sender_id then greatest(p.last_read_message_id, new.id) else p.last_read_message_id end,
           last_read_at = case when p.user_id = new.sender_id then greatest(p.last_read_at, new.created_at) else p.last_read_at end,
           unread_count = case when p.user_id = new.sender_id then p.unread_count else p.unread_count + 1 end,
           other_last_read_message_id = case when p.user_id = new.sender_id then p.other_last_read_message_id else greatest(p.other_last_read_message_id, new.id) end,
           other_last_read_at = case when p.user_id = new.sender_id then p.other_last_read_at else greatest(p.other_last_read_at, new.created_at) end
     where p.conversation_id = new.conversation_id and (p.user_id = new.sender_id or not withheld)
    returning p.user_id, p.unread_count)
  select m.user_id, m.unread_count into recipient, unread from moved m where m.user_id <> new.sender_id;
  if recipient is not null and unread = 1 then
    perform private.notify(recipient, 'message_received', 'messages',
                           format('New message from %s', private.party_name(new.sender_id)),
                           left(new.body, 280), jsonb_build_object('conversation_id', new.conversation_id, 'message_id', new.id));
  end if;
  return null;
end;
$$;
revoke execute on function private.message_sent() from public, anon, authenticated;

-- A participant's read state moved: the other participant's row takes it as their read receipt.
create or replace function private.copy_read_receipt()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- A sender reading their own withheld message is no receipt the blocker may see.
  if private.is_withheld_message(new.last_read_message_id) then
    return null;
  end if;
  update public.conversation_participants p
     set other_last_read_message_id = new.last_read_message_id, other_last_read_at = new.last_read_at
   where p.conversation_id = new.conversation_id and p.user_id <> new.user_id;
  return null;
end;
$$;
revoke execute on function private.copy_read_receipt() from public, anon, authenticated;

-- How a person is named to the other party: display name, else "First L.", else "Member".
create or replace function private.party_name(user_id uuid)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return coalesce((select coalesce(nullif(btrim(p.display_name), ''),
                                   nullif(btrim(concat_ws(' ', p.first_name, left(p.last_name, 1) || '.')), ''))
                     from public.profiles p where p.id = party_name.user_id), 'Member');
end;
$$;
comment on function private.party_name(uuid) is 'A person''s name as notifications show it to the other party (server side only).';
revoke execute on function private.party_name(uuid) from public, anon, authenticated;

-- The same for the inbox, which runs as the caller: only people the caller shares a conversation with.
create or replace function private.conversation_party_name(user_id uuid)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from public.conversations c
                  where (c.member_id = (select auth.uid()) and c.expert_id = conversation_party_name.user_id)
                     or (c.expert_id = (select auth.uid()) and c.member_id = conversation_party_name.user_id)) then
    return null;
  end if;
  return private.party_name(user_id);
end;
$$;
comment on function private.conversation_party_name(uuid) is 'party_name() of someone the caller shares a conversation with; null for anyone else.';

-- Clients reach these only through the public RPCs and policies; each checks the caller itself.
grant execute on function private.conversation_party_name(uuid) to authenticated, service_role;

create or replace function private.open_conversation(expert_id uuid)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  found_id uuid;
begin
  if (select private.my_role()) is null then
    raise exception 'your account is not active' using errcode = '42501';
  end if;
  if expert_id is null or expert_id = me then
    raise exception 'choose an expert other than yourself' using errcode = '22023';
  end if;
  -- Only a listed expert is written to, in a new conversation or an old one (a delisted expert's
  -- conversations are read-only: private.prepare_message).
  if not private.is_listed_expert(open_conversation.expert_id) then
    raise exception 'no verified, active expert %', expert_id using errcode = 'PT404';
  end if;
  -- Either orientation: two experts share one conversation whoever opened it.
  select c.id into found_id from public.conversations c
   where (c.member_id = me and c.expert_id = open_conversation.expert_id)
      or (c.member_id = open_conversation.expert_id and c.expert_id = me);
  if found_id is not null then
    return found_id;
  end if;
  insert into public.conversations (member_id, expert_id) values (me, open_conversation.expert_id)
  on conflict on constraint conversations_pair_key do nothing
  returning id into found_id;
  if found_id is null then -- a concurrent call opened it first
    select c.id into found_id from public.conversations c where c.member_id = me and c.expert_id = open_conversation.expert_id;
    return found_id;
  end if;
  insert into public.conversation_participants (conversation_id, user_id)
  values (found_id, me), (found_id, open_conversation.expert_id);
  return found_id;
end;
$$;
comment on function private.open_conversation(uuid) is 'The caller''s conversation with a verified, active expert, opened if needed (members cannot open one with a member).';
revoke execute on function private.open_conversation(uuid) from public, anon, authenticated;
grant execute on function private.open_conversation(uuid) to authenticated, service_role;

create or replace function private.mark_conversation_read(conversation_id uuid)
returns public.conversation_participants
language plpgsql
security definer
set search_path = ''
as $$
declare
  result public.conversation_participants;
begin
  -- Its receipt trigger writes the other participant's row: take both in the order sends do (only
  -- a participant's call locks anything).
  if exists (select 1 from public.conversation_participants p
              where p.conversation_id = mark_conversation_read.conversation_id and p.user_id = (select auth.uid())) then
    perform private.lock_conversation_participants(mark_conversation_read.conversation_id);
  end if;
  update public.conversation_participants p
     set last_read_message_id = p.last_message_id, last_read_at = now(), unread_count = 0
   where p.conversation_id = mark_conversation_read.conversation_id and p.user_id = (select auth.uid())
  returning * into result;
  if not found then
    raise exception 'no conversation % of yours', conversation_id using errcode = 'PT404';
  end if;
  return result;
end;
$$;
revoke execute on function private.mark_conversation_read(uuid) from public, anon, authenticated;
grant execute on function private.mark_conversation_read(uuid) to authenticated, service_role;

-- Public RPCs (security invoker; the private helpers above hold the elevated parts)
create or replace function public.start_conversation(expert_id uuid, body text)
returns public.conversations
language plpgsql
security invoker
set search_path = ''
as $$
declare
  conversation_id uuid;
  result public.conversations;
begin
  perform private.require_text_value('body', start_conversation.body);
  perform private.require_member();
  conversation_id := private.open_conversation(expert_id);
  insert into public.messages (conversation_id, body) values (conversation_id, body);
  select * into result from public.conversations c where c.id = conversation_id;
  return result;
end;
$$;
comment on function public.start_conversation(uuid, text) is 'Opens (or reuses) the caller''s conversation with a verified, active expert and sends the first message.';
revoke execute on function public.start_conversation(uuid, text) from public, anon;
grant execute on function public.start_conversation(uuid, text) to authenticated, service_role;

create or replace function public.mark_conversation_read(conversation_id uuid)
returns public.conversation_participants
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform private.require_member();
  return private.mark_conversation_read(conversation_id);
end;
$$;
comment on function public.mark_conversation_read(uuid) is 'Marks everything the caller can see in the conversation read (the other side sees the receipt).';
revoke execute on function public.mark_conversation_read(uuid) from public, anon;
grant execute on function public.mark_conversation_read(uuid) to authenticated, service_role;

create or replace function public.inbox(page_size integer default 20, before timestamptz default null)
returns table (conversation_id uuid, other_id uuid, other_name text, last_message_id bigint, last_message_preview text,
               last_message_sender_id uuid, last_message_at timestamptz, unread_count integer, other_last_read_message_id bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  perform private.require_member();
  if page_size is null or page_size not between 1 and 100 then
    raise exception 'page_size must be between 1 and 100' using errcode = '22023';
  end if;
  return query
    select p.conversation_id, o.other_id, private.conversation_party_name(o.other_id), p.last_message_id,
           case when m.deleted_at is not null then null else left(m.body, 140) end,
           m.sender_id, p.last_message_at, p.unread_count, p.other_last_read_message_id
      from public.conversation_participants p
      join public.conversations c on c.id = p.conversation_id
      cross join lateral (select case when c.member_id = p.user_id then c.expert_id else c.member_id end as other_id) o
      left join public.messages m on m.id = p.last_message_id
     where p.user_id = (select auth.uid())
       and (inbox.before is null or p.last_message_at < inbox.before)
     order by p.last_message_at desc nulls last, p.conversation_id
     limit page_size;
end;
$$;
comment on function public.inbox(integer, timestamptz) is 'The caller''s conversations, newest first: the other party, last visible message (preview), unread count and the other side''s read receipt. Page with before = the last row''s last_message_at.';
revoke execute on function public.inbox(integer, timestamptz) from public, anon;
grant execute on function public.inbox(integer, timestamptz) to authenticated, service_role;

create or replace function public.unread_counts()
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  perform private.require_member();
  return jsonb_build_object(
    'messages', (select coalesce(sum(p.unread_count), 0)::integer from public.conversation_participants p
                  where p.user_id = (select auth.uid()) and p.unread_count > 0),
    'notifications', (select count(*)::integer from public.notifications n where n.user_id = (select auth.uid()) and n.read_at is null));
end;
$$;
comment on function public.unread_counts() is 'The unread badge: unread direct messages (and, with chat rooms, nothing more) and unread notifications.';
revoke execute on function public.unread_counts() from public, anon;
grant execute on function public.unread_counts() to authenticated, service_role;

-- Triggers
create trigger messages_prepare before insert on public.messages for each row execute function private.prepare_message();
create trigger messages_guard before update on public.messages for each row execute function private.guard_message_update();
create trigger messages_sent after insert on public.messages for each row execute function private.message_sent();
-- Reads only: a send (last_message_id moves) copies the sender's receipt in message_sent's own update.
create trigger conversation_participants_receipt after update of last_read_message_id on public.conversation_participants
  for each row when (old.last_read_message_id is distinct from new.last_read_message_id
                     and old.last_message_id is not distinct from new.last_message_id)
  execute function private.copy_read_receipt();

-- Policies
-- The read policy of public.messages is message_moderation's, beside private.reported_message_ids(),
-- which its admin arm calls.
create policy "Participants can read their conversations" on public.conversations
  for select to authenticated
  using ((select auth.uid()) = member_id or (select auth.uid()) = expert_id);

create policy "Active participants can send messages in their conversations" on public.messages
  for insert to authenticated
  with check (sender_id = (select auth.uid()) and (select private.my_role()) is not null
              and exists (select 1 from public.conversations c
                           where c.id = conversation_id and ((select auth.uid()) = c.member_id or (select auth.uid()) = c.expert_id)));

create policy "Senders can edit or delete their own visible messages" on public.messages
  for update to authenticated
  using (sender_id = (select auth.uid()) and hidden_at is null and deleted_at is null)
  with check (sender_id = (select auth.uid()));

create policy "Inactive members cannot send messages" on public.messages
  as restrictive for insert to authenticated with check ((select private.is_active_member()));

create policy "Inactive members cannot edit messages" on public.messages
  as restrictive for update to authenticated with check ((select private.is_active_member()));

create policy "Participants can read their own read state" on public.conversation_participants
  for select to authenticated
  using ((select auth.uid()) = user_id);

create policy "Members can see whom they block" on public.blocks
  for select to authenticated using ((select auth.uid()) = blocker_id);

create policy "Members can block others" on public.blocks
  for insert to authenticated with check ((select auth.uid()) = blocker_id);

create policy "Members can unblock" on public.blocks
  for delete to authenticated using ((select auth.uid()) = blocker_id);

create policy "Inactive members cannot block" on public.blocks
  as restrictive for insert to authenticated with check ((select private.is_active_member()));

-- Realtime: clients subscribe to messages and read state (RLS decides what each subscriber gets).
alter publication supabase_realtime add table public.messages, public.conversation_participants;
