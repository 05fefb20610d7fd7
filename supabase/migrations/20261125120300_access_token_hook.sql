-- Custom access token hook: Supabase Auth calls this (as supabase_auth_admin) before issuing a JWT;
-- it adds the member's role and account status so policies and clients can read them.
-- Wired in config.toml [auth.hook.custom_access_token].

-- Functions
create or replace function public.custom_access_token_hook(event jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  claims jsonb := coalesce(event -> 'claims', '{}'::jsonb);
  p record;
begin
  select role, status into p from public.profiles where id = (event ->> 'user_id')::uuid;
  claims := jsonb_set(claims, '{user_role}', to_jsonb(coalesce(p.role::text, 'member')));
  claims := jsonb_set(claims, '{account_status}', to_jsonb(coalesce(p.status::text, 'active')));
  return jsonb_build_object('claims', claims);
end;
$$;
comment on function public.custom_access_token_hook(jsonb) is 'Auth hook: adds user_role and account_status claims from public.profiles.';

-- Grants: only Auth may run it, and it may read what it needs.
grant usage on schema public to supabase_auth_admin;
grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;
revoke execute on function public.custom_access_token_hook(jsonb) from authenticated, anon, public;
grant select (id, role, status) on table public.profiles to supabase_auth_admin;

-- Policies
create policy "Auth can read roles for access tokens" on public.profiles
  for select to supabase_auth_admin using (true);
