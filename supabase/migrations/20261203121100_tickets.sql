-- Support tickets: a member opens a ticket (open_support_ticket), member and support staff (admins)
-- reply in ticket_messages; only admins change status/priority/category and write internal notes,
-- which members never see. Replies move the status along: a staff reply to an open ticket makes it
-- pending (waiting for the member); a member reply to a pending or resolved ticket reopens it.

-- Types
create type public.ticket_status as enum ('open', 'pending', 'resolved', 'closed');

create type public.ticket_priority as enum ('low', 'normal', 'high', 'urgent');

create type public.ticket_category as enum ('account', 'booking', 'billing', 'credits', 'technical', 'other');

-- Tables
create table public.support_tickets (
  id uuid primary key default gen_random_uuid(),
  member_id uuid not null references public.profiles (id) on delete cascade,
  subject text not null check (char_length(btrim(subject)) between 1 and 200),
  category public.ticket_category not null default 'other',
  status public.ticket_status not null default 'open',
  priority public.ticket_priority not null default 'normal',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_message_at timestamptz not null default now(),
  resolved_at timestamptz,
  closed_at timestamptz,
  -- Input hygiene (foundation): the rule of each field others see.
  constraint support_tickets_subject_plain check (private.is_plain_line(subject))
);
comment on table public.support_tickets is 'A member''s support request; opened through open_support_ticket(), triaged by admins.';
comment on column public.support_tickets.status is 'open (needs staff) | pending (needs the member) | resolved | closed (no more replies); admins set it, replies move it.';
comment on column public.support_tickets.last_message_at is 'Time of the last message the member can see (internal notes do not move it).';

create table public.ticket_messages (
  id bigint generated always as identity primary key,
  ticket_id uuid not null references public.support_tickets (id) on delete cascade,
  author_id uuid references public.profiles (id) on delete set null,
  body text not null check (char_length(btrim(body)) between 1 and 8000),
  is_internal boolean not null default false,
  created_at timestamptz not null default now(),
  -- Input hygiene (foundation): the rule of each field others see.
  constraint ticket_messages_body_plain check (private.is_plain_text(body))
);
comment on table public.ticket_messages is 'The conversation of a ticket, append-only. Internal notes are for admins only.';
comment on column public.ticket_messages.is_internal is 'Staff-only note: never visible to the member, written only by admins.';

-- Links the data export and the deletion check do not follow (privacy), with the reason.
insert into private.excluded_member_links (table_name, column_name, reason) values
  ('ticket_messages', 'author_id',
   'staff replies and internal notes on other members'' tickets belong to those members'' records; a member''s own messages are reached through their tickets (ticket_id)');

-- Indexes
create index support_tickets_member_idx on public.support_tickets (member_id, status, last_message_at desc);
create index support_tickets_queue_idx on public.support_tickets (status, priority, last_message_at);
create index ticket_messages_ticket_idx on public.ticket_messages (ticket_id, created_at, id);
create index ticket_messages_author_idx on public.ticket_messages (author_id);

-- Grants and row level security
alter table public.support_tickets enable row level security;

-- Grants: tickets are opened by the RPC; admins triage through column grants; messages are append-only.
revoke all on public.support_tickets from anon, authenticated;
grant select on public.support_tickets to authenticated;
grant update (status, priority, category) on public.support_tickets to authenticated;

alter table public.ticket_messages enable row level security;

revoke all on public.ticket_messages from anon, authenticated;
grant select on public.ticket_messages to authenticated;
grant insert (ticket_id, body, is_internal) on public.ticket_messages to authenticated;

-- Functions
create or replace function private.open_support_ticket(subject text, body text, category public.ticket_category default 'other')
returns public.support_tickets
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  result public.support_tickets;
begin
  perform private.require_text_value('subject', open_support_ticket.subject);
  perform private.require_text_value('body', open_support_ticket.body);
  perform private.require_signed_in();
  if coalesce(category, 'other') <> 'account' and not private.account_active(me) then
    raise exception 'your account is not active: you can open tickets in the account category only' using errcode = '42501';
  end if;
  if subject is null or char_length(btrim(subject)) not between 1 and 200 then
    raise exception 'subject must be 1-200 characters' using errcode = '22023';
  end if;
  if body is null or char_length(btrim(body)) not between 1 and 8000 then
    raise exception 'body must be 1-8000 characters' using errcode = '22023';
  end if;
  -- A bound on unanswered tickets per member keeps the support queue from being flooded.
  if (select count(*) from public.support_tickets t where t.member_id = me and t.status in ('open', 'pending')) >= 20 then
    raise exception 'you have 20 tickets in progress; reply to one of them instead' using errcode = '22023';
  end if;
  insert into public.support_tickets (member_id, subject, category)
  values (me, btrim(subject), coalesce(category, 'other'))
  returning * into result;
  insert into public.ticket_messages (ticket_id, author_id, body) values (result.id, me, body);
  perform private.record_activity(me, 'ticket_opened', 'support_ticket', result.id::text,
                                  jsonb_build_object('subject', result.subject, 'category', result.category));
  return result;
