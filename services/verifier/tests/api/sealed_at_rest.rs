//! After registrations have gone through the verifier, no personal field is
//! in any column of any table in clear: every table is read back row by row
//! as JSON text (bytea as hex), the way a dump would show it.

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use lonjak_domain::{IdentityKey, NikHash, Registration, RegistrationRequest, Wave};
use time::OffsetDateTime;

use crate::applicants::{Profile, applicants};
use crate::helpers::{spawn_app, today};

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Every row of every table of the database at `url`, as text.
async fn dump(url: &str) -> String {
    let mut conn = AsyncPgConnection::establish(url).await.expect("connect");
    let tables: Vec<Line> = diesel::sql_query(
        "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS line \
           FROM information_schema.tables \
          WHERE table_type = 'BASE TABLE' \
            AND table_schema NOT IN ('pg_catalog', 'information_schema')",
    )
    .load(&mut conn)
    .await
    .expect("tables");
    let mut text = String::new();
    for table in tables {
        let rows: Vec<Line> = diesel::sql_query(format!(
            "SELECT row_to_json(t)::text AS line FROM {} t",
            table.line
        ))
        .load(&mut conn)
        .await
        .expect("rows");
        for row in rows {
            text.push_str(&row.line);
            text.push('\n');
        }
    }
    text
}

/// Each personal field of `request`, as submitted and as parsed.
fn personal_fields(request: &RegistrationRequest) -> Vec<(&'static str, String)> {
    let reg = Registration::parse(request, today(), Wave::FIRST).expect("valid");
    let mut fields = vec![
        ("nik", reg.nik().as_str().to_owned()),
        ("kk_number", reg.kk_number().as_str().to_owned()),
        ("full_name", reg.full_name().as_str().to_owned()),
        ("email", reg.email().as_str().to_owned()),
        ("phone", reg.phone().as_str().to_owned()),
        ("birth_date", reg.birth_date().to_iso_string()),
    ];
    for (name, raw) in [
        ("full_name as submitted", &request.full_name),
        ("email as submitted", &request.email),
        ("phone as submitted", &request.phone),
        ("birth_date as submitted", &request.birth_date),
    ] {
        if let Some(raw) = raw {
            fields.push((name, raw.clone()));
        }
    }
    fields
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn no_personal_field_is_in_clear_in_any_column_after_verification() {
    let app = spawn_app().await;
    let mut requests = applicants(Profile::Clean, 0, 3);
    requests.extend(applicants(Profile::NameMismatch, 0, 1));
    requests.extend(applicants(Profile::EnrolledInEducation, 0, 1));
    let mut ids = Vec::new();
    for request in &requests {
        let submission = app.submission_at(request, OffsetDateTime::now_utc());
        app.publish(&submission).await;
        ids.push(submission.id);
    }
    for id in &ids {
        app.final_status(id).await;
    }

    let dump = dump(&app.db.url).await;

    // The scan sees the registrations (their ids are there)…
    for id in &ids {
        assert!(
            dump.contains(&id.to_string()),
            "registration {id} not in the dump"
        );
    }
    // …and none of their personal fields, as text or as the hex of bytes.
    for request in &requests {
        for (field, value) in personal_fields(request) {
            assert!(!dump.contains(&value), "{field} in clear in the database");
            assert!(
                !dump.contains(&hex(&value)),
                "{field} as bytes in the database"
            );
        }
    }
    // What is sealed still reads back with the data key.
    let contacts = app.store.contacts(&ids).await.expect("contacts");
    for (id, request) in ids.iter().zip(&requests) {
        let fields = personal_fields(request);
        assert_eq!(contacts[id].email, fields[3].1);
        assert_eq!(contacts[id].full_name, fields[2].1);
    }
    app.stop().await;
}

#[derive(QueryableByName)]
struct Hash {
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    nik_hash: Vec<u8>,
}

#[tokio::test]
async fn the_stored_nik_hash_is_derived_with_the_lookup_key_not_the_gateways_id_key() {
    let app = spawn_app().await;
    let request = applicants(Profile::Clean, 0, 1).remove(0);
    let submission = app.submission_at(&request, OffsetDateTime::now_utc());
    app.publish(&submission).await;
    app.final_status(&submission.id).await;

    let mut conn = AsyncPgConnection::establish(&app.db.url)
        .await
        .expect("connect");
    let stored: Hash = diesel::sql_query("SELECT nik_hash FROM registrations WHERE id = $1")
        .bind::<Text, _>(submission.id.to_string())
        .get_result(&mut conn)
        .await
        .expect("the row");
    let nik = Registration::parse(&request, today(), Wave::FIRST)
        .expect("valid")
        .nik()
        .clone();
    let lookup = IdentityKey::from_hex(&app.lookup_key_hex).expect("key");
    assert_eq!(stored.nik_hash, NikHash::derive(&lookup, &nik).as_bytes());
    assert_ne!(
        stored.nik_hash,
        NikHash::derive(&app.identity_key, &nik).as_bytes()
    );
    app.stop().await;
}
