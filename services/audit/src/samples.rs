//! The once-a-second samples taken during a run (by `lonjak-sampler`) and the
//! rates derived from them.
//!
//! CSV columns: `unix_ms,queue_messages,<outcome>...` where each outcome column
//! is the gateway's cumulative `lonjak_intake_requests_total{outcome=…}`.
//! Empty cells mean the sample could not be taken (service down, broker busy).

use std::collections::BTreeMap;

/// The outcome column that counts 202 answers.
pub const ACCEPTED: &str = "accepted";

/// One row of the samples file.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// When the sample was taken.
    pub unix_ms: i64,
    /// Ready messages in the intake queue.
    pub queue: Option<f64>,
    /// Cumulative intake requests by outcome, as far as they could be read.
    pub outcomes: BTreeMap<String, f64>,
}

/// Why the samples file could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SamplesError {
    #[error("samples file has no header")]
    NoHeader,
    #[error("header must start with unix_ms,queue_messages")]
    BadHeader,
    #[error("line {0}: time is not an integer")]
    BadTime(usize),
}

/// Parses the CSV. Rows with unreadable counters keep only what was readable.
pub fn parse_samples(text: &str) -> Result<Vec<Sample>, SamplesError> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or(SamplesError::NoHeader)?
        .split(',')
        .collect();
    if header.len() < 2 || header[0] != "unix_ms" || header[1] != "queue_messages" {
        return Err(SamplesError::BadHeader);
    }
    let mut out = Vec::new();
    for (n, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').collect();
        let unix_ms = cells[0]
            .trim()
            .parse()
            .map_err(|_| SamplesError::BadTime(n + 2))?;
        let number = |i: usize| cells.get(i).and_then(|c| c.trim().parse::<f64>().ok());
        let outcomes = header
            .iter()
            .enumerate()
            .skip(2)
            .filter_map(|(i, name)| Some(((*name).to_owned(), number(i)?)))
            .collect();
        out.push(Sample {
            unix_ms,
            queue: number(1),
            outcomes,
        });
    }
    Ok(out)
}

/// Rates between consecutive samples, per second, placed at the later sample.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// Seconds since the first sample.
    pub t: Vec<f64>,
    /// Requests answered by the gateway, any outcome.
    pub offered: Vec<f64>,
    /// Requests answered 202.
    pub accepted: Vec<f64>,
    /// Queue depth at each sample.
    pub queue: Vec<Option<f64>>,
    /// Messages leaving the queue: accepted in, minus growth of the backlog.
    pub drain: Vec<Option<f64>>,
}

/// Growth of a cumulative counter; a restart (counter going back) counts as 0.
fn growth(prev: Option<f64>, next: Option<f64>) -> Option<f64> {
    Some((next? - prev?).max(0.0))
}

/// Derives the charted rates.
pub fn series(samples: &[Sample]) -> Series {
    let mut s = Series::default();
    let Some(first) = samples.first() else {
        return s;
    };
    for pair in samples.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let dt = (b.unix_ms - a.unix_ms) as f64 / 1000.0;
        if dt <= 0.0 {
            continue;
        }
        let total =
            |x: &Sample| Some(x.outcomes.values().sum::<f64>()).filter(|_| !x.outcomes.is_empty());
        let accepted_in = growth(
            a.outcomes.get(ACCEPTED).copied(),
            b.outcomes.get(ACCEPTED).copied(),
        );
        let drained = match (accepted_in, a.queue, b.queue) {
            (Some(inflow), Some(qa), Some(qb)) => Some((inflow - (qb - qa)).max(0.0) / dt),
            _ => None,
        };
        s.t.push((b.unix_ms - first.unix_ms) as f64 / 1000.0);
        s.offered
            .push(growth(total(a), total(b)).unwrap_or(0.0) / dt);
        s.accepted.push(accepted_in.unwrap_or(0.0) / dt);
        s.queue.push(b.queue);
        s.drain.push(drained);
    }
    s
}

/// Per-outcome growth between the first and last sample: the gateway's own
/// count of what it answered during the run.
pub fn outcome_totals(samples: &[Sample]) -> BTreeMap<String, f64> {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return BTreeMap::new();
    };
    last.outcomes
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                (v - first.outcomes.get(k).copied().unwrap_or(0.0)).max(0.0),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "unix_ms,queue_messages,accepted,queue_full\n\
                       1000,0,0,0\n\
                       2000,50,100,5\n\
                       3000,,150,5\n\
                       4000,20,150,5\n";

    #[test]
    fn rows_with_missing_cells_parse_with_those_cells_absent() {
        let samples = parse_samples(CSV).unwrap();
        assert_eq!(samples.len(), 4);
        assert_eq!(samples[2].queue, None);
        assert_eq!(samples[2].outcomes.get(ACCEPTED), Some(&150.0));
    }

    #[test]
    fn rates_are_per_second_and_drain_is_inflow_minus_backlog_growth() {
        let s = series(&parse_samples(CSV).unwrap());
        assert_eq!(s.t, vec![1.0, 2.0, 3.0]);
        assert_eq!(s.offered, vec![105.0, 50.0, 0.0]);
        assert_eq!(s.accepted, vec![100.0, 50.0, 0.0]);
        // 100 in, backlog grew by 50: 50 drained; then unknown; then none in,
        // backlog unknown before: unknown.
        assert_eq!(s.drain, vec![Some(50.0), None, None]);
    }

    #[test]
    fn totals_are_growth_over_the_run() {
        let totals = outcome_totals(&parse_samples(CSV).unwrap());
        assert_eq!(totals.get(ACCEPTED), Some(&150.0));
        assert_eq!(totals.get("queue_full"), Some(&5.0));
    }

    #[test]
    fn a_file_without_the_expected_header_is_refused() {
        assert_eq!(parse_samples(""), Err(SamplesError::NoHeader));
        assert_eq!(
            parse_samples("time,depth\n1,2\n"),
            Err(SamplesError::BadHeader)
        );
    }
}
