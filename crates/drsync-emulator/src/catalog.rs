//! The built-in region catalog (node types, Spark versions, zones) per cloud, used when fixtures give none.
//! Data only; the values are shaped on real `list-node-types`, `spark-versions` and `list-zones` bodies.

use serde_json::{json, Value};

/// The cloud a workspace runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cloud {
    /// Amazon Web Services.
    #[default]
    Aws,
    /// Microsoft Azure.
    Azure,
    /// Google Cloud.
    Gcp,
}

impl Cloud {
    /// The lower-case name, as `--cloud` and the host metadata spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Aws => "aws",
            Cloud::Azure => "azure",
            Cloud::Gcp => "gcp",
        }
    }
}

/// A cloud name other than `aws`, `azure` and `gcp`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown cloud `{0}` (expected aws, azure or gcp)")]
pub struct UnknownCloud(pub String);

impl std::str::FromStr for Cloud {
    type Err = UnknownCloud;
    fn from_str(s: &str) -> Result<Self, UnknownCloud> {
        match s {
            "aws" => Ok(Cloud::Aws),
            "azure" => Ok(Cloud::Azure),
            "gcp" => Ok(Cloud::Gcp),
            _ => Err(UnknownCloud(s.to_string())),
        }
    }
}

/// One row of the node-type tables below; [`NodeSpec::to_json`] turns it into a `NodeType` body.
struct NodeSpec {
    id: &'static str,
    memory_mb: i64,
    cores: f64,
    gpus: i64,
    category: &'static str,
    /// Local (instance-store / temp) disks: count and size of each in GB.
    disks: (i64, i64),
    /// Local NVMe disks: count and size of each in GB.
    nvme: (i64, i64),
    photon: bool,
    graviton: bool,
    io_cache: bool,
    hidden: bool,
    deprecated: bool,
    /// `node_info.status` values, as the service spells them (`NotAvailableInRegion`, `NotEnabledOnSubscription`).
    status: &'static [&'static str],
}

impl NodeSpec {
    #[allow(clippy::too_many_arguments)]
    const fn new(
        id: &'static str,
        memory_mb: i64,
        cores: f64,
        category: &'static str,
        disks: (i64, i64),
        nvme: (i64, i64),
        photon: bool,
    ) -> Self {
        NodeSpec {
            id,
            memory_mb,
            cores,
            gpus: 0,
            category,
            disks,
            nvme,
            photon,
            graviton: false,
            io_cache: false,
            hidden: false,
            deprecated: false,
            status: &[],
        }
    }

    const fn gpus(mut self, n: i64) -> Self {
        self.gpus = n;
        self
    }

    const fn graviton(mut self) -> Self {
        self.graviton = true;
        self
    }

    const fn io_cache(mut self) -> Self {
        self.io_cache = true;
        self
    }

    const fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    const fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }

    const fn status(mut self, status: &'static [&'static str]) -> Self {
        self.status = status;
        self
    }

    fn to_json(&self, cloud: Cloud, order: usize) -> Value {
        // Every numeric field is always present: the Python SDK's `select_node_type` sorts on tuples of them
        // and would fail comparing a missing (None) value with a number.
        let mut v = json!({
            "node_type_id": self.id,
            "memory_mb": self.memory_mb,
            "num_cores": self.cores,
            "num_gpus": self.gpus,
            "description": self.id,
            "instance_type_id": self.id,
            "category": self.category,
            "display_order": order,
            "is_deprecated": self.deprecated,
            "is_hidden": self.hidden,
            "is_graviton": self.graviton,
            "is_io_cache_enabled": self.io_cache,
            "is_encrypted_in_transit": cloud != Cloud::Aws || !self.id.starts_with("i3."),
            "photon_worker_capable": self.photon,
            "photon_driver_capable": self.photon,
            "support_cluster_tags": true,
            "support_ebs_volumes": cloud == Cloud::Aws,
            "support_port_forwarding": true,
            "node_instance_type": {
                "instance_type_id": self.id,
                "local_disks": self.disks.0,
                "local_disk_size_gb": self.disks.1,
                "local_nvme_disks": self.nvme.0,
                "local_nvme_disk_size_gb": self.nvme.1,
            },
        });
        if !self.status.is_empty() {
            v["node_info"] = json!({ "status": self.status });
        }
        v
    }
}

