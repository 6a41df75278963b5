//! The desktop's permission to share the whole screen, kept between runs.
//!
//! On Wayland the screen-sharing portal asks the user what to share; with persist mode "until
//! revoked" it hands back a restore token with which the next share starts without asking
//! again. A token is good for one start: each start hands out a new one. The app gives the one
//! it stored last time to [`keep_screen_permission`] and stores each new one it is handed; in
//! a process that never calls it, tokens are kept in memory only. Elsewhere nothing uses it.

use std::sync::{Mutex, PoisonError};

type OnNew = Box<dyn Fn(&str) + Send + Sync>;

struct Store {
    token: Option<String>,
    on_new: Option<OnNew>,
}

static STORE: Mutex<Store> = Mutex::new(Store {
    token: None,
    on_new: None,
});

/// Starts from `token` (the one stored last time, if any) and calls `on_new` with each new one,
/// for the caller to store in place of the old. Call it once, before sharing the screen.
pub fn keep_screen_permission(
    token: Option<String>,
    on_new: impl Fn(&str) + Send + Sync + 'static,
) {
    let mut store = STORE.lock().unwrap_or_else(PoisonError::into_inner);
    store.token = token.filter(|t| !t.is_empty());
    store.on_new = Some(Box::new(on_new));
}

/// The token to start the next whole-screen share with (used up by that start).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) fn token() -> Option<String> {
    STORE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .token
        .clone()
}

/// A start handed out `token`: it replaces the old one, and the caller's store is told.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) fn renewed(token: &str) {
    let mut store = STORE.lock().unwrap_or_else(PoisonError::into_inner);
    if store.token.as_deref() == Some(token) {
        return;
    }
    store.token = Some(token.to_owned());
    if let Some(on_new) = &store.on_new {
        on_new(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_new_token_replaces_the_old_and_is_handed_out_once() {
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = seen.clone();
        keep_screen_permission(Some("first".into()), move |t| {
            sink.lock().unwrap().push(t.to_owned())
        });
        assert_eq!(token().as_deref(), Some("first"));
        renewed("second");
        renewed("second");
        assert_eq!(token().as_deref(), Some("second"));
        assert_eq!(*seen.lock().unwrap(), vec!["second".to_owned()]);
        keep_screen_permission(Some(String::new()), |_| {});
        assert_eq!(token(), None, "an empty stored token is none");
    }
}
