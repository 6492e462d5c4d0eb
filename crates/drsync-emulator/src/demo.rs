//! The built-in demo data: the fixture workspaces compiled into the binary (so `drsync demo` needs nothing but
//! the binary) and the DR rule set the demo exports with. Data only.

use crate::{Error, Fixtures};
use std::path::Path;

/// The DR rule set of the demo: the fixture primary in AWS us-east-1, the DR site in us-west-2.
pub const RULES: &str = r#"[rewrite]
zone_id = "auto"                # Auto-AZ in the DR region
pause = "literal"               # a passive standby: every schedule, trigger and continuous job PAUSED
pool_min_idle = 0               # and no idle pool instances

[[rewrite.replace]]             # buckets, endpoints and URLs that name the region
from = "us-east-1"
to = "us-west-2"

[rewrite.node_types]            # i3 is scarce in us-west-2: use i4i
"i3.xlarge" = "i4i.xlarge"
"i3.2xlarge" = "i4i.2xlarge"

[rewrite.instance_profiles]     # the DR site runs in another AWS account
"arn:aws:iam::111111111111:instance-profile/databricks-etl-role" = "arn:aws:iam::222222222222:instance-profile/databricks-etl-role"
"arn:aws:iam::111111111111:instance-profile/databricks-analytics-role" = "arn:aws:iam::222222222222:instance-profile/databricks-analytics-role"
"arn:aws:iam::111111111111:instance-profile/databricks-ml-role" = "arn:aws:iam::222222222222:instance-profile/databricks-ml-role"
"arn:aws:iam::111111111111:instance-profile/databricks-streaming-role" = "arn:aws:iam::222222222222:instance-profile/databricks-streaming-role"

[rewrite.ids]                   # the SQL query the nightly ETL refreshes, as it is in DR
"a1b2c3d4-0000-1111-2222-333344445555" = "f0e1d2c3-0000-1111-2222-333344445555"
"#;

macro_rules! fixture_files {
    ($dir:literal) => {
        [
            (
                "jobs.json",
                include_str!(concat!("../../../fixtures/", $dir, "/jobs.json")),
            ),
            (
                "clusters.json",
                include_str!(concat!("../../../fixtures/", $dir, "/clusters.json")),
            ),
            (
                "instance_pools.json",
                include_str!(concat!("../../../fixtures/", $dir, "/instance_pools.json")),
            ),
            (
                "cluster_policies.json",
                include_str!(concat!(
                    "../../../fixtures/",
                    $dir,
                    "/cluster_policies.json"
                )),
            ),
            (
                "instance_profiles.json",
                include_str!(concat!(
                    "../../../fixtures/",
                    $dir,
                    "/instance_profiles.json"
                )),
            ),
            (
                "secret_scopes.json",
                include_str!(concat!("../../../fixtures/", $dir, "/secret_scopes.json")),
            ),
            (
                "secrets.json",
                include_str!(concat!("../../../fixtures/", $dir, "/secrets.json")),
            ),
            (
                "secret_acls.json",
                include_str!(concat!("../../../fixtures/", $dir, "/secret_acls.json")),
            ),
            (
                "users.json",
                include_str!(concat!("../../../fixtures/", $dir, "/users.json")),
            ),
            (
                "groups.json",
                include_str!(concat!("../../../fixtures/", $dir, "/groups.json")),
            ),
            (
                "service_principals.json",
                include_str!(concat!(
                    "../../../fixtures/",
                    $dir,
                    "/service_principals.json"
                )),
            ),
            (
                "cluster_libraries.json",
                include_str!(concat!(
                    "../../../fixtures/",
                    $dir,
                    "/cluster_libraries.json"
                )),
            ),
            (
                "workspace_objects.json",
                include_str!(concat!(
                    "../../../fixtures/",
                    $dir,
                    "/workspace_objects.json"
                )),
            ),
            (
                "sql_warehouses.json",
                include_str!(concat!("../../../fixtures/", $dir, "/sql_warehouses.json")),
            ),
            (
                "pipelines.json",
                include_str!(concat!("../../../fixtures/", $dir, "/pipelines.json")),
            ),
            (
                "permissions.json",
                include_str!(concat!("../../../fixtures/", $dir, "/permissions.json")),
            ),
        ]
    };
}

/// The fixture primary workspace (`fixtures/primary`).
pub fn primary() -> Result<Fixtures, Error> {
    Fixtures::from_texts(Path::new("fixtures/primary"), &fixture_files!("primary"))
}

/// The fixture DR workspace (`fixtures/dr`): the primary's rewritten export applied, plus a little drift.
pub fn dr() -> Result<Fixtures, Error> {
    Fixtures::from_texts(Path::new("fixtures/dr"), &fixture_files!("dr"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_fixtures_load() {
        assert_eq!(super::primary().unwrap().jobs.len(), 31);
        assert!(!super::dr().unwrap().jobs.is_empty());
    }
}
