//! Text that people type — chat, names, notes, comments — as the host accepts it.
//!
//! One rule for every free-text field, so that what one person types reaches the others, the
//! records and the exported transcript as plain text that cannot rewrite a terminal, hide or
//! reorder what is around it, or cut a line in two:
//!
//! - line endings become `\n` (multi-line fields only), the text is put in Unicode NFC (the
//!   same words compare and count the same whichever way a keyboard composed them) and trimmed;
//! - control characters (NUL, ESC and the rest of C0 and C1, DEL) are refused, except `\n` and
//!   `\t` in multi-line fields; so are the bidirectional embeddings, overrides and isolates
//!   (U+202A–U+202E, U+2066–U+2069), which make text read in another order than it is stored,
//!   and, in one-line fields, the Unicode line and paragraph separators (U+2028, U+2029);
//! - the length is counted in characters (Unicode scalar values) as sent, exactly as JSON
//!   Schema's `maxLength` counts them (NFC only ever shortens text, but for a few dozen
//!   characters that Unicode never composes, which it spells with two or three);
//! - what counts as space for trimming and for "not only spaces" is the set of
//!   [`is_space`], which [`TextRule::pattern`] names too, so that the OpenAPI document says
//!   exactly what the host accepts.
//!
//! Refusing, rather than quietly dropping characters, keeps the text the sender sees the same as
//! the text everyone else sees.

use unicode_normalization::UnicodeNormalization;

use crate::{ApiError, ErrorCode, MAX_CHAT_CHARS, MAX_FEEDBACK_CHARS, MAX_NOTE_CHARS};

/// Longest guest name, in characters.
pub const MAX_GUEST_NAME_CHARS: usize = 60;
/// Longest name of a device, an expert or an employee, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest app or system version on a share request, in characters.
pub const MAX_VERSION_CHARS: usize = 100;
/// Longest picture name, in characters.
pub const MAX_PICTURE_NAME_CHARS: usize = 200;

/// A chat message.
pub const CHAT: TextRule = TextRule::lines("a chat message", MAX_CHAT_CHARS);
/// The requester's note on a share request.
pub const SHARE_NOTE: TextRule = TextRule::lines("the note", MAX_NOTE_CHARS);
/// The requester's comment in their feedback.
pub const FEEDBACK_COMMENT: TextRule = TextRule::lines("the comment", MAX_FEEDBACK_CHARS);
/// The expert's note in a wrap-up.
pub const WRAP_UP_NOTE: TextRule = TextRule::lines("the note", MAX_FEEDBACK_CHARS);
/// A guest's name as the inviter typed it.
pub const GUEST_NAME: TextRule = TextRule::line("a guest's name", MAX_GUEST_NAME_CHARS);
/// The name of an enrolled device.
pub const DEVICE_NAME: TextRule = TextRule::line("the device name", MAX_NAME_CHARS);
/// The name of an expert or an employee (host CLI).
pub const PERSON_NAME: TextRule = TextRule::line("the name", MAX_NAME_CHARS);
/// The app's or the system's version on a share request.
pub const VERSION: TextRule = TextRule::line("the app or system version", MAX_VERSION_CHARS);
/// The name of a picture shared on the board.
pub const PICTURE_NAME: TextRule = TextRule::line("the picture's name", MAX_PICTURE_NAME_CHARS);

/// The rule for one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    /// What the field is, for the error message ("the guest's name").
    pub what: &'static str,
    /// Most characters, after normalising.
    pub max_chars: usize,
    /// Whether `\n` and `\t` are allowed (chat, notes, comments), or the text is one line.
    pub multiline: bool,
}

impl TextRule {
    /// A one-line field: names, versions.
    pub const fn line(what: &'static str, max_chars: usize) -> Self {
        Self {
            what,
            max_chars,
            multiline: false,
        }
    }

    /// A field that may hold several lines and tabs: chat, notes, comments.
    pub const fn lines(what: &'static str, max_chars: usize) -> Self {
        Self {
            what,
            max_chars,
            multiline: true,
        }
    }

    /// The text normalised, or why it is refused. Empty (or only spaces) is `Ok("")`: whether a
    /// field may be empty is the caller's to say (see [`TextRule::required`]).
    pub fn clean(&self, raw: &str) -> Result<String, TextError> {
        let unified;
        let raw = if self.multiline && raw.contains('\r') {
            unified = raw.replace("\r\n", "\n").replace('\r', "\n");
            unified.as_str()
        } else {
            raw
        };
        if let Some(c) = raw.chars().find(|&c| self.forbids(c)) {
            return Err(TextError::Forbidden {
                what: self.what,
                found: c,
            });
        }
        let text: String = raw.nfc().collect();
        let text = text.trim_matches(is_space);
        if raw.chars().count() > self.max_chars {
            return Err(TextError::TooLong {
                what: self.what,
                max: self.max_chars,
            });
        }
        Ok(text.to_owned())
    }

