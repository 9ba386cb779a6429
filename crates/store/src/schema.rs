//! Diesel table definitions, written by hand to match `migrations/` (there is
//! no diesel CLI in the build environment). Keep the two in step.

diesel::table! {
    waves (id) {
        id -> Int4,
        name -> Text,
        quota -> Int4,
        opens_at -> Timestamptz,
        closes_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        state -> Text,
        email_verification_required -> Bool,
        photos_required -> Bool,
        selected_at -> Nullable<Timestamptz>,
        announced_rank -> Int4,
        selected_count -> Int4,
        waitlisted_count -> Int4,
        kk_rejected_count -> Int4,
        announced_at -> Nullable<Timestamptz>,
        retention_days -> Nullable<Int4>,
        decided_prefix -> Nullable<Int4>,
    }
}

diesel::table! {
    registrations (id) {
        id -> Text,
        wave_id -> Int4,
        nik_hash -> Bytea,
        kk_hash -> Bytea,
        nik_ciphertext -> Bytea,
        kk_ciphertext -> Bytea,
        full_name -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        birth_date -> Nullable<Date>,
        employment_status -> Text,
        in_education -> Bool,
        status -> Text,
        reason -> Nullable<Text>,
        social_aid_programme -> Nullable<Text>,
        submitted_at -> Timestamptz,
        updated_at -> Timestamptz,
        submission_hash -> Nullable<Bytea>,
        score -> Nullable<Int4>,
        score_parts -> Nullable<Jsonb>,
        rank -> Nullable<Int4>,
        decided_at -> Nullable<Timestamptz>,
        rejoined_from -> Nullable<Int4>,
        language -> Text,
        email_verified_at -> Nullable<Timestamptz>,
        key_version -> Nullable<Int2>,
        full_name_ciphertext -> Nullable<Bytea>,
        email_ciphertext -> Nullable<Bytea>,
        phone_ciphertext -> Nullable<Bytea>,
        birth_date_ciphertext -> Nullable<Bytea>,
        email_hash -> Nullable<Bytea>,
        phone_hash -> Nullable<Bytea>,
    }
}

// `registrations.erased_at` (migration 2026-12-13-000001_retention) is
// queried with SQL text (`retention.rs`, and `not_erased()` where the DSL
// filters): a 33rd column here would need diesel's 64-column tables.

diesel::table! {
    verification_checks (id) {
        id -> Int8,
        registration_id -> Text,
        registry -> Text,
        outcome -> Text,
        detail -> Jsonb,
        checked_at -> Timestamptz,
    }
}

diesel::table! {
    status_history (id) {
        id -> Int8,
        registration_id -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        reason -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::table! {
    outbox (event_id) {
        event_id -> Uuid,
        registration_id -> Text,
        routing_key -> Text,
        envelope -> Jsonb,
        created_at -> Timestamptz,
        published_at -> Nullable<Timestamptz>,
        lease_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    notifications (registration_id, event, channel) {
        registration_id -> Text,
        event -> Text,
        channel -> Text,
        state -> Text,
        claimed_until -> Nullable<Timestamptz>,
        attempts -> Int4,
        failure -> Nullable<Text>,
        provider_id -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    email_verification_resends (registration_id, day) {
        registration_id -> Text,
        day -> Date,
        count -> Int4,
    }
}

diesel::joinable!(registrations -> waves (wave_id));
diesel::joinable!(notifications -> registrations (registration_id));
diesel::joinable!(email_verification_resends -> registrations (registration_id));
diesel::joinable!(verification_checks -> registrations (registration_id));
diesel::joinable!(status_history -> registrations (registration_id));
diesel::joinable!(outbox -> registrations (registration_id));

diesel::allow_tables_to_appear_in_same_query!(
    waves,
    registrations,
    verification_checks,
    status_history,
    outbox,
    notifications,
    email_verification_resends,
);

// The waiting room (migration 2026-12-08-000001_waiting_room). Queried with
// SQL text in `waitroom*.rs` and `drain.rs`; declared here to keep the
// schema in one place.

diesel::table! {
    waitroom_waves (wave_id) {
        wave_id -> Int4,
        opens_at -> Timestamptz,
        drawn -> Bool,
        admitted_upto -> Int8,
        admit_per_sec -> Float8,
        admit_credit -> Float8,
        ticked_at -> Timestamptz,
        drawn_count -> Int8,
    }
}

diesel::table! {
    waitroom_tickets (id) {
        id -> Uuid,
        wave_id -> Int4,
        client_key -> Bytea,
        position -> Nullable<Int8>,
        draw -> Int8,
        joined_at -> Timestamptz,
        estimate_secs -> Nullable<Float8>,
        estimated_at -> Nullable<Timestamptz>,
        admitted_at -> Nullable<Timestamptz>,
        registration_id -> Nullable<Text>,
        used_at -> Nullable<Timestamptz>,
        expired_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    intake_drain (id) {
        id -> Bool,
        last_history_id -> Int8,
        per_sec -> Float8,
        variance -> Float8,
        sampled_at -> Timestamptz,
        stalled_since -> Nullable<Timestamptz>,
        total_left -> Int8,
        last_snapshot -> Nullable<Text>,
        floor_history_id -> Int8,
        last_left -> Int8,
        last_elapsed_secs -> Float8,
        quiet_per_sec -> Float8,
        busy_measured -> Bool,
        loaded_per_sec -> Float8,
        quiet_speedup -> Float8,
    }
}

diesel::joinable!(waitroom_tickets -> waitroom_waves (wave_id));

// The support desk (migration 2026-12-14-000001_support_desk). Queried with
// SQL text in `access_log.rs` and `support*.rs`; declared here to keep the
// schema in one place.

diesel::table! {
    access_log (id) {
        id -> Int8,
        at -> Timestamptz,
        actor -> Text,
        role -> Nullable<Text>,
        action -> Text,
        lookup_kind -> Nullable<Text>,
        registration_ids -> Array<Text>,
        reason -> Nullable<Text>,
        outcome -> Text,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    support_action_counts (registration_id, action, day) {
        registration_id -> Text,
        action -> Text,
        day -> Date,
        count -> Int4,
    }
}

diesel::table! {
    support_lookup_counts (actor, hour) {
        actor -> Text,
        hour -> Timestamptz,
        count -> Int4,
    }
}

diesel::table! {
    replay_requests (id) {
        id -> Int8,
        registration_id -> Text,
        requested_by -> Text,
        reason -> Text,
        requested_at -> Timestamptz,
        state -> Text,
        handled_by -> Nullable<Text>,
        handled_at -> Nullable<Timestamptz>,
        note -> Nullable<Text>,
    }
}
