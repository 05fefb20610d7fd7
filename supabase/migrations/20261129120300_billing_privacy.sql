-- Billing and privacy: a booking's card payment (invoices.booking_id) is the paying member's
-- record, reached through invoices.user_id; the expert of that booking must not find it in their
-- data export through the booking. The rest of billing follows the catalog as it is: the member's
-- customer link, subscriptions, cards and invoices are exported, and on deletion cascade away
-- except invoices, which accounting keeps (user_id set null, hosted URL cleared by a trigger).

-- Functions
create or replace function private.member_link_exclusions()
returns table (table_name text, column_name text, reason text)
language sql
immutable
set search_path = ''
as $$
  -- Entries for tables another capability has not created yet are simply unused.
  values
    ('bookings', 'cancelled_by',
     'who cancelled: a member or expert who cancels is already a party (member_id / expert_id); an admin cancelling other people''s bookings does not make them the admin''s data'),
    ('favorites', 'expert_id',
     'which members favourited an expert is each of those members'' private list, not the expert''s data'),
    ('ticket_messages', 'author_id',
     'staff replies and internal notes on other members'' tickets belong to those members'' records; a member''s own messages are reached through their tickets (ticket_id)'),
    ('invoices', 'booking_id',
     'a booking''s card payment is the paying member''s billing record (reached through user_id), not the expert''s, though the booking is both of theirs')
$$;
