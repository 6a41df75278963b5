//! What network this computer is on, as the call rules need it: the addresses another computer
//! could reach it at. A laptop moving from Wi-Fi to a cable, an interface going down — each
//! takes an address away, and the calls restart ICE on what is left. A new address alone (a VPN
//! or a cable coming up beside the Wi-Fi) changes nothing: the calls' paths still stand.
//!
//! Polled rather than subscribed to: one `getifaddrs` (or `GetAdaptersAddresses`) a few times a
//! second costs microseconds, and is the same code on every platform.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

/// How often the addresses are looked at.
pub(crate) const LOOK_EVERY: Duration = Duration::from_millis(200);

/// The addresses on this computer's interfaces that a peer could use: all but loopback,
/// unspecified and link-local (which ICE leaves out too). `None` when they cannot be listed
/// (then nothing is concluded from it).
pub(crate) fn usable_addresses() -> Option<BTreeSet<IpAddr>> {
    match rtc::shared::ifaces::ifaces() {
        Ok(interfaces) => Some(usable(
            interfaces
                .into_iter()
                .filter_map(|i| i.addr)
                .map(|a| a.ip()),
        )),
        Err(e) => {
            tracing::debug!(error = %e, "the network interfaces could not be listed");
            None
        }
    }
}

fn usable(addresses: impl Iterator<Item = IpAddr>) -> BTreeSet<IpAddr> {
    addresses
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
        .filter(|ip| match ip {
            IpAddr::V4(v4) => !v4.is_link_local(),
            IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_unspecified_and_link_local_addresses_are_left_out() {
        let all = [
            "127.0.0.1",
            "::1",
            "0.0.0.0",
            "169.254.3.4",
            "fe80::1",
            "10.9.0.2",
            "2001:db8::7",
        ]
        .map(|a| a.parse::<IpAddr>().unwrap());
        let kept: Vec<String> = usable(all.into_iter())
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(kept, ["10.9.0.2", "2001:db8::7"]);
    }

    #[test]
    fn this_computer_lists_its_addresses_without_loopback() {
        let listed = usable_addresses().expect("the interfaces are listed");
        assert!(listed.iter().all(|a| !a.is_loopback()));
    }
}