end;
$$;
grant execute on function private.open_support_ticket(text, text, public.ticket_category) to authenticated, service_role;

comment on function private.open_support_ticket(text, text, public.ticket_category) is 'The elevated body of public.open_support_ticket() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.open_support_ticket(subject text, body text, category public.ticket_category default 'other')
returns public.support_tickets
language sql
volatile
security invoker
set search_path = ''
as $$ select private.open_support_ticket($1, $2, $3) $$;
comment on function public.open_support_ticket(text, text, public.ticket_category) is 'Opens a ticket with its first message for the caller.';
revoke execute on function public.open_support_ticket(text, text, public.ticket_category) from public, anon, authenticated, service_role;
grant execute on function public.open_support_ticket(text, text, public.ticket_category) to authenticated, service_role;

-- Security invoker on purpose: the ticket is looked up under the caller's RLS, and
-- is_privileged_session() must see the caller's role.
create or replace function private.check_new_ticket_message()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  t record;
begin
  if new.author_id is null or not private.is_privileged_session() then
    new.author_id := (select auth.uid());
  end if;
  select s.member_id, s.status into t from public.support_tickets s where s.id = new.ticket_id;
  if not found then
    raise exception 'no ticket % of yours', new.ticket_id using errcode = 'PT404';
  end if;
  if new.is_internal and not private.is_privileged_session() then
    raise exception 'only support staff write internal notes' using errcode = '42501';
  end if;
  if t.status = 'closed' and not private.is_privileged_session() then
    raise exception 'this ticket is closed; open a new one' using errcode = '22023';
  end if;
  new.created_at := now();
  return new;
end;
$$;

create or replace function private.ticket_message_added()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  t public.support_tickets;
begin
  if new.is_internal then
    return new;
  end if;
  select * into t from public.support_tickets s where s.id = new.ticket_id for update;
  if new.author_id is not distinct from t.member_id then
    update public.support_tickets s
       set last_message_at = new.created_at,
           status = case when s.status in ('pending', 'resolved') then 'open' else s.status end
     where s.id = t.id;
  else
    update public.support_tickets s
       set last_message_at = new.created_at,
           status = case when s.status = 'open' then 'pending' else s.status end
     where s.id = t.id;
    perform private.notify(t.member_id, 'support_reply', 'messages', format('Support replied: %s', t.subject),
                           left(new.body, 280), jsonb_build_object('ticket_id', t.id, 'message_id', new.id));
  end if;
  return new;
end;
$$;

create or replace function private.guard_ticket_columns()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if (new.status, new.priority, new.category) is distinct from (old.status, old.priority, old.category)
     and not private.is_privileged_session() then
    raise exception 'only support staff change a ticket''s status, priority or category' using errcode = '42501';
  end if;
  if current_user::text in ('authenticated', 'anon')
     and (new.member_id, new.subject, new.created_at) is distinct from (old.member_id, old.subject, old.created_at) then
    raise exception 'a ticket''s member, subject and creation time do not change' using errcode = '42501';
  end if;
  new.updated_at := now();
  if new.status is distinct from old.status then
    new.resolved_at := case when new.status in ('resolved', 'closed') then coalesce(old.resolved_at, now()) end;
    new.closed_at := case when new.status = 'closed' then now() end;
  end if;
  return new;
end;
$$;

create or replace function private.ticket_status_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.status in ('resolved', 'closed') then
    perform private.notify(new.member_id, 'ticket_status', 'messages', format('Ticket %s: %s', new.status, new.subject),
                           null, jsonb_build_object('ticket_id', new.id, 'status', new.status));
  end if;
  return new;
end;
$$;

-- Triggers
-- Later capabilities hang triggers on public.support_tickets beside the functions they run:
-- support_tickets_priority_support (entitlements).
create trigger support_tickets_guard before update on public.support_tickets for each row execute function private.guard_ticket_columns();
create trigger support_tickets_status_changed after update of status on public.support_tickets
  for each row when (new.status is distinct from old.status) execute function private.ticket_status_changed();
create trigger ticket_messages_check_new before insert on public.ticket_messages for each row execute function private.check_new_ticket_message();
create trigger ticket_messages_added after insert on public.ticket_messages for each row execute function private.ticket_message_added();

-- Policies
create policy "Admins can triage every ticket" on public.support_tickets
  for update to authenticated using ((select private.is_admin())) with check ((select private.is_admin()));

create policy "Members read their own tickets, admins every one" on public.support_tickets
  for select to authenticated using ((select auth.uid()) = member_id or id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');

create policy "Members read public messages of own tickets, admins all" on public.ticket_messages
  for select to authenticated
  using ((not is_internal
          and ticket_id = any (array(select t.id from public.support_tickets t where t.member_id = (select auth.uid()))))
         or id between (select private.admin_bigint_floor()) and 9223372036854775807);

create policy "Members reply to own open tickets, admins to every ticket" on public.ticket_messages
  for insert to authenticated
  with check ((select auth.uid()) = author_id
              and ((not is_internal and exists (select 1 from public.support_tickets t
                                                 where t.id = ticket_id and t.member_id = (select auth.uid()) and t.status <> 'closed'))
                   or (select private.is_admin())));
