-- The dashboard gains the unread-message count (unread notifications are already in its counts,
-- from member_stats()): the same partial index as the unread badge, in the same single statement.

-- Functions
create or replace function private.member_dashboard_extras()
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return jsonb_build_object(
    'favorites', (select count(*)::integer from public.favorites f where f.member_id = (select auth.uid())),
    'unread_messages', (select coalesce(sum(p.unread_count), 0)::integer from public.conversation_participants p
                         where p.user_id = (select auth.uid()) and p.unread_count > 0),
    'credit_balance_cents', coalesce((select a.balance_cents from public.credit_accounts a where a.user_id = (select auth.uid())), 0),
    'affiliate', jsonb_build_object(
      'code', (select c.code from public.referral_codes c where c.user_id = (select auth.uid())),
      'referrals', (select jsonb_build_object(
                     'pending', count(*) filter (where r.status = 'pending'),
                     'qualified', count(*) filter (where r.status = 'qualified'),
                     'credited', count(*) filter (where r.status = 'credited'),
                     'rejected', count(*) filter (where r.status = 'rejected'))
                    from public.referrals r where r.referrer_id = (select auth.uid())),
      'total_earned_cents', coalesce((select sum(t.amount_cents)::integer from public.credit_transactions t
                                        join public.credit_accounts a on a.id = t.account_id
                                       where a.user_id = (select auth.uid()) and t.kind = 'referral_bonus'), 0)));
end;
$$;
comment on function private.member_dashboard_extras() is 'Favorites, unread direct messages, credit balance and affiliate stats for member_dashboard().counts, under the caller''s RLS.';
