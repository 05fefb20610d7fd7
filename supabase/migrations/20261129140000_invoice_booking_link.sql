-- A booking's card payment points at its booking again (invoices.booking_id is a real foreign key),
-- and the catalog keeps it the payer's record only. Billing and messaging were written side by side;
-- both needed an entry in member_link_exclusions(), so the list is written here once with both.

-- Tables
alter table public.invoices
  add constraint invoices_booking_id_fkey foreign key (booking_id) references public.bookings (id) on delete set null;
comment on column public.invoices.booking_id is 'The booking a card payment pays (price minus credits); null for subscription invoices and once the booking is gone. The payer''s record only (member_link_exclusions).';

-- Functions
create or replace function private.member_link_exclusions()
returns table (table_name text, column_name text, reason text)
language sql
immutable
set search_path = ''
as $$
  values
    ('bookings', 'cancelled_by',
     'who cancelled: a member or expert who cancels is already a party (member_id / expert_id); an admin cancelling other people''s bookings does not make them the admin''s data'),
    ('favorites', 'expert_id',
     'which members favourited an expert is each of those members'' private list, not the expert''s data'),
    ('ticket_messages', 'author_id',
     'staff replies and internal notes on other members'' tickets belong to those members'' records; a member''s own messages are reached through their tickets (ticket_id)'),
    ('blocks', 'blocked_id',
     'a block is invisible to the blocked party: it is the blocker''s data only'),
    ('message_reports', 'message_id',
     'a report belongs to its reporter; the reported party (and the other participant) must not learn who reported them'),
    ('message_reports', 'resolved_by',
     'an admin resolving other people''s reports does not make the reports the admin''s data'),
    ('invoices', 'booking_id',
     'a booking''s card payment is the paying member''s billing record (reached through user_id), not the expert''s, though the booking is both of theirs')
$$;
