-- Realtime: direct messages, read state, room messages and notifications are published on
-- supabase_realtime, so clients subscribe with supabase.channel(...).on('postgres_changes', ...)
-- and Realtime delivers each change only to subscribers whose RLS lets them select the row.
-- The publication exists on every Supabase project; it is created here only where it does not.

-- Functions
do $$
declare
  t text;
begin
  if not exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
  foreach t in array array['messages', 'conversation_participants', 'room_messages', 'notifications'] loop
    if not exists (select 1 from pg_catalog.pg_publication_tables
                    where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = t) then
      execute format('alter publication supabase_realtime add table public.%I', t);
    end if;
  end loop;
end;
$$;
