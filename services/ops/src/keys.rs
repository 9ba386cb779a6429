//! `lonjak-ops keys seal-keypair`: a recipient key pair for the applicants
//! the gateway seals (lonjak-seal).
//!
//! `lonjak-ops keys rotate`: re-seals every registration under the current
//! data key version, batch after batch, while the pipeline runs.
//!
//! `lonjak-ops keys verify` (`keys_verify`): opens every registration with
//! the configured ring and counts the rows per key version.
//!
//! Each batch is one short transaction over the next `batch` rows (in id
//! order) not at the current version, so services keep writing and reading
//! throughout. A pass interrupted anywhere is resumed by running it again:
//! rows already rotated are never picked twice.

use std::time::Duration;

use anyhow::Context;
use lonjak_domain::IdentityKey;
use lonjak_store::{DatabaseSettings, Store};

/// `lonjak-ops keys …`.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Re-seal every registration under the current key version
    /// (`database.data_key_version`), in short batches, while the pipeline
    /// runs. Safe to stop and run again: it resumes.
    Rotate {
        /// Rows per batch (one transaction each).
        #[arg(long, default_value_t = 500)]
        batch: u32,
    },
    /// Open every personal field of every registration with the configured
    /// ring (`database.data_key`, `previous_data_keys`) and report the rows
    /// per key version and those that do not open. Read-only. Exits with an
    /// error if a row does not open: with the old key removed from the ring,
    /// "all open" shows the old key can be retired.
    Verify {
        /// Rows per read.
        #[arg(long, default_value_t = 1000)]
        batch: u32,
    },
    /// Print a new key pair for sealing applicants at the gateway (HPKE,
    /// X25519): the public key for the gateway (`seal.public_key`), the
    /// private key for the verifier only (`seal.private_key`, a secret).
    /// Touches nothing: the operator puts each where it belongs.
    SealKeypair,
}

/// Runs `command` against the database at `database_url`, with the keys of
/// the `database.*` and `identity.*` settings.
pub async fn run(
    command: &KeysCommand,
    database_url: &str,
    query_timeout: Duration,
) -> anyhow::Result<()> {
    let batch = match *command {
        KeysCommand::SealKeypair => {
            print!("{}", seal_keypair(&lonjak_seal::SealPrivateKey::generate()));
            return Ok(());
        }
        KeysCommand::Verify { batch } => {
            let store = connect(database_url, query_timeout).await?;
            let found = crate::keys_verify::verify(&store, batch).await?;
            print!("{}", found.report());
            anyhow::ensure!(
                found.all_open(),
                "{} row(s) do not open with the configured data key ring",
                found.failed
            );
            return Ok(());
        }
        KeysCommand::Rotate { batch } => batch,
    };
    let store = connect(database_url, query_timeout).await?;
    let settings: KeySettings = lonjak_settings::load(&[]).context("loading the key settings")?;
    let identity = settings
        .identity
        .as_ref()
        .map(lonjak_domain::IdentitySettings::lookup_key);
    let done = rotate(&store, identity, batch, |n| {
        if n % 50_000 < u64::from(batch) {
            println!("{n} row(s) re-sealed so far");
        }
    })
    .await?;
    println!(
        "{} row(s) re-sealed under key version {} in {} batch(es); {} not at it",
        done.rotated, done.version, done.batches, done.remaining
    );
    Ok(())
}

/// The store with the ring of the `database.*` settings, at `database_url`.
async fn connect(database_url: &str, query_timeout: Duration) -> anyhow::Result<Store> {
    let settings: KeySettings = lonjak_settings::load(&[]).context("loading the key settings")?;
    let mut config = settings
        .database
        .to_config_with_data_key()
        .context("database settings")?;
    database_url.clone_into(&mut config.database_url);
    config.query_timeout = query_timeout;
    config.max_connections = 2;
    Store::connect(config)
        .await
        .context("connecting to the database")
}

/// The `seal-keypair` output for `key`: environment lines with comments.
pub fn seal_keypair(key: &lonjak_seal::SealPrivateKey) -> String {
    use secrecy::ExposeSecret;
    format!(
        "# Sealing key pair {id} (key id). The public key goes to the gateway (not a secret):\n\
         LONJAK_SEAL__PUBLIC_KEY={public}\n\
         # The private key goes to the verifier only, as a secret; on rotation the\n\
         # verifier's current key becomes LONJAK_SEAL__PREVIOUS_PRIVATE_KEY:\n\
         LONJAK_SEAL__PRIVATE_KEY={private}\n",
        id = key.key_id(),
        public = key.public().to_base64(),
        private = key.to_base64().expose_secret(),
    )
}

/// What a pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The version every row is sealed under now.
    pub version: u8,
    /// Rows this pass re-sealed.
    pub rotated: u64,
    /// Batches (transactions) it took.
    pub batches: u64,
    /// Rows still not at the current version after the pass (written under
    /// an older key by a service not yet given the new one).
    pub remaining: i64,
}

/// The sections `keys rotate` reads through the settings loader: the data
/// keys, and the identity key for rows from before versioned keys that have
/// no contact hashes yet.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct KeySettings {
    pub database: DatabaseSettings,
    pub identity: Option<lonjak_domain::IdentitySettings>,
}

/// Runs one pass over every registration. `progress` is told after each
/// batch (rows so far).
pub async fn rotate(
    store: &Store,
    identity: Option<&IdentityKey>,
    batch: u32,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<Rotation> {
    let version = store.current_key_version().context("the data key ring")?;
    let mut after: Option<String> = None;
    let (mut rotated, mut batches) = (0u64, 0u64);
    loop {
        let done = store
            .rotate_keys_batch(after.as_deref(), i64::from(batch.max(1)), identity)
            .await
            .with_context(|| format!("re-sealing the batch after {after:?}"))?;
        if done.rotated == 0 {
            break;
        }
        batches += 1;
        rotated += done.rotated as u64;
        progress(rotated);
        after = done.last_id;
    }
    let remaining = store
        .rows_to_rotate()
        .await
        .context("counting what is left")?;
    Ok(Rotation {
        version,
        rotated,
        batches,
        remaining,
    })
}
