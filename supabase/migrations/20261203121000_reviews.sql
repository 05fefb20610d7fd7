-- Reviews and ratings: a member reviews the expert of one of their completed bookings, once per
-- booking. Authors edit only rating/title/body; admins (and operators in Studio) hide and unhide, audited. Experts' rating_avg and
-- rating_count follow the visible reviews through a trigger. The public, and the reviewed expert,
-- read reviews through public.expert_reviews(), which shows the author only as "First L." and never
-- an author id (the table's rows are read by their authors and admins only).

-- Tables
create table public.reviews (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null unique references public.bookings (id) on delete cascade,
  author_id uuid references public.profiles (id) on delete set null,
  expert_id uuid not null references public.expert_profiles (id) on delete cascade,
  rating smallint not null check (rating between 1 and 5),
  title text check (char_length(title) <= 120),
  body text check (char_length(body) <= 4000),
  is_hidden boolean not null default false,
  hidden_reason text check (char_length(hidden_reason) <= 500),
  hidden_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Input hygiene (foundation): the rule of each field others see.
  constraint reviews_title_plain check (private.is_plain_line(title)),
  constraint reviews_body_plain check (private.is_plain_text(body))
);
comment on table public.reviews is 'One review per completed booking, by the member who booked. Kept (author_id null, shown as a former member) when the author is deleted.';
comment on column public.reviews.author_id is 'Set from the caller at insert; null once the author''s account is deleted.';
comment on column public.reviews.expert_id is 'Copied from the booking when omitted; must match it.';
comment on column public.reviews.is_hidden is 'Set by admins (moderation); hidden reviews leave the public list and the rating aggregates.';

-- Links the data export and the deletion check do not follow (privacy), with the reason.
insert into private.excluded_member_links (table_name, column_name, reason) values
  ('reviews', 'expert_id',
   'a review is its author''s: the reviewed expert reads reviews about them through expert_reviews(), never the rows (author_id, booking_id name the author)'),
  ('reviews', 'booking_id',
   'a review is linked to its author through author_id; through the booking it would reach the reviewed expert too');

-- Indexes
-- Indexes (booking_id has its unique index)
create index reviews_author_idx on public.reviews (author_id, created_at desc);
create index reviews_expert_idx on public.reviews (expert_id, created_at desc);

-- Grants and row level security
alter table public.reviews enable row level security;

-- Grants: members write only the review itself; the rest is filled or guarded by triggers.
revoke all on public.reviews from anon, authenticated;
grant select on public.reviews to authenticated;
grant insert (booking_id, expert_id, rating, title, body), update (rating, title, body, is_hidden, hidden_reason), delete
  on public.reviews to authenticated;

-- Functions
-- Security invoker on purpose: the booking is looked up under the caller's RLS (someone else's
-- booking is simply not found), and is_privileged_session() must see the caller's role.
create or replace function private.check_new_review()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  b record;
begin
  if new.author_id is null or not private.is_privileged_session() then
    new.author_id := (select auth.uid());
  end if;
  if new.author_id is null then
    raise exception 'sign in first' using errcode = '28000';
  end if;
  select bk.member_id, bk.expert_id, bk.status into b from public.bookings bk where bk.id = new.booking_id;
  if not found then
    raise exception 'no booking % of yours', new.booking_id using errcode = 'PT404';
  end if;
  if b.member_id is distinct from new.author_id then
    raise exception 'only the member who booked can review this booking' using errcode = '42501';
  end if;
  if b.status <> 'completed' then
    raise exception 'a booking can be reviewed once it is completed (this one is %)', b.status using errcode = '22023';
  end if;
  if b.expert_id is null then
    raise exception 'the expert of this booking no longer exists' using errcode = '22023';
  end if;
  if new.expert_id is null then
    new.expert_id := b.expert_id;
  elsif new.expert_id <> b.expert_id then
    raise exception 'expert_id does not match the booking''s expert' using errcode = '22023';
  end if;
  -- The unique constraint is the real guard (also under concurrency); this is the clear message.
  if exists (select 1 from public.reviews r where r.booking_id = new.booking_id) then
    raise exception 'this booking is already reviewed; edit that review instead' using errcode = '23505';
  end if;
  new.created_at := now();
  new.updated_at := now();
  return new;
