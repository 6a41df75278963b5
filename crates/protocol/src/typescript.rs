//! Renders the TypeScript declarations of every wire type into one file.
//!
//! The output is committed at `ui/src/generated/protocol.ts`. The test in this module compares
//! it with a fresh rendering and fails on drift; run it with `UPDATE_GENERATED=1` to rewrite.

use ts_rs::TS;

use crate::*;

/// Path of the generated file, relative to the workspace root.
pub const GENERATED_PATH: &str = "ui/src/generated/protocol.ts";

/// The whole generated file.
pub fn render() -> String {
    let decls = [
        ErrorCode::decl(),
        ApiError::decl(),
        EnrolRequest::decl(),
        EnrolResponse::decl(),
        Topic::decl(),
        TopicList::decl(),
        ShareRequest::decl(),
        SharePointer::decl(),
        TopicOutlook::decl(),
        DeskOutlook::decl(),
        Feedback::decl(),
        Outcome::decl(),
        WrapUp::decl(),
        GuestInviteRequest::decl(),
        GuestInvite::decl(),
        HandOverRequest::decl(),
        BringInRequest::decl(),
        LoginRequest::decl(),
        ExpertProfile::decl(),
        ConsoleTicket::decl(),
        Health::decl(),
        Role::decl(),
        SessionStatus::decl(),
        EndReason::decl(),
        WithdrawReason::decl(),
        Participant::decl(),
        MediaState::decl(),
        IceServer::decl(),
        Signal::decl(),
        ChatMessage::decl(),
        BoardTarget::decl(),
        Shape::decl(),
        Annotation::decl(),
        ImageSource::decl(),
        BoardImage::decl(),
        BoardView::decl(),
        BoardAction::decl(),
        BoardHistory::decl(),
        BoardState::decl(),
        NewAnnotation::decl(),
        BoardOp::decl(),
        ViewRequest::decl(),
        BoardEvent::decl(),
        PointerAt::decl(),
        SessionSnapshot::decl(),
        QueueEntry::decl(),
        Offer::decl(),
        ClientMessage::decl(),
        ServerMessage::decl(),
        ServerFrame::decl(),
        AppPhase::decl(),
        ConnectionState::decl(),
        AppPolicy::decl(),
        PendingEnrolmentLink::decl(),
        AppState::decl(),
    ];
    module(
        "crates/protocol by `UPDATE_GENERATED=1 cargo test -p instant-share-protocol`",
        &[
            ("PROTOCOL_VERSION", PROTOCOL_VERSION.to_string()),
            ("MAX_WS_MESSAGE_BYTES", MAX_WS_MESSAGE_BYTES.to_string()),
            ("MAX_CHAT_CHARS", MAX_CHAT_CHARS.to_string()),
            ("MAX_NOTE_CHARS", MAX_NOTE_CHARS.to_string()),
            ("MAX_FEEDBACK_CHARS", MAX_FEEDBACK_CHARS.to_string()),
            ("MAX_PARTICIPANTS", MAX_PARTICIPANTS.to_string()),
            ("BOARD_UNITS", BOARD_UNITS.to_string()),
            ("MAX_STROKE_POINTS", MAX_STROKE_POINTS.to_string()),
            ("MAX_ANNOTATIONS", MAX_ANNOTATIONS.to_string()),
            ("MAX_BOARD_POINTS", MAX_BOARD_POINTS.to_string()),
            ("MAX_BOARD_IMAGES", MAX_BOARD_IMAGES.to_string()),
            ("MAX_TEXT_CHARS", MAX_TEXT_CHARS.to_string()),
            ("MAX_UNDO", MAX_UNDO.to_string()),
        ],
        &decls,
    )
}

/// One generated TypeScript file: a header naming `source` (where it comes from and the command
/// that rewrites it), `export const` lines for `consts` (name, TypeScript literal), then every
/// declaration exported. Shared by every crate that mirrors its types into `ui/`.
pub fn module(source: &str, consts: &[(&str, String)], decls: &[String]) -> String {
    let mut out = format!("// Generated from {source}.\n// Do not edit by hand.\n\n");
    for (name, value) in consts {
        out.push_str(&format!("export const {name} = {value};\n"));
    }
    for decl in decls {
        out.push('\n');
        out.push_str("export ");
        out.push_str(decl);
        out.push('\n');
    }
    out
}

/// The drift check behind each crate's generated-file test: with `UPDATE_GENERATED` set,
/// writes `fresh` to `relative` (a path from the workspace's top); otherwise panics, naming
/// `command`, unless the file holds exactly `fresh`.
pub fn check_or_update(relative: &str, fresh: &str, command: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative);
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create the generated file's folder");
        }
        std::fs::write(&path, fresh).expect("write the generated file");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is out of date: run `{command}`",
        path.display()
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_typescript_is_current() {
        super::check_or_update(
            super::GENERATED_PATH,
            &super::render(),
            "UPDATE_GENERATED=1 cargo test -p instant-share-protocol",
        );
    }
}
