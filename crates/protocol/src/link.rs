//! Enrolment links and help host addresses, as the host writes them and the app reads them.
//!
//! An enrolment link, `instant-share://enrol?host=<host address>&code=<enrolment code>`, carries
//! what an employee would otherwise type on the app's first screen. The host prints one with
//! every enrolment code it makes; IT sends it by email or puts it on the intranet; opening it
//! starts the installed app, which asks the employee to confirm the host before it enrols.
//!
//! A link can come from anyone, so reading one is strict: the scheme and the action must be
//! exactly ours, the host address must be `https://` (plain `http://` only for this computer's
//! own loopback host, for trying it out), and the code may hold only what codes are made of.

use std::fmt;
use std::net::IpAddr;

use url::Url;

/// The URL scheme the app registers with the operating system.
pub const LINK_SCHEME: &str = "instant-share";

/// The action of an enrolment link (`instant-share://enrol?...`).
pub const ENROL_ACTION: &str = "enrol";

/// Longest link the app reads, in bytes: a real one is well under 300.
pub const MAX_LINK_BYTES: usize = 2048;

/// Longest enrolment code in a link, in characters (codes are `XXXX-XXXX-XXXX`).
pub const MAX_LINK_CODE_CHARS: usize = 64;

/// Longest help host address once normalised, in bytes: a real one is well under 100. The
/// bound is what keeps every link the host writes readable: in a link each byte of the address
/// takes at most three (`%XX`), so the longest address and code still fit in
/// [`MAX_LINK_BYTES`]. Without it a short link could carry an address that grows when it is
/// normalised and written again (a raw space or NUL becomes `%20`, then `%2520`).
pub const MAX_HOST_URL_BYTES: usize = 512;

const _: () = assert!(
    "instant-share://enrol?host=&code=".len() + 3 * MAX_HOST_URL_BYTES + MAX_LINK_CODE_CHARS
        <= MAX_LINK_BYTES
);

/// Why a host address or an enrolment link was refused; the message is a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkError(String);

