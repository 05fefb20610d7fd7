-- No internal security-definer helper in schema private is callable by clients, except the policy
-- helpers that policies evaluate as the caller and the elevated halves of public RPCs. Trigger functions cannot be called directly.
begin;
select plan(3);

select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}') from pg_proc p
    where p.pronamespace = 'private'::regnamespace and p.prosecdef and p.prorettype <> 'trigger'::regtype
      and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))
      and p.proname not in ('is_admin', 'aal_satisfied', 'my_role', 'is_active_member',
                            -- the listing rule, in the profiles / expert_profiles / favorites policies
                            'is_listed_expert',
                            -- read policies' admin arms as key ranges (foundation)
                            'admin_uuid_floor', 'admin_bigint_floor',
                            -- policy helpers of direct messages and chat rooms
                            'reported_message_ids', 'is_withheld_message', 'my_room_membership', 'my_room_ids',
                            'room_read_horizon', 'room_moderates',
                            -- elevated halves of public RPCs named otherwise: start_conversation, inbox,
                            -- join_room / leave_room / invite_to_room / remove_from_room / mute_room_member / set_room_role
                            'open_conversation', 'conversation_party_name', 'room_membership_action')
      -- the elevated half of a public RPC: public.<name> is a security invoker wrapper calling it
      and not exists (select 1 from pg_proc q where q.pronamespace = 'public'::regnamespace and q.proname = p.proname and not q.prosecdef)),
  '{}'::text[],
  'clients cannot execute internal security definer helpers');

select tests.create_user('alice');
select tests.create_user('bob');
select tests.authenticate_as('alice');
select throws_ok(format($$select private.record_activity(%L, 'reviewed')$$, tests.user_id('bob')), '42501', null,
  'a member cannot write into another member''s activity feed');
select throws_ok(format($$select private.has_verified_mfa(%L)$$, tests.user_id('bob')), '42501', null,
  'a member cannot ask whether someone else enrolled MFA');
select tests.clear_authentication();

select * from finish();
rollback;