    /// Like [`TextRule::clean`], and refuses text that is empty once trimmed.
    pub fn required(&self, raw: &str) -> Result<String, TextError> {
        let text = self.clean(raw)?;
        if text.is_empty() {
            return Err(TextError::Empty {
                what: self.what,
                max: self.max_chars,
            });
        }
        Ok(text)
    }

    /// Like [`TextRule::clean`] for a field that may be left out: `None` when absent or empty.
    pub fn optional(&self, raw: Option<&str>) -> Result<Option<String>, TextError> {
        match raw {
            None => Ok(None),
            Some(raw) => Ok(Some(self.clean(raw)?).filter(|t| !t.is_empty())),
        }
    }

    /// An ECMA-262 regular expression (as OpenAPI's `pattern`) that matches the texts
    /// [`TextRule::clean`] accepts (`required`: and [`TextRule::required`]), leaving the length
    /// to `maxLength`.
    pub fn pattern(&self, required: bool) -> String {
        let forbidden = if self.multiline {
            // C0 but tab, line feed and carriage return (which becomes a line feed).
            r"\u0000-\u0008\u000B\u000C\u000E-\u001F"
        } else {
            r"\u0000-\u001F\u2028\u2029"
        };
        let forbidden = format!(r"{forbidden}\u007F-\u009F\u202A-\u202E\u2066-\u2069");
        if !required {
            return format!("^[^{forbidden}]*$");
        }
        let mut spaces = String::from(SPACES_PATTERN);
        if self.multiline {
            spaces.push_str(r"\t\n\r\u2028\u2029");
        }
        format!("^[{spaces}]*[^{forbidden}{spaces}][^{forbidden}]*$")
    }

    /// Whether `c` may not appear in this field at all.
    pub fn forbids(&self, c: char) -> bool {
        if self.multiline && (c == '\n' || c == '\t') {
            return false;
        }
        c.is_control() || is_direction_control(c) || (!self.multiline && is_line_separator(c))
    }
}

/// The bidirectional embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069): they
/// make the characters after them display in another order than they are stored ("Trojan
/// Source").
pub fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The spaces trimmed from both ends, besides the control characters among Unicode's white
/// space (refused anyway in one-line fields): Unicode's `White_Space` and U+FEFF (the byte-order
/// mark, which JavaScript's `\s` counts as space).
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{FEFF}'
}

/// [`is_space`] without the control characters and line separators, as a regular
/// expression's character class body.
const SPACES_PATTERN: &str = r" \u00A0\u1680\u2000-\u200A\u202F\u205F\u3000\uFEFF";

/// U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR: line breaks that are not `\n`.
fn is_line_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// Why a text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    /// Nothing but spaces where something is needed.
    Empty {
        /// The field.
        what: &'static str,
        /// Its longest length, to say what is expected.
        max: usize,
    },
    /// Longer than the field's limit.
    TooLong {
        /// The field.
        what: &'static str,
        /// The limit, in characters.
        max: usize,
    },
    /// A control character or a direction override.
    Forbidden {
        /// The field.
        what: &'static str,
        /// The first character refused.
        found: char,
    },
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty { what, max } => write!(f, "{what} needs 1 to {max} characters"),
            Self::TooLong { what, max } => write!(f, "{what} has at most {max} characters"),
            Self::Forbidden { what, found } => write!(
                f,
                "{what} may not contain control characters or text-direction overrides \
                 (found U+{:04X})",
                *found as u32
            ),
        }
    }
}

impl std::error::Error for TextError {}

