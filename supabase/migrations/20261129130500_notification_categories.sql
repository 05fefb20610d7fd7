-- Two notification categories the delivery capability needs: alerts for saved searches, and
-- billing (subscription events, once billing lands). Enum values must commit before use, so they
-- get their own migration; the next one gives every member their preference rows for them.

-- Types
alter type public.notification_category add value if not exists 'search_alerts';
alter type public.notification_category add value if not exists 'billing';
