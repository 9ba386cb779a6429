//! `lonjak-sampler --out CSV [--amqp-url URL] [--queue verifier]
//! [--metrics-url http://127.0.0.1:9100/metrics] [--interval-ms 1000]`:
//! samples queue depth and intake counters until SIGINT/SIGTERM.

use anyhow::Context as _;
use clap::Parser as _;

fn main() -> anyhow::Result<()> {
    let args = lonjak_audit::sampler::SamplerArgs::parse();
    lonjak_audit::init_logging();
    // A multi-thread runtime: on a current-thread one, lapin's connection
    // handshake was seen to stall for many seconds between samples.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the runtime")?
        .block_on(lonjak_audit::sampler::run(args))
}
