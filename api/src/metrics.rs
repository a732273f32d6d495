//! Metrics exposed at `/metrics` in the Prometheus text format, through the
//! `prometheus-client` crate (the Prometheus project's own Rust client).
//!
//! Kept per application instance, in its own registry rather than a
//! process-global one, so that several instances in one process — as in the
//! integration tests — each count only their own traffic.
//!
//! Operation names label requests only for trusted documents (registered
//! with `kiji operations add`): a name a client makes up, or an editor's
//! operation, never becomes a label (all of those count as
//! [`UNREGISTERED`]). The labels are bounded all the same: only names of
//! GraphQL name characters, at most 64 long, and at most [`MAX_OPERATIONS`]
//! distinct ones; the rest count as `other`.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::AtomicI64;
use std::time::{Duration, Instant};

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// The label of every request whose document is not a trusted one.
pub const UNREGISTERED: &str = "unregistered";

/// Distinct operation names kept as labels.
pub const MAX_OPERATIONS: usize = 200;

/// How a GraphQL request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Outcome {
    /// Answered without errors.
    ok,
    /// Answered with data and field errors.
    partial,
    /// Refused before execution (parse, validation, limits).
    rejected,
    /// Never finished: timed out, or the client went away.
    cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
    outcome: Outcome,
}

/// The metrics of one running application.
pub struct Metrics {
    registry: Registry,
    http_requests: Counter,
    in_flight: Gauge<i64, AtomicI64>,
    overloaded: Counter,
    graphql_requests: Counter,
    graphql_errors: Counter,
    graphql_duration: Family<OperationLabels, Histogram>,
    db_statements: Counter,
    db_failures: Counter,
    db_duration: Histogram,
    cache_lookups: Family<CacheLabels, Counter>,
    document_lookups: Family<CacheLabels, Counter>,
    change_log_position: Gauge<i64, AtomicI64>,
    operations: Mutex<HashSet<String>>,
    partner_requests: Family<PartnerLabels, Counter>,
    partner_articles: Family<PartnerLabels, Counter>,
}

/// One partner, by id: as many label values as the operator made
/// partners, never what a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PartnerLabels {
    partner: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CacheLabels {
    result: CacheResult,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
enum CacheResult {
    hit,
    miss,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("kiji");
        let http_requests = Counter::default();
        registry.register("http_requests", "HTTP requests received", http_requests.clone());
        let in_flight = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being answered now (health checks and metrics excluded)",
            in_flight.clone(),
        );
        let overloaded = Counter::default();
        registry.register(
            "http_requests_overloaded",
            "Requests answered 503 at once because too many were in flight",
            overloaded.clone(),
        );
        let graphql_requests = Counter::default();
        registry.register(
            "graphql_requests",
            "GraphQL requests executed",
            graphql_requests.clone(),
        );
        let graphql_errors = Counter::default();
        registry.register(
            "graphql_errors",
            "Errors returned in GraphQL responses",
            graphql_errors.clone(),
        );
        let graphql_duration = Family::<OperationLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register_with_unit(
            "graphql_request_duration",
            "Time to answer a GraphQL request, by operation name and outcome",
            Unit::Seconds,
            graphql_duration.clone(),
        );
        let db_statements = Counter::default();
        registry.register(
            "db_statements",
            "SQL statements sent to the database",
            db_statements.clone(),
        );
        let db_failures = Counter::default();
        registry.register(
            "db_statement_failures",
            "SQL statements that returned an error",
            db_failures.clone(),
        );
        let db_duration = Histogram::new(exponential_buckets(0.000_05, 2.0, 16));
        registry.register_with_unit(
            "db_statement_duration",
            "Time spent in one SQL statement",
            Unit::Seconds,
            db_duration.clone(),
        );
        let cache_lookups = Family::<CacheLabels, Counter>::default();
        registry.register(
            "response_cache_lookups",
            "Response cache lookups by result (hit or miss)",
            cache_lookups.clone(),
        );
        let document_lookups = Family::<CacheLabels, Counter>::default();
        registry.register(
            "document_cache_lookups",
            "Parsed-document cache lookups by result (hit or miss)",
            document_lookups.clone(),
        );
        let change_log_position = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "change_log_position",
            "The change log position the response cache reflects",
            change_log_position.clone(),
        );
        let partner_requests = Family::<PartnerLabels, Counter>::default();
        registry.register(
            "partner_requests",
            "GraphQL requests answered to partner keys, by partner id",
            partner_requests.clone(),
        );
        let partner_articles = Family::<PartnerLabels, Counter>::default();
        registry.register(
            "partner_articles",
            "Articles shown to partner keys, by partner id",
            partner_articles.clone(),
        );
        Self {
            registry,
            partner_requests,
            partner_articles,
            cache_lookups,
            document_lookups,
            change_log_position,
            http_requests,
            in_flight,
            overloaded,
            graphql_requests,
            graphql_errors,
            graphql_duration,
            db_statements,
            db_failures,
            db_duration,
            operations: Mutex::new(HashSet::new()),
        }
    }
}