const GP: &str = "General Purpose";
const MEM: &str = "Memory Optimized";
const STO: &str = "Storage Optimized";
const CPU: &str = "Compute Optimized";
const GPU: &str = "GPU Accelerated";

/// AWS, us-east-1.
const AWS_NODES: &[NodeSpec] = &[
    NodeSpec::new("m5d.large", 8192, 2.0, GP, (0, 0), (1, 75), true),
    NodeSpec::new("m5d.xlarge", 16384, 4.0, GP, (0, 0), (1, 150), true),
    NodeSpec::new("m5d.2xlarge", 32768, 8.0, GP, (0, 0), (1, 300), true),
    NodeSpec::new("m6gd.xlarge", 16384, 4.0, GP, (0, 0), (1, 237), true).graviton(),
    NodeSpec::new("r5d.xlarge", 32768, 4.0, MEM, (0, 0), (1, 150), true),
    NodeSpec::new("r5d.2xlarge", 65536, 8.0, MEM, (0, 0), (1, 300), true),
    NodeSpec::new("r7gd.2xlarge", 65536, 8.0, MEM, (0, 0), (1, 474), true)
        .graviton()
        .status(&["NotAvailableInRegion"]),
    NodeSpec::new("c5d.2xlarge", 16384, 8.0, CPU, (0, 0), (1, 200), true),
    NodeSpec::new("i3.xlarge", 31232, 4.0, STO, (1, 950), (0, 0), true).io_cache(),
    NodeSpec::new("i3.2xlarge", 62464, 8.0, STO, (1, 1900), (0, 0), true).io_cache(),
    NodeSpec::new("i3.4xlarge", 124928, 16.0, STO, (2, 1900), (0, 0), true).io_cache(),
    NodeSpec::new("i4i.xlarge", 32768, 4.0, STO, (0, 0), (1, 937), true).io_cache(),
    NodeSpec::new("i4i.2xlarge", 65536, 8.0, STO, (0, 0), (1, 1875), true).io_cache(),
    NodeSpec::new("g5.xlarge", 16384, 4.0, GPU, (0, 0), (1, 250), false).gpus(1),
    NodeSpec::new("c4.2xlarge", 15360, 8.0, CPU, (0, 0), (0, 0), false).deprecated(),
    NodeSpec::new("m5dn.large", 8192, 2.0, GP, (0, 0), (1, 75), true).hidden(),
];

/// Azure, East US 2.
const AZURE_NODES: &[NodeSpec] = &[
    NodeSpec::new("Standard_DS3_v2", 14336, 4.0, GP, (1, 28), (0, 0), true),
    NodeSpec::new("Standard_DS4_v2", 28672, 8.0, GP, (1, 56), (0, 0), true),
    NodeSpec::new("Standard_D4ds_v5", 16384, 4.0, GP, (1, 150), (0, 0), true),
    NodeSpec::new("Standard_D8ds_v5", 32768, 8.0, GP, (1, 300), (0, 0), true),
    NodeSpec::new("Standard_E8ds_v5", 65536, 8.0, MEM, (1, 300), (0, 0), true),
    NodeSpec::new(
        "Standard_E16ds_v5",
        131072,
        16.0,
        MEM,
        (1, 600),
        (0, 0),
        true,
    ),
    NodeSpec::new("Standard_F4s", 8192, 4.0, CPU, (1, 16), (0, 0), false),
    NodeSpec::new("Standard_F8s_v2", 16384, 8.0, CPU, (1, 64), (0, 0), true),
    NodeSpec::new("Standard_L8s_v3", 65536, 8.0, STO, (1, 80), (1, 1788), true).io_cache(),
    NodeSpec::new(
        "Standard_NC6s_v3",
        114688,
        6.0,
        GPU,
        (1, 736),
        (0, 0),
        false,
    )
    .gpus(1),
    NodeSpec::new(
        "Standard_NC4as_T4_v3",
        28672,
        4.0,
        GPU,
        (1, 180),
        (0, 0),
        false,
    )
    .gpus(1)
    .status(&["NotEnabledOnSubscription", "NotAvailableInRegion"]),
    NodeSpec::new("Standard_D3_v2", 14336, 4.0, GP, (1, 200), (0, 0), false).deprecated(),
    NodeSpec::new("Standard_DS5_v2", 57344, 16.0, GP, (1, 112), (0, 0), true).hidden(),
];

