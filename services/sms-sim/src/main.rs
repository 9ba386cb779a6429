//! `lonjak-sms-sim`: configuration → tracing → serve.

use std::path::PathBuf;

use anyhow::Context;
use lonjak_sms_sim::{SmsSimConfig, init_tracing, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = config_path()?;
    let config = SmsSimConfig::load(path.as_deref()).context("cannot load the configuration")?;
    init_tracing();
    run(config).await
}

/// `--config PATH`, else `LONJAK_SMS_SIM_CONFIG`, else none.
fn config_path() -> anyhow::Result<Option<PathBuf>> {
    let mut args = std::env::args_os().skip(1);
    match args.next() {
        None => {}
        Some(flag) if flag == "--config" => {
            let path = args.next().context("--config needs a path")?;
            return Ok(Some(PathBuf::from(path)));
        }
        Some(other) => {
            anyhow::bail!("unknown argument {other:?}; usage: lonjak-sms-sim [--config PATH]")
        }
    }
    Ok(std::env::var_os("LONJAK_SMS_SIM_CONFIG").map(PathBuf::from))
}