impl Metrics {
    /// Records one HTTP request.
    pub fn http_request(&self) {
        self.http_requests.inc();
    }

    /// Counts a request in flight until the returned guard is dropped.
    pub fn in_flight(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(&self.in_flight)
    }

    /// Records a request refused because too many were in flight.
    pub fn overloaded(&self) {
        self.overloaded.inc();
    }

    /// Starts timing a GraphQL request; it is recorded when finished, or
    /// as `cancelled` if it is dropped first (timeout, client gone).
    pub fn graphql_timer(&self) -> GraphqlTimer<'_> {
        GraphqlTimer {
            metrics: self,
            operation: UNREGISTERED.to_owned(),
            started: Instant::now(),
            finished: false,
        }
    }

    fn graphql_request(&self, operation: String, outcome: Outcome, errors: usize, elapsed: Duration) {
        self.graphql_requests.inc();
        self.graphql_errors.inc_by(errors as u64);
        let labels = OperationLabels { operation, outcome };
        self.graphql_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// The label for the name of an operation the document defines (see
    /// the module comment).
    fn operation_label(&self, name: &str) -> String {
        let valid =
            !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return "other".to_owned();
        }
        let Ok(mut known) = self.operations.lock() else {
            return "other".to_owned();
        };
        if known.contains(name) || known.len() < MAX_OPERATIONS {
            known.insert(name.to_owned());
            name.to_owned()
        } else {
            "other".to_owned()
        }
    }

    /// Records a document cache lookup (a hit skips parsing and checking).
    pub fn document_cache(&self, hit: bool) {
        let result = if hit { CacheResult::hit } else { CacheResult::miss };
        self.document_lookups.get_or_create(&CacheLabels { result }).inc();
    }

    /// Records a response cache lookup.
    pub fn response_cache(&self, hit: bool) {
        let result = if hit { CacheResult::hit } else { CacheResult::miss };
        self.cache_lookups.get_or_create(&CacheLabels { result }).inc();
    }

    /// Counts a request answered to a key of `partner` that showed
    /// `articles` articles.
    pub fn partner_request(&self, partner: uuid::Uuid, articles: usize) {
        let labels = PartnerLabels {
            partner: partner.to_string(),
        };
        self.partner_requests.get_or_create(&labels).inc();
        self.partner_articles
            .get_or_create(&labels)
            .inc_by(u64::try_from(articles).unwrap_or(u64::MAX));
    }

    /// Sets the change log position the response cache reflects.
    pub fn change_log_position(&self, position: i64) {
        self.change_log_position.set(position);
    }

    /// Records one SQL statement sent to the database.
    pub fn db_statement(&self, elapsed: Duration, failed: bool) {
        self.db_statements.inc();
        if failed {
            self.db_failures.inc();
        }
        self.db_duration.observe(elapsed.as_secs_f64());
    }

    /// Everything in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            tracing::error!("metrics could not be encoded");
        }
        out
    }
}

/// Times one GraphQL request.
pub struct GraphqlTimer<'a> {
    metrics: &'a Metrics,
    operation: String,
    started: Instant,
    finished: bool,
}

impl GraphqlTimer<'_> {
    /// Labels the request with the operation it runs: `name` must be one
    /// the parsed document defines, so clients cannot fill the label slots
    /// with names of nothing.
    pub fn operation(&mut self, name: &str) {
        self.operation = self.metrics.operation_label(name);
    }

    /// Records the request with its outcome and error count.
    pub fn finish(mut self, outcome: Outcome, errors: usize) {
        self.finished = true;
        let operation = std::mem::take(&mut self.operation);
        self.metrics
            .graphql_request(operation, outcome, errors, self.started.elapsed());
    }
}

impl Drop for GraphqlTimer<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let operation = std::mem::take(&mut self.operation);
            self.metrics
                .graphql_request(operation, Outcome::cancelled, 0, self.started.elapsed());
        }
    }
}

/// A request in flight; counted until dropped.
pub struct InFlight<'a>(&'a Gauge<i64, AtomicI64>);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}
