-- Internal security-definer helpers were executable by every role: `alter default privileges in
-- schema private revoke execute ... from public` cannot take back the global default EXECUTE for
-- PUBLIC (per-schema defaults only add). So any signed-in member could call, e.g.,
-- private.record_activity() to write into another member's activity feed (shown on the dashboard)
-- or ask private.has_verified_mfa() about anyone. Revoke them explicitly; the policy helpers meant
-- for clients (is_admin, aal_satisfied, my_role) keep their explicit grants.
-- supabase/tests/database/private_functions.test.sql keeps it so for every later helper.

-- Grants
revoke execute on function private.record_activity(uuid, text, text, text, jsonb) from public, anon, authenticated;
revoke execute on function private.has_verified_mfa(uuid) from public, anon, authenticated;
revoke execute on function private.create_member_rows(uuid, jsonb) from public, anon, authenticated;
