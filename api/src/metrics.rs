//! Process counters exposed at `/metrics` in the Prometheus text format.
//!
//! Kept per application instance (not in a process-global registry) so that
//! several instances in one process — as in the integration tests — each
//! count only their own traffic.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one running application.
#[derive(Debug, Default)]
pub struct Metrics {
    http_requests: AtomicU64,
    graphql_requests: AtomicU64,
    graphql_errors: AtomicU64,
    db_statements: AtomicU64,
    db_statement_failures: AtomicU64,
    db_statement_micros: AtomicU64,
}

impl Metrics {
    /// Records one HTTP request.
    pub fn http_request(&self) {
        self.http_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Records one executed GraphQL request and how many errors it returned.
    pub fn graphql_request(&self, errors: usize) {
        self.graphql_requests.fetch_add(1, Ordering::Relaxed);
        self.graphql_errors.fetch_add(errors as u64, Ordering::Relaxed);
    }

    /// Records one SQL statement sent to the database.
    pub fn db_statement(&self, elapsed: std::time::Duration, failed: bool) {
        self.db_statements.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.db_statement_failures.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.db_statement_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The counters in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counters = [
            (
                "kiji_http_requests_total",
                "HTTP requests received.",
                &self.http_requests,
            ),
            (
                "kiji_graphql_requests_total",
                "GraphQL requests executed.",
                &self.graphql_requests,
            ),
            (
                "kiji_graphql_errors_total",
                "Errors returned in GraphQL responses.",
                &self.graphql_errors,
            ),
            (
                "kiji_db_statements_total",
                "SQL statements sent to the database.",
                &self.db_statements,
            ),
            (
                "kiji_db_statement_failures_total",
                "SQL statements that returned an error.",
                &self.db_statement_failures,
            ),
            (
                "kiji_db_statement_seconds_total",
                "Time spent in SQL statements.",
                &self.db_statement_micros,
            ),
        ];
        for (name, help, value) in counters {
            let value = value.load(Ordering::Relaxed);
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            if name.ends_with("_seconds_total") {
                let _ = writeln!(out, "{name} {}", value as f64 / 1e6);
            } else {
                let _ = writeln!(out, "{name} {value}");
            }
        }
        out
    }
}
