//! The OpenAPI document, generated from the handlers and wire types.
//!
//! Committed at `crates/host/openapi.json`; a test fails when it drifts
//! (`UPDATE_GENERATED=1 cargo test -p instant-share-host openapi` rewrites it).
//!
//! The derive says what the types are; [`Limits`] adds what the host enforces beyond them (the
//! text rules of `instant_share_protocol::text`, ranges, the default topics), and
//! [`CommonRefusals`] the answers every operation of a kind can give (a body that does not
//! parse, another site, a body over the limit), so that the document says exactly which
//! requests succeed and which statuses come back (`scripts/contract-test.sh` checks it).

use instant_share_protocol::text::{self, TextRule};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, ResponseBuilder};

/// The document as pretty JSON.
pub fn document() -> String {
    let mut doc = <crate::api::ApiDoc as utoipa::OpenApi>::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.to_pretty_json().unwrap_or_default() + "\n"
}

/// The limits of the request bodies and parameters.
pub(crate) struct Limits;

impl utoipa::Modify for Limits {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut text = |schema: &str, field: &str, rule: &TextRule, required: bool| {
            if let Some(o) = property(&mut components.schemas, schema, field) {
                limit_text(o, rule, required);
            }
        };
        text("EnrolRequest", "device_name", &text::DEVICE_NAME, true);
        text("ShareRequest", "note", &text::SHARE_NOTE, false);
        text("ShareRequest", "app_version", &text::VERSION, false);
        text("ShareRequest", "os_version", &text::VERSION, false);
        text("Feedback", "comment", &text::FEEDBACK_COMMENT, false);
        text("WrapUp", "note", &text::WRAP_UP_NOTE, false);
        text(
            "GuestInviteRequest",
            "display_name",
            &text::GUEST_NAME,
            true,
        );
        if let Some(o) = property(&mut components.schemas, "Feedback", "rating") {
            o.minimum = Some(1.into());
            o.maximum = Some(5.into());
        }
        if let Some(o) = property(&mut components.schemas, "ShareRequest", "topic") {
            // The topics of a host without its own list; `GET /api/v1/topics` says which a
            // configured host routes (another is `unknown_topic`).
            o.enum_values = Some(
                crate::config::default_topics()
                    .into_iter()
                    .map(|t| t.id.into())
                    .collect(),
            );
        }
        for (_, item) in openapi.paths.paths.iter_mut() {
            for op in operations(item) {
                if op.operation_id.as_deref() == Some("upload") {
                    picture_body(op);
                }
                for p in op.parameters.iter_mut().flatten() {
                    if p.name == "name" && p.parameter_in == ParameterIn::Query {
                        if let Some(RefOr::T(Schema::Object(o))) = p.schema.as_mut() {
                            limit_text(o, &text::PICTURE_NAME, false);
                        }
                    }
                }
            }
        }
    }
}

/// A picture upload's body is the file's bytes, in any of the formats the host reads (it
/// sniffs the bytes; the Content-Type is not trusted). The derive can only say "an array of
/// integers".
fn picture_body(op: &mut Operation) {
    let Some(body) = op.request_body.as_mut() else {
        return;
    };
    let bytes = || {
        Content::new(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))),
        ))
    };
    body.content = ["image/png", "image/jpeg", "image/webp"]
        .into_iter()
        .map(|kind| (kind.to_owned(), bytes()))
        .collect();
}

/// The refusals every operation of a kind can give besides its own.
pub(crate) struct CommonRefusals;

impl utoipa::Modify for CommonRefusals {
    fn modify(&self, openapi: &mut OpenApi) {
        for (_, item) in openapi.paths.paths.iter_mut() {
            let post = item.post.is_some();
            for op in operations(item) {
                let has_input = op.request_body.is_some() || op.parameters.is_some();
                if has_input {
                    refusal(
                        op,
                        400,
                        "bad_request: a body, path or query that does not parse or breaks a limit",
                    );
                }
                if op.security.is_some() {
                    refusal(
                        op,
                        401,
                        "unauthenticated: no credential, or one the host does not take",
                    );
                }
                if post && op.request_body.is_some() {
                    refusal(op, 403, "cross_site: a body that is not application/json, or an Origin of another site");
                    refusal(op, 413, "message_too_large: a body over the limit");
                }
            }
        }
    }
}

/// Adds the answer `status` with an `ApiError` body, unless the operation documents it.
fn refusal(op: &mut Operation, status: u16, description: &str) {
    let key = status.to_string();
    if op.responses.responses.contains_key(&key) {
        return;
    }
    let response = ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(RefOr::<Schema>::Ref(Ref::from_schema_name(
                "ApiError",
            )))),
        )
        .build();
    op.responses.responses.insert(key, RefOr::T(response));
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.put.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// The object schema of one property of a component.
fn property<'a>(
    schemas: &'a mut std::collections::BTreeMap<String, RefOr<Schema>>,
    schema: &str,
    field: &str,
) -> Option<&'a mut Object> {
    let Some(RefOr::T(Schema::Object(o))) = schemas.get_mut(schema) else {
        return None;
    };
    match o.properties.get_mut(field) {
        Some(RefOr::T(Schema::Object(p))) => Some(p),
        _ => None,
    }
}

fn limit_text(o: &mut Object, rule: &TextRule, required: bool) {
    o.max_length = Some(rule.max_chars);
    if required {
        o.min_length = Some(1);
    }
    o.pattern = Some(rule.pattern(required));
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
