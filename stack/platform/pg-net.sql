-- Stand-in for pg_net 0.20 where the server has no pg_net (Debian packages none): what the
-- project's SQL touches of it, with the extension's names, columns, defaults and grants (recorded
-- from the real pg_net 0.20.4 in test/pg-net-stand-in.test.ts, which compares the two). Requests are
-- queued here; stack/platform/pg-net-worker.ts plays pg_net's background worker (posts them, records
-- answers in net._http_response). Applied by the bootstrap as the superuser, before any migration,
-- and only when pg_available_extensions has no pg_net; idempotent (every start).
create schema if not exists net;
grant usage on schema net to public;

do $$
begin
  if not exists (select from pg_catalog.pg_type where typname = 'http_method' and typnamespace = 'net'::regnamespace) then
    create domain net.http_method as text check (value ilike 'get' or value ilike 'post' or value ilike 'delete');
  end if;
end $$;

-- Unlogged, as pg_net's: a crash empties both, and the identity sequence starts over.
create unlogged table if not exists net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb,
  body bytea,
  timeout_milliseconds integer not null
);
create unlogged table if not exists net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
create index if not exists _http_response_created_idx on net._http_response (created);
grant all on table net.http_request_queue, net._http_response to public;
grant all on sequence net.http_request_queue_id_seq to public;

-- Percent-encodes everything but RFC 3986's unreserved characters (lower-case hex, as pg_net does).
create or replace function net._urlencode_string(string varchar)
returns text
language sql
immutable
as $$
  select coalesce(string_agg(case when b between 48 and 57 or b between 65 and 90 or b between 97 and 122 or b in (45, 46, 95, 126)
                                  then chr(b) else '%' || lpad(to_hex(b), 2, '0') end, '' order by i), '')
    from generate_series(0, length(convert_to(string, 'UTF8')) - 1) as i,
         lateral (select get_byte(convert_to(string, 'UTF8'), i) as b) as byte
$$;

create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
)
returns bigint
language plpgsql
as $$
declare
  given_type text;
  query text;
  request_id bigint;
begin
  -- pg_net adds the JSON content type when none is given and refuses any other.
  select value into given_type from jsonb_each_text(coalesce(headers, '{}'::jsonb)) where lower(key) = 'content-type' limit 1;
  if given_type is null then
    headers := headers || '{"Content-Type": "application/json"}'::jsonb;
  elsif given_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;
  select string_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value), '&') into query from jsonb_each_text(params);
  if query is not null then
    url := url || case when strpos(url, '?') > 0 then '&' else '?' end || query;
  end if;
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', url, headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into request_id;
  -- pg_net's net.wake(): the worker LISTENs on this channel.
  perform pg_notify('pg_net_stand_in', request_id::text);
  return request_id;
end;
$$;
