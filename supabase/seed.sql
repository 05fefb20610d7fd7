-- Demo data for `npm run dev` / `supabase db reset`: three accounts (password "password123"),
-- created the way Supabase Auth writes them, so the sign-up triggers build their rows and Auth can
-- sign them in: Auth reads its token columns as strings, so they hold '' (never NULL), as in its own rows.
--   alice@memberbase.test  member
--   erin@memberbase.test   verified expert (tax and finance, $90/h)
--   adam@memberbase.test   admin
insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
values
  ('00000000-0000-0000-0000-000000000000', 'a11ce000-0000-4000-8000-000000000001', 'authenticated', 'authenticated',
   'alice@memberbase.test', extensions.crypt('password123', extensions.gen_salt('bf')), now(),
   '{"provider":"email","providers":["email"]}', '{"first_name":"Alice","last_name":"Member","terms_accepted":true,"terms_version":"2026-01"}', now(), now(), '', '', '', ''),
  ('00000000-0000-0000-0000-000000000000', 'e1e10000-0000-4000-8000-000000000002', 'authenticated', 'authenticated',
   'erin@memberbase.test', extensions.crypt('password123', extensions.gen_salt('bf')), now(),
   '{"provider":"email","providers":["email"]}', '{"first_name":"Erin","last_name":"Expert","terms_accepted":true,"terms_version":"2026-01"}', now(), now(), '', '', '', ''),
  ('00000000-0000-0000-0000-000000000000', 'ad000000-0000-4000-8000-000000000003', 'authenticated', 'authenticated',
   'adam@memberbase.test', extensions.crypt('password123', extensions.gen_salt('bf')), now(),
   '{"provider":"email","providers":["email"]}', '{"first_name":"Adam","last_name":"Admin","terms_accepted":true,"terms_version":"2026-01"}', now(), now(), '', '', '', '');

insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
select u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true, 'phone_verified', false), 'email', now(), now()
from auth.users u where u.email like '%@memberbase.test';

update public.profiles set role = 'expert' where id = 'e1e10000-0000-4000-8000-000000000002';
update public.profiles set role = 'admin' where id = 'ad000000-0000-4000-8000-000000000003';
insert into public.expert_profiles (id, headline, expertise, credentials, experience_years, hourly_rate_cents, bio, verification_status, verified_at, city, area)
values ('e1e10000-0000-4000-8000-000000000002', 'Tax and personal finance', '{tax,finance}', '{"Chartered accountant"}', 12, 9000,
        'Helping freelancers with their taxes since 2014.', 'verified', now(), 'Lisbon', 'Baixa');

-- Paid demo plans (the free plan comes with the billing migration). The Stripe price ids are
-- placeholders: create the prices in your Stripe account and put their ids here.
insert into public.plans (code, name, interval, price_cents, currency, features, stripe_price_id) values
  ('plus', 'Plus', 'month', 900, 'USD', '{"saved_search_notify_limit": 5, "booking_fee_discount_percent": 5, "priority_support": false}', 'price_demo_plus_monthly'),
  ('pro', 'Pro', 'month', 2900, 'USD', '{"saved_search_notify_limit": 20, "booking_fee_discount_percent": 15, "priority_support": true}', 'price_demo_pro_monthly'),
  ('pro-yearly', 'Pro (yearly)', 'year', 29000, 'USD', '{"saved_search_notify_limit": 20, "booking_fee_discount_percent": 15, "priority_support": true}', 'price_demo_pro_yearly')
on conflict (code) do nothing;