end;
$$;

create or replace function private.guard_review_columns()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  client boolean := current_user::text in ('authenticated', 'anon');
begin
  if client and (new.booking_id is distinct from old.booking_id or new.author_id is distinct from old.author_id
                 or new.expert_id is distinct from old.expert_id or new.created_at is distinct from old.created_at) then
    raise exception 'a review stays with its booking, author and expert' using errcode = '42501';
  end if;
  if (new.is_hidden is distinct from old.is_hidden or new.hidden_reason is distinct from old.hidden_reason)
     and not private.is_privileged_session() then
    raise exception 'only an admin can hide or unhide a review' using errcode = '42501';
  end if;
  if client and (select auth.uid()) is distinct from old.author_id
     and (new.rating is distinct from old.rating or new.title is distinct from old.title or new.body is distinct from old.body) then
    raise exception 'only the author can edit a review' using errcode = '42501';
  end if;
  if new.is_hidden is distinct from old.is_hidden then
    new.hidden_at := case when new.is_hidden then now() end;
    if not new.is_hidden then
      new.hidden_reason := null;
    end if;
  end if;
  new.updated_at := now();
  return new;
end;
$$;

create or replace function private.refresh_expert_rating(expert uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Lock the expert first, then aggregate in a new statement (a fresh snapshot under READ
  -- COMMITTED), so concurrent reviews of one expert are all counted. NO KEY UPDATE, not UPDATE:
  -- every concurrent review insert holds KEY SHARE on the expert (its foreign key check), and
  -- FOR UPDATE would wait on those, a deadlock.
  perform 1 from public.expert_profiles e where e.id = expert for no key update;
  update public.expert_profiles e
     set rating_avg = coalesce(s.avg, 0), rating_count = s.n
    from (select round(avg(r.rating), 2) as avg, count(*)::integer as n
            from public.reviews r where r.expert_id = expert and not r.is_hidden) s
   where e.id = expert and (e.rating_avg, e.rating_count) is distinct from (coalesce(s.avg, 0), s.n);
end;
$$;
comment on function private.refresh_expert_rating(uuid) is 'Recomputes an expert''s rating_avg/rating_count over visible reviews (runs as owner: the expert guard refuses client roles).';
revoke execute on function private.refresh_expert_rating(uuid) from public, anon, authenticated;

create or replace function private.review_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    perform private.refresh_expert_rating(old.expert_id);
    return old;
  end if;
  perform private.refresh_expert_rating(new.expert_id);
  if tg_op = 'UPDATE' and old.expert_id is distinct from new.expert_id then
    perform private.refresh_expert_rating(old.expert_id);
  end if;
  if tg_op = 'INSERT' then
    perform private.record_activity(new.author_id, 'reviewed', 'review', new.id::text,
                                    jsonb_build_object('booking_id', new.booking_id, 'expert_id', new.expert_id, 'rating', new.rating));
    perform private.notify(new.expert_id, 'review_received', 'reviews', format('New %s-star review', new.rating),
                           new.title, jsonb_build_object('review_id', new.id, 'booking_id', new.booking_id, 'rating', new.rating));
  end if;
  return new;
end;
$$;

create or replace function private.expert_reviews(expert_id uuid, page_size integer default 20, page_offset integer default 0)
returns table (id uuid, rating smallint, title text, body text, author_name text, created_at timestamptz, updated_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if page_size is null or page_size not between 1 and 100 then
    raise exception 'page_size must be between 1 and 100' using errcode = '22023';
  end if;
  if page_offset is null or page_offset < 0 then
    raise exception 'page_offset must be 0 or more' using errcode = '22023';
  end if;
  return query
    select r.id, r.rating, r.title, r.body,
           -- The author as "First L." only; private profiles and deleted accounts stay anonymous.
           case
             when p.id is null then 'Former member'
             when ps.profile_visibility = 'private' or nullif(btrim(p.first_name), '') is null then 'A member'
             else btrim(p.first_name) || coalesce(' ' || upper(left(nullif(btrim(p.last_name), ''), 1)) || '.', '')
           end,
           r.created_at, r.updated_at
      from public.reviews r
      join public.expert_profiles e on e.id = r.expert_id and private.is_listed_expert(e.id)
      left join public.profiles p on p.id = r.author_id
      left join public.privacy_settings ps on ps.user_id = r.author_id
     where r.expert_id = expert_reviews.expert_id and not r.is_hidden
     order by r.created_at desc, r.id
     limit page_size offset page_offset;
end;
$$;
grant execute on function private.expert_reviews(uuid, integer, integer) to anon, authenticated, service_role;

comment on function private.expert_reviews(uuid, integer, integer) is 'The elevated body of public.expert_reviews() (security definer; the public wrapper is security invoker).';

-- The RPC PostgREST exposes: a security invoker wrapper around the body above (foundation).
create function public.expert_reviews(expert_id uuid, page_size integer default 20, page_offset integer default 0)
returns table (id uuid, rating smallint, title text, body text, author_name text, created_at timestamp with time zone, updated_at timestamp with time zone)
language sql
stable
security invoker
set search_path = ''
as $$ select * from private.expert_reviews($1, $2, $3) $$;
comment on function public.expert_reviews(uuid, integer, integer) is 'Public list of a verified expert''s visible reviews, newest first; authors shown as "First L." without ids.';
revoke execute on function public.expert_reviews(uuid, integer, integer) from public, anon, authenticated, service_role;
grant execute on function public.expert_reviews(uuid, integer, integer) to anon, authenticated, service_role;

-- Moderation is an admin action: hiding or unhiding a review is recorded in admin_audit_log, whoever
-- does it (an admin through the API, an operator in Studio), with the author as its subject.
create or replace function private.audit_review_moderation()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.record_admin_action(case when new.is_hidden then 'hide_review' else 'unhide_review' end, new.author_id,
                                      jsonb_build_object('review_id', new.id, 'expert_id', new.expert_id, 'reason', new.hidden_reason));
  return null;
end;
$$;
revoke execute on function private.audit_review_moderation() from public, anon, authenticated;

-- Triggers
create trigger reviews_check_new before insert on public.reviews for each row execute function private.check_new_review();
create trigger reviews_guard before update on public.reviews for each row execute function private.guard_review_columns();
create trigger reviews_changed after insert or delete or update of rating, is_hidden, expert_id on public.reviews
  for each row execute function private.review_changed();
create trigger reviews_audit_moderation after update of is_hidden on public.reviews
  for each row when (new.is_hidden is distinct from old.is_hidden) execute function private.audit_review_moderation();

-- Policies
create policy "Members can review their own completed bookings" on public.reviews
  for insert to authenticated
  with check ((select auth.uid()) = author_id and not is_hidden
              and exists (select 1 from public.bookings b
                           where b.id = booking_id and b.member_id = (select auth.uid())
                             and b.expert_id = reviews.expert_id and b.status = 'completed'));

create policy "Inactive members cannot write reviews" on public.reviews
  as restrictive for insert to authenticated with check ((select private.is_active_member()));

create policy "Inactive members cannot edit reviews" on public.reviews
  as restrictive for update to authenticated with check ((select private.is_active_member()));

-- The reviewed expert reads reviews about them through expert_reviews() only: a row would give them
-- author_id (and booking_id, which names the member through the booking).
create policy "Authors read their reviews, admins all" on public.reviews
  for select to authenticated
  using ((select auth.uid()) = author_id or id between (select private.admin_uuid_floor()) and 'ffffffff-ffff-ffff-ffff-ffffffffffff');

create policy "Authors edit their own reviews, admins moderate every one" on public.reviews
  for update to authenticated
  using ((select auth.uid()) = author_id or (select private.is_admin()))
  with check ((select auth.uid()) = author_id or (select private.is_admin()));

create policy "Authors delete their own reviews, admins every one" on public.reviews
  for delete to authenticated using ((select auth.uid()) = author_id or (select private.is_admin()));
