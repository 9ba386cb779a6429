//! What every pooled connection is opened with.

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;

use crate::helpers::TestStore;

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    jit: String,
    #[diesel(sql_type = Text)]
    statement_timeout: String,
}

#[tokio::test]
async fn pooled_connections_run_bounded_and_without_jit() {
    let app = TestStore::spawn().await;
    let setting: Setting = app
        .store
        .transaction(|conn, _| {
            Box::pin(async move {
                Ok(diesel::sql_query(
                    "SELECT current_setting('jit') AS jit, \
                            current_setting('statement_timeout') AS statement_timeout",
                )
                .get_result(conn)
                .await?)
            })
        })
        .await
        .expect("settings");
    assert_eq!(setting.jit, "off");
    assert_ne!(setting.statement_timeout, "0", "statements are bounded");
}
