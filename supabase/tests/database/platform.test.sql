-- The platform baseline our migrations and policies rely on.
begin;
select plan(8);

select has_schema('auth');
select has_schema('extensions');
select has_table('auth', 'users', 'auth.users exists (Supabase Auth schema)');
select has_function('auth', 'uid', 'auth.uid() exists');
select has_extension('postgis');
select isnt_superuser('postgres', 'postgres is not a superuser, as on Supabase');

-- auth.uid() reads the claims PostgREST sets, under the authenticated role.
select set_config('request.jwt.claims', '{"sub":"0b5d2b5e-3c2f-4c8e-9d1a-8b9d0f2c6a01","role":"authenticated"}', true);
set local role authenticated;
select is(auth.uid(), '0b5d2b5e-3c2f-4c8e-9d1a-8b9d0f2c6a01'::uuid, 'auth.uid() is the sub claim');
select is(current_user::text, 'authenticated', 'the request runs as authenticated');
reset role;

select * from finish();
rollback;
