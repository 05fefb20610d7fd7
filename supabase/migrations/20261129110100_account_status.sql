-- Account status, enforced in the database. profiles.status is set by admins (audited) or the
-- service role. 'suspended' (an admin's measure, may be lifted) and 'deactivated' (the account is
-- closed, e.g. before deletion) mean the same for every capability: the member is INACTIVE.
--
--   capability                                          active   inactive (suspended / deactivated)
--   read own rows, member_stats/dashboard/histories     yes      yes
--   data export, account deletion (request / cancel)    yes      yes
--   delete own rows (favorites, searches, locations,    yes      yes
--     reviews), clear search history
--   privacy, notification, email and other settings;    yes      yes  (withdrawing consent and
--     mark notifications read                                         muting mail stay possible)
--   cancel own bookings (credits are refunded)          yes      yes
--   reply to own support tickets                        yes      yes
--   open a support ticket                               yes      only category 'account' (an appeal)
--   edit profile / expert profile, favorite, review,    yes      no (42501)
--     save searches, record searches, set a location,
--     nearby search, book, confirm/complete bookings,
--     apply credits, onboarding steps, see a member's
--     area
--   be listed or booked as an expert, public profile,   yes      no (hidden as if unverified)
--     public reviews, favorites count
--   admin powers                                        yes      no (private.is_admin() needs active)
--   earn referral credits                               yes      no (credit_referral: *_inactive)

-- Functions
create or replace function private.account_active(user_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.profiles p where p.id = account_active.user_id and p.status = 'active');
end;
$$;
comment on function private.account_active(uuid) is 'True when the member exists and is active; for policies and RPCs that show or book experts.';
grant execute on function private.account_active(uuid) to anon, authenticated, service_role;

create or replace function private.is_active_member()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return private.account_active((select auth.uid()));
end;
$$;
comment on function private.is_active_member() is 'True when the caller is a signed-in, active member; restrictive write policies use it as (select private.is_active_member()).';
grant execute on function private.is_active_member() to authenticated, service_role;

-- Signed in, whatever the status: for reading and deleting one's own data.
create or replace function private.require_signed_in()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  if me is null then
    raise exception 'sign in first' using errcode = '28000';
  end if;
  return me;
end;
$$;
comment on function private.require_signed_in() is 'Raises unless a member is signed in (any status); for RPCs that read or delete the caller''s own data.';
grant execute on function private.require_signed_in() to authenticated, service_role;

-- Every member RPC that acts (rather than reads) starts with this one: signed in AND active.
create or replace function private.require_member()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  me uuid := private.require_signed_in();
begin
  if not private.account_active(me) then
    raise exception 'your account is %: this is not available until it is active again',
      coalesce((select p.status::text from public.profiles p where p.id = me), 'not set up') using errcode = '42501';
  end if;
  return me;
end;
$$;
comment on function private.require_member() is 'Raises unless the caller is a signed-in, active member (suspended and deactivated members are refused).';

-- RPCs that only read or delete the caller's own data stay available to inactive members.
select private.patch_function(f, 'perform private.require_member();',
                              'perform private.require_signed_in(); -- reading or deleting own data: any account status')
  from unnest(array['public.member_stats()', 'public.member_dashboard()', 'public.spending_history(integer)',
                    'public.consultation_history(integer, integer)', 'public.clear_search_history()',
                    'public.request_account_deletion(text)']::regprocedure[]) f;

-- Support: an inactive member may still open an 'account' ticket, to appeal or ask why.
select private.patch_function('public.open_support_ticket(text, text, public.ticket_category)'::regprocedure,
  'perform private.require_member();',
  'perform private.require_signed_in();
  if coalesce(category, ''other'') <> ''account'' and not private.account_active(me) then
    raise exception ''your account is not active: you can open tickets in the account category only'' using errcode = ''42501'';
  end if;');

-- Bookings: an inactive member may cancel, nothing else; an inactive expert cannot be booked.
select private.patch_function('public.set_booking_status(uuid, public.booking_status)'::regprocedure,
  'allowed := case',
  'if new_status <> ''cancelled'' then
    perform private.require_member();
  end if;
  allowed := case');
select private.patch_function('public.create_booking(uuid, timestamp with time zone, integer, text)'::regprocedure,
  'if not found or e.verification_status <> ''verified'' or not e.is_available then',
  'if not found or e.verification_status <> ''verified'' or not e.is_available or not private.account_active(e.id) then');

-- An inactive expert is not public: no reviews list, no favorites count; and sees no member's area.
select private.patch_function('public.expert_reviews(uuid, integer, integer)'::regprocedure,
  'join public.expert_profiles e on e.id = r.expert_id and e.verification_status = ''verified''',
  'join public.expert_profiles e on e.id = r.expert_id and e.verification_status = ''verified'' and private.account_active(e.id)');
select private.patch_function('public.expert_favorites_count(uuid)'::regprocedure,
  'and (e.verification_status = ''verified'' or e.id = me or private.is_admin())',
  'and ((e.verification_status = ''verified'' and private.account_active(e.id)) or e.id = me or private.is_admin())');
select private.patch_function('public.member_area(uuid)'::regprocedure,
  'where b.member_id = m.member_id and b.expert_id = (select auth.uid()) and b.status <> ''cancelled'')',
  'where b.member_id = m.member_id and b.expert_id = (select auth.uid()) and b.status <> ''cancelled'')
        and private.is_active_member()');

-- Policies
-- Inactive members keep reading and deleting, but write nothing that others see or that acts.
create policy "Inactive members cannot edit profiles" on public.profiles
  as restrictive for update to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot create expert profiles" on public.expert_profiles
  as restrictive for insert to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot edit expert profiles" on public.expert_profiles
  as restrictive for update to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot write reviews" on public.reviews
  as restrictive for insert to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot edit reviews" on public.reviews
  as restrictive for update to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot add favorites" on public.favorites
  as restrictive for insert to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot save searches" on public.saved_searches
  as restrictive for insert to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot edit saved searches" on public.saved_searches
  as restrictive for update to authenticated with check ((select private.is_active_member()));

-- Inactive experts leave the public listing (their own and admins' views are unchanged).
alter policy "Anyone can read the profiles of verified experts" on public.profiles
  using (role = 'expert' and status = 'active'
         and exists (select 1 from public.expert_profiles e where e.id = profiles.id and e.verification_status = 'verified'));
alter policy "Anyone can read verified experts" on public.expert_profiles
  using (verification_status = 'verified' and private.account_active(id));
