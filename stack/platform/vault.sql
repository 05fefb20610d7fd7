-- Stand-in for Supabase Vault (supabase_vault 0.3) where the server has none (Debian packages none):
-- the names the project's SQL reads (vault.decrypted_secrets) and an operator writes
-- (vault.create_secret, vault.update_secret), with the grants the hosted image gives `postgres`.
-- Secrets are kept in plain text: this is the local stack, which holds only its own demo keys.
-- Applied by the bootstrap as the superuser when pg_available_extensions has no supabase_vault.
create schema if not exists vault;
revoke all on schema vault from public;
grant usage on schema vault to postgres;

create table if not exists vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text unique,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
revoke all on table vault.secrets from public;

create or replace view vault.decrypted_secrets as
select id, name, description, secret, secret as decrypted_secret, key_id, nonce, created_at, updated_at
  from vault.secrets;
revoke all on table vault.decrypted_secrets from public;
grant select, delete on table vault.secrets, vault.decrypted_secrets to postgres;

create or replace function vault.create_secret(new_secret text, new_name text default null, new_description text default '', new_key_id uuid default null)
returns uuid
language sql
security definer
set search_path = ''
as $$
  insert into vault.secrets (secret, name, description, key_id) values (new_secret, new_name, new_description, new_key_id) returning id
$$;

create or replace function vault.update_secret(secret_id uuid, new_secret text default null, new_name text default null, new_description text default null, new_key_id uuid default null)
returns void
language sql
security definer
set search_path = ''
as $$
  update vault.secrets
     set secret = coalesce(new_secret, secret), name = coalesce(new_name, name), description = coalesce(new_description, description),
         key_id = coalesce(new_key_id, key_id), updated_at = now()
   where id = secret_id
$$;
revoke all on function vault.create_secret(text, text, text, uuid), vault.update_secret(uuid, text, text, text, uuid) from public;
grant execute on function vault.create_secret(text, text, text, uuid), vault.update_secret(uuid, text, text, text, uuid) to postgres;