impl From<TextError> for ApiError {
    fn from(e: TextError) -> Self {
        ApiError::new(ErrorCode::BadRequest, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: TextRule = TextRule::line("the name", 10);
    const CHAT: TextRule = TextRule::lines("a chat message", 20);

    #[test]
    fn normalises_to_nfc_and_trims() {
        // "é" as e + combining acute: one character once composed.
        assert_eq!(NAME.required("  Jose\u{301} ").unwrap(), "Jos\u{e9}");
        // The length is what was sent: eleven code points are too many for ten.
        assert!(matches!(
            NAME.required("abcdefghi\u{65}\u{301}"),
            Err(TextError::TooLong { .. })
        ));
    }

    #[test]
    fn chat_keeps_newlines_and_tabs_and_unifies_line_endings() {
        assert_eq!(CHAT.required("a\r\nb\rc\td").unwrap(), "a\nb\nc\td");
    }

    #[test]
    fn names_refuse_newlines_and_tabs() {
        for bad in ["a\nb", "a\tb", "a\u{2028}b"] {
            assert!(matches!(
                NAME.required(bad),
                Err(TextError::Forbidden { .. })
            ));
        }
    }

    #[test]
    fn refuses_controls_escapes_and_direction_overrides() {
        for bad in [
            "a\0b",
            "\u{1b}[2Jhi",
            "a\u{7f}",
            "a\u{85}b",
            "abc\u{202E}fed",
            "x\u{2066}y",
            "x\u{2069}",
        ] {
            let e = CHAT.required(bad).unwrap_err();
            assert!(matches!(e, TextError::Forbidden { .. }), "{bad:?}");
            assert!(e.to_string().contains("control characters"));
        }
        let e = ApiError::from(NAME.required("a\u{202E}b").unwrap_err());
        assert_eq!(e.code, ErrorCode::BadRequest);
        assert!(e.message.contains("U+202E"), "{}", e.message);
    }

    #[test]
    fn the_pattern_says_what_is_accepted() {
        // Every code point up to U+3100 and a few beyond, alone and around a letter: the
        // pattern (a regex over the same classes) and the rule agree.
        let probes = (0u32..0x3100)
            .chain([0xFEFF, 0xFFFD, 0x1F600])
            .filter_map(char::from_u32);
        for rule in [NAME, CHAT] {
            let pattern = rule.pattern(true);
            for c in probes.clone() {
                for text in [c.to_string(), format!("a{c}"), format!("{c}{c}")] {
                    let accepted = rule.required(&text).is_ok();
                    assert_eq!(
                        accepted,
                        matches_pattern(&pattern, &text),
                        "{:?} {text:?} with {pattern}",
                        rule.what
                    );
                }
            }
        }
    }

    /// The patterns are `^[A]*[^B][^C]*$` or `^[^C]*$` over `\uXXXX` ranges and escapes: a
    /// small matcher for exactly that shape, so the test needs no regex engine.
    fn matches_pattern(pattern: &str, text: &str) -> bool {
        fn class(body: &str) -> Vec<(char, char)> {
            let mut chars = Vec::new();
            let mut it = body.chars().peekable();
            while let Some(c) = it.next() {
                let c = if c == '\\' {
                    match it.next().unwrap() {
                        'u' => {
                            let hex: String = it.by_ref().take(4).collect();
                            char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap()
                        }
                        't' => '\t',
                        'n' => '\n',
                        'r' => '\r',
                        other => other,
                    }
                } else {
                    c
                };
                chars.push(c);
            }
            let mut ranges = Vec::new();
            let mut i = 0;
            while i < chars.len() {
                if i + 2 < chars.len() && chars[i + 1] == '-' {
                    ranges.push((chars[i], chars[i + 2]));
                    i += 3;
                } else {
                    ranges.push((chars[i], chars[i]));
                    i += 1;
                }
            }
            ranges
        }
        let in_class = |r: &[(char, char)], c: char| r.iter().any(|&(a, b)| a <= c && c <= b);
        let body = pattern
            .strip_prefix('^')
            .unwrap()
            .strip_suffix('$')
            .unwrap();
        // Each class ends at `]`; a `*` after the last one is a part of its own.
        let parts: Vec<&str> = body.split_inclusive(']').filter(|p| *p != "*").collect();
        let parse = |p: &str| {
            let p = p.trim_start_matches('*');
            let inner = p.strip_prefix('[').unwrap().strip_suffix(']').unwrap();
            match inner.strip_prefix('^') {
                Some(neg) => (true, class(neg)),
                None => (false, class(inner)),
            }
        };
        let ok = |(neg, r): &(bool, Vec<(char, char)>), c: char| in_class(r, c) != *neg;
        let text: Vec<char> = text.chars().collect();
        match parts.len() {
            1 => {
                let any = parse(parts[0]);
                text.iter().all(|&c| ok(&any, c))
            }
            3 => {
                let (lead, one, rest) = (parse(parts[0]), parse(parts[1]), parse(parts[2]));
                (0..text.len()).any(|i| {
                    text[..i].iter().all(|&c| ok(&lead, c))
                        && ok(&one, text[i])
                        && text[i + 1..].iter().all(|&c| ok(&rest, c))
                })
            }
            _ => panic!("unexpected pattern {pattern}"),
        }
    }

    #[test]
    fn empty_and_too_long() {
        assert!(matches!(
            NAME.required(" \n"),
            Err(TextError::Forbidden { .. })
        ));
        assert!(matches!(NAME.required("   "), Err(TextError::Empty { .. })));
        assert_eq!(NAME.optional(Some("  ")).unwrap(), None);
        assert_eq!(NAME.optional(None).unwrap(), None);
        assert!(matches!(
            NAME.required("01234567890"),
            Err(TextError::TooLong { max: 10, .. })
        ));
        // Counted in characters, not bytes.
        assert!(NAME.required("éééééééééé").is_ok());
    }
}
