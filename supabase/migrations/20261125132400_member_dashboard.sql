-- The member dashboard in one statement: the member-dashboard edge function calls
-- public.member_dashboard() once, under the member's RLS, and returns its jsonb as is.

-- Functions
-- Extension point for counts owned by other capabilities. It returns the keys the dashboard
-- promises, so clients can rely on them before those capabilities land.
-- INTEGRATOR (favorites): once public.favorites(member_id, expert_id) exists, replace this in the
-- favorites migration with:
--   select jsonb_build_object('favorites', (select count(*)::integer from public.favorites f
--                                             where f.member_id = (select auth.uid())));
create or replace function private.member_dashboard_extras()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select jsonb_build_object('favorites', (select count(*)::integer from public.favorites f where f.member_id = (select auth.uid())));
$$;
comment on function private.member_dashboard_extras() is 'Counts from other capabilities merged into member_dashboard().counts; replace it when one lands (see favorites).';
revoke execute on function private.member_dashboard_extras() from public, anon;
grant execute on function private.member_dashboard_extras() to authenticated;

create or replace function public.member_dashboard()
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
begin
  perform private.require_member();
  return (
    select jsonb_build_object(
      'profile', (select jsonb_build_object('id', p.id, 'first_name', p.first_name, 'last_name', p.last_name,
                                            'display_name', p.display_name, 'avatar_url', p.avatar_url,
                                            'role', p.role, 'status', p.status, 'member_since', p.created_at)
                    from public.profiles p where p.id = me),
      'counts', (select to_jsonb(s) from public.member_stats() s) || private.member_dashboard_extras(),
      'next_bookings', coalesce((
        select jsonb_agg(jsonb_build_object('id', x.id, 'status', x.status, 'scheduled_at', x.scheduled_at,
                                            'duration_minutes', x.duration_minutes, 'price_cents', x.price_cents,
                                            'currency', x.currency, 'expert_id', x.expert_id, 'expert_name', x.expert_name,
                                            'expert_headline', x.headline) order by x.scheduled_at, x.id)
          from (select b.id, b.status, b.scheduled_at, b.duration_minutes, b.price_cents, b.currency, b.expert_id,
                       coalesce(p.display_name, nullif(btrim(concat_ws(' ', p.first_name, p.last_name)), '')) as expert_name,
                       e.headline
                  from public.bookings b
                  left join public.expert_profiles e on e.id = b.expert_id
                  left join public.profiles p on p.id = e.id
                 where b.member_id = me and b.status in ('requested', 'confirmed') and b.scheduled_at >= now()
                 order by b.scheduled_at, b.id
                 limit 5) x), '[]'::jsonb),
      'recent_activity', coalesce((
        select jsonb_agg(jsonb_build_object('id', a.id, 'kind', a.kind, 'subject_type', a.subject_type,
                                            'subject_id', a.subject_id, 'details', a.details, 'created_at', a.created_at)
                         order by a.created_at desc, a.id desc)
          from (select * from public.activity act where act.user_id = me
                 order by act.created_at desc, act.id desc limit 10) a), '[]'::jsonb),
      'spending_by_month', coalesce((
        select jsonb_agg(to_jsonb(h) order by h.month, h.currency) from public.spending_history(12) h), '[]'::jsonb),
      'generated_at', now()));
end;
$$;
comment on function public.member_dashboard() is 'The caller''s dashboard as one jsonb: profile, counts, next 5 bookings, last 10 activities, 12 months of spending.';
revoke execute on function public.member_dashboard() from public, anon;
grant execute on function public.member_dashboard() to authenticated;
