//! The operator's report (`instant-share-host report`): per topic and per expert, how long
//! people waited for an expert, how long sessions took, what employees said and what experts
//! recorded. Pure: rows in, figures out; the CLI reads the rows and prints.

use std::collections::BTreeMap;

use instant_share_protocol::{EndReason, Outcome};
use serde::Serialize;

use crate::store::ReportRow;

/// The figures of one group of sessions (a topic, an expert, or all).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// What the group is: `all`, a topic id, or an expert's user name.
    pub group: String,
    /// Requests made.
    pub requests: usize,
    /// Requests an expert joined.
    pub joined: usize,
    /// Requests that ended with nobody available.
    pub nobody_available: usize,
    /// Requests cancelled before an expert joined.
    pub cancelled: usize,
    /// Time from the request to the expert joining, median and 95th percentile, in seconds.
    pub time_to_expert_p50_secs: Option<f64>,
    /// See [`Figures::time_to_expert_p50_secs`].
    pub time_to_expert_p95_secs: Option<f64>,
    /// Time from the expert joining to the end, median, in seconds.
    pub handling_p50_secs: Option<f64>,
    /// Employees who answered "did this solve it?".
    pub feedback: usize,
    /// Share of those who said yes.
    pub solved_share: Option<f64>,
    /// Mean rating (1–5) of those who gave one, and how many did.
    pub rating_mean: Option<f64>,
    /// How many gave a rating.
    pub ratings: usize,
    /// Wrap-ups by the expert, by outcome.
    pub outcomes: BTreeMap<String, usize>,
    /// Sessions an expert took from the queue outside their skills.
    pub overrides: usize,
}

/// The whole report: every session, then per topic and per expert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// All sessions together.
    pub all: Figures,
    /// Per topic, by topic id.
    pub topics: Vec<Figures>,
    /// Per expert who joined sessions, by user name.
    pub experts: Vec<Figures>,
}

/// Works the report out from the sessions' rows.
pub fn summarise(rows: &[ReportRow]) -> Report {
    let mut topics: BTreeMap<&str, Vec<&ReportRow>> = BTreeMap::new();
    let mut experts: BTreeMap<&str, Vec<&ReportRow>> = BTreeMap::new();
    for r in rows {
        topics.entry(&r.topic).or_default().push(r);
        if let Some(e) = &r.expert {
            experts.entry(e).or_default().push(r);
        }
    }
    Report {
        all: figures("all", &rows.iter().collect::<Vec<_>>()),
        topics: topics.iter().map(|(t, rs)| figures(t, rs)).collect(),
        experts: experts.iter().map(|(e, rs)| figures(e, rs)).collect(),
    }
}

fn figures(group: &str, rows: &[&ReportRow]) -> Figures {
    let secs = |from: u64, to: u64| to.saturating_sub(from) as f64 / 1000.0;
    let mut to_expert: Vec<f64> = rows
        .iter()
        .filter_map(|r| Some(secs(r.created_at, r.active_at?)))
        .collect();
    let mut handling: Vec<f64> = rows
        .iter()
        .filter_map(|r| Some(secs(r.active_at?, r.ended_at?)))
        .collect();
    let answered: Vec<bool> = rows.iter().filter_map(|r| r.solved).collect();
    let ratings: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.rating.map(f64::from))
        .collect();
    let mut outcomes = BTreeMap::new();
    for o in rows.iter().filter_map(|r| r.outcome) {
        *outcomes.entry(outcome_name(o).to_owned()).or_default() += 1;
    }
    let ended = |reason: EndReason| rows.iter().filter(|r| r.end_reason == Some(reason)).count();
    Figures {
        group: group.to_owned(),
        requests: rows.len(),
        joined: to_expert.len(),
        nobody_available: ended(EndReason::NoExpertAvailable),
        cancelled: ended(EndReason::Cancelled),
        time_to_expert_p50_secs: percentile(&mut to_expert, 0.5),
        time_to_expert_p95_secs: percentile(&mut to_expert, 0.95),
        handling_p50_secs: percentile(&mut handling, 0.5),
        feedback: answered.len(),
        solved_share: (!answered.is_empty())
            .then(|| answered.iter().filter(|s| **s).count() as f64 / answered.len() as f64),
        rating_mean: (!ratings.is_empty())
            .then(|| ratings.iter().sum::<f64>() / ratings.len() as f64),
        ratings: ratings.len(),
        outcomes,
        overrides: rows
            .iter()
            .filter(|r| r.pickup.as_deref() == Some("queue_override"))
            .count(),
    }
}

