
export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]

export type Database = {
  
  "public": {
          Tables: {
            "activity": {
                  Row: {
                    "created_at": string,"details": NonNullable<Json>,"id": number,"kind": string,"subject_id": string | null,"subject_type": string | null,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"details"?: NonNullable<Json>,"id"?: never,"kind": string,"subject_id"?: string | null,"subject_type"?: string | null,"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"details"?: NonNullable<Json>,"id"?: never,"kind"?: string,"subject_id"?: string | null,"subject_type"?: string | null,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "activity_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"admin_audit_log": {
                  Row: {
                    "aal": string | null,"action": string,"actor_id": string | null,"actor_role": string,"client": string | null,"created_at": string,"details": NonNullable<Json>,"id": number,"target_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "aal"?: string | null,"action": string,"actor_id"?: string | null,"actor_role": string,"client"?: string | null,"created_at"?: string,"details"?: NonNullable<Json>,"id"?: never,"target_id"?: string | null
                  }
                  Update: {
                    "aal"?: string | null,"action"?: string,"actor_id"?: string | null,"actor_role"?: string,"client"?: string | null,"created_at"?: string,"details"?: NonNullable<Json>,"id"?: never,"target_id"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "admin_audit_log_actor_id_fkey"
      columns: ["actor_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "admin_audit_log_target_id_fkey"
      columns: ["target_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"billing_customers": {
                  Row: {
                    "created_at": string,"default_payment_method_id": string | null,"stripe_customer_id": string,"stripe_event_at": string | null,"stripe_event_id": string | null,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"default_payment_method_id"?: string | null,"stripe_customer_id": string,"stripe_event_at"?: string | null,"stripe_event_id"?: string | null,"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"default_payment_method_id"?: string | null,"stripe_customer_id"?: string,"stripe_event_at"?: string | null,"stripe_event_id"?: string | null,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "billing_customers_user_id_fkey"
      columns: ["user_id"]
isOneToOne: true
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"blocks": {
                  Row: {
                    "blocked_id": string,"blocker_id": string,"created_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "blocked_id": string,"blocker_id"?: string,"created_at"?: string
                  }
                  Update: {
                    "blocked_id"?: string,"blocker_id"?: string,"created_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "blocks_blocked_id_fkey"
      columns: ["blocked_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "blocks_blocker_id_fkey"
      columns: ["blocker_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"bookings": {
                  Row: {
                    "cancelled_at": string | null,"cancelled_by": string | null,"card_amount_cents": number | null,"completed_at": string | null,"confirmed_at": string | null,"created_at": string,"credits_applied_cents": number,"currency": string,"duration_minutes": number,"expert_id": string | null,"id": string,"member_id": string | null,"note": string | null,"price_cents": number,"scheduled_at": string,"status": Database["public"]['Enums']["booking_status"],"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "cancelled_at"?: string | null,"cancelled_by"?: string | null,"card_amount_cents"?: never,"completed_at"?: string | null,"confirmed_at"?: string | null,"created_at"?: string,"credits_applied_cents"?: number,"currency"?: string,"duration_minutes": number,"expert_id"?: string | null,"id"?: string,"member_id"?: string | null,"note"?: string | null,"price_cents"?: number,"scheduled_at": string,"status"?: Database["public"]['Enums']["booking_status"],"updated_at"?: string
                  }
                  Update: {
                    "cancelled_at"?: string | null,"cancelled_by"?: string | null,"card_amount_cents"?: never,"completed_at"?: string | null,"confirmed_at"?: string | null,"created_at"?: string,"credits_applied_cents"?: number,"currency"?: string,"duration_minutes"?: number,"expert_id"?: string | null,"id"?: string,"member_id"?: string | null,"note"?: string | null,"price_cents"?: number,"scheduled_at"?: string,"status"?: Database["public"]['Enums']["booking_status"],"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "bookings_cancelled_by_fkey"
      columns: ["cancelled_by"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "bookings_expert_id_fkey"
      columns: ["expert_id"]
isOneToOne: false
      referencedRelation: "expert_profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "bookings_member_id_fkey"
      columns: ["member_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"chat_rooms": {
                  Row: {
                    "created_at": string,"id": string,"name": string,"topic": string | null,"updated_at": string,"visibility": Database["public"]['Enums']["room_visibility"]
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"id"?: string,"name": string,"topic"?: string | null,"updated_at"?: string,"visibility"?: Database["public"]['Enums']["room_visibility"]
                  }
                  Update: {
                    "created_at"?: string,"id"?: string,"name"?: string,"topic"?: string | null,"updated_at"?: string,"visibility"?: Database["public"]['Enums']["room_visibility"]
                  }
                  Relationships: [
                    
                  ]
                },"conversation_participants": {
                  Row: {
                    "conversation_id": string,"id": string,"last_message_at": string | null,"last_message_id": number | null,"last_read_at": string | null,"last_read_message_id": number | null,"other_last_read_at": string | null,"other_last_read_message_id": number | null,"unread_count": number,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "conversation_id": string,"id"?: string,"last_message_at"?: string | null,"last_message_id"?: number | null,"last_read_at"?: string | null,"last_read_message_id"?: number | null,"other_last_read_at"?: string | null,"other_last_read_message_id"?: number | null,"unread_count"?: number,"user_id": string
                  }
                  Update: {
                    "conversation_id"?: string,"id"?: string,"last_message_at"?: string | null,"last_message_id"?: number | null,"last_read_at"?: string | null,"last_read_message_id"?: number | null,"other_last_read_at"?: string | null,"other_last_read_message_id"?: number | null,"unread_count"?: number,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "conversation_participants_conversation_id_fkey"
      columns: ["conversation_id"]
isOneToOne: false
      referencedRelation: "conversations"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "conversation_participants_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"conversations": {
                  Row: {
                    "created_at": string,"expert_id": string,"id": string,"member_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"expert_id": string,"id"?: string,"member_id": string
                  }
                  Update: {
                    "created_at"?: string,"expert_id"?: string,"id"?: string,"member_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "conversations_expert_id_fkey"
      columns: ["expert_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "conversations_member_id_fkey"
      columns: ["member_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"credit_accounts": {
                  Row: {
                    "balance_cents": number,"created_at": string,"id": string,"updated_at": string,"user_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "balance_cents"?: number,"created_at"?: string,"id"?: string,"updated_at"?: string,"user_id"?: string | null
                  }
                  Update: {
                    "balance_cents"?: number,"created_at"?: string,"id"?: string,"updated_at"?: string,"user_id"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "credit_accounts_user_id_fkey"
      columns: ["user_id"]
isOneToOne: true
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"credit_transactions": {
                  Row: {
                    "account_id": string,"amount_cents": number,"balance_after_cents": number,"created_at": string,"created_by": string | null,"id": number,"kind": Database["public"]['Enums']["credit_kind"],"memo": string | null,"source": string,"source_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "account_id": string,"amount_cents": number,"balance_after_cents": number,"created_at"?: string,"created_by"?: string | null,"id"?: never,"kind": Database["public"]['Enums']["credit_kind"],"memo"?: string | null,"source": string,"source_id": string
                  }
                  Update: {
                    "account_id"?: string,"amount_cents"?: number,"balance_after_cents"?: number,"created_at"?: string,"created_by"?: string | null,"id"?: never,"kind"?: Database["public"]['Enums']["credit_kind"],"memo"?: string | null,"source"?: string,"source_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "credit_transactions_account_id_fkey"
      columns: ["account_id"]
isOneToOne: false
      referencedRelation: "credit_accounts"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "credit_transactions_created_by_fkey"
      columns: ["created_by"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"data_deletion_requests": {
                  Row: {
                    "claimed_by": string | null,"id": string,"lease_expires_at": string | null,"process_after": string,"processed_at": string | null,"reason": string | null,"requested_at": string,"source": string,"status": Database["public"]['Enums']["request_status"],"user_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "claimed_by"?: string | null,"id"?: string,"lease_expires_at"?: string | null,"process_after"?: string,"processed_at"?: string | null,"reason"?: string | null,"requested_at"?: string,"source"?: string,"status"?: Database["public"]['Enums']["request_status"],"user_id"?: string | null
                  }
                  Update: {
                    "claimed_by"?: string | null,"id"?: string,"lease_expires_at"?: string | null,"process_after"?: string,"processed_at"?: string | null,"reason"?: string | null,"requested_at"?: string,"source"?: string,"status"?: Database["public"]['Enums']["request_status"],"user_id"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "data_deletion_requests_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"data_export_requests": {
                  Row: {
                    "completed_at": string | null,"id": string,"requested_at": string,"rows_exported": number | null,"status": Database["public"]['Enums']["request_status"],"tables_exported": number | null,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "completed_at"?: string | null,"id"?: string,"requested_at"?: string,"rows_exported"?: number | null,"status"?: Database["public"]['Enums']["request_status"],"tables_exported"?: number | null,"user_id": string
                  }
                  Update: {
                    "completed_at"?: string | null,"id"?: string,"requested_at"?: string,"rows_exported"?: number | null,"status"?: Database["public"]['Enums']["request_status"],"tables_exported"?: number | null,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "data_export_requests_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"email_delivery_attempts": {
                  Row: {
                    "attempt": number,"error": string | null,"finished_at": string,"id": number,"outbox_id": number,"outcome": string,"started_at": string,"worker": string
                  }
                  ComputedFields: never
                  Insert: {
                    "attempt": number,"error"?: string | null,"finished_at"?: string,"id"?: never,"outbox_id": number,"outcome": string,"started_at": string,"worker": string
                  }
                  Update: {
                    "attempt"?: number,"error"?: string | null,"finished_at"?: string,"id"?: never,"outbox_id"?: number,"outcome"?: string,"started_at"?: string,"worker"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "email_delivery_attempts_outbox_id_fkey"
      columns: ["outbox_id"]
isOneToOne: false
      referencedRelation: "email_outbox"
      referencedColumns: ["id"]
    }
                  ]
                },"email_outbox": {
                  Row: {
                    "attempts": number,"body": string | null,"category": Database["public"]['Enums']["notification_category"],"claimed_at": string | null,"claimed_by": string | null,"created_at": string,"data": NonNullable<Json>,"digest": boolean,"id": number,"kind": string,"last_error": string | null,"lease_expires_at": string | null,"next_attempt_at": string,"sent_at": string | null,"status": Database["public"]['Enums']["email_status"],"subject": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "attempts"?: number,"body"?: string | null,"category": Database["public"]['Enums']["notification_category"],"claimed_at"?: string | null,"claimed_by"?: string | null,"created_at"?: string,"data"?: NonNullable<Json>,"digest"?: boolean,"id"?: never,"kind": string,"last_error"?: string | null,"lease_expires_at"?: string | null,"next_attempt_at"?: string,"sent_at"?: string | null,"status"?: Database["public"]['Enums']["email_status"],"subject": string,"user_id": string
                  }
                  Update: {
                    "attempts"?: number,"body"?: string | null,"category"?: Database["public"]['Enums']["notification_category"],"claimed_at"?: string | null,"claimed_by"?: string | null,"created_at"?: string,"data"?: NonNullable<Json>,"digest"?: boolean,"id"?: never,"kind"?: string,"last_error"?: string | null,"lease_expires_at"?: string | null,"next_attempt_at"?: string,"sent_at"?: string | null,"status"?: Database["public"]['Enums']["email_status"],"subject"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "email_outbox_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"email_preferences": {
                  Row: {
                    "booking_reminders": boolean,"digest": Database["public"]['Enums']["email_digest"],"newsletter": boolean,"notification_emails": Database["public"]['Enums']["email_delivery"],"product_updates": boolean,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "booking_reminders"?: boolean,"digest"?: Database["public"]['Enums']["email_digest"],"newsletter"?: boolean,"notification_emails"?: Database["public"]['Enums']["email_delivery"],"product_updates"?: boolean,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "booking_reminders"?: boolean,"digest"?: Database["public"]['Enums']["email_digest"],"newsletter"?: boolean,"notification_emails"?: Database["public"]['Enums']["email_delivery"],"product_updates"?: boolean,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "email_preferences_user_id_fkey"
      columns: ["user_id"]
isOneToOne: true
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"email_unsubscribes": {
                  Row: {
                    "category": Database["public"]['Enums']["notification_category"],"token_id": string,"used_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "category": Database["public"]['Enums']["notification_category"],"token_id": string,"used_at"?: string,"user_id": string
                  }
                  Update: {
                    "category"?: Database["public"]['Enums']["notification_category"],"token_id"?: string,"used_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "email_unsubscribes_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"expert_locations": {
                  Row: {
                    "area": string | null,"cell": unknown,"city": string | null,"expert_id": string,"location": unknown,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "area"?: string | null,"cell"?: never,"city"?: string | null,"expert_id": string,"location": unknown,"updated_at"?: string
                  }
                  Update: {
                    "area"?: string | null,"cell"?: never,"city"?: string | null,"expert_id"?: string,"location"?: unknown,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "expert_locations_expert_id_fkey"
      columns: ["expert_id"]
isOneToOne: true
      referencedRelation: "expert_profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"expert_profiles": {
                  Row: {
                    "area": string | null,"bio": string | null,"city": string | null,"created_at": string,"credentials": (string)[],"currency": string,"experience_years": number | null,"expertise": (string)[],"headline": string | null,"hourly_rate_cents": number | null,"id": string,"is_available": boolean,"rating_avg": number,"rating_count": number,"updated_at": string,"verification_status": Database["public"]['Enums']["verification_status"],"verified_at": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "area"?: string | null,"bio"?: string | null,"city"?: string | null,"created_at"?: string,"credentials"?: (string)[],"currency"?: string,"experience_years"?: number | null,"expertise"?: (string)[],"headline"?: string | null,"hourly_rate_cents"?: number | null,"id": string,"is_available"?: boolean,"rating_avg"?: number,"rating_count"?: number,"updated_at"?: string,"verification_status"?: Database["public"]['Enums']["verification_status"],"verified_at"?: string | null
                  }
                  Update: {
                    "area"?: string | null,"bio"?: string | null,"city"?: string | null,"created_at"?: string,"credentials"?: (string)[],"currency"?: string,"experience_years"?: number | null,"expertise"?: (string)[],"headline"?: string | null,"hourly_rate_cents"?: number | null,"id"?: string,"is_available"?: boolean,"rating_avg"?: number,"rating_count"?: number,"updated_at"?: string,"verification_status"?: Database["public"]['Enums']["verification_status"],"verified_at"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "expert_profiles_id_fkey"
      columns: ["id"]
isOneToOne: true
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"favorites": {
                  Row: {
                    "created_at": string,"expert_id": string,"member_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"expert_id": string,"member_id"?: string
                  }
                  Update: {
                    "created_at"?: string,"expert_id"?: string,"member_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "favorites_expert_id_fkey"
      columns: ["expert_id"]
isOneToOne: false
      referencedRelation: "expert_profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "favorites_member_id_fkey"
      columns: ["member_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"invoices": {
                  Row: {
                    "amount_due_cents": number,"amount_paid_cents": number,"amount_refunded_cents": number,"booking_id": string | null,"created_at": string,"currency": string,"hosted_invoice_url": string | null,"id": string,"number": string | null,"period_end": string | null,"period_start": string | null,"status": Database["public"]['Enums']["invoice_status"],"stripe_event_at": string | null,"stripe_event_id": string | null,"stripe_invoice_id": string | null,"stripe_payment_intent_id": string | null,"stripe_subscription_id": string | null,"updated_at": string,"user_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "amount_due_cents"?: number,"amount_paid_cents"?: number,"amount_refunded_cents"?: number,"booking_id"?: string | null,"created_at"?: string,"currency": string,"hosted_invoice_url"?: string | null,"id"?: string,"number"?: string | null,"period_end"?: string | null,"period_start"?: string | null,"status": Database["public"]['Enums']["invoice_status"],"stripe_event_at"?: string | null,"stripe_event_id"?: string | null,"stripe_invoice_id"?: string | null,"stripe_payment_intent_id"?: string | null,"stripe_subscription_id"?: string | null,"updated_at"?: string,"user_id"?: string | null
                  }
                  Update: {
                    "amount_due_cents"?: number,"amount_paid_cents"?: number,"amount_refunded_cents"?: number,"booking_id"?: string | null,"created_at"?: string,"currency"?: string,"hosted_invoice_url"?: string | null,"id"?: string,"number"?: string | null,"period_end"?: string | null,"period_start"?: string | null,"status"?: Database["public"]['Enums']["invoice_status"],"stripe_event_at"?: string | null,"stripe_event_id"?: string | null,"stripe_invoice_id"?: string | null,"stripe_payment_intent_id"?: string | null,"stripe_subscription_id"?: string | null,"updated_at"?: string,"user_id"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "invoices_booking_id_fkey"
      columns: ["booking_id"]
isOneToOne: true
      referencedRelation: "bookings"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "invoices_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"location_preferences": {
                  Row: {
                    "country_code": string | null,"distance_unit": Database["public"]['Enums']["distance_unit"],"preferred_city": string | null,"search_radius_km": number,"updated_at": string,"use_current_location": boolean,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "country_code"?: string | null,"distance_unit"?: Database["public"]['Enums']["distance_unit"],"preferred_city"?: string | null,"search_radius_km"?: number,"updated_at"?: string,"use_current_location"?: boolean,"user_id": string
                  }
                  Update: {
                    "country_code"?: string | null,"distance_unit"?: Database["public"]['Enums']["distance_unit"],"preferred_city"?: string | null,"search_radius_km"?: number,"updated_at"?: string,"use_current_location"?: boolean,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "location_preferences_user_id_fkey"
      columns: ["user_id"]
isOneToOne: true
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"login_history": {
                  Row: {
                    "aal": string,"id": number,"ip": unknown,"session_id": string,"signed_in_at": string,"user_agent": string | null,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "aal"?: string,"id"?: never,"ip"?: unknown,"session_id": string,"signed_in_at"?: string,"user_agent"?: string | null,"user_id": string
                  }
                  Update: {
                    "aal"?: string,"id"?: never,"ip"?: unknown,"session_id"?: string,"signed_in_at"?: string,"user_agent"?: string | null,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "login_history_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"member_locations": {
                  Row: {
                    "area": string | null,"city": string | null,"location": unknown,"member_id": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "area"?: string | null,"city"?: string | null,"location": unknown,"member_id": string,"updated_at"?: string
                  }
                  Update: {
                    "area"?: string | null,"city"?: string | null,"location"?: unknown,"member_id"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "member_locations_member_id_fkey"
      columns: ["member_id"]
isOneToOne: true
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"member_preferences": {
                  Row: {
                    "consultation_mode": Database["public"]['Enums']["consultation_mode"],"currency": string,"locale": string,"preferred_categories": (string)[],"timezone": string,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "consultation_mode"?: Database["public"]['Enums']["consultation_mode"],"currency"?: string,"locale"?: string,"preferred_categories"?: (string)[],"timezone"?: string,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "consultation_mode"?: Database["public"]['Enums']["consultation_mode"],"currency"?: string,"locale"?: string,"preferred_categories"?: (string)[],"timezone"?: string,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "member_preferences_user_id_fkey"
      columns: ["user_id"]
isOneToOne: true
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"message_reports": {
                  Row: {
                    "created_at": string,"id": number,"message_id": number,"reason": string,"reported_body": string,"reporter_id": string,"resolved_at": string | null,"resolved_by": string | null,"status": Database["public"]['Enums']["report_status"]
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"id"?: never,"message_id": number,"reason": string,"reported_body"?: string,"reporter_id"?: string,"resolved_at"?: string | null,"resolved_by"?: string | null,"status"?: Database["public"]['Enums']["report_status"]
                  }
                  Update: {
                    "created_at"?: string,"id"?: never,"message_id"?: number,"reason"?: string,"reported_body"?: string,"reporter_id"?: string,"resolved_at"?: string | null,"resolved_by"?: string | null,"status"?: Database["public"]['Enums']["report_status"]
                  }
                  Relationships: [
                    {
      foreignKeyName: "message_reports_message_id_fkey"
      columns: ["message_id"]
isOneToOne: false
      referencedRelation: "messages"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "message_reports_reporter_id_fkey"
      columns: ["reporter_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "message_reports_resolved_by_fkey"
      columns: ["resolved_by"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"messages": {
                  Row: {
                    "body": string,"conversation_id": string,"created_at": string,"deleted_at": string | null,"edited_at": string | null,"hidden_at": string | null,"hidden_reason": string | null,"id": number,"sender_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "body": string,"conversation_id": string,"created_at"?: string,"deleted_at"?: string | null,"edited_at"?: string | null,"hidden_at"?: string | null,"hidden_reason"?: string | null,"id"?: never,"sender_id"?: string
                  }
                  Update: {
                    "body"?: string,"conversation_id"?: string,"created_at"?: string,"deleted_at"?: string | null,"edited_at"?: string | null,"hidden_at"?: string | null,"hidden_reason"?: string | null,"id"?: never,"sender_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "messages_conversation_id_fkey"
      columns: ["conversation_id"]
isOneToOne: false
      referencedRelation: "conversations"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "messages_sender_id_fkey"
      columns: ["sender_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"notification_preferences": {
                  Row: {
                    "category": Database["public"]['Enums']["notification_category"],"channel": Database["public"]['Enums']["notification_channel"],"enabled": boolean,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "category": Database["public"]['Enums']["notification_category"],"channel": Database["public"]['Enums']["notification_channel"],"enabled": boolean,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "category"?: Database["public"]['Enums']["notification_category"],"channel"?: Database["public"]['Enums']["notification_channel"],"enabled"?: boolean,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "notification_preferences_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"notifications": {
                  Row: {
                    "body": string | null,"created_at": string,"data": NonNullable<Json>,"id": number,"kind": string,"read_at": string | null,"title": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "body"?: string | null,"created_at"?: string,"data"?: NonNullable<Json>,"id"?: never,"kind": string,"read_at"?: string | null,"title": string,"user_id": string
                  }
                  Update: {
                    "body"?: string | null,"created_at"?: string,"data"?: NonNullable<Json>,"id"?: never,"kind"?: string,"read_at"?: string | null,"title"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "notifications_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"onboarding": {
                  Row: {
                    "completed_at": string | null,"location_set_at": string | null,"privacy_initialised_at": string | null,"profile_completed_at": string | null,"terms_accepted_at": string | null,"terms_version": string | null,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "completed_at"?: string | null,"location_set_at"?: string | null,"privacy_initialised_at"?: string | null,"profile_completed_at"?: string | null,"terms_accepted_at"?: string | null,"terms_version"?: string | null,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "completed_at"?: string | null,"location_set_at"?: string | null,"privacy_initialised_at"?: string | null,"profile_completed_at"?: string | null,"terms_accepted_at"?: string | null,"terms_version"?: string | null,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "onboarding_user_id_fkey"
      columns: ["user_id"]
isOneToOne: true
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"payment_methods": {
                  Row: {
                    "brand": string | null,"created_at": string,"detached_at": string | null,"exp_month": number | null,"exp_year": number | null,"id": string,"is_default": boolean,"last4": string | null,"stripe_event_at": string,"stripe_event_id": string,"stripe_payment_method_id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "brand"?: string | null,"created_at"?: string,"detached_at"?: string | null,"exp_month"?: number | null,"exp_year"?: number | null,"id"?: string,"is_default"?: boolean,"last4"?: string | null,"stripe_event_at": string,"stripe_event_id": string,"stripe_payment_method_id": string,"user_id": string
                  }
                  Update: {
                    "brand"?: string | null,"created_at"?: string,"detached_at"?: string | null,"exp_month"?: number | null,"exp_year"?: number | null,"id"?: string,"is_default"?: boolean,"last4"?: string | null,"stripe_event_at"?: string,"stripe_event_id"?: string,"stripe_payment_method_id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "payment_methods_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"plans": {
                  Row: {
                    "active": boolean,"code": string,"created_at": string,"currency": string,"features": NonNullable<Json>,"id": string,"interval": Database["public"]['Enums']["plan_interval"],"name": string,"price_cents": number,"stripe_price_id": string | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "active"?: boolean,"code": string,"created_at"?: string,"currency"?: string,"features": NonNullable<Json>,"id"?: string,"interval"?: Database["public"]['Enums']["plan_interval"],"name": string,"price_cents": number,"stripe_price_id"?: string | null,"updated_at"?: string
                  }
                  Update: {
                    "active"?: boolean,"code"?: string,"created_at"?: string,"currency"?: string,"features"?: NonNullable<Json>,"id"?: string,"interval"?: Database["public"]['Enums']["plan_interval"],"name"?: string,"price_cents"?: number,"stripe_price_id"?: string | null,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"privacy_settings": {
                  Row: {
                    "marketing_consent": boolean,"marketing_consent_at": string | null,"profile_visibility": Database["public"]['Enums']["profile_visibility"],"search_history_enabled": boolean,"show_location": boolean,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "marketing_consent"?: boolean,"marketing_consent_at"?: string | null,"profile_visibility"?: Database["public"]['Enums']["profile_visibility"],"search_history_enabled"?: boolean,"show_location"?: boolean,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "marketing_consent"?: boolean,"marketing_consent_at"?: string | null,"profile_visibility"?: Database["public"]['Enums']["profile_visibility"],"search_history_enabled"?: boolean,"show_location"?: boolean,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "privacy_settings_user_id_fkey"
      columns: ["user_id"]
isOneToOne: true
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"profiles": {
                  Row: {
                    "avatar_url": string | null,"bio": string | null,"created_at": string,"display_name": string | null,"first_name": string | null,"id": string,"last_name": string | null,"role": Database["public"]['Enums']["member_role"],"status": Database["public"]['Enums']["account_status"],"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "avatar_url"?: string | null,"bio"?: string | null,"created_at"?: string,"display_name"?: string | null,"first_name"?: string | null,"id": string,"last_name"?: string | null,"role"?: Database["public"]['Enums']["member_role"],"status"?: Database["public"]['Enums']["account_status"],"updated_at"?: string
                  }
                  Update: {
                    "avatar_url"?: string | null,"bio"?: string | null,"created_at"?: string,"display_name"?: string | null,"first_name"?: string | null,"id"?: string,"last_name"?: string | null,"role"?: Database["public"]['Enums']["member_role"],"status"?: Database["public"]['Enums']["account_status"],"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"referral_codes": {
                  Row: {
                    "code": string,"created_at": string,"user_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "code": string,"created_at"?: string,"user_id"?: string | null
                  }
                  Update: {
                    "code"?: string,"created_at"?: string,"user_id"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "referral_codes_user_id_fkey"
      columns: ["user_id"]
isOneToOne: true
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"referrals": {
                  Row: {
                    "bonus_cents": number | null,"code": string,"created_at": string,"credited_at": string | null,"id": string,"qualified_at": string | null,"reason": string | null,"referred_id": string | null,"referrer_id": string | null,"rejected_at": string | null,"status": Database["public"]['Enums']["referral_status"],"updated_at": string,"via": string
                  }
                  ComputedFields: never
                  Insert: {
                    "bonus_cents"?: number | null,"code": string,"created_at"?: string,"credited_at"?: string | null,"id"?: string,"qualified_at"?: string | null,"reason"?: string | null,"referred_id"?: string | null,"referrer_id"?: string | null,"rejected_at"?: string | null,"status"?: Database["public"]['Enums']["referral_status"],"updated_at"?: string,"via"?: string
                  }
                  Update: {
                    "bonus_cents"?: number | null,"code"?: string,"created_at"?: string,"credited_at"?: string | null,"id"?: string,"qualified_at"?: string | null,"reason"?: string | null,"referred_id"?: string | null,"referrer_id"?: string | null,"rejected_at"?: string | null,"status"?: Database["public"]['Enums']["referral_status"],"updated_at"?: string,"via"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "referrals_code_fkey"
      columns: ["code"]
isOneToOne: false
      referencedRelation: "referral_codes"
      referencedColumns: ["code"]
    },{
      foreignKeyName: "referrals_referred_id_fkey"
      columns: ["referred_id"]
isOneToOne: true
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "referrals_referrer_id_fkey"
      columns: ["referrer_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"reviews": {
                  Row: {
                    "author_id": string | null,"body": string | null,"booking_id": string,"created_at": string,"expert_id": string,"hidden_at": string | null,"hidden_reason": string | null,"id": string,"is_hidden": boolean,"rating": number,"title": string | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "author_id"?: string | null,"body"?: string | null,"booking_id": string,"created_at"?: string,"expert_id": string,"hidden_at"?: string | null,"hidden_reason"?: string | null,"id"?: string,"is_hidden"?: boolean,"rating": number,"title"?: string | null,"updated_at"?: string
                  }
                  Update: {
                    "author_id"?: string | null,"body"?: string | null,"booking_id"?: string,"created_at"?: string,"expert_id"?: string,"hidden_at"?: string | null,"hidden_reason"?: string | null,"id"?: string,"is_hidden"?: boolean,"rating"?: number,"title"?: string | null,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "reviews_author_id_fkey"
      columns: ["author_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "reviews_booking_id_fkey"
      columns: ["booking_id"]
isOneToOne: true
      referencedRelation: "bookings"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "reviews_expert_id_fkey"
      columns: ["expert_id"]
isOneToOne: false
      referencedRelation: "expert_profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"room_members": {
                  Row: {
                    "joined_at": string | null,"left_at": string | null,"muted_until": string | null,"role": Database["public"]['Enums']["room_role"],"room_id": string,"status": Database["public"]['Enums']["room_membership_status"],"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "joined_at"?: string | null,"left_at"?: string | null,"muted_until"?: string | null,"role"?: Database["public"]['Enums']["room_role"],"room_id": string,"status": Database["public"]['Enums']["room_membership_status"],"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "joined_at"?: string | null,"left_at"?: string | null,"muted_until"?: string | null,"role"?: Database["public"]['Enums']["room_role"],"room_id"?: string,"status"?: Database["public"]['Enums']["room_membership_status"],"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "room_members_room_id_fkey"
      columns: ["room_id"]
isOneToOne: false
      referencedRelation: "chat_rooms"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "room_members_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"room_messages": {
                  Row: {
                    "body": string,"created_at": string,"deleted_at": string | null,"edited_at": string | null,"hidden_at": string | null,"hidden_reason": string | null,"id": number,"room_id": string,"sender_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "body": string,"created_at"?: string,"deleted_at"?: string | null,"edited_at"?: string | null,"hidden_at"?: string | null,"hidden_reason"?: string | null,"id"?: never,"room_id": string,"sender_id"?: string
                  }
                  Update: {
                    "body"?: string,"created_at"?: string,"deleted_at"?: string | null,"edited_at"?: string | null,"hidden_at"?: string | null,"hidden_reason"?: string | null,"id"?: never,"room_id"?: string,"sender_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "room_messages_room_id_fkey"
      columns: ["room_id"]
isOneToOne: false
      referencedRelation: "chat_rooms"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "room_messages_sender_id_fkey"
      columns: ["sender_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"saved_searches": {
                  Row: {
                    "created_at": string,"filters": NonNullable<Json>,"id": string,"member_id": string,"name": string,"notify": boolean,"query": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"filters"?: NonNullable<Json>,"id"?: string,"member_id"?: string,"name": string,"notify"?: boolean,"query"?: string,"updated_at"?: string
                  }
                  Update: {
                    "created_at"?: string,"filters"?: NonNullable<Json>,"id"?: string,"member_id"?: string,"name"?: string,"notify"?: boolean,"query"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "saved_searches_member_id_fkey"
      columns: ["member_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"search_history": {
                  Row: {
                    "created_at": string,"filters": NonNullable<Json>,"id": number,"member_id": string,"query": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"filters"?: NonNullable<Json>,"id"?: never,"member_id": string,"query"?: string
                  }
                  Update: {
                    "created_at"?: string,"filters"?: NonNullable<Json>,"id"?: never,"member_id"?: string,"query"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "search_history_member_id_fkey"
      columns: ["member_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"stripe_events": {
                  Row: {
                    "id": string,"livemode": boolean,"outcome": string,"parked_at": string | null,"payload": Json | null,"processed_at": string,"stripe_created_at": string,"stripe_customer_id": string | null,"type": string
                  }
                  ComputedFields: never
                  Insert: {
                    "id": string,"livemode"?: boolean,"outcome": string,"parked_at"?: string | null,"payload"?: Json | null,"processed_at"?: string,"stripe_created_at": string,"stripe_customer_id"?: string | null,"type": string
                  }
                  Update: {
                    "id"?: string,"livemode"?: boolean,"outcome"?: string,"parked_at"?: string | null,"payload"?: Json | null,"processed_at"?: string,"stripe_created_at"?: string,"stripe_customer_id"?: string | null,"type"?: string
                  }
                  Relationships: [
                    
                  ]
                },"subscriptions": {
                  Row: {
                    "cancel_at": string | null,"cancel_at_period_end": boolean,"canceled_at": string | null,"created_at": string,"current_period_end": string | null,"current_period_start": string | null,"ended_at": string | null,"id": string,"plan_id": string,"quantity": number,"scheduled_change_at": string | null,"scheduled_plan_id": string | null,"status": Database["public"]['Enums']["subscription_status"],"stripe_customer_id": string,"stripe_event_at": string,"stripe_event_id": string,"stripe_subscription_id": string,"trial_end": string | null,"trial_start": string | null,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "cancel_at"?: string | null,"cancel_at_period_end"?: boolean,"canceled_at"?: string | null,"created_at"?: string,"current_period_end"?: string | null,"current_period_start"?: string | null,"ended_at"?: string | null,"id"?: string,"plan_id": string,"quantity"?: number,"scheduled_change_at"?: string | null,"scheduled_plan_id"?: string | null,"status": Database["public"]['Enums']["subscription_status"],"stripe_customer_id": string,"stripe_event_at": string,"stripe_event_id": string,"stripe_subscription_id": string,"trial_end"?: string | null,"trial_start"?: string | null,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "cancel_at"?: string | null,"cancel_at_period_end"?: boolean,"canceled_at"?: string | null,"created_at"?: string,"current_period_end"?: string | null,"current_period_start"?: string | null,"ended_at"?: string | null,"id"?: string,"plan_id"?: string,"quantity"?: number,"scheduled_change_at"?: string | null,"scheduled_plan_id"?: string | null,"status"?: Database["public"]['Enums']["subscription_status"],"stripe_customer_id"?: string,"stripe_event_at"?: string,"stripe_event_id"?: string,"stripe_subscription_id"?: string,"trial_end"?: string | null,"trial_start"?: string | null,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "subscriptions_plan_id_fkey"
      columns: ["plan_id"]
isOneToOne: false
      referencedRelation: "plans"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "subscriptions_scheduled_plan_id_fkey"
      columns: ["scheduled_plan_id"]
isOneToOne: false
      referencedRelation: "plans"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "subscriptions_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"support_tickets": {
                  Row: {
                    "category": Database["public"]['Enums']["ticket_category"],"closed_at": string | null,"created_at": string,"id": string,"last_message_at": string,"member_id": string,"priority": Database["public"]['Enums']["ticket_priority"],"resolved_at": string | null,"status": Database["public"]['Enums']["ticket_status"],"subject": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "category"?: Database["public"]['Enums']["ticket_category"],"closed_at"?: string | null,"created_at"?: string,"id"?: string,"last_message_at"?: string,"member_id": string,"priority"?: Database["public"]['Enums']["ticket_priority"],"resolved_at"?: string | null,"status"?: Database["public"]['Enums']["ticket_status"],"subject": string,"updated_at"?: string
                  }
                  Update: {
                    "category"?: Database["public"]['Enums']["ticket_category"],"closed_at"?: string | null,"created_at"?: string,"id"?: string,"last_message_at"?: string,"member_id"?: string,"priority"?: Database["public"]['Enums']["ticket_priority"],"resolved_at"?: string | null,"status"?: Database["public"]['Enums']["ticket_status"],"subject"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "support_tickets_member_id_fkey"
      columns: ["member_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"ticket_messages": {
                  Row: {
                    "author_id": string | null,"body": string,"created_at": string,"id": number,"is_internal": boolean,"ticket_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "author_id"?: string | null,"body": string,"created_at"?: string,"id"?: never,"is_internal"?: boolean,"ticket_id": string
                  }
                  Update: {
                    "author_id"?: string | null,"body"?: string,"created_at"?: string,"id"?: never,"is_internal"?: boolean,"ticket_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "ticket_messages_author_id_fkey"
      columns: ["author_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "ticket_messages_ticket_id_fkey"
      columns: ["ticket_id"]
isOneToOne: false
      referencedRelation: "support_tickets"
      referencedColumns: ["id"]
    }
                  ]
                }
          }
          Views: {
            [_ in never]: never
          }
          Functions: {
            "accept_terms":
{ Args: { "version": string }; Returns: {
              "completed_at": string | null,
"location_set_at": string | null,
"privacy_initialised_at": string | null,
"profile_completed_at": string | null,
"terms_accepted_at": string | null,
"terms_version": string | null,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "onboarding"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_adjust_credits":
{ Args: { "amount_cents": number,"memo"?: string,"reference": string,"user_id": string }; Returns: {
              "account_id": string,
"amount_cents": number,
"balance_after_cents": number,
"created_at": string,
"created_by": string | null,
"id": number,
"kind": Database["public"]['Enums']["credit_kind"],
"memo": string | null,
"source": string,
"source_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "credit_transactions"
        isOneToOne: true
        isSetofReturn: false
      } },
"affiliate_stats":
{ Args: Record<PropertyKey, never>; Returns: Database["public"]['CompositeTypes']["affiliate_summary"]
                          SetofOptions: {
        from: "*"
        to: "affiliate_summary"
        isOneToOne: true
        isSetofReturn: false
      } },
"apply_credits":
{ Args: { "amount_cents"?: number,"booking_id": string }; Returns: {
              "cancelled_at": string | null,
"cancelled_by": string | null,
"card_amount_cents": number | null,
"completed_at": string | null,
"confirmed_at": string | null,
"created_at": string,
"credits_applied_cents": number,
"currency": string,
"duration_minutes": number,
"expert_id": string | null,
"id": string,
"member_id": string | null,
"note": string | null,
"price_cents": number,
"scheduled_at": string,
"status": Database["public"]['Enums']["booking_status"],
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "bookings"
        isOneToOne: true
        isSetofReturn: false
      } },
"cancel_account_deletion":
{ Args: { "request_id": string }; Returns: {
              "claimed_by": string | null,
"id": string,
"lease_expires_at": string | null,
"process_after": string,
"processed_at": string | null,
"reason": string | null,
"requested_at": string,
"source": string,
"status": Database["public"]['Enums']["request_status"],
"user_id": string | null
            }
                          SetofOptions: {
        from: "*"
        to: "data_deletion_requests"
        isOneToOne: true
        isSetofReturn: false
      } },
"clear_search_history":
{ Args: Record<PropertyKey, never>; Returns: number
                           },
"complete_onboarding_step":
{ Args: { "step": string }; Returns: {
              "completed_at": string | null,
"location_set_at": string | null,
"privacy_initialised_at": string | null,
"profile_completed_at": string | null,
"terms_accepted_at": string | null,
"terms_version": string | null,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "onboarding"
        isOneToOne: true
        isSetofReturn: false
      } },
"consultation_history":
{ Args: { "page_offset"?: number,"page_size"?: number }; Returns: {
              "booking_id": string,"can_review": boolean,"cancelled_at": string,"card_amount_cents": number,"completed_at": string,"credits_applied_cents": number,"currency": string,"duration_minutes": number,"expert_avatar_url": string,"expert_headline": string,"expert_id": string,"expert_name": string,"price_cents": number,"review_id": string,"review_rating": number,"scheduled_at": string,"status": Database["public"]['Enums']["booking_status"]
            }[]
                           },
"create_booking":
{ Args: { "duration_minutes": number,"expert_id": string,"note"?: string,"scheduled_at": string }; Returns: {
              "cancelled_at": string | null,
"cancelled_by": string | null,
"card_amount_cents": number | null,
"completed_at": string | null,
"confirmed_at": string | null,
"created_at": string,
"credits_applied_cents": number,
"currency": string,
"duration_minutes": number,
"expert_id": string | null,
"id": string,
"member_id": string | null,
"note": string | null,
"price_cents": number,
"scheduled_at": string,
"status": Database["public"]['Enums']["booking_status"],
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "bookings"
        isOneToOne: true
        isSetofReturn: false
      } },
"create_room":
{ Args: { "name": string,"topic"?: string,"visibility"?: Database["public"]['Enums']["room_visibility"] }; Returns: {
              "created_at": string,
"id": string,
"name": string,
"topic": string | null,
"updated_at": string,
"visibility": Database["public"]['Enums']["room_visibility"]
            }
                          SetofOptions: {
        from: "*"
        to: "chat_rooms"
        isOneToOne: true
        isSetofReturn: false
      } },
"custom_access_token_hook":
{ Args: { "event": Json }; Returns: Json
                           },
"expert_favorites_count":
{ Args: { "expert_id": string }; Returns: number
                           },
"expert_reviews":
{ Args: { "expert_id": string,"page_offset"?: number,"page_size"?: number }; Returns: {
              "author_name": string,"body": string,"created_at": string,"id": string,"rating": number,"title": string,"updated_at": string
            }[]
                           },
"hide_room_message":
{ Args: { "message_id": number,"reason"?: string }; Returns: {
              "body": string,
"created_at": string,
"deleted_at": string | null,
"edited_at": string | null,
"hidden_at": string | null,
"hidden_reason": string | null,
"id": number,
"room_id": string,
"sender_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "room_messages"
        isOneToOne: true
        isSetofReturn: false
      } },
"inbox":
{ Args: { "before"?: string,"page_size"?: number }; Returns: {
              "conversation_id": string,"last_message_at": string,"last_message_id": number,"last_message_preview": string,"last_message_sender_id": string,"other_id": string,"other_last_read_message_id": number,"other_name": string,"unread_count": number
            }[]
                           },
"invite_to_room":
{ Args: { "room_id": string,"user_id": string }; Returns: {
              "joined_at": string | null,
"left_at": string | null,
"muted_until": string | null,
"role": Database["public"]['Enums']["room_role"],
"room_id": string,
"status": Database["public"]['Enums']["room_membership_status"],
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "room_members"
        isOneToOne: true
        isSetofReturn: false
      } },
"join_room":
{ Args: { "room_id": string }; Returns: {
              "joined_at": string | null,
"left_at": string | null,
"muted_until": string | null,
"role": Database["public"]['Enums']["room_role"],
"room_id": string,
"status": Database["public"]['Enums']["room_membership_status"],
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "room_members"
        isOneToOne: true
        isSetofReturn: false
      } },
"leave_room":
{ Args: { "room_id": string }; Returns: {
              "joined_at": string | null,
"left_at": string | null,
"muted_until": string | null,
"role": Database["public"]['Enums']["room_role"],
"room_id": string,
"status": Database["public"]['Enums']["room_membership_status"],
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "room_members"
        isOneToOne: true
        isSetofReturn: false
      } },
"list_favorites":
{ Args: Record<PropertyKey, never>; Returns: {
              "area": string,"city": string,"currency": string,"display_name": string,"expert_id": string,"favorited_at": string,"headline": string,"hourly_rate_cents": number,"is_available": boolean,"rating_avg": number,"rating_count": number
            }[]
                           },
"mark_conversation_read":
{ Args: { "conversation_id": string }; Returns: {
              "conversation_id": string,
"id": string,
"last_message_at": string | null,
"last_message_id": number | null,
"last_read_at": string | null,
"last_read_message_id": number | null,
"other_last_read_at": string | null,
"other_last_read_message_id": number | null,
"unread_count": number,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "conversation_participants"
        isOneToOne: true
        isSetofReturn: false
      } },
"member_area":
{ Args: { "member_id": string }; Returns: {
              "area": string,"city": string
            }[]
                           },
"member_dashboard":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"member_stats":
{ Args: Record<PropertyKey, never>; Returns: {
              "average_rating_given": number,"bookings_cancelled": number,"bookings_completed": number,"bookings_total": number,"bookings_upcoming": number,"card_spent_cents": number,"credits_spent_cents": number,"experts_consulted": number,"last_consultation_at": string,"member_since": string,"minutes_consulted": number,"open_tickets": number,"reviews_written": number,"spent_cents": number,"unread_notifications": number
            }[]
                           },
"moderate_message":
{ Args: { "hide"?: boolean,"message_id": number,"reason"?: string,"suspend_sender"?: boolean }; Returns: {
              "body": string,
"conversation_id": string,
"created_at": string,
"deleted_at": string | null,
"edited_at": string | null,
"hidden_at": string | null,
"hidden_reason": string | null,
"id": number,
"sender_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "messages"
        isOneToOne: true
        isSetofReturn: false
      } },
"mute_room_member":
{ Args: { "minutes": number,"room_id": string,"user_id": string }; Returns: {
              "joined_at": string | null,
"left_at": string | null,
"muted_until": string | null,
"role": Database["public"]['Enums']["room_role"],
"room_id": string,
"status": Database["public"]['Enums']["room_membership_status"],
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "room_members"
        isOneToOne: true
        isSetofReturn: false
      } },
"my_entitlements":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"my_favorites_count":
{ Args: Record<PropertyKey, never>; Returns: number
                           },
"nearby_experts":
{ Args: { "expertise"?: string,"lat": number,"lng": number,"max_results"?: number,"min_rating"?: number,"radius_km": number }; Returns: {
              "area": string,"city": string,"display_name": string,"distance_km": number,"expert_id": string,"headline": string,"rating_avg": number,"rating_count": number
            }[]
                           },
"open_support_ticket":
{ Args: { "body": string,"category"?: Database["public"]['Enums']["ticket_category"],"subject": string }; Returns: {
              "category": Database["public"]['Enums']["ticket_category"],
"closed_at": string | null,
"created_at": string,
"id": string,
"last_message_at": string,
"member_id": string,
"priority": Database["public"]['Enums']["ticket_priority"],
"resolved_at": string | null,
"status": Database["public"]['Enums']["ticket_status"],
"subject": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "support_tickets"
        isOneToOne: true
        isSetofReturn: false
      } },
"quote_credits":
{ Args: { "booking_id": string }; Returns: Database["public"]['CompositeTypes']["credit_quote"]
                          SetofOptions: {
        from: "*"
        to: "credit_quote"
        isOneToOne: true
        isSetofReturn: false
      } },
"record_search":
{ Args: { "filters"?: Json,"query": string }; Returns: {
              "created_at": string,
"filters": NonNullable<Json>,
"id": number,
"member_id": string,
"query": string
            }
                          SetofOptions: {
        from: "*"
        to: "search_history"
        isOneToOne: true
        isSetofReturn: false
      } },
"remove_from_room":
{ Args: { "room_id": string,"user_id": string }; Returns: {
              "joined_at": string | null,
"left_at": string | null,
"muted_until": string | null,
"role": Database["public"]['Enums']["room_role"],
"room_id": string,
"status": Database["public"]['Enums']["room_membership_status"],
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "room_members"
        isOneToOne: true
        isSetofReturn: false
      } },
"request_account_deletion":
{ Args: { "reason"?: string }; Returns: {
              "claimed_by": string | null,
"id": string,
"lease_expires_at": string | null,
"process_after": string,
"processed_at": string | null,
"reason": string | null,
"requested_at": string,
"source": string,
"status": Database["public"]['Enums']["request_status"],
"user_id": string | null
            }
                          SetofOptions: {
        from: "*"
        to: "data_deletion_requests"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_booking_status":
{ Args: { "booking_id": string,"new_status": Database["public"]['Enums']["booking_status"] }; Returns: {
              "cancelled_at": string | null,
"cancelled_by": string | null,
"card_amount_cents": number | null,
"completed_at": string | null,
"confirmed_at": string | null,
"created_at": string,
"credits_applied_cents": number,
"currency": string,
"duration_minutes": number,
"expert_id": string | null,
"id": string,
"member_id": string | null,
"note": string | null,
"price_cents": number,
"scheduled_at": string,
"status": Database["public"]['Enums']["booking_status"],
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "bookings"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_expert_location":
{ Args: { "area"?: string,"city"?: string,"lat": number,"lng": number }; Returns: {
              "area": string | null,
"cell": unknown,
"city": string | null,
"expert_id": string,
"location": unknown,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "expert_locations"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_my_location":
{ Args: { "area"?: string,"city"?: string,"lat": number,"lng": number }; Returns: {
              "area": string | null,
"city": string | null,
"location": unknown,
"member_id": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "member_locations"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_room_role":
{ Args: { "role": Database["public"]['Enums']["room_role"],"room_id": string,"user_id": string }; Returns: {
              "joined_at": string | null,
"left_at": string | null,
"muted_until": string | null,
"role": Database["public"]['Enums']["room_role"],
"room_id": string,
"status": Database["public"]['Enums']["room_membership_status"],
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "room_members"
        isOneToOne: true
        isSetofReturn: false
      } },
"spending_history":
{ Args: { "months"?: number }; Returns: {
              "bookings": number,"card_cents": number,"credits_cents": number,"currency": string,"month": string,"total_cents": number
            }[]
                           },
"start_conversation":
{ Args: { "body": string,"expert_id": string }; Returns: {
              "created_at": string,
"expert_id": string,
"id": string,
"member_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "conversations"
        isOneToOne: true
        isSetofReturn: false
      } },
"unread_counts":
{ Args: Record<PropertyKey, never>; Returns: Json
                           }
          }
          Enums: {
            "account_status": "active"|"suspended"|"deactivated","booking_status": "requested"|"confirmed"|"completed"|"cancelled","consultation_mode": "online"|"in_person"|"any","credit_kind": "referral_bonus"|"spend"|"refund"|"adjustment"|"expiry","distance_unit": "km"|"mi","email_delivery": "immediate"|"daily_digest"|"off","email_digest": "never"|"daily"|"weekly","email_status": "pending"|"sending"|"sent"|"failed"|"suppressed","invoice_status": "draft"|"open"|"paid"|"void"|"uncollectible"|"refunded","member_role": "member"|"expert"|"admin","notification_category": "bookings"|"messages"|"reviews"|"credits"|"security"|"marketing"|"search_alerts"|"billing","notification_channel": "email"|"push"|"sms"|"in_app","plan_interval": "month"|"year","profile_visibility": "public"|"members"|"private","referral_status": "pending"|"qualified"|"credited"|"rejected","report_status": "open"|"actioned"|"dismissed","request_status": "pending"|"processing"|"completed"|"cancelled"|"failed","room_membership_status": "invited"|"active"|"left"|"removed","room_role": "owner"|"moderator"|"member","room_visibility": "public"|"private","subscription_status": "incomplete"|"incomplete_expired"|"trialing"|"active"|"past_due"|"unpaid"|"paused"|"canceled","ticket_category": "account"|"booking"|"billing"|"credits"|"technical"|"other","ticket_priority": "low"|"normal"|"high"|"urgent","ticket_status": "open"|"pending"|"resolved"|"closed","verification_status": "unverified"|"pending"|"verified"|"rejected"
          }
          CompositeTypes: {
            "affiliate_summary": {
                        "code": string | null,"pending": number | null,"qualified": number | null,"credited": number | null,"rejected": number | null,"total_earned_cents": number | null,"balance_cents": number | null,"bonus_cents": number | null
                      },"credit_quote": {
                        "booking_id": string | null,"price_cents": number | null,"cap_percent": number | null,"cap_cents": number | null,"balance_cents": number | null,"applied_cents": number | null,"applicable_cents": number | null
                      }
          }
        }
}

type DatabaseWithoutInternals = Omit<Database, '__InternalSupabase'>

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
  ? (DefaultSchema["Tables"] & DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
      Row: infer R
    }
    ? R
    : never
  : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Insert: infer I
    }
    ? I
    : never
  : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Update: infer U
    }
    ? U
    : never
  : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
  ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
  : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
  ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
  : never

export const Constants = {
  "public": {
          Enums: {
            "account_status": ["active", "suspended", "deactivated"],"booking_status": ["requested", "confirmed", "completed", "cancelled"],"consultation_mode": ["online", "in_person", "any"],"credit_kind": ["referral_bonus", "spend", "refund", "adjustment", "expiry"],"distance_unit": ["km", "mi"],"email_delivery": ["immediate", "daily_digest", "off"],"email_digest": ["never", "daily", "weekly"],"email_status": ["pending", "sending", "sent", "failed", "suppressed"],"invoice_status": ["draft", "open", "paid", "void", "uncollectible", "refunded"],"member_role": ["member", "expert", "admin"],"notification_category": ["bookings", "messages", "reviews", "credits", "security", "marketing", "search_alerts", "billing"],"notification_channel": ["email", "push", "sms", "in_app"],"plan_interval": ["month", "year"],"profile_visibility": ["public", "members", "private"],"referral_status": ["pending", "qualified", "credited", "rejected"],"report_status": ["open", "actioned", "dismissed"],"request_status": ["pending", "processing", "completed", "cancelled", "failed"],"room_membership_status": ["invited", "active", "left", "removed"],"room_role": ["owner", "moderator", "member"],"room_visibility": ["public", "private"],"subscription_status": ["incomplete", "incomplete_expired", "trialing", "active", "past_due", "unpaid", "paused", "canceled"],"ticket_category": ["account", "booking", "billing", "credits", "technical", "other"],"ticket_priority": ["low", "normal", "high", "urgent"],"ticket_status": ["open", "pending", "resolved", "closed"],"verification_status": ["unverified", "pending", "verified", "rejected"]
          }
        }
} as const
