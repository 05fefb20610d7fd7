-- Inactive (suspended or deactivated) members keep reading what they could, but write nothing in
-- direct messages and chat rooms, as everywhere else (see 20261129110100_account_status.sql). The
-- room and conversation RPCs already refuse them through private.require_member().

-- Policies
create policy "Inactive members cannot send messages" on public.messages
  as restrictive for insert to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot edit messages" on public.messages
  as restrictive for update to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot block" on public.blocks
  as restrictive for insert to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot report messages" on public.message_reports
  as restrictive for insert to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot edit rooms" on public.chat_rooms
  as restrictive for update to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot write in rooms" on public.room_messages
  as restrictive for insert to authenticated with check ((select private.is_active_member()));
create policy "Inactive members cannot edit room messages" on public.room_messages
  as restrictive for update to authenticated with check ((select private.is_active_member()));
