//! Every event the app sends its window, from one place. The names and payloads here are the
//! whole list: `ui/src/app/app-events.ts` is generated from them (`AppEvents`, each event's
//! name and payload type), and the window listens through one typed `listen` on it, so a
//! renamed event or a changed payload fails the window's type check instead of going silent.
//! `UPDATE_GENERATED=1 cargo test -p instant-share events` rewrites the file; the test fails
//! when it drifts.

use instant_share_client::SessionEvent;
use instant_share_protocol::{ApiError, AppState, PointerAt};
use serde::Serialize;
use tauri::{AppHandle, Emitter};
use ts_rs::TS;

use crate::media::view::MediaView;
use crate::updates::UpdateView;

/// Someone else's pointer moved on the board (`pointer: null`: it left).
#[derive(Debug, Clone, Serialize, TS)]
pub struct PointerMoved<'a> {
    /// Participant id.
    pub from: &'a str,
    pub pointer: &'a Option<PointerAt>,
}

/// The host refused one of this participant's board operations.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BoardRejected<'a> {
    pub op_id: &'a str,
    pub error: &'a ApiError,
}

/// An event for the window.
pub enum AppEvent<'a> {
    /// Everything the window renders, whole, on every change.
    State(&'a AppState),
    /// Camera, microphone, screen and calls.
    Media(&'a MediaView),
    /// The app's own updates.
    Update(&'a UpdateView),
    BoardPointer(PointerMoved<'a>),
    BoardRejected(BoardRejected<'a>),
}

/// The kinds of [`AppEvent`], for the generated TypeScript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    State,
    Media,
    Update,
    BoardPointer,
    BoardRejected,
}

impl Kind {
    #[cfg(test)]
    const ALL: [Kind; 5] = [
        Kind::State,
        Kind::Media,
        Kind::Update,
        Kind::BoardPointer,
        Kind::BoardRejected,
    ];

    /// The event's name on the Tauri event bus.
    fn name(self) -> &'static str {
        match self {
            Kind::State => "app-state",
            Kind::Media => "media-state",
            Kind::Update => "update-state",
            Kind::BoardPointer => "board-pointer",
            Kind::BoardRejected => "board-rejected",
        }
    }

    /// The TypeScript name of its payload.
    #[cfg(test)]
    fn payload(self) -> String {
        match self {
            Kind::State => AppState::name(),
            Kind::Media => MediaView::name(),
            Kind::Update => UpdateView::name(),
            Kind::BoardPointer => PointerMoved::name(),
            Kind::BoardRejected => BoardRejected::name(),
        }
    }
}

impl AppEvent<'_> {
    fn kind(&self) -> Kind {
        match self {
            AppEvent::State(_) => Kind::State,
            AppEvent::Media(_) => Kind::Media,
            AppEvent::Update(_) => Kind::Update,
            AppEvent::BoardPointer(_) => Kind::BoardPointer,
            AppEvent::BoardRejected(_) => Kind::BoardRejected,
        }
    }
}

/// Hands the session's events that are not state (the board's pointers and refusals) to the
/// window; the rest reaches it inside the app state.
pub fn on_session_event(app: &AppHandle, event: &SessionEvent) {
    match event {
        SessionEvent::Pointer { from, pointer } => {
            emit(app, AppEvent::BoardPointer(PointerMoved { from, pointer }))
        }
        SessionEvent::BoardRejected { op_id, error } => {
            emit(app, AppEvent::BoardRejected(BoardRejected { op_id, error }))
        }
        // In the app state, or the media engine's.
        SessionEvent::Snapshot(_)
        | SessionEvent::Connection(_)
        | SessionEvent::Ended(_)
        | SessionEvent::Welcomed { .. }
        | SessionEvent::Signal { .. }
        | SessionEvent::Fatal(_) => {}
    }
}

/// Sends `event` to the window. A window that cannot take it is logged, not an error: the next
/// state carries everything again.
pub fn emit(app: &AppHandle, event: AppEvent<'_>) {
    let name = event.kind().name();
    let sent = match &event {
        AppEvent::State(state) => app.emit(name, state),
        AppEvent::Media(view) => app.emit(name, view),
        AppEvent::Update(view) => app.emit(name, view),
        AppEvent::BoardPointer(moved) => app.emit(name, moved),
        AppEvent::BoardRejected(rejected) => app.emit(name, rejected),
    };
    if let Err(e) = sent {
        tracing::warn!(event = name, error = %e, "cannot send an event to the window");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Path of the generated TypeScript, relative to the workspace root.
    const GENERATED_PATH: &str = "ui/src/app/app-events.ts";

    fn typescript() -> String {
        let mut out = String::from(
            "// Generated from src-tauri/src/events.rs by \
             `UPDATE_GENERATED=1 cargo test -p instant-share events`.\n// Do not edit by hand.\n\n",
        );
        out.push_str(
            "import type { ApiError, AppState, PointerAt } from '../generated/protocol';\n",
        );
        out.push_str("import type { MediaView } from './media-types';\n");
        out.push_str("import type { UpdateView } from './update-types';\n");
        for decl in [PointerMoved::decl(), BoardRejected::decl()] {
            out.push_str("\nexport ");
            out.push_str(&decl);
            out.push('\n');
        }
        out.push_str("\n/** Every event the app sends its window: name → payload. */\nexport type AppEvents = {\n");
        for kind in Kind::ALL {
            out.push_str(&format!("  {:?}: {};\n", kind.name(), kind.payload()));
        }
        out.push_str("};\n");
        out
    }

    #[test]
    fn generated_typescript_is_current() {
        instant_share_protocol::typescript::check_or_update(
            GENERATED_PATH,
            &typescript(),
            "UPDATE_GENERATED=1 cargo test -p instant-share events",
        );
    }

    #[test]
    fn every_event_has_a_name_of_its_own() {
        // (A kind left out of `ALL` is not silent either: the window cannot listen to a name
        // that is not in `AppEvents`.)
        let names: std::collections::HashSet<_> = Kind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), Kind::ALL.len());
    }
}
