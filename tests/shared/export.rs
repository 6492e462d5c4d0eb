//! Export inputs shared by the integration tests (`tests/it/common.rs`) and the CPU benchmarks
//! (`benches/cpu.rs`), included by `#[path]`: the DR rule set and export settings made from a drsync.toml text.
//! Depends on the `drsync` library alone; starts nothing.

/// The DR rule set the tests and benchmarks export with: zones to `auto`, schedules paused, a region rename
/// and a node-type mapping (us-east-1 -> us-west-2).
pub const DR_RULES: &str = r#"
[rewrite]
zone_id = "auto"
pause = "literal"
[[rewrite.replace]]
from = "us-east-1"
to = "us-west-2"
[rewrite.node_types]
"i3.xlarge" = "i4i.xlarge"
"#;

/// Export settings as a drsync.toml holding `toml` makes them (its `[export]` and `[rewrite]`), for a primary
/// at `source_host`, every resource kind, no exporter identity and no recorded workspace id.
pub fn export_settings(toml: &str, source_host: &str) -> drsync::export::Settings {
    let config = drsync::config::Config::parse(toml, std::path::Path::new("drsync.toml"))
        .expect("the rules parse");
    drsync::export::Settings {
        kinds: drsync::model::ResourceKind::ALL.to_vec(),
        filter: config
            .export
            .name_filter()
            .expect("the name filter compiles"),
        provider_version: config.export.provider_version.clone(),
        source_host: source_host.to_string(),
        rules: config.rewrite,
        normalize: config.export.normalize_options(),
        exporter: None,
        workspace_id: None,
    }
}