impl LinkError {
    fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LinkError {}

/// A help host address checked and written one way: `https://` (or `http://` to a loopback
/// host), no user name or password, no query or fragment, no trailing `/`. Two spellings of
/// the same address (`HTTPS://Help.Example.com:443/`) compare equal once normalised.
pub fn normalise_host_url(raw: &str) -> Result<String, LinkError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(LinkError::new("The help host address is empty."));
    }
    let url = Url::parse(raw)
        .map_err(|e| LinkError::new(format!("\"{raw}\" is not a web address ({e}).")))?;
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err(LinkError::new(format!("\"{raw}\" has no host name.")));
    };
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(LinkError::new(format!(
                "\"{raw}\" uses plain http://; the help host must be reached over https://."
            )))
        }
        other => {
            return Err(LinkError::new(format!(
                "\"{raw}\" starts with {other}:; the help host address must start with https://."
            )))
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(LinkError::new(format!(
            "\"{raw}\" has a user name or password in it; the help host address may not."
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(LinkError::new(format!(
            "\"{raw}\" has a query or fragment; the help host address may not."
        )));
    }
    let normalised = url.as_str().trim_end_matches('/');
    if normalised.len() > MAX_HOST_URL_BYTES {
        return Err(LinkError::new(format!(
            "The help host address is longer than {MAX_HOST_URL_BYTES} characters once written out."
        )));
    }
    Ok(normalised.to_owned())
}

/// Whether a URL's host is this computer: `localhost`, `127.0.0.0/8` or `[::1]`.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// What an enrolment link carries: which host, and the one-time code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentLink {
    /// The host address, normalised ([`normalise_host_url`]).
    pub host_url: String,
    /// The enrolment code as the host printed it.
    pub code: String,
}

impl EnrolmentLink {
    /// A link to `host_url` for `code`, both checked.
    pub fn new(host_url: &str, code: &str) -> Result<Self, LinkError> {
        Ok(Self {
            host_url: normalise_host_url(host_url)?,
            code: check_code(code)?,
        })
    }

    /// Reads a link, refusing anything that is not exactly an enrolment link.
    pub fn parse(raw: &str) -> Result<Self, LinkError> {
        let raw = raw.trim();
        if raw.len() > MAX_LINK_BYTES {
            return Err(LinkError::new(format!(
                "The enrolment link is longer than {MAX_LINK_BYTES} characters."
            )));
        }
        let url = Url::parse(raw)
            .map_err(|e| LinkError::new(format!("The enrolment link is not a link ({e}).")))?;
        if url.scheme() != LINK_SCHEME {
            return Err(LinkError::new(format!(
                "The link starts with {}: instead of {LINK_SCHEME}://.",
                url.scheme()
            )));
        }
        // `instant-share://enrol?...`; some programs add a `/` before the `?`.
        let action = url.host_str().unwrap_or_default();
        if action != ENROL_ACTION || !matches!(url.path(), "" | "/") {
            return Err(LinkError::new(format!(
                "The link asks for \"{action}{}\", which Instant Share does not do; an enrolment link starts with {LINK_SCHEME}://{ENROL_ACTION}?.",
                url.path()
            )));
        }
        if url.fragment().is_some() {
            return Err(LinkError::new(
                "The enrolment link has a # part it may not have.",
            ));
        }
        let (mut host, mut code) = (None, None);
        for (key, value) in url.query_pairs() {
            let slot = match key.as_ref() {
                "host" => &mut host,
                "code" => &mut code,
                // Parameters of later versions are not ours to refuse.
                _ => continue,
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(LinkError::new(format!(
                    "The enrolment link names its {key} twice."
                )));
            }
        }
        let host = host.ok_or_else(|| LinkError::new("The enrolment link has no help host."))?;
        let code = code.ok_or_else(|| LinkError::new("The enrolment link has no code."))?;
        Self::new(&host, &code)
    }
}

/// Writes the link, `instant-share://enrol?host=...&code=...`, percent-encoded.
impl fmt::Display for EnrolmentLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("host", &self.host_url)
            .append_pair("code", &self.code)
            .finish();
        write!(f, "{LINK_SCHEME}://{ENROL_ACTION}?{query}")
    }
}

