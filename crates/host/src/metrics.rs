//! Counters for `/metrics`, in the Prometheus text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// A monotonically increasing counter.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    /// The value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Debug, Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    /// Takes one away.
    pub fn dec(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
    /// The value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Everything the host counts.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Sessions created by `POST /api/v1/shares`.
    pub shares_created: Counter,
    /// Sessions that became active.
    pub sessions_activated: Counter,
    /// Sessions that ended, any reason.
    pub sessions_ended: Counter,
    /// Offers made to experts.
    pub offers: Counter,
    /// Offers withdrawn (declined, timed out, …).
    pub offers_withdrawn: Counter,
    /// Devices enrolled.
    pub enrolments: Counter,
    /// Refused enrolments and unauthenticated calls.
    pub auth_failures: Counter,
    /// WebSocket messages received.
    pub ws_messages_in: Counter,
    /// WebSocket messages refused with an error.
    pub ws_errors: Counter,
    /// Open WebSockets.
    pub ws_open: Gauge,
    /// Failed store transactions.
    pub store_errors: Counter,
}

impl Metrics {
    /// The text exposition format; `waiting` and `active` are read from the hub.
    pub fn render(&self, waiting: usize, active: usize, experts_available: usize) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, v: u64| {
            let _ = writeln!(out, "# HELP instant_share_{name} {help}\n# TYPE instant_share_{name} counter\ninstant_share_{name} {v}");
        };
        counter(
            "shares_created_total",
            "Sessions requested.",
            self.shares_created.get(),
        );
        counter(
            "sessions_activated_total",
            "Sessions an expert accepted.",
            self.sessions_activated.get(),
        );
        counter(
            "sessions_ended_total",
            "Sessions ended, for any reason.",
            self.sessions_ended.get(),
        );
        counter(
            "offers_total",
            "Offers rung on expert consoles.",
            self.offers.get(),
        );
        counter(
            "offers_withdrawn_total",
            "Offers declined, timed out or withdrawn.",
            self.offers_withdrawn.get(),
        );
        counter(
            "enrolments_total",
            "Devices enrolled.",
            self.enrolments.get(),
        );
        counter(
            "auth_failures_total",
            "Refused credentials, codes and tokens.",
            self.auth_failures.get(),
        );
        counter(
            "ws_messages_in_total",
            "WebSocket messages received.",
            self.ws_messages_in.get(),
        );
        counter(
            "ws_errors_total",
            "WebSocket messages refused.",
            self.ws_errors.get(),
        );
        counter(
            "store_errors_total",
            "Failed store transactions.",
            self.store_errors.get(),
        );
        let mut gauge = |name: &str, help: &str, v: u64| {
            let _ = writeln!(out, "# HELP instant_share_{name} {help}\n# TYPE instant_share_{name} gauge\ninstant_share_{name} {v}");
        };
        gauge("ws_open", "Open WebSockets.", self.ws_open.get());
        gauge(
            "requests_waiting",
            "Requests waiting for an expert.",
            waiting as u64,
        );
        gauge("sessions_active", "Live sessions.", active as u64);
        gauge(
            "experts_available",
            "Experts taking offers.",
            experts_available as u64,
        );
        out
    }
}
