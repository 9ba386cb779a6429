//! `lonjak-bench`: arguments → run → report on stdout and in files.

use anyhow::Context;
use lonjak_bench::args::Command;
use lonjak_bench::{bench, queue};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = match Command::from_env() {
        Ok(command) => command,
        Err(e) => {
            eprintln!("lonjak-bench: {e:#}\n(lonjak-bench --help lists the options)");
            std::process::exit(2);
        }
    };
    match command {
        Command::Cleanup { amqp_url, prefix } => {
            let deleted = queue::delete_topology(&queue::bus_config(&amqp_url, &prefix, None))
                .await
                .context("deleting the benchmark's topology")?;
            eprintln!("deleted {deleted} queues and 2 exchanges of prefix {prefix}");
        }
        Command::Run(args) => {
            let report = bench::run(&args).await?;
            let markdown = report.markdown();
            let json = serde_json::to_string_pretty(&report).context("serialising the report")?;
            println!("{markdown}\n```json\n{json}\n```");
            if let Some(dir) = &args.out_dir {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                std::fs::write(dir.join("admission.md"), &markdown)
                    .context("writing admission.md")?;
                std::fs::write(dir.join("admission.json"), &json)
                    .context("writing admission.json")?;
                eprintln!("report written to {}", dir.display());
            }
        }
    }
    Ok(())
}