/// Google Cloud, us-central1.
const GCP_NODES: &[NodeSpec] = &[
    NodeSpec::new("e2-standard-4", 16384, 4.0, GP, (0, 0), (0, 0), false),
    NodeSpec::new("n2-standard-4", 16384, 4.0, GP, (1, 375), (0, 0), true),
    NodeSpec::new("n2-standard-8", 32768, 8.0, GP, (1, 375), (0, 0), true),
    NodeSpec::new("n2-highmem-4", 32768, 4.0, MEM, (1, 375), (0, 0), true),
    NodeSpec::new("n2-highmem-8", 65536, 8.0, MEM, (1, 375), (0, 0), true),
    NodeSpec::new("c2-standard-8", 32768, 8.0, CPU, (1, 375), (0, 0), true),
    NodeSpec::new("a2-highgpu-1g", 87040, 12.0, GPU, (1, 375), (0, 0), false).gpus(1),
    NodeSpec::new("n2d-standard-4", 16384, 4.0, GP, (1, 375), (0, 0), true)
        .status(&["NotAvailableInRegion"]),
    NodeSpec::new("n1-standard-4", 15360, 4.0, GP, (1, 375), (0, 0), false).deprecated(),
    NodeSpec::new("n1-highmem-16", 106496, 16.0, MEM, (1, 375), (0, 0), false).hidden(),
];

/// The `clusters/list-node-types` body for a cloud.
pub(crate) fn node_types(cloud: Cloud) -> Value {
    let table = match cloud {
        Cloud::Aws => AWS_NODES,
        Cloud::Azure => AZURE_NODES,
        Cloud::Gcp => GCP_NODES,
    };
    let nodes: Vec<Value> = table
        .iter()
        .enumerate()
        .map(|(i, n)| n.to_json(cloud, i))
        .collect();
    json!({ "node_types": nodes })
}

/// Databricks Runtime releases: (version, Apache Spark version, LTS, scala suffixes, has photon/aarch64 keys).
const RUNTIMES: &[(&str, &str, bool, &[&str], bool)] = &[
    ("17.3", "4.0.0", true, &["2.13"], false),
    ("17.2", "4.0.0", false, &["2.13"], false),
    ("17.1", "4.0.0", false, &["2.13"], false),
    ("17.0", "4.0.0", false, &["2.13"], false),
    ("16.4", "3.5.2", true, &["2.12", "2.13"], true),
    ("16.3", "3.5.2", false, &["2.12"], true),
    ("15.4", "3.5.0", true, &["2.12"], true),
    ("14.3", "3.5.0", true, &["2.12"], true),
    ("13.3", "3.4.1", true, &["2.12"], true),
    ("12.2", "3.3.2", true, &["2.12"], true),
];

/// The `clusters/spark-versions` body: for each runtime the standard, ML (CPU and GPU), and, where the
/// release has them, Photon and Graviton (`aarch64`) keys, plus one Beta runtime.
pub(crate) fn spark_versions() -> Value {
    let mut versions = Vec::new();
    let entry = |key: String, name: String| json!({ "key": key, "name": name });
    versions.push(entry(
        "18.0.x-scala2.13".to_string(),
        "18.0 Beta (includes Apache Spark 4.1.0, Scala 2.13)".to_string(),
    ));
    for &(ver, spark, lts, scalas, extras) in RUNTIMES {
        let lts_tag = if lts { " LTS" } else { "" };
        for scala in scalas {
            let tail = format!("Apache Spark {spark}, Scala {scala}");
            versions.push(entry(
                format!("{ver}.x-scala{scala}"),
                format!("{ver}{lts_tag} (includes {tail})"),
            ));
            versions.push(entry(
                format!("{ver}.x-cpu-ml-scala{scala}"),
                format!("{ver}{lts_tag} ML (includes {tail})"),
            ));
            versions.push(entry(
                format!("{ver}.x-gpu-ml-scala{scala}"),
                format!("{ver}{lts_tag} ML (includes Apache Spark {spark}, GPU, Scala {scala})"),
            ));
            if extras {
                versions.push(entry(
                    format!("{ver}.x-photon-scala{scala}"),
                    format!("{ver}{lts_tag} Photon (includes {tail})"),
                ));
                versions.push(entry(
                    format!("{ver}.x-aarch64-scala{scala}"),
                    format!("{ver}{lts_tag} aarch64 (includes {tail})"),
                ));
                versions.push(entry(
                    format!("{ver}.x-aarch64-photon-scala{scala}"),
                    format!("{ver}{lts_tag} aarch64 Photon (includes {tail})"),
                ));
            }
        }
    }
    json!({ "versions": versions })
}

