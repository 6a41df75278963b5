//! The session lifecycle: `requested → queued → offered → active → ended(reason)`.
//!
//! An offer that is declined or times out sends the session back to `queued`; an expert may
//! take a queued request themselves (`queued → active`); any status but `ended` may end.

use instant_share_protocol::SessionStatus;

/// A transition the lifecycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a session cannot go from {from:?} to {to:?}")]
pub struct InvalidTransition {
    /// The status the session had.
    pub from: SessionStatus,
    /// The status asked for.
    pub to: SessionStatus,
}

/// Whether a session may go from `from` to `to`.
pub fn check(from: SessionStatus, to: SessionStatus) -> Result<(), InvalidTransition> {
    use SessionStatus::*;
    let allowed = matches!(
        (from, to),
        (Requested, Queued)
            | (Queued, Offered)
            | (Offered, Queued)
            | (Offered, Active)
            | (Queued, Active)
            | (Requested | Queued | Offered | Active, Ended)
    );
    if allowed {
        Ok(())
    } else {
        Err(InvalidTransition { from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SessionStatus::*;

    #[test]
    fn the_happy_path_is_allowed() {
        for (a, b) in [
            (Requested, Queued),
            (Queued, Offered),
            (Offered, Active),
            (Active, Ended),
        ] {
            assert_eq!(check(a, b), Ok(()));
        }
    }

    #[test]
    fn ended_is_final_and_a_live_session_never_waits_again() {
        for to in [Requested, Queued, Offered, Active, Ended] {
            assert!(check(Ended, to).is_err());
        }
        assert!(check(Requested, Active).is_err());
        assert!(check(Active, Queued).is_err());
        assert!(check(Active, Offered).is_err());
    }

    #[test]
    fn an_expert_may_take_a_queued_request() {
        assert_eq!(check(Queued, Active), Ok(()));
    }
}
