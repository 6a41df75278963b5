//! App updates from the host: an enrolled app reads the release in the updates directory and
//! downloads its installer from the host alone; nobody else reads either.

mod support;

use instant_share_host::updates::UpdateManifest;
use support::*;

#[tokio::test]
async fn enrolled_apps_get_the_release_and_its_files_from_the_host() {
    let updates = tempfile::tempdir().unwrap();
    let dir = updates.path().to_owned();
    let host = TestHost::start_with(Timers::default(), |a| a.updates_dir = Some(dir)).await;
    let credential = host.enrol("Ada").await;
    let manifest = "/api/v1/updates/latest.json";

    // Nothing offered yet: 204, as the updater expects.
    assert_eq!(host.get_status(manifest, Some(&credential)).await, 204);

    let installer: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(
        updates.path().join("Instant.Share_0.2.0_amd64.deb"),
        &installer,
    )
    .unwrap();
    std::fs::write(
        updates.path().join("latest.json"),
        serde_json::json!({
            "version": "0.2.0",
            "notes": "Screen sharing on Wayland",
            "platforms": {
                "linux-x86_64-deb": {
                    "url": "https://github.com/acme/instant-share/releases/download/v0.2.0/Instant.Share_0.2.0_amd64.deb",
                    "signature": "c2ln"
                },
                "darwin-aarch64": {
                    "url": "https://github.com/acme/instant-share/releases/download/v0.2.0/Instant.Share.app.tar.gz",
                    "signature": "c2ln"
                }
            }
        })
        .to_string(),
    )
    .unwrap();

    // Only with a device credential.
    assert_eq!(host.get_status(manifest, None).await, 401);
    assert_eq!(
        host.get_status(manifest, Some("not-a-credential")).await,
        401
    );

    let m: UpdateManifest = host.get(manifest, Some(&credential)).await;
    assert_eq!(m.version, "0.2.0");
    assert_eq!(
        m.platforms.len(),
        1,
        "the platform whose file is missing is left out"
    );
    let url = &m.platforms["linux-x86_64-deb"].url;
    assert_eq!(
        url,
        &format!(
            "{}/api/v1/updates/files/Instant.Share_0.2.0_amd64.deb",
            host.base
        )
    );

    // The file, whole, with its length (the app's progress shows a total).
    let r = host
        .http()
        .get(url)
        .bearer_auth(&credential)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.content_length(), Some(installer.len() as u64));
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/octet-stream"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), installer.as_slice());

    // Not without a credential, and nothing outside the directory or not in it.
    assert_eq!(host.http().get(url).send().await.unwrap().status(), 401);
    for name in ["latest.json", "..%2Fhost.sqlite3", ".hidden", "missing.deb"] {
        let path = format!("/api/v1/updates/files/{name}");
        assert_eq!(
            host.get_status(&path, Some(&credential)).await,
            404,
            "{name}"
        );
    }

    // A damaged manifest is the operator's problem, said as such.
    std::fs::write(updates.path().join("latest.json"), "{").unwrap();
    let r = host
        .http()
        .get(format!("{}{manifest}", host.base))
        .bearer_auth(&credential)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "internal");
}

#[tokio::test]
async fn a_host_without_an_updates_directory_offers_nothing() {
    let host = TestHost::start(Timers::default()).await;
    let credential = host.enrol("Ada").await;
    assert_eq!(
        host.get_status("/api/v1/updates/latest.json", Some(&credential))
            .await,
        204
    );
    assert_eq!(
        host.get_status("/api/v1/updates/files/x.deb", Some(&credential))
            .await,
        404
    );
}
