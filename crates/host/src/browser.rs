//! What the host tells browsers about its responses, and which browser origins it trusts.
//!
//! - Every response says `X-Content-Type-Options: nosniff` (a JSON error is never run as a
//!   script), `Referrer-Policy: no-referrer` (a session's address never leaves in a
//!   `Referer`), and may not be framed (`frame-ancestors 'none'`, `X-Frame-Options: DENY`:
//!   no clickjacking of the console's buttons).
//! - The console and co-browse pages get a Content-Security-Policy that lets them load only
//!   this host's own scripts (no inline script, no `eval`), talk only to this host (its
//!   WebSocket included, also when the public URL names another spelling of it), and show
//!   pictures and video from `blob:`/`data:` as the board and the calls make them. Everything
//!   else (the API's JSON, pictures, update files) gets a policy that allows nothing at all.
//! - An `Origin` is trusted when it is the configured public URL's origin — never because it
//!   matches the request's own `Host` header, which a DNS-rebinding page chooses. A public URL
//!   on loopback (tests, `make run`) also trusts the other loopback spellings of the same
//!   scheme and port (`localhost`, `127.0.0.1`, `[::1]`): no other machine's page can have
//!   those origins.

use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use url::{Host, Url};

/// The security headers every response gets, set by [`SecurityHeaders::apply`].
#[derive(Clone)]
pub struct SecurityHeaders {
    page_policy: HeaderValue,
}

/// The policy of everything that is not a page: nothing may load, run or frame it.
const RESOURCE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

impl SecurityHeaders {
    /// The headers for a host reached at `public_url`.
    pub fn new(public_url: &str) -> Self {
        // `'self'` covers the page's own origin, `ws:`/`wss:` to it included (CSP 3); the
        // public URL's WebSocket is named too, since the console connects to the address the
        // host gives out (`ws_url`), which may be another spelling than the page's.
        let ws = public_url
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1);
        let ws = ws.trim_end_matches('/');
        let policy = format!(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' blob: data:; media-src 'self' blob: mediastream:; \
             connect-src 'self' {ws}; font-src 'self'; worker-src 'self' blob:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        Self {
            page_policy: HeaderValue::from_str(&policy)
                .unwrap_or_else(|_| HeaderValue::from_static(RESOURCE_POLICY)),
        }
    }

    /// Adds the headers to `response`, keeping any a handler set itself.
    pub fn apply(&self, mut response: Response) -> Response {
        let is_page = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        // A 304 has no Content-Type, and its headers replace the cached response's (RFC 9111
        // 4.3.4): it says no policy, so that a page revalidated on reload keeps its own rather
        // than the sandboxed one of a resource, which would stop its scripts.
        let not_modified = response.status() == StatusCode::NOT_MODIFIED;
        let headers = response.headers_mut();
        if !not_modified {
            let policy = if is_page {
                self.page_policy.clone()
            } else {
                HeaderValue::from_static(RESOURCE_POLICY)
            };
            headers.entry(CONTENT_SECURITY_POLICY).or_insert(policy);
        }
        headers
            .entry(X_CONTENT_TYPE_OPTIONS)
            .or_insert(HeaderValue::from_static("nosniff"));
        headers
            .entry(REFERRER_POLICY)
            .or_insert(HeaderValue::from_static("no-referrer"));
        headers
            .entry(X_FRAME_OPTIONS)
            .or_insert(HeaderValue::from_static("DENY"));
        response
    }
}

/// Says in the log that a request from `origin` was refused as another site's: on a host run
/// without `--public-url` and opened by another name (a LAN address), every console action is
/// refused this way, and this line is how the operator finds out why.
pub fn log_foreign_origin(origin: &str, public_url: &str) {
    tracing::warn!(
        origin,
        public_url,
        "refused a request from another site's page: if people open the console or site at \
         this origin, set --public-url to it"
    );
}

/// Whether a request with this `Origin` header comes from the host's own pages.
pub fn same_origin(origin: &str, public_url: &str) -> bool {
    let (Ok(origin), Ok(public)) = (Url::parse(origin), Url::parse(public_url)) else {
        return false;
    };
    if !matches!(origin.scheme(), "http" | "https") {
        return false;
    }
    if origin.origin() == public.origin() {
        return true;
    }
    is_loopback(&public)
        && is_loopback(&origin)
        && origin.scheme() == public.scheme()
        && origin.port_or_known_default() == public.port_or_known_default()
}

/// A host name only this machine can have. An unspecified address (`0.0.0.0`, a host listening
/// everywhere without `--public-url`) counts: the pages it hands out are reached on loopback.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(a)) => a.is_loopback() || a.is_unspecified(),
        Some(Host::Ipv6(a)) => a.is_loopback() || a.is_unspecified(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::same_origin;

    #[test]
    fn the_public_origin_is_trusted_and_the_request_host_is_not() {
        let public = "https://help.example.com";
        assert!(same_origin("https://help.example.com", public));
        assert!(same_origin("https://help.example.com:443", public));
        // A rebinding page: its Origin and the Host header it sends agree, and neither counts.
        assert!(!same_origin("http://evil.example", public));
        assert!(!same_origin("http://help.example.com", public));
        assert!(!same_origin(
            "https://help.example.com.evil.example",
            public
        ));
        assert!(!same_origin("null", public));
        // Loopback names are trusted only when the host itself is on loopback.
        assert!(!same_origin("http://localhost", public));
    }

    #[test]
    fn a_host_on_loopback_trusts_its_loopback_spellings_on_the_same_port() {
        let public = "http://127.0.0.1:8080";
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            assert!(same_origin(ok, public), "{ok}");
        }
        for bad in [
            "http://localhost:9090",
            "https://localhost:8080",
            "http://evil.example:8080",
            "http://127.0.0.1.nip.io:8080",
        ] {
            assert!(!same_origin(bad, public), "{bad}");
        }
    }
}
