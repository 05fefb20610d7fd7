-- One permissive policy per table x role x action. Postgres ORs permissive policies anyway; writing
-- the OR once means each row is checked by one policy instead of several (Supabase's advisors:
-- multiple_permissive_policies) and a table's rule for a role reads in one place. Who may do what
-- is unchanged; test/access-matrix.txt proves it. Restrictive policies (aal2, inactive members)
-- stay as they are.

-- Policies: profiles
drop policy "Members can read their own profile" on public.profiles;
drop policy "Anyone can read the profiles of verified experts" on public.profiles;
drop policy "Admins can read every profile" on public.profiles;
create policy "Anon can read the profiles of listed experts" on public.profiles
  for select to anon
  using (role = 'expert' and status = 'active'
         and exists (select 1 from public.expert_profiles e where e.id = profiles.id and e.verification_status = 'verified'));
create policy "Members read own profile and listed experts, admins all" on public.profiles
  for select to authenticated
  using ((select auth.uid()) = id
         or (role = 'expert' and status = 'active'
             and exists (select 1 from public.expert_profiles e where e.id = profiles.id and e.verification_status = 'verified'))
         or (select private.is_admin()));
drop policy "Members can update their own profile" on public.profiles;
drop policy "Admins can update every profile" on public.profiles;
create policy "Members update their own profile, admins every profile" on public.profiles
  for update to authenticated
  using ((select auth.uid()) = id or (select private.is_admin()))
  with check ((select auth.uid()) = id or (select private.is_admin()));

-- Policies: expert_profiles
drop policy "Anyone can read verified experts" on public.expert_profiles;
drop policy "Experts can read their own expert profile" on public.expert_profiles;
drop policy "Admins can read every expert profile" on public.expert_profiles;
create policy "Anon can read listed experts" on public.expert_profiles
  for select to anon using (verification_status = 'verified' and private.account_active(id));
create policy "Members read listed experts and their own, admins all" on public.expert_profiles
  for select to authenticated
  using ((verification_status = 'verified' and private.account_active(id)) or (select auth.uid()) = id or (select private.is_admin()));
drop policy "Experts can update their own expert profile" on public.expert_profiles;
drop policy "Admins can update every expert profile" on public.expert_profiles;
create policy "Experts update their own expert profile, admins every one" on public.expert_profiles
  for update to authenticated
  using ((select auth.uid()) = id or (select private.is_admin()))
  with check ((select auth.uid()) = id or (select private.is_admin()));

-- Policies: expert_locations, favorites, bookings, support, credits, referrals, deletion requests
drop policy "Experts can read their own location" on public.expert_locations;
drop policy "Admins can read every expert location" on public.expert_locations;
create policy "Experts read their own location, admins every one" on public.expert_locations
  for select to authenticated using ((select auth.uid()) = expert_id or (select private.is_admin()));

drop policy "Members can read their own favorites" on public.favorites;
drop policy "Admins can read every favorite" on public.favorites;
create policy "Members read their own favorites, admins every one" on public.favorites
  for select to authenticated using ((select auth.uid()) = member_id or (select private.is_admin()));

drop policy "Members can read their own bookings" on public.bookings;
drop policy "Experts can read bookings with them" on public.bookings;
drop policy "Admins can read every booking" on public.bookings;
create policy "Members and experts read their bookings, admins every one" on public.bookings
  for select to authenticated
  using ((select auth.uid()) = member_id or (select auth.uid()) = expert_id or (select private.is_admin()));

drop policy "Members can read their own tickets" on public.support_tickets;
drop policy "Admins can read every ticket" on public.support_tickets;
create policy "Members read their own tickets, admins every one" on public.support_tickets
  for select to authenticated using ((select auth.uid()) = member_id or (select private.is_admin()));

drop policy "Members can read the public messages of their tickets" on public.ticket_messages;
drop policy "Admins can read every ticket message" on public.ticket_messages;
create policy "Members read public messages of own tickets, admins all" on public.ticket_messages
  for select to authenticated
  using ((not is_internal and exists (select 1 from public.support_tickets t where t.id = ticket_id and t.member_id = (select auth.uid())))
         or (select private.is_admin()));
drop policy "Members can reply to their own open tickets" on public.ticket_messages;
drop policy "Admins can reply to and annotate every ticket" on public.ticket_messages;
create policy "Members reply to own open tickets, admins to every ticket" on public.ticket_messages
  for insert to authenticated
  with check ((select auth.uid()) = author_id
              and ((not is_internal and exists (select 1 from public.support_tickets t
                                                 where t.id = ticket_id and t.member_id = (select auth.uid()) and t.status <> 'closed'))
                   or (select private.is_admin())));

drop policy "Members can read their own credit account" on public.credit_accounts;
drop policy "Admins can read every credit account" on public.credit_accounts;
create policy "Members read their own credit account, admins every one" on public.credit_accounts
  for select to authenticated using ((select auth.uid()) = user_id or (select private.is_admin()));

drop policy "Members can read their own credit transactions" on public.credit_transactions;
drop policy "Admins can read every credit transaction" on public.credit_transactions;
create policy "Members read their own credit transactions, admins every one" on public.credit_transactions
  for select to authenticated
  using (account_id in (select a.id from public.credit_accounts a where a.user_id = (select auth.uid())) or (select private.is_admin()));

drop policy "Members can read their own referral code" on public.referral_codes;
drop policy "Admins can read every referral code" on public.referral_codes;
create policy "Members read their own referral code, admins every one" on public.referral_codes
  for select to authenticated using ((select auth.uid()) = user_id or (select private.is_admin()));

drop policy "Referrers can read the referrals they made" on public.referrals;
drop policy "Members can read the referral that brought them" on public.referrals;
drop policy "Admins can read every referral" on public.referrals;
create policy "Members read referrals they made or came by, admins all" on public.referrals
  for select to authenticated
  using ((select auth.uid()) = referrer_id or (select auth.uid()) = referred_id or (select private.is_admin()));

drop policy "Members can read their own deletion requests" on public.data_deletion_requests;
drop policy "Admins can read every deletion request" on public.data_deletion_requests;
create policy "Members read their own deletion requests, admins every one" on public.data_deletion_requests
  for select to authenticated using ((select auth.uid()) = user_id or (select private.is_admin()));

-- Policies: reviews
drop policy "Authors can read their own reviews" on public.reviews;
drop policy "Experts can read reviews about them" on public.reviews;
drop policy "Admins can read every review" on public.reviews;
create policy "Authors and the reviewed expert read a review, admins all" on public.reviews
  for select to authenticated
  using ((select auth.uid()) = author_id or (select auth.uid()) = expert_id or (select private.is_admin()));
drop policy "Authors can edit their own reviews" on public.reviews;
drop policy "Admins can moderate every review" on public.reviews;
create policy "Authors edit their own reviews, admins moderate every one" on public.reviews
  for update to authenticated
  using ((select auth.uid()) = author_id or (select private.is_admin()))
  with check ((select auth.uid()) = author_id or (select private.is_admin()));
drop policy "Authors can delete their own reviews" on public.reviews;
drop policy "Admins can delete every review" on public.reviews;
create policy "Authors delete their own reviews, admins every one" on public.reviews
  for delete to authenticated using ((select auth.uid()) = author_id or (select private.is_admin()));
