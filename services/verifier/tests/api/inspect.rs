//! Looking at what the verifier did: states and rows in the database,
//! downstream events, queue depths and metrics.

use std::collections::HashMap;
use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use lonjak_bus::WorkQueue;
use lonjak_domain::{RegistrationId, RegistrationStatus};

use crate::helpers::{PATIENCE, TestApp};

impl TestApp {
    /// Waits until the registration is verified or rejected.
    pub async fn final_status(&self, id: &RegistrationId) -> lonjak_store::StatusView {
        let started = tokio::time::Instant::now();
        loop {
            let view = self
                .store
                .registration_status(id)
                .await
                .expect("read status");
            if let Some(view) = view.filter(|view| is_final(view.status)) {
                return view;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "registration {id} never reached a final state"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether the registration is verified or rejected yet.
    pub async fn is_final(&self, id: &RegistrationId) -> bool {
        self.store
            .registration_status(id)
            .await
            .expect("read status")
            .is_some_and(|view| is_final(view.status))
    }

    /// How many deliveries ended with `outcome` (in-process verifier only).
    pub fn processed(&self, outcome: &'static str) -> u64 {
        self.metrics
            .as_ref()
            .expect("in-process verifier")
            .settled_count(outcome)
    }

    /// Waits until `condition` holds, polling.
    pub async fn eventually(&self, what: &str, mut condition: impl AsyncFnMut() -> bool) {
        let started = tokio::time::Instant::now();
        while !condition().await {
            assert!(started.elapsed() < PATIENCE, "never happened: {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every downstream event so far (verified and rejected, from the
    /// notifier queue, which is bound to both), by registration id: the
    /// event ids seen.
    pub async fn downstream_events(&self) -> HashMap<String, Vec<(String, uuid::Uuid)>> {
        let mut consumer = self
            .bus
            .consumer(WorkQueue::Notifier, 500, "test-watcher")
            .await
            .expect("consume the notifier queue");
        let mut events: HashMap<String, Vec<(String, uuid::Uuid)>> = HashMap::new();
        // The queue is drained when nothing arrives for a while.
        while let Ok(Some(delivery)) =
            tokio::time::timeout(Duration::from_secs(2), consumer.next()).await
        {
            let delivery = delivery.expect("a delivery");
            let envelope = delivery
                .envelope::<serde_json::Value>()
                .expect("an envelope");
            let id = envelope.payload["registration_id"]
                .as_str()
                .expect("registration id")
                .to_owned();
            events
                .entry(id)
                .or_default()
                .push((envelope.event_type.clone(), envelope.event_id));
            delivery.ack().await.expect("ack");
        }
        consumer.cancel().await;
        events
    }

    /// Rows about one registration: (registrations, status_history, outbox).
    pub async fn row_counts(&self, id: &RegistrationId) -> (i64, Vec<String>, i64) {
        let mut conn = AsyncPgConnection::establish(&self.db.url)
            .await
            .expect("connect to the test database");
        let id = id.to_string();
        let count = async |conn: &mut AsyncPgConnection, sql: &str| -> i64 {
            diesel::sql_query(sql)
                .bind::<Text, _>(&id)
                .get_result::<Count>(conn)
                .await
                .expect("count rows")
                .n
        };
        let registrations = count(
            &mut conn,
            "SELECT count(*) AS n FROM registrations WHERE id = $1",
        )
        .await;
        let outbox = count(
            &mut conn,
            "SELECT count(*) AS n FROM outbox WHERE registration_id = $1",
        )
        .await;
        let history: Vec<Step> = diesel::sql_query(
            "SELECT coalesce(from_status, '-') || '>' || to_status AS step \
             FROM status_history WHERE registration_id = $1 ORDER BY id",
        )
        .bind::<Text, _>(&id)
        .load(&mut conn)
        .await
        .expect("read history");
        (
            registrations,
            history.into_iter().map(|s| s.step).collect(),
            outbox,
        )
    }

    /// Ready messages of the verifier queue.
    pub async fn verifier_backlog(&self) -> u32 {
        let name = self.bus.topology().queue(WorkQueue::Verifier);
        self.bus
            .queue_depth(&name)
            .await
            .expect("queue depth")
            .messages
    }

    /// Registrations now in `status`.
    pub async fn count_in_status(&self, status: RegistrationStatus) -> i64 {
        let mut conn = AsyncPgConnection::establish(&self.db.url)
            .await
            .expect("connect to the test database");
        diesel::sql_query("SELECT count(*) AS n FROM registrations WHERE status = $1")
            .bind::<Text, _>(status.as_str())
            .get_result::<Count>(&mut conn)
            .await
            .expect("count registrations")
            .n
    }
}

/// The end states of verification.
fn is_final(status: RegistrationStatus) -> bool {
    matches!(
        status,
        RegistrationStatus::Verified | RegistrationStatus::Rejected
    )
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Step {
    #[diesel(sql_type = Text)]
    step: String,
}
