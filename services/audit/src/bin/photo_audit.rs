//! `lonjak-photo-audit --completed k6.log [--metrics-url URL] [--out report.json]`:
//! every confirmed photo upload ends accepted or rejected once, nothing left
//! behind. Exit code 0 when clean, 1 otherwise (or when the audit failed),
//! 2 on bad arguments.

use std::process::ExitCode;

use clap::Parser as _;
use lonjak_audit::photos::{PhotoAuditArgs, run};

fn main() -> ExitCode {
    let args = PhotoAuditArgs::parse();
    lonjak_audit::init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("lonjak-photo-audit: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(report) => {
            let json = serde_json::to_string_pretty(&report).unwrap_or_default();
            println!("{json}");
            if let Some(path) = &args.out
                && let Err(err) = std::fs::write(path, &json)
            {
                eprintln!("lonjak-photo-audit: cannot write {}: {err}", path.display());
                return ExitCode::FAILURE;
            }
            if report.is_clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "photo audit failed");
            ExitCode::FAILURE
        }
    }
}
