//! Enrolment links and help host addresses: a link can come from anyone (an email, a web page),
//! and the app reads it (`instant_share_protocol::link`). What is accepted must be written one
//! way: the link the app would print reads back as the same link, and a normalised address
//! normalises to itself.
#![no_main]

use instant_share_protocol::link::{normalise_host_url, EnrolmentLink};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(link) = EnrolmentLink::parse(text) {
        let written = link.to_string();
        assert_eq!(
            EnrolmentLink::parse(&written).as_ref(),
            Ok(&link),
            "{text:?} read as {link:?}, written as {written:?}"
        );
        assert_eq!(
            normalise_host_url(&link.host_url).as_ref(),
            Ok(&link.host_url)
        );
        assert_eq!(
            EnrolmentLink::new(&link.host_url, &link.code).as_ref(),
            Ok(&link)
        );
    }
    if let Ok(url) = normalise_host_url(text) {
        assert_eq!(
            normalise_host_url(&url).as_ref(),
            Ok(&url),
            "{text:?} normalised to {url:?}"
        );
    }
});