/// The `clusters/list-zones` body for a cloud.
///
/// AWS answers the zones of the workspace's region (us-east-1 here) and its default zone. On GCP the body
/// has the same shape with the region's zones (us-central1). On Azure, where clusters have no zone setting,
/// the call answers an empty body `{}` (empty repeated and string fields are left out). [UNVERIFIED: Azure
/// and GCP bodies are best guesses.]
pub(crate) fn zones(cloud: Cloud) -> Value {
    match cloud {
        Cloud::Aws => json!({
            "zones": ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"],
            "default_zone": "us-east-1b",
        }),
        Cloud::Gcp => json!({
            "zones": ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"],
            "default_zone": "us-central1-a",
        }),
        Cloud::Azure => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(cloud: Cloud) -> Vec<String> {
        node_types(cloud)["node_types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["node_type_id"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn every_cloud_has_node_types_with_the_readiness_markers() {
        for cloud in [Cloud::Aws, Cloud::Azure, Cloud::Gcp] {
            let body = node_types(cloud);
            let nodes = body["node_types"].as_array().unwrap();
            assert!(nodes.len() >= 8, "{cloud:?}");
            assert!(nodes.iter().any(|n| n["is_hidden"] == true), "{cloud:?}");
            assert!(
                nodes.iter().any(|n| n["is_deprecated"] == true),
                "{cloud:?}"
            );
            assert!(
                nodes.iter().any(|n| n["node_info"]["status"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|v| v == "NotAvailableInRegion"))),
                "{cloud:?}"
            );
            for n in nodes {
                assert!(n["num_cores"].is_f64(), "num_cores is a float");
                assert!(n["memory_mb"].as_i64().unwrap() > 0);
                assert!(n["node_instance_type"]["local_disks"].is_i64());
            }
            let mut unique = ids(cloud);
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), nodes.len(), "ids are unique");
        }
        assert!(ids(Cloud::Aws).contains(&"i3.xlarge".to_string()));
        assert!(ids(Cloud::Azure).contains(&"Standard_DS3_v2".to_string()));
        assert!(ids(Cloud::Gcp).contains(&"n2-highmem-4".to_string()));
    }

    #[test]
    fn spark_versions_have_lts_photon_and_ml_keys() {
        let body = spark_versions();
        let versions = body["versions"].as_array().unwrap();
        let has = |key: &str| versions.iter().any(|v| v["key"] == key);
        assert!(has("15.4.x-scala2.12"));
        assert!(has("15.4.x-photon-scala2.12"));
        assert!(has("15.4.x-cpu-ml-scala2.12"));
        assert!(has("17.3.x-scala2.13"));
        let lts = versions
            .iter()
            .find(|v| v["key"] == "15.4.x-scala2.12")
            .unwrap();
        assert_eq!(
            lts["name"],
            "15.4 LTS (includes Apache Spark 3.5.0, Scala 2.12)"
        );
    }

    #[test]
    fn zones_per_cloud() {
        assert_eq!(zones(Cloud::Aws)["default_zone"], "us-east-1b");
        assert!(zones(Cloud::Gcp)["zones"].as_array().unwrap().len() >= 3);
        assert_eq!(zones(Cloud::Azure), json!({}));
    }
}
