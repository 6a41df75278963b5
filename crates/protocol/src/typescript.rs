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
        SessionSnapshot::decl(),
        QueueEntry::decl(),
        Offer::decl(),
        ClientMessage::decl(),
        ServerMessage::decl(),
        ServerFrame::decl(),
        AppPhase::decl(),
        ConnectionState::decl(),
        AppState::decl(),
    ];
    let mut out = String::from(
        "// Generated from crates/protocol by `UPDATE_GENERATED=1 cargo test -p instant-share-protocol`.\n\
         // Do not edit by hand.\n\n",
    );
    out.push_str(&format!(
        "export const PROTOCOL_VERSION = {PROTOCOL_VERSION};\n"
    ));
    out.push_str(&format!(
        "export const MAX_WS_MESSAGE_BYTES = {MAX_WS_MESSAGE_BYTES};\n"
    ));
    out.push_str(&format!(
        "export const MAX_CHAT_CHARS = {MAX_CHAT_CHARS};\n"
    ));
    out.push_str(&format!(
        "export const MAX_NOTE_CHARS = {MAX_NOTE_CHARS};\n"
    ));
    for decl in decls {
        out.push('\n');
        out.push_str("export ");
        out.push_str(&decl);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn generated_typescript_is_current() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(super::GENERATED_PATH);
        let fresh = super::render();
        if std::env::var_os("UPDATE_GENERATED").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &fresh).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "{} is out of date: run `UPDATE_GENERATED=1 cargo test -p instant-share-protocol`",
            super::GENERATED_PATH
        );
    }
}
