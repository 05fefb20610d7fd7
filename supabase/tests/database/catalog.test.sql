-- The catalog test: every table in public has RLS enabled and has a pgTAP file that names it.
-- (The file list is checked from vitest, which can read the directory: test/catalog.test.ts.)
begin;
select plan(1);

select is(
  (select coalesce(array_agg(c.relname::text order by c.relname), '{}')
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity),
  '{}'::text[],
  'every table in public has row level security enabled');

select * from finish();
rollback;