fn check_code(code: &str) -> Result<String, LinkError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(LinkError::new("The enrolment link's code is empty."));
    }
    if code.chars().count() > MAX_LINK_CODE_CHARS
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(LinkError::new(
            "The enrolment link's code is not an enrolment code (letters, digits and dashes).",
        ));
    }
    Ok(code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_addresses_are_https_or_loopback_http_and_written_one_way() {
        for (raw, want) in [
            ("https://help.example.com", "https://help.example.com"),
            (
                " HTTPS://Help.Example.com:443/ ",
                "https://help.example.com",
            ),
            (
                "https://help.example.com/support/",
                "https://help.example.com/support",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://127.3.2.1:1", "http://127.3.2.1:1"),
            ("http://localhost:8080/", "http://localhost:8080"),
            ("http://[::1]:8080", "http://[::1]:8080"),
        ] {
            assert_eq!(normalise_host_url(raw).as_deref(), Ok(want), "{raw}");
        }
        for bad in [
            "",
            "help.example.com",
            "http://help.example.com",
            "http://10.0.0.1",
            "http://127.0.0.1.example.com",
            "ftp://help.example.com",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://user:pw@help.example.com",
            "https://help.example.com/?a=b",
            "https://help.example.com/#x",
        ] {
            assert!(normalise_host_url(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn a_link_written_by_the_host_reads_back() {
        let link = EnrolmentLink::new("https://help.example.com/desk/", "ABCD-EFGH-JKMN").unwrap();
        let text = link.to_string();
        assert_eq!(
            text,
            "instant-share://enrol?host=https%3A%2F%2Fhelp.example.com%2Fdesk&code=ABCD-EFGH-JKMN"
        );
        assert_eq!(EnrolmentLink::parse(&text), Ok(link));
    }

    /// Found by the fuzz target `enrolment_link`: a 650-byte link whose host address has raw
    /// spaces in it was read, but the link written from what was read (each space now `%2520`)
    /// was over [`MAX_LINK_BYTES`] and refused.
    #[test]
    fn an_address_that_grows_when_written_is_refused() {
        let raw = format!(
            "instant-share://enrol?host=https://help.example.com/{}x&code=A",
            "+".repeat(600)
        );
        assert!(raw.len() < MAX_LINK_BYTES);
        let err = EnrolmentLink::parse(&raw).unwrap_err().to_string();
        assert!(err.contains("longer than"), "{err}");

        // The longest address that is taken, of bytes that all grow, with the longest code,
        // writes a link that reads back.
        let host = format!(
            "https://help.example.com/{}",
            "~".repeat(MAX_HOST_URL_BYTES - "https://help.example.com/".len())
        );
        let link = EnrolmentLink::new(&host, &"A".repeat(MAX_LINK_CODE_CHARS)).unwrap();
        assert_eq!(link.host_url.len(), MAX_HOST_URL_BYTES);
        let written = link.to_string();
        assert!(written.len() <= MAX_LINK_BYTES, "{}", written.len());
        assert_eq!(EnrolmentLink::parse(&written), Ok(link));
        let longer = format!("{host}~");
        assert!(normalise_host_url(&longer).is_err());
    }

    #[test]
    fn links_as_browsers_and_shells_hand_them_over_are_read() {
        for raw in [
            "instant-share://enrol?host=https://help.example.com&code=ABCD-EFGH-JKMN",
            "instant-share://enrol/?host=https%3A%2F%2Fhelp.example.com&code=ABCD-EFGH-JKMN",
            "INSTANT-SHARE://enrol?code=ABCD-EFGH-JKMN&host=https%3A%2F%2Fhelp.example.com%2F&v=2",
        ] {
            let link = EnrolmentLink::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(link.host_url, "https://help.example.com", "{raw}");
            assert_eq!(link.code, "ABCD-EFGH-JKMN", "{raw}");
        }
    }

    #[test]
    fn anything_else_is_refused_with_a_reason() {
        let ok_host = "https%3A%2F%2Fhelp.example.com";
        for (raw, says) in [
            (format!("https://enrol?host={ok_host}&code=A"), "instead of"),
            (
                format!("instant-shares://enrol?host={ok_host}&code=A"),
                "instead of",
            ),
            (
                format!("instant-share://share?host={ok_host}&code=A"),
                "does not do",
            ),
            (
                format!("instant-share://enrol/x?host={ok_host}&code=A"),
                "does not do",
            ),
            ("instant-share://enrol?code=A".to_owned(), "no help host"),
            (format!("instant-share://enrol?host={ok_host}"), "no code"),
            (
                format!("instant-share://enrol?host={ok_host}&code="),
                "empty",
            ),
            (
                format!("instant-share://enrol?host={ok_host}&code=A&code=B"),
                "twice",
            ),
            (
                format!("instant-share://enrol?host={ok_host}&host={ok_host}&code=A"),
                "twice",
            ),
            (
                "instant-share://enrol?host=http%3A%2F%2Fevil.example&code=A".to_owned(),
                "https://",
            ),
            (
                "instant-share://enrol?host=help.example.com&code=A".to_owned(),
                "not a web address",
            ),
            (
                format!("instant-share://enrol?host={ok_host}&code=A%22%3E%3Cb%3E"),
                "letters, digits",
            ),
            (
                format!(
                    "instant-share://enrol?host={ok_host}&code={}",
                    "A".repeat(65)
                ),
                "letters, digits",
            ),
            (
                format!("instant-share://enrol?host={ok_host}&code=A#x"),
                "# part",
            ),
            (
                format!(
                    "instant-share://enrol?host={ok_host}&code={}",
                    "A".repeat(3000)
                ),
                "longer than",
            ),
            ("not a link".to_owned(), "not a link"),
        ] {
            let err = EnrolmentLink::parse(&raw).expect_err(&raw).to_string();
            assert!(err.contains(says), "{raw}: {err:?} should say {says:?}");
        }
    }
}
