//! The TypeScript mirror of the media types the window receives, generated into
//! `ui/src/app/media-types.ts`. The test fails when the committed file drifts;
//! `UPDATE_GENERATED=1 cargo test -p instant-share media::typescript` rewrites it.

use ts_rs::TS;

use super::commands::{DeviceChoice, DeviceList, WindowChoice};
use super::sources::{MediaMode, Renderer};
use super::view::{
    CallStatus, CallView, MediaProblem, MediaTrack, MediaView, SourceState, SourceView,
};

/// Path of the generated file, relative to the workspace root.
pub const GENERATED_PATH: &str = "ui/src/app/media-types.ts";

/// The whole generated file.
pub fn render() -> String {
    let decls = [
        MediaMode::decl(),
        Renderer::decl(),
        MediaTrack::decl(),
        SourceState::decl(),
        SourceView::decl(),
        CallStatus::decl(),
        CallView::decl(),
        MediaProblem::decl(),
        MediaView::decl(),
        DeviceChoice::decl(),
        DeviceList::decl(),
        WindowChoice::decl(),
    ];
    instant_share_protocol::typescript::module(
        "src-tauri/src/media by `UPDATE_GENERATED=1 cargo test -p instant-share media::typescript`",
        &[],
        &decls,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_typescript_is_current() {
        instant_share_protocol::typescript::check_or_update(
            super::GENERATED_PATH,
            &super::render(),
            "UPDATE_GENERATED=1 cargo test -p instant-share media::typescript",
        );
    }
}
