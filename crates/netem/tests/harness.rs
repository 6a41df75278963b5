//! The harness does what it says: in a network namespace of its own, iptables queues a UDP
//! probe's datagrams (out to the echo port in queue 0, back from it in queue 1), the delayer
//! impairs each direction differently, and the probe — one clock for both ends — measures each
//! direction's delay and loss. Needs root (namespaces, iptables, NFQUEUE); says so and passes
//! without checking anything otherwise (CI runs as root).

use std::process::{Child, Command, Stdio};

use std::io::{BufRead, BufReader};

const BIN: &str = env!("CARGO_BIN_EXE_instant-share-netem");

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn run(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect(args[0]);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A network namespace with its loopback up, deleted (with everything in it) when dropped.
struct Netns(String);

impl Netns {
    fn new(tag: &str) -> Self {
        let name = format!("isnetem-{tag}-{}", std::process::id());
        run(&["ip", "netns", "add", &name]);
        let ns = Netns(name);
        ns.exec(&["ip", "link", "set", "lo", "up"]);
        ns
    }
    fn exec(&self, args: &[&str]) -> String {
        let mut all = vec!["ip", "netns", "exec", &self.0];
        all.extend_from_slice(args);
        run(&all)
    }
    fn spawn(&self, args: &[&str]) -> Child {
        Command::new("ip")
            .args(["netns", "exec", &self.0])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("ip netns exec")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// Starts the delayer in `ns` and waits for its `ready` line.
fn delayer(ns: &Netns, queues: &[&str]) -> Child {
    let mut args = vec![BIN, "delay"];
    for q in queues {
        args.extend(["--queue", q]);
    }
    let mut child = ns.spawn(&args);
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().expect("stdout"))
        .read_line(&mut line)
        .expect("the delayer's first line");
    assert!(line.contains("\"ready\""), "delayer said: {line}");
    child
}

fn probe(ns: &Netns, count: u32) -> serde_json::Value {
    let out = ns.exec(&[
        BIN,
        "probe",
        "--echo",
        "127.0.0.1:47000",
        "--count",
        &count.to_string(),
        "--interval-ms",
        "1",
    ]);
    serde_json::from_str(out.trim()).expect("the probe's JSON")
}

fn f(v: &serde_json::Value, path: &[&str]) -> f64 {
    path.iter()
        .fold(v, |v, k| &v[*k])
        .as_f64()
        .unwrap_or_else(|| panic!("{path:?} in {v}"))
}

#[test]
fn delays_drops_and_reorders_each_direction_as_configured() {
    if !is_root() {
        eprintln!("skipped: the network fault harness needs root");
        return;
    }
    let ns = Netns::new("harness");
    for (tool, args) in [
        ("iptables", ["--dport", "47000", "0"]),
        ("iptables", ["--sport", "47000", "1"]),
    ] {
        ns.exec(&[
            tool,
            "-A",
            "OUTPUT",
            "-o",
            "lo",
            "-p",
            "udp",
            args[0],
            args[1],
            "-j",
            "NFQUEUE",
            "--queue-num",
            args[2],
        ]);
    }

    // Out: 40 ms and 10 % loss. Back: 10 ms plus up to 20 ms, reordered.
    let mut d = delayer(&ns, &["0=delay=40,loss=10", "1=delay=10,jitter=20,reorder"]);
    let r = probe(&ns, 3000);
    d.kill().expect("stop the delayer");
    let _ = d.wait();
    println!("{r}");
    let out_p50 = f(&r, &["out_ms", "p50"]);
    assert!(
        (40.0..45.0).contains(&out_p50),
        "one-way out p50 {out_p50} ms, set 40"
    );
    assert!(f(&r, &["out_ms", "min"]) >= 40.0);
    let back_p50 = f(&r, &["back_ms", "p50"]);
    assert!(
        (17.0..25.0).contains(&back_p50),
        "one-way back p50 {back_p50} ms, set 10 + U(0, 20)"
    );
    assert!(f(&r, &["back_ms", "min"]) >= 10.0);
    let rtt_p50 = f(&r, &["rtt_ms", "p50"]);
    assert!(
        (57.0..70.0).contains(&rtt_p50),
        "round trip p50 {rtt_p50} ms"
    );
    let loss_out = f(&r, &["loss_out_percent"]);
    assert!(
        (7.0..13.0).contains(&loss_out),
        "loss out {loss_out} %, set 10"
    );
    assert_eq!(
        f(&r, &["loss_back_percent"]),
        0.0,
        "nothing is lost on the way back"
    );
    assert!(
        f(&r, &["reordered"]) > 100.0,
        "jitter with reordering reorders"
    );

    // Without the delayer's impairment the same path is fast and whole: the figures above are
    // the harness's doing, not the probe's.
    let mut d = delayer(&ns, &["0=", "1="]);
    let r = probe(&ns, 1000);
    d.kill().expect("stop the delayer");
    let _ = d.wait();
    println!("{r}");
    assert!(f(&r, &["rtt_ms", "p50"]) < 5.0, "unimpaired round trip {r}");
    assert_eq!(f(&r, &["received"]), 1000.0);
    assert_eq!(f(&r, &["reordered"]), 0.0);
}
