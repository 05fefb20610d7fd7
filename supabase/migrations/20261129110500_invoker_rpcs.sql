-- RPCs run as their caller: every function PostgREST exposes is security invoker. The ones that
-- need elevated rights (reading expert locations, writing bookings, the ledger, ...) keep their
-- body, unchanged, as private.<same name> (security definer, in a schema PostgREST does not
-- expose), and public.<name> becomes a one-line security invoker wrapper with the same signature,
-- defaults, result, comment and grants. Supabase's advisors then report no
-- anon/authenticated_security_definer_function_executable, and a reader finds the body of
-- public.create_booking in private.create_booking. (nearby_experts was split this way in
-- 20261129110300_location_privacy.sql.) New RPCs follow the same pattern.

-- Functions
do $migration$
declare
  fn regprocedure;
  p record;
  grantee text;
begin
  foreach fn in array array[
    'public.accept_terms(text)',
    'public.complete_onboarding_step(text)',
    'public.request_account_deletion(text)',
    'public.cancel_account_deletion(uuid)',
    'public.create_booking(uuid, timestamp with time zone, integer, text)',
    'public.set_booking_status(uuid, public.booking_status)',
    'public.expert_favorites_count(uuid)',
    'public.record_search(text, jsonb)',
    'public.set_my_location(double precision, double precision, text, text)',
    'public.set_expert_location(double precision, double precision, text, text)',
    'public.member_area(uuid)',
    'public.expert_reviews(uuid, integer, integer)',
    'public.open_support_ticket(text, text, public.ticket_category)',
    'public.admin_adjust_credits(uuid, integer, text, text)',
    'public.affiliate_stats()',
    'public.quote_credits(uuid)',
    'public.apply_credits(uuid, integer)'
  ]::regprocedure[] loop
    select f.proname, pg_catalog.pg_get_function_arguments(f.oid) as args, pg_catalog.pg_get_function_result(f.oid) as result,
           f.proretset or f.prorettype = 'pg_catalog.record'::pg_catalog.regtype as returns_rows,
           case f.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end as volatility,
           f.pronargs, pg_catalog.obj_description(f.oid, 'pg_proc') as note,
           array(select r.rolname from pg_catalog.pg_roles r
                  where r.rolname in ('anon', 'authenticated', 'service_role')
                    and pg_catalog.has_function_privilege(r.rolname, f.oid, 'EXECUTE')) as grantees
      into p
      from pg_catalog.pg_proc f where f.oid = fn;
    if not exists (select 1 from pg_catalog.pg_proc f where f.oid = fn and f.prosecdef) then
      raise exception '% is not security definer', fn;
    end if;

    execute pg_catalog.format('alter function %s set schema private', fn);
    execute pg_catalog.format(
      'create function public.%I(%s) returns %s language sql %s security invoker set search_path = '''' as $wrapper$ select %s private.%I(%s) $wrapper$',
      p.proname, p.args, p.result, p.volatility, case when p.returns_rows then '* from' else '' end, p.proname,
      (select coalesce(string_agg('$' || i, ', ' order by i), '') from generate_series(1, p.pronargs) i));
    execute pg_catalog.format('comment on function public.%I(%s) is %L', p.proname,
      (select string_agg(pg_catalog.format_type(t, null), ', ' order by o) from unnest((select f.proargtypes::oid[] from pg_catalog.pg_proc f where f.oid = fn)) with ordinality a(t, o)),
      p.note);
    execute pg_catalog.format('comment on function private.%I(%s) is %L', p.proname,
      (select string_agg(pg_catalog.format_type(t, null), ', ' order by o) from unnest((select f.proargtypes::oid[] from pg_catalog.pg_proc f where f.oid = fn)) with ordinality a(t, o)),
      'The elevated body of public.' || p.proname || '() (security definer; the public wrapper is security invoker).');
    -- The wrapper is callable by exactly the roles that could call the function before.
    execute pg_catalog.format('revoke execute on function public.%I(%s) from public, anon, authenticated, service_role', p.proname,
      (select string_agg(pg_catalog.format_type(t, null), ', ' order by o) from unnest((select f.proargtypes::oid[] from pg_catalog.pg_proc f where f.oid = fn)) with ordinality a(t, o)));
    foreach grantee in array p.grantees loop
      execute pg_catalog.format('grant execute on function public.%I(%s) to %I', p.proname,
        (select string_agg(pg_catalog.format_type(t, null), ', ' order by o) from unnest((select f.proargtypes::oid[] from pg_catalog.pg_proc f where f.oid = fn)) with ordinality a(t, o)),
        grantee);
    end loop;
  end loop;

  -- (No check that public now has no definer function: a branch landing in another order may add
  -- one; test/advisors.test.ts fails on it instead.)
end;
$migration$;
