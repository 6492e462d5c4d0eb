//! The rewritten export applied to an empty DR emulator the way Terraform with the provider would (the
//! provider model, `crate::provider`), then exported back: what comes back is what was applied. This is the
//! round trip that makes "an unchanged DR site shows no drift" hold.

use crate::common::{fixtures_dir, start};
use drsync::export::Export;
use drsync_emulator::{EmulatorConfig, Fixtures};
use std::collections::BTreeMap;

use crate::common::{build_export, client, export_settings, read_all};

/// The export of the workspace at `url` as the emulator's user reads it: the identity that applies the HCL in
/// DR too, whose own MANAGE on the scopes it created is no configuration (`normalize::is_own_manage`).
async fn export_of(url: &str, rules: &str) -> Export {
    let mut settings = export_settings(rules, "https://workspace");
    settings.exporter = Some(crate::common::EMULATOR_USER.to_string());
    build_export(read_all(url).await, &settings)
}

/// The resource files without the header line that names the source.
fn resources(e: &Export) -> BTreeMap<String, String> {
    e.files
        .iter()
        .filter(|(n, _)| n.ends_with(".tf"))
        .map(|(n, t)| {
            (
                n.clone(),
                t.split_once('\n').map_or("", |(_, r)| r).to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_applied_export_exports_back_unchanged() {
    let primary = start(EmulatorConfig {
        fixtures: Fixtures::load(&fixtures_dir("primary")).unwrap(),
        ..EmulatorConfig::default()
    })
    .await;
    let rules = "[rewrite]\nzone_id = \"auto\"\npause = \"literal\"\n[[rewrite.replace]]\nfrom = \"us-east-1\"\nto = \"us-west-2\"\n";
    let desired = export_of(primary.url(), rules).await;
    let config = drsync::tfconfig::load(&desired.files, &[], &BTreeMap::new()).unwrap();
    let dr = start(EmulatorConfig {
        fixtures: crate::common::dr_of_primary(),
        seed: 9,
        ..EmulatorConfig::default()
    })
    .await;
    let applied = crate::provider::apply(&config, &client(dr.url()))
        .await
        .unwrap();
    assert_eq!(applied.len(), desired.resources.len());

    // A passive standby exported again as one: `no_wait` is the export's, not the workspace's.
    let back = export_of(dr.url(), "[rewrite]\npause = \"literal\"\n").await;
    let (want, got) = (resources(&desired), resources(&back));
    let mut differences = String::new();
    for (name, text) in &want {
        let other = got.get(name).map_or("", String::as_str);
        if text != other {
            let diff = similar::TextDiff::from_lines(text.as_str(), other);
            differences.push_str(&format!(
                "{}",
                diff.unified_diff().context_radius(2).header(name, name)
            ));
        }
    }
    assert!(differences.is_empty(), "{differences}");
}
