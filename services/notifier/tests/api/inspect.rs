//! What the notifier stored about an applicant's messages, read straight
//! from the test's database.

use diesel_async::RunQueryDsl;
use time::OffsetDateTime;

use crate::helpers::{Applicant, TestApp};

impl TestApp {
    pub(crate) async fn connect(&self) -> diesel_async::AsyncPgConnection {
        <diesel_async::AsyncPgConnection as diesel_async::AsyncConnection>::establish(&self.db.url)
            .await
            .expect("connect to the test database")
    }

    /// The state of one stored message; `None` before it is first claimed.
    pub async fn state_of(&self, who: &Applicant, event: &str, channel: &str) -> Option<String> {
        use diesel::OptionalExtension;
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            state: String,
        }
        let mut conn = self.connect().await;
        diesel::sql_query(
            "SELECT state FROM notifications WHERE registration_id = $1 AND event = $2 AND channel = $3",
        )
        .bind::<diesel::sql_types::Text, _>(who.id.to_string())
        .bind::<diesel::sql_types::Text, _>(event)
        .bind::<diesel::sql_types::Text, _>(channel)
        .get_result::<Row>(&mut conn)
        .await
        .optional()
        .expect("read the notification row")
        .map(|row| row.state)
    }

    /// Of the applicant's `verified` messages: the latest lease, the
    /// earliest send and the most claims of one key.
    pub async fn claim_times(
        &self,
        who: &Applicant,
    ) -> (Option<OffsetDateTime>, Option<OffsetDateTime>, i32) {
        use diesel::sql_types::{Integer, Nullable, Timestamptz};
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = Nullable<Timestamptz>)]
            lease: Option<OffsetDateTime>,
            #[diesel(sql_type = Nullable<Timestamptz>)]
            sent: Option<OffsetDateTime>,
            #[diesel(sql_type = Integer)]
            attempts: i32,
        }
        let mut conn = self.connect().await;
        let row: Row = diesel::sql_query(
            "SELECT max(claimed_until) AS lease, min(sent_at) AS sent, max(attempts) AS attempts \
             FROM notifications WHERE registration_id = $1 AND event = 'verified'",
        )
        .bind::<diesel::sql_types::Text, _>(who.id.to_string())
        .get_result(&mut conn)
        .await
        .expect("the notification rows");
        (row.lease, row.sent, row.attempts)
    }

    /// The state and failure label of one stored message.
    pub async fn notification(
        &self,
        who: &Applicant,
        event: &str,
        channel: &str,
    ) -> (String, Option<String>) {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            state: String,
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            failure: Option<String>,
        }
        let mut conn = self.connect().await;
        let row: Row = diesel::sql_query(
            "SELECT state, failure FROM notifications WHERE registration_id = $1 AND event = $2 AND channel = $3",
        )
        .bind::<diesel::sql_types::Text, _>(who.id.to_string())
        .bind::<diesel::sql_types::Text, _>(event)
        .bind::<diesel::sql_types::Text, _>(channel)
        .get_result(&mut conn)
        .await
        .expect("the notification row");
        (row.state, row.failure)
    }
}