/// The value below which `q` of the values lie (nearest rank); `None` without values.
fn percentile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    Some(values[rank - 1])
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Solved => "solved",
        Outcome::Workaround => "workaround",
        Outcome::NotSolved => "not_solved",
        Outcome::Escalated => "escalated",
        Outcome::FollowUp => "follow_up",
    }
}

/// The report as text tables for a terminal.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for (title, groups) in [
        ("All sessions", std::slice::from_ref(&report.all)),
        ("By topic", report.topics.as_slice()),
        ("By expert", report.experts.as_slice()),
    ] {
        out.push_str(&format!("{title}\n"));
        out.push_str(&format!(
            "  {:<16} {:>8} {:>6} {:>9} {:>9} {:>9} {:>8} {:>7} {:>9}  {}\n",
            "",
            "requests",
            "joined",
            "wait p50",
            "wait p95",
            "handling",
            "solved",
            "rating",
            "overrides",
            "outcomes"
        ));
        for f in groups {
            let outcomes: Vec<String> =
                f.outcomes.iter().map(|(o, n)| format!("{o} {n}")).collect();
            out.push_str(&format!(
                "  {:<16} {:>8} {:>6} {:>9} {:>9} {:>9} {:>8} {:>7} {:>9}  {}\n",
                f.group,
                f.requests,
                f.joined,
                duration(f.time_to_expert_p50_secs),
                duration(f.time_to_expert_p95_secs),
                duration(f.handling_p50_secs),
                f.solved_share
                    .map_or("—".into(), |s| format!("{:.0} %", s * 100.0)),
                f.rating_mean
                    .map_or("—".into(), |r| format!("{r:.1} ({})", f.ratings)),
                f.overrides,
                if outcomes.is_empty() {
                    "—".into()
                } else {
                    outcomes.join(", ")
                },
            ));
        }
        out.push('\n');
    }
    out
}

fn duration(secs: Option<f64>) -> String {
    match secs {
        None => "—".into(),
        Some(s) if s < 60.0 => format!("{s:.1} s"),
        Some(s) if s < 3600.0 => format!("{:.1} min", s / 60.0),
        Some(s) => format!("{:.1} h", s / 3600.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(topic: &str, expert: Option<&str>, wait_s: Option<u64>, len_s: u64) -> ReportRow {
        let created_at = 1_000_000;
        let active_at = wait_s.map(|w| created_at + w * 1000);
        ReportRow {
            session_id: format!("{topic}-{wait_s:?}-{len_s}"),
            topic: topic.into(),
            expert: expert.map(str::to_owned),
            created_at,
            active_at,
            ended_at: Some(active_at.unwrap_or(created_at) + len_s * 1000),
            end_reason: Some(if wait_s.is_some() {
                EndReason::EndedByExpert
            } else {
                EndReason::NoExpertAvailable
            }),
            pickup: wait_s.map(|_| "offer".into()),
            solved: None,
            rating: None,
            outcome: None,
        }
    }

    #[test]
    fn figures_per_topic_and_per_expert() {
        let mut rows = vec![
            row("email", Some("ana"), Some(10), 300),
            row("email", Some("ana"), Some(30), 100),
            row("email", Some("bo"), Some(20), 200),
            row("network", None, None, 600),
        ];
        rows[0].solved = Some(true);
        rows[0].rating = Some(5);
        rows[1].solved = Some(false);
        rows[1].rating = Some(2);
        rows[1].outcome = Some(Outcome::Escalated);
        rows[2].pickup = Some("queue_override".into());
        let r = summarise(&rows);
        assert_eq!(
            (r.all.requests, r.all.joined, r.all.nobody_available),
            (4, 3, 1)
        );
        assert_eq!(r.all.time_to_expert_p50_secs, Some(20.0));
        assert_eq!(r.all.time_to_expert_p95_secs, Some(30.0));
        assert_eq!(r.all.handling_p50_secs, Some(200.0));
        assert_eq!(r.all.solved_share, Some(0.5));
        assert_eq!(r.all.rating_mean, Some(3.5));
        assert_eq!(r.all.overrides, 1);
        assert_eq!(r.all.outcomes.get("escalated"), Some(&1));
        let groups: Vec<&str> = r.topics.iter().map(|f| f.group.as_str()).collect();
        assert_eq!(groups, ["email", "network"]);
        let ana = r.experts.iter().find(|f| f.group == "ana").unwrap();
        assert_eq!((ana.requests, ana.ratings), (2, 2));
        let text = render(&r);
        assert!(text.contains("By expert") && text.contains("ana") && text.contains("3.5 (2)"));
    }

    #[test]
    fn no_sessions_no_figures() {
        let r = summarise(&[]);
        assert_eq!(r.all.requests, 0);
        assert_eq!(r.all.time_to_expert_p50_secs, None);
        assert!(render(&r).contains("—"));
    }
}
