//! `lonjak-probe URL`: exit 0 when `GET URL` answers 2xx, 1 otherwise.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: lonjak-probe http://ADDR:PORT/PATH");
        return ExitCode::from(2);
    };
    match lonjak_probe::probe(&url, std::time::Duration::from_secs(2)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{url}: {err}");
            ExitCode::FAILURE
        }
    }
}
