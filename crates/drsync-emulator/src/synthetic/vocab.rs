//! The synthetic workspaces' vocabulary: teams, domains, names, runtimes, libraries and the time span they are
//! created in. Data only.

pub(super) const ACCOUNT: &str = "111111111111";
pub(super) const REGION: &str = "us-east-1";
pub(super) const ZONES: &[&str] = &["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"];
pub(super) const ROLES: &[&str] = &[
    "etl",
    "analytics",
    "ml",
    "streaming",
    "reporting",
    "platform",
];
pub(super) const SCOPES: &[&str] = &[
    "etl-secrets",
    "analytics",
    "kafka-prod",
    "ml-platform",
    "partner-sftp",
    "warehouse",
];
pub(super) const TEAMS: &[&str] = &[
    "sales",
    "finance",
    "marketing",
    "ml",
    "platform",
    "risk",
    "supply-chain",
    "growth",
    "bi",
    "data-eng",
    "fraud",
    "customer",
    "logistics",
    "hr",
    "security",
];
pub(super) const DOMAINS: &[&str] = &[
    "orders",
    "customers",
    "inventory",
    "clickstream",
    "payments",
    "shipments",
    "returns",
    "campaigns",
    "sessions",
    "invoices",
    "ledger",
    "products",
    "pricing",
    "reviews",
    "devices",
    "events",
    "accounts",
    "claims",
    "leads",
    "tickets",
];
pub(super) const VERBS: &[&str] = &[
    "etl",
    "ingest",
    "refresh",
    "backfill",
    "export",
    "score",
    "train",
    "aggregate",
    "dq-checks",
    "sync",
    "snapshot",
    "compact",
    "dedupe",
    "publish",
    "reconcile",
];
pub(super) const CADENCES: &[&str] = &["hourly", "daily", "nightly", "weekly", "monthly"];
pub(super) const STAGES: &[&str] = &[
    "ingest",
    "validate",
    "transform",
    "enrich",
    "aggregate",
    "publish",
    "export",
    "notify",
    "cleanup",
    "refresh",
    "score",
    "snapshot",
    "reconcile",
    "compact",
];
pub(super) const FIRST: &[&str] = &[
    "alice", "bob", "carla", "dmitri", "emma", "farid", "grace", "hiro", "ines", "jamal", "kofi",
    "lena",
];
pub(super) const LAST: &[&str] = &[
    "martin", "chen", "diaz", "ivanov", "okafor", "nguyen", "schmidt", "rossi", "tanaka", "silva",
    "kowalski", "haddad", "larsen",
];
pub(super) const JOB_CLUSTER_KEYS: &[&str] = &[
    "main",
    "etl_cluster",
    "small",
    "large",
    "shared",
    "driver_heavy",
    "io_cluster",
];
pub(super) const AP_PURPOSES: &[&str] = &[
    "shared",
    "adhoc",
    "dev",
    "bi",
    "ml",
    "etl-interactive",
    "exploration",
    "notebooks",
    "reporting",
    "sandbox",
];
pub(super) const POOL_PURPOSES: &[&str] = &[
    "etl",
    "adhoc",
    "jobs",
    "bi",
    "streaming",
    "shared",
    "driver",
    "batch",
];
pub(super) const POLICY_FLAVORS: &[&str] = &[
    "etl-standard",
    "jobs-small",
    "jobs-large",
    "analytics",
    "streaming",
    "photon",
    "spot-only",
    "restricted",
    "shared-compute",
    "cost-capped",
];
pub(super) const PYPI: &[&str] = &[
    "boto3==1.35.36",
    "requests==2.32.3",
    "great-expectations==0.18.12",
    "pandas==2.2.3",
    "pyarrow==17.0.0",
    "scikit-learn==1.5.2",
    "mlflow==2.17.0",
    "delta-spark==3.2.1",
    "pydantic==2.9.2",
    "structlog==24.4.0",
    "xgboost==2.1.1",
    "openpyxl>=3.1",
];
pub(super) const MAVEN: &[&str] = &[
    "com.amazon.deequ:deequ:2.0.7-spark-3.5",
    "org.apache.spark:spark-avro_2.12:3.5.0",
    "io.delta:delta-sharing-spark_2.12:3.1.0",
    "com.databricks:spark-xml_2.12:0.18.0",
];
pub(super) const TIMEZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "Europe/London",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Europe/Berlin",
];
pub(super) const RUN_IFS: &[(&str, u32)] = &[
    ("ALL_SUCCESS", 85),
    ("ALL_DONE", 6),
    ("NONE_FAILED", 3),
    ("AT_LEAST_ONE_SUCCESS", 2),
    ("ALL_FAILED", 2),
    ("AT_LEAST_ONE_FAILED", 2),
];
/// Standard runtimes, weighted; every key is in the built-in catalog (checked by a test).
pub(super) const RUNTIMES: &[(&str, u32)] = &[
    ("15.4.x-scala2.12", 30),
    ("14.3.x-scala2.12", 20),
    ("16.4.x-scala2.12", 15),
    ("13.3.x-scala2.12", 10),
    ("17.3.x-scala2.13", 8),
    ("12.2.x-scala2.12", 4),
    ("15.4.x-photon-scala2.12", 5),
    ("16.4.x-scala2.13", 4),
];
pub(super) const ML_RUNTIMES: &[&str] = &[
    "15.4.x-cpu-ml-scala2.12",
    "14.3.x-cpu-ml-scala2.12",
    "16.4.x-cpu-ml-scala2.12",
];
pub(super) const GPU_RUNTIMES: &[&str] = &["15.4.x-gpu-ml-scala2.12", "14.3.x-gpu-ml-scala2.12"];
/// Runtimes a `1[45]` regex policy allows.
pub(super) const POLICY_RUNTIMES: &[&str] = &[
    "15.4.x-scala2.12",
    "14.3.x-scala2.12",
    "15.4.x-photon-scala2.12",
    "14.3.x-photon-scala2.12",
];

/// 2022-01-01T00:00:00Z: the first job's creation.
pub(super) const JOBS_FROM: i64 = 1_640_995_200_000;
/// 2024-12-01T00:00:00Z: no job is younger.
pub(super) const JOBS_TO: i64 = 1_733_011_200_000;
/// 2024-09-01T00:00:00Z: clusters started from then on.
pub(super) const CLUSTERS_FROM: i64 = 1_725_148_800_000;
/// 2024-01-01T00:00:00Z.
pub(super) const YEAR_2024: i64 = 1_704_067_200_000;

pub(super) fn profile_arn(role: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:instance-profile/databricks-{role}-role")
}
