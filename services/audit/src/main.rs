//! `lonjak-audit`: after a load-test run, checks that every accepted
//! registration reached a final state exactly once. Exit code 0 when clean,
//! 1 when anything was lost, duplicated or unexpected (or the audit failed),
//! 2 on bad arguments.

use std::process::ExitCode;

use clap::Parser as _;
use lonjak_audit::args::AuditArgs;

fn main() -> ExitCode {
    // clap exits with 2 on bad arguments and 0 for --help.
    let args = AuditArgs::parse();
    lonjak_audit::init_logging();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("lonjak-audit: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(lonjak_audit::run::run(&args)) {
        Ok(verdict) if verdict.is_clean() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "audit failed");
            ExitCode::FAILURE
        }
    }
}
