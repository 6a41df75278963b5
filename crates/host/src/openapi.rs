//! The OpenAPI document, generated from the handlers and wire types.
//!
//! Committed at `crates/host/openapi.json`; a test fails when it drifts
//! (`UPDATE_GENERATED=1 cargo test -p instant-share-host openapi` rewrites it).

use utoipa::OpenApi;

/// The document as pretty JSON.
pub fn document() -> String {
    let mut doc = crate::api::ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.to_pretty_json().unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    #[test]
    fn openapi_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
        let fresh = super::document();
        if std::env::var_os("UPDATE_GENERATED").is_some() {
            std::fs::write(&path, &fresh).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(committed == fresh, "crates/host/openapi.json is out of date: run `UPDATE_GENERATED=1 cargo test -p instant-share-host openapi`");
    }
}
