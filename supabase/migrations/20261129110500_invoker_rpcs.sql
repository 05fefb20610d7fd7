-- RPCs run as their caller: every function PostgREST exposes is security invoker. The ones that
-- need elevated rights (reading expert locations, writing bookings, the ledger, ...) keep their
-- body, unchanged, as private.<same name> (security definer, in a schema PostgREST does not
-- expose), and public.<name> becomes a one-line security invoker wrapper with the same signature,
-- defaults, result, comment and grants. Supabase's advisors then report no
-- anon/authenticated_security_definer_function_executable, and a reader finds the body of
-- public.create_booking in private.create_booking. (nearby_experts was split this way in
-- 20261129110300_location_privacy.sql.) New RPCs follow the same pattern.

-- Functions. Per RPC: move the definer function to private (it keeps its grants: the wrapper calls it
-- with the caller's rights), then create the invoker wrapper in public, with the old comment, callable
-- by exactly the roles that could call the function before. (No check here that public has no
-- definer function left: a branch landing in another order may add one; test/advisors.test.ts fails
-- on it instead.)

-- accept_terms
alter function public.accept_terms(text) set schema private;
comment on function private.accept_terms(text) is 'The elevated body of public.accept_terms() (security definer; the public wrapper is security invoker).';
create function public.accept_terms(version text)
returns public.onboarding
language sql
volatile
security invoker
set search_path = ''
as $$ select private.accept_terms($1) $$;
comment on function public.accept_terms(text) is 'Records the member accepting a terms version (time + version).';
revoke execute on function public.accept_terms(text) from public, anon, authenticated, service_role;
grant execute on function public.accept_terms(text) to authenticated, service_role;

-- complete_onboarding_step
alter function public.complete_onboarding_step(text) set schema private;
comment on function private.complete_onboarding_step(text) is 'The elevated body of public.complete_onboarding_step() (security definer; the public wrapper is security invoker).';
create function public.complete_onboarding_step(step text)
returns public.onboarding
language sql
volatile
security invoker
set search_path = ''
as $$ select private.complete_onboarding_step($1) $$;
comment on function public.complete_onboarding_step(text) is 'Marks one wizard step (profile | privacy | location) done for the caller.';
revoke execute on function public.complete_onboarding_step(text) from public, anon, authenticated, service_role;
grant execute on function public.complete_onboarding_step(text) to authenticated, service_role;

-- request_account_deletion
alter function public.request_account_deletion(text) set schema private;
comment on function private.request_account_deletion(text) is 'The elevated body of public.request_account_deletion() (security definer; the public wrapper is security invoker).';
create function public.request_account_deletion(reason text default null)
returns public.data_deletion_requests
language sql
volatile
security invoker
set search_path = ''
as $$ select private.request_account_deletion($1) $$;
comment on function public.request_account_deletion(text) is 'Files a deletion request, processed after a 7-day grace period the member can cancel.';
revoke execute on function public.request_account_deletion(text) from public, anon, authenticated, service_role;
grant execute on function public.request_account_deletion(text) to authenticated, service_role;

-- cancel_account_deletion
alter function public.cancel_account_deletion(uuid) set schema private;
comment on function private.cancel_account_deletion(uuid) is 'The elevated body of public.cancel_account_deletion() (security definer; the public wrapper is security invoker).';
create function public.cancel_account_deletion(request_id uuid)
returns public.data_deletion_requests
language sql
volatile
security invoker
set search_path = ''
as $$ select private.cancel_account_deletion($1) $$;
revoke execute on function public.cancel_account_deletion(uuid) from public, anon, authenticated, service_role;
grant execute on function public.cancel_account_deletion(uuid) to authenticated, service_role;

-- create_booking
alter function public.create_booking(uuid, timestamp with time zone, integer, text) set schema private;
comment on function private.create_booking(uuid, timestamp with time zone, integer, text) is 'The elevated body of public.create_booking() (security definer; the public wrapper is security invoker).';
create function public.create_booking(expert_id uuid, scheduled_at timestamp with time zone, duration_minutes integer, note text default null)
returns public.bookings
language sql
volatile
security invoker
set search_path = ''
as $$ select private.create_booking($1, $2, $3, $4) $$;
comment on function public.create_booking(uuid, timestamp with time zone, integer, text) is 'Member requests a consultation; price = expert rate x duration.';
revoke execute on function public.create_booking(uuid, timestamp with time zone, integer, text) from public, anon, authenticated, service_role;
grant execute on function public.create_booking(uuid, timestamp with time zone, integer, text) to authenticated, service_role;

-- set_booking_status
alter function public.set_booking_status(uuid, public.booking_status) set schema private;
comment on function private.set_booking_status(uuid, public.booking_status) is 'The elevated body of public.set_booking_status() (security definer; the public wrapper is security invoker).';
create function public.set_booking_status(booking_id uuid, new_status public.booking_status)
returns public.bookings
language sql
volatile
security invoker
set search_path = ''
as $$ select private.set_booking_status($1, $2) $$;
comment on function public.set_booking_status(uuid, public.booking_status) is 'The lifecycle: experts confirm/complete, either side cancels before completion.';
revoke execute on function public.set_booking_status(uuid, public.booking_status) from public, anon, authenticated, service_role;
grant execute on function public.set_booking_status(uuid, public.booking_status) to authenticated, service_role;

-- expert_favorites_count
alter function public.expert_favorites_count(uuid) set schema private;
comment on function private.expert_favorites_count(uuid) is 'The elevated body of public.expert_favorites_count() (security definer; the public wrapper is security invoker).';
create function public.expert_favorites_count(expert_id uuid)
returns integer
language sql
stable
security invoker
set search_path = ''
as $$ select private.expert_favorites_count($1) $$;
comment on function public.expert_favorites_count(uuid) is 'How many members have favorited an expert (a count only; who is never revealed).';
revoke execute on function public.expert_favorites_count(uuid) from public, anon, authenticated, service_role;
grant execute on function public.expert_favorites_count(uuid) to anon, authenticated, service_role;

-- record_search
alter function public.record_search(text, jsonb) set schema private;
comment on function private.record_search(text, jsonb) is 'The elevated body of public.record_search() (security definer; the public wrapper is security invoker).';
create function public.record_search(query text, filters jsonb default '{}')
returns public.search_history
language sql
volatile
security invoker
set search_path = ''
as $$ select private.record_search($1, $2) $$;
comment on function public.record_search(text, jsonb) is 'Records a search in the caller''s history when search history is enabled; returns null when it is off.';
revoke execute on function public.record_search(text, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.record_search(text, jsonb) to authenticated, service_role;

-- set_my_location
alter function public.set_my_location(double precision, double precision, text, text) set schema private;
comment on function private.set_my_location(double precision, double precision, text, text) is 'The elevated body of public.set_my_location() (security definer; the public wrapper is security invoker).';
create function public.set_my_location(lat double precision, lng double precision, city text default null, area text default null)
returns public.member_locations
language sql
volatile
security invoker
set search_path = ''
as $$ select private.set_my_location($1, $2, $3, $4) $$;
comment on function public.set_my_location(double precision, double precision, text, text) is 'Stores the caller''s location (WGS 84 degrees) with an optional city and area.';
revoke execute on function public.set_my_location(double precision, double precision, text, text) from public, anon, authenticated, service_role;
grant execute on function public.set_my_location(double precision, double precision, text, text) to authenticated, service_role;

-- set_expert_location
alter function public.set_expert_location(double precision, double precision, text, text) set schema private;
comment on function private.set_expert_location(double precision, double precision, text, text) is 'The elevated body of public.set_expert_location() (security definer; the public wrapper is security invoker).';
create function public.set_expert_location(lat double precision, lng double precision, city text default null, area text default null)
returns public.expert_locations
language sql
volatile
security invoker
set search_path = ''
as $$ select private.set_expert_location($1, $2, $3, $4) $$;
comment on function public.set_expert_location(double precision, double precision, text, text) is 'Stores where the calling expert works; only distances to it are ever shown to members.';
revoke execute on function public.set_expert_location(double precision, double precision, text, text) from public, anon, authenticated, service_role;
grant execute on function public.set_expert_location(double precision, double precision, text, text) to authenticated, service_role;

-- member_area
alter function public.member_area(uuid) set schema private;
comment on function private.member_area(uuid) is 'The elevated body of public.member_area() (security definer; the public wrapper is security invoker).';
create function public.member_area(member_id uuid)
returns table (city text, area text)
language sql
stable
security invoker
set search_path = ''
as $$ select * from private.member_area($1) $$;
comment on function public.member_area(uuid) is 'A member''s city and area, for the member and (when show_location is on) the experts they booked; no row otherwise.';
revoke execute on function public.member_area(uuid) from public, anon, authenticated, service_role;
grant execute on function public.member_area(uuid) to authenticated, service_role;

-- expert_reviews
alter function public.expert_reviews(uuid, integer, integer) set schema private;
comment on function private.expert_reviews(uuid, integer, integer) is 'The elevated body of public.expert_reviews() (security definer; the public wrapper is security invoker).';
create function public.expert_reviews(expert_id uuid, page_size integer default 20, page_offset integer default 0)
returns table (id uuid, rating smallint, title text, body text, author_name text, created_at timestamp with time zone, updated_at timestamp with time zone)
language sql
stable
security invoker
set search_path = ''
as $$ select * from private.expert_reviews($1, $2, $3) $$;
comment on function public.expert_reviews(uuid, integer, integer) is 'Public list of a verified expert''s visible reviews, newest first; authors shown as "First L." without ids.';
revoke execute on function public.expert_reviews(uuid, integer, integer) from public, anon, authenticated, service_role;
grant execute on function public.expert_reviews(uuid, integer, integer) to anon, authenticated, service_role;

-- open_support_ticket
alter function public.open_support_ticket(text, text, public.ticket_category) set schema private;
comment on function private.open_support_ticket(text, text, public.ticket_category) is 'The elevated body of public.open_support_ticket() (security definer; the public wrapper is security invoker).';
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

-- admin_adjust_credits
alter function public.admin_adjust_credits(uuid, integer, text, text) set schema private;
comment on function private.admin_adjust_credits(uuid, integer, text, text) is 'The elevated body of public.admin_adjust_credits() (security definer; the public wrapper is security invoker).';
create function public.admin_adjust_credits(user_id uuid, amount_cents integer, reference text, memo text default null)
returns public.credit_transactions
language sql
volatile
security invoker
set search_path = ''
as $$ select private.admin_adjust_credits($1, $2, $3, $4) $$;
comment on function public.admin_adjust_credits(uuid, integer, text, text) is 'Admin correction of a member''s credits (never their own); reference makes retries idempotent.';
revoke execute on function public.admin_adjust_credits(uuid, integer, text, text) from public, anon, authenticated, service_role;
grant execute on function public.admin_adjust_credits(uuid, integer, text, text) to authenticated, service_role;

-- affiliate_stats
alter function public.affiliate_stats() set schema private;
comment on function private.affiliate_stats() is 'The elevated body of public.affiliate_stats() (security definer; the public wrapper is security invoker).';
create function public.affiliate_stats()
returns public.affiliate_summary
language sql
volatile
security invoker
set search_path = ''
as $$ select private.affiliate_stats() $$;
comment on function public.affiliate_stats() is 'The caller''s referral code, their referrals by status, credits earned from referrals and balance.';
revoke execute on function public.affiliate_stats() from public, anon, authenticated, service_role;
grant execute on function public.affiliate_stats() to authenticated, service_role;

-- quote_credits
alter function public.quote_credits(uuid) set schema private;
comment on function private.quote_credits(uuid) is 'The elevated body of public.quote_credits() (security definer; the public wrapper is security invoker).';
create function public.quote_credits(booking_id uuid)
returns public.credit_quote
language sql
stable
security invoker
set search_path = ''
as $$ select private.quote_credits($1) $$;
comment on function public.quote_credits(uuid) is 'How many credits the caller may apply to their booking: min(balance, floor(price x cap)); 0 once applied or when the booking is closed.';
revoke execute on function public.quote_credits(uuid) from public, anon, authenticated, service_role;
grant execute on function public.quote_credits(uuid) to authenticated, service_role;

-- apply_credits
alter function public.apply_credits(uuid, integer) set schema private;
comment on function private.apply_credits(uuid, integer) is 'The elevated body of public.apply_credits() (security definer; the public wrapper is security invoker).';
create function public.apply_credits(booking_id uuid, amount_cents integer default null)
returns public.bookings
language sql
volatile
security invoker
set search_path = ''
as $$ select private.apply_credits($1, $2) $$;
comment on function public.apply_credits(uuid, integer) is 'Pays part of the caller''s booking with credits (default: as much as allowed); atomic and idempotent per booking.';
revoke execute on function public.apply_credits(uuid, integer) from public, anon, authenticated, service_role;
grant execute on function public.apply_credits(uuid, integer) to authenticated, service_role;
