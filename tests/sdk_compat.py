#!/usr/bin/env python3
"""Drive the drsync workspace emulator with the official Databricks Python SDK and check it round-trips.

Run by `tests/it/sdk_compat.rs` against an in-process emulator. The environment provides DATABRICKS_HOST plus
either DATABRICKS_TOKEN (PAT: the full suite) or DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET (OAuth M2M: a
smaller suite). Only the SDK and the standard library are used. Prints one line per check and ends with
`N passed, M failed`; exits 1 when a check failed.
"""

import dataclasses
import json
import os
import sys
import time
import traceback
from datetime import timedelta

try:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config
    from databricks.sdk.errors import (BadRequest, InvalidParameterValue, NotFound, PermissionDenied,
                                       ResourceAlreadyExists, ResourceConflict, ResourceDoesNotExist)
    from databricks.sdk.service import compute, iam, jobs, pipelines, sql, workspace
except ImportError as e:  # pragma: no cover - environment problem, not a test result
    print(f"cannot import the Databricks SDK ({e}); run `pip install databricks-sdk`", file=sys.stderr)
    sys.exit(3)

HOST = os.environ["DATABRICKS_HOST"]
TOKEN = os.environ.get("DATABRICKS_TOKEN")
CLIENT_ID = os.environ.get("DATABRICKS_CLIENT_ID")
CLIENT_SECRET = os.environ.get("DATABRICKS_CLIENT_SECRET")
WAIT = timedelta(seconds=90)

ACCT = "111111111111"
IP_ETL = f"arn:aws:iam::{ACCT}:instance-profile/databricks-etl-role"
S3_ENDPOINT = "https://s3.us-east-1.amazonaws.com"

PASSED = 0
FAILED = 0


def check(name, ok, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print(f"PASS {name}", flush=True)
    else:
        FAILED += 1
        print(f"FAIL {name}: {detail}", flush=True)
    return ok


def section(name, fn, *args):
    """Run one group of checks; an exception fails the group (with its traceback) and the run goes on."""
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - report and continue
        check(f"{name} (no exception)", False, f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
        return None


def expect_error(name, cls, error_code, message, fn):
    """`fn` raises exactly `cls` (not a parent or a subclass of it) with this `error_code` (the API's, as the SDK
    keeps it on the exception; None for errors that are not the API's) and a message that starts with `message`."""
    want = f"{cls.__name__} with error_code {error_code!r} and a message starting {message!r}"
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the class is checked exactly below
        got = getattr(e, "error_code", None)
        if type(e) is not cls or got != error_code or not str(e).startswith(message):
            return check(name, False, f"raised {type(e).__name__} with error_code {got!r}: {str(e)[:200]!r} "
                                      f"(want {want})")
        return check(name, True)
    return check(name, False, f"no error raised (want {want})")


def diff(sent, got, path="$", out=None):
    """Differences where `got` does not contain what was `sent` (extra server fields are fine)."""
    out = [] if out is None else out
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            out.append(f"{path}: sent an object, got {got!r}")
            return out
        for k, v in sent.items():
            if k not in got:
                out.append(f"{path}.{k}: missing (sent {v!r})")
            else:
                diff(v, got[k], f"{path}.{k}", out)
    elif isinstance(sent, list):
        if not isinstance(got, list) or len(got) != len(sent):
            n = len(got) if isinstance(got, list) else got
            out.append(f"{path}: sent {len(sent)} items, got {n!r}")
            return out
        for i, (a, b) in enumerate(zip(sent, got)):
            diff(a, b, f"{path}[{i}]", out)
    elif sent != got:
        out.append(f"{path}: sent {sent!r}, got {got!r}")
    return out


def same(name, sent, got):
    d = diff(sent, got)
    return check(name, not d, "; ".join(d[:5]) + (f" (+{len(d) - 5} more)" if len(d) > 5 else ""))


def readable(settings):
    """What a read gives back of sent job settings: `run_as` is write-only (SDK `JobRunAs`), never returned."""
    return {k: v for k, v in settings.items() if k != "run_as"}


def run_as_name(settings, owner):
    """The `run_as_user_name` a job with these settings reads back: the run_as identity, else the owner."""
    run_as = settings.get("run_as") or {}
    return run_as.get("user_name") or run_as.get("service_principal_name") or owner


def kwargs(cls, body):
    """The SDK's typed keyword arguments for a request body given as plain JSON."""
    obj = cls.from_dict(body)
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if getattr(obj, f.name) not in (None, [])}


def client(**cfg):
    return WorkspaceClient(config=Config(host=HOST, retry_timeout_seconds=60, http_timeout_seconds=30, **cfg))


# ------------------------------------------------------------------------------------------------ definitions
def aws(zone="us-east-1a"):
    return {"zone_id": zone, "availability": "SPOT_WITH_FALLBACK", "first_on_demand": 1,
            "spot_bid_price_percent": 100, "instance_profile_arn": IP_ETL,
            "ebs_volume_type": "GENERAL_PURPOSE_SSD", "ebs_volume_count": 1, "ebs_volume_size": 100}


def simple_job(i):
    name = f"sdk-compat-simple-{i:02d}"
    if i == 7:
        name += ' ${file("/etc/passwd")} %{ if x }y%{ endif } "quoted" — été'
    task = {"task_key": "main",
            "notebook_task": {"notebook_path": f"/Shared/sdk-compat/nb_{i % 5}", "base_parameters": {"i": str(i)}}}
    if i % 2:
        task["new_cluster"] = {"spark_version": "15.4.x-scala2.12", "node_type_id": "m5d.large", "num_workers": 1,
                               "aws_attributes": aws(), "custom_tags": {"job": str(i)}}
    job = {"name": name, "tags": {"suite": "sdk-compat", "index": str(i)}, "max_concurrent_runs": 1 + i % 3,
           "timeout_seconds": 600 * (i % 4), "tasks": [task]}
    if i % 4 == 0:
        job["schedule"] = {"quartz_cron_expression": f"0 {i} 3 * * ?", "timezone_id": "UTC",
                           "pause_status": "PAUSED" if i % 8 == 0 else "UNPAUSED"}
    if i % 5 == 0:
        job["email_notifications"] = {"on_failure": [f"owner{i}@example.com"], "no_alert_for_skipped_runs": True}
    if i == 3:
        job["description"] = "line one\nline two — ünïcødé"
    return job


def etl_job(run_as_user):
    etl_cluster = {
        "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "driver_node_type_id": "i3.2xlarge",
        "autoscale": {"min_workers": 2, "max_workers": 8}, "data_security_mode": "SINGLE_USER",
        "runtime_engine": "PHOTON", "aws_attributes": aws(),
        "spark_conf": {"spark.hadoop.fs.s3a.endpoint": S3_ENDPOINT,
                       "spark.hadoop.javax.jdo.option.ConnectionPassword": "{{secrets/etl-secrets/metastore-password}}"},
        "spark_env_vars": {"LANDING_BUCKET": "s3://acme-landing-us-east-1"},
        "custom_tags": {"cost_center": "cc-42"},
        "init_scripts": [{"s3": {"destination": "s3://acme-infra-us-east-1/init/certs.sh", "region": "us-east-1"}},
                         {"volumes": {"destination": "/Volumes/main/infra/scripts/setup.sh"}},
                         {"workspace": {"destination": "/Workspace/Shared/init/install-certs.sh"}}],
        "cluster_log_conf": {"s3": {"destination": "s3://acme-logs-us-east-1/cluster-logs", "region": "us-east-1",
                                    "enable_encryption": True}},
    }
    return {
        "name": "sdk-compat-multi-etl",
        "description": "multi-task ETL with job clusters",
        "tags": {"suite": "sdk-compat", "dr_tier": "1"},
        "timeout_seconds": 14400,
        "max_concurrent_runs": 1,
        "queue": {"enabled": True},
        "schedule": {"quartz_cron_expression": "0 30 2 * * ?", "timezone_id": "America/New_York",
                     "pause_status": "UNPAUSED"},
        "email_notifications": {"on_failure": ["oncall@example.com"], "on_start": ["team@example.com"]},
        "webhook_notifications": {"on_failure": [{"id": "0481e838-0a59-4eff-9541-a4ca6f149574"}]},
        "notification_settings": {"no_alert_for_skipped_runs": True, "no_alert_for_canceled_runs": True},
        "health": {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": 7200}]},
        "parameters": [{"name": "env", "default": "prod"}, {"name": "run_date", "default": "{{job.start_time.iso_date}}"}],
        "run_as": {"user_name": run_as_user},
        "job_clusters": [{"job_cluster_key": "etl", "new_cluster": etl_cluster},
                         {"job_cluster_key": "small", "new_cluster": {
                             "spark_version": "14.3.x-scala2.12", "node_type_id": "m5d.large", "num_workers": 1,
                             "aws_attributes": aws("us-east-1b")}}],
        "tasks": [
            {"task_key": "ingest", "job_cluster_key": "etl",
             "notebook_task": {"notebook_path": "/Shared/etl/ingest", "base_parameters": {"env": "{{job.parameters.env}}"}},
             "max_retries": 2, "min_retry_interval_millis": 60000, "timeout_seconds": 3600,
             "libraries": [{"whl": "/Volumes/main/infra/wheels/salesutils-1.4.0-py3-none-any.whl"},
                           {"jar": "s3://acme-artifacts-us-east-1/jars/udfs-1.0.jar"},
                           {"pypi": {"package": "boto3==1.35.36"}},
                           {"maven": {"coordinates": "org.apache.spark:spark-sql-kafka-0-10_2.12:3.5.0",
                                      "exclusions": ["org.slf4j:slf4j-api"]}}]},
            {"task_key": "transform", "depends_on": [{"task_key": "ingest"}], "run_if": "ALL_SUCCESS",
             "job_cluster_key": "etl",
             "spark_python_task": {"python_file": "/Workspace/Shared/etl/transform.py", "parameters": ["--full"]}},
            {"task_key": "gate", "depends_on": [{"task_key": "transform"}],
             "condition_task": {"op": "GREATER_THAN", "left": "{{tasks.transform.values.rows}}", "right": "0"}},
            {"task_key": "publish", "depends_on": [{"task_key": "gate", "outcome": "true"}],
             "job_cluster_key": "small", "notebook_task": {"notebook_path": "/Shared/etl/publish"}},
            {"task_key": "cleanup", "depends_on": [{"task_key": "publish"}], "run_if": "ALL_DONE",
             "job_cluster_key": "small", "notebook_task": {"notebook_path": "/Shared/etl/cleanup"}},
        ],
    }


def pools_job(pool_id, driver_pool_id, policy_id):
    return {
        "name": "sdk-compat-multi-pools",
        "trigger": {"pause_status": "UNPAUSED", "periodic": {"interval": 1, "unit": "HOURS"}},
        "job_clusters": [{"job_cluster_key": "pooled", "new_cluster": {
            "spark_version": "15.4.x-scala2.12", "instance_pool_id": pool_id,
            "driver_instance_pool_id": driver_pool_id, "policy_id": policy_id,
            "apply_policy_default_values": True, "num_workers": 4}}],
        "tasks": [
            {"task_key": "jar", "job_cluster_key": "pooled",
             "spark_jar_task": {"main_class_name": "com.acme.Agg", "parameters": ["--hours", "1"]},
             "libraries": [{"jar": "s3://acme-artifacts-us-east-1/jars/agg-2.3.1.jar"}]},
            {"task_key": "wheel", "depends_on": [{"task_key": "jar"}], "run_if": "AT_LEAST_ONE_SUCCESS",
             "job_cluster_key": "pooled",
             "python_wheel_task": {"package_name": "acme", "entry_point": "main", "named_parameters": {"x": "1"}},
             "libraries": [{"whl": "s3://acme-artifacts-us-east-1/wheels/acme-1.0-py3-none-any.whl"}]},
        ],
    }


def serverless_job():
    return {
        "name": "sdk-compat-multi-serverless",
        "git_source": {"git_url": "https://github.com/acme-data/pipelines", "git_provider": "gitHub",
                       "git_branch": "main"},
        "trigger": {"pause_status": "PAUSED",
                    "file_arrival": {"url": "s3://acme-landing-us-east-1/incoming/",
                                     "min_time_between_triggers_seconds": 60}},
        "parameters": [{"name": "day", "default": "{{job.start_time.iso_date}}"}],
        "environments": [{"environment_key": "default",
                          "spec": {"client": "2", "dependencies": ["pandas==2.2.2", "requests"]}}],
        "tasks": [
            {"task_key": "py", "environment_key": "default",
             "spark_python_task": {"python_file": "jobs/run.py", "source": "GIT", "parameters": ["--day", "x"]}},
            {"task_key": "nb", "depends_on": [{"task_key": "py"}],
             "notebook_task": {"notebook_path": "notebooks/report", "source": "GIT"}},
        ],
    }


def continuous_job(target_job_id):
    return {
        "name": "sdk-compat-continuous",
        "continuous": {"pause_status": "PAUSED"},
        "tasks": [{"task_key": "call", "run_job_task": {"job_id": target_job_id, "job_parameters": {"env": "dr"}}}],
    }


def big_job():
    tasks = [{"task_key": "start", "job_cluster_key": "c",
              "notebook_task": {"notebook_path": "/Shared/fanout/start"}}]
    for i in range(1, 129):
        tasks.append({"task_key": f"part_{i:03d}", "depends_on": [{"task_key": "start"}], "job_cluster_key": "c",
                      "notebook_task": {"notebook_path": "/Shared/fanout/part", "base_parameters": {"p": str(i)}}})
    tasks.append({"task_key": "finish", "depends_on": [{"task_key": f"part_{i:03d}"} for i in (126, 127, 128)],
                  "run_if": "ALL_DONE", "job_cluster_key": "c",
                  "notebook_task": {"notebook_path": "/Shared/fanout/finish"}})
    assert len(tasks) == 130
    return {"name": "sdk-compat-big-130", "max_concurrent_runs": 1,
            "job_clusters": [{"job_cluster_key": "c", "new_cluster": {
                "spark_version": "15.4.x-scala2.12", "node_type_id": "m5d.large", "num_workers": 1}}],
            "tasks": tasks}


# ------------------------------------------------------------------------------------------------ PAT suite
class State:
    me = None
    jobs = {}  # job_id -> settings sent
    big_id = None
    etl_id = None
    pools = {}  # id -> body sent
    policies = {}  # id -> body sent
    clusters = {}  # id -> spec sent


def identity(w):
    me = w.current_user.me()
    State.me = me
    # The emulator's workspace user (crates/drsync-emulator/src/state.rs), whom every PAT it accepts belongs to.
    check("current_user.me is the emulator's user", me.user_name == "emulator@example.com", repr(me))
    check("current_user.me has the user's id", me.id == "4712839012345678", repr(me))


def create_pools(w):
    bodies = [
        {"instance_pool_name": "sdk-compat-pool-etl", "node_type_id": "i3.xlarge", "min_idle_instances": 1,
         "max_capacity": 10, "idle_instance_autotermination_minutes": 30,
         "aws_attributes": {"availability": "SPOT", "zone_id": "us-east-1a", "spot_bid_price_percent": 100},
         "preloaded_spark_versions": ["15.4.x-scala2.12"], "custom_tags": {"team": "data-eng"}},
        {"instance_pool_name": "sdk-compat-pool-driver", "node_type_id": "i3.2xlarge", "min_idle_instances": 0,
         "idle_instance_autotermination_minutes": 60,
         "aws_attributes": {"availability": "ON_DEMAND", "zone_id": "auto"}},
        {"instance_pool_name": "sdk-compat-pool-temp", "node_type_id": "m5d.large",
         "idle_instance_autotermination_minutes": 10, "enable_elastic_disk": False,
         "disk_spec": {"disk_type": {"ebs_volume_type": "GENERAL_PURPOSE_SSD"}, "disk_count": 1, "disk_size": 100}},
    ]
    for body in bodies:
        args = kwargs(compute.GetInstancePool, body)
        resp = w.instance_pools.create(**args)
        check(f"instance_pools.create {body['instance_pool_name']} returns an id", bool(resp.instance_pool_id))
        State.pools[resp.instance_pool_id] = body
    for pid, body in State.pools.items():
        got = w.instance_pools.get(pid).as_dict()
        same(f"instance_pools.get {body['instance_pool_name']} round-trips", body, got)
        check(f"instance_pools.get {body['instance_pool_name']} has id and state ACTIVE",
              got.get("instance_pool_id") == pid and got.get("state") == "ACTIVE",
              f"id={got.get('instance_pool_id')} state={got.get('state')}")
        check(f"instance_pools.get {body['instance_pool_name']} has default_tags",
              (got.get("default_tags") or {}).get("DatabricksInstancePoolId") == pid, got.get("default_tags"))


def create_policies(w):
    bodies = [
        {"name": "sdk-compat-policy-etl", "description": "pins the zone and instance profile",
         "max_clusters_per_user": 3,
         "definition": {"spark_version": {"type": "regex", "pattern": "1[45]\\.[0-9]+\\.x-scala2\\.12"},
                        "aws_attributes.zone_id": {"type": "fixed", "value": "us-east-1a", "hidden": True},
                        "aws_attributes.instance_profile_arn": {"type": "fixed", "value": IP_ETL},
                        "autotermination_minutes": {"type": "range", "maxValue": 120, "defaultValue": 60}}},
        {"name": "sdk-compat-policy-libs",
         "definition": {"spark_conf.spark.databricks.cluster.profile": {"type": "forbidden", "hidden": True}},
         "libraries": [{"pypi": {"package": "mlflow==2.14.1"}},
                       {"jar": "/Volumes/main/infra/jars/udfs-3.2.0.jar"}]},
        {"name": "sdk-compat-policy-temp", "definition": {"num_workers": {"type": "range", "maxValue": 2}}},
    ]
    for body in bodies:
        sent = dict(body, definition=json.dumps(body["definition"]))
        resp = w.cluster_policies.create(**kwargs(compute.Policy, sent))
        check(f"cluster_policies.create {body['name']} returns an id", bool(resp.policy_id))
        State.policies[resp.policy_id] = body
    for pid, body in State.policies.items():
        got = w.cluster_policies.get(pid).as_dict()
        definition = got.pop("definition", None)
        rest = {k: v for k, v in body.items() if k != "definition"}
        same(f"cluster_policies.get {body['name']} round-trips", rest, got)
        try:
            parsed = json.loads(definition) if definition else None
        except ValueError:
            parsed = definition
        check(f"cluster_policies.get {body['name']} definition is the JSON string sent", parsed == body["definition"],
              f"got {definition!r}")
        check(f"cluster_policies.get {body['name']} has output-only fields",
              got.get("policy_id") == pid and bool(got.get("created_at_timestamp")),
              f"policy_id={got.get('policy_id')} created_at_timestamp={got.get('created_at_timestamp')}")


def create_jobs(w):
    pool_ids = list(State.pools)
    policy_ids = list(State.policies)
    bodies = [simple_job(i) for i in range(40)]
    bodies.append(etl_job("etl-runner@example.com"))
    bodies.append(pools_job(pool_ids[0], pool_ids[1], policy_ids[0]))
    bodies.append(serverless_job())
    bodies.append(big_job())
    before = int(time.time() * 1000)
    for body in bodies:
        resp = w.jobs.create(**kwargs(jobs.JobSettings, body))
        State.jobs[resp.job_id] = body
        if body["name"] == "sdk-compat-big-130":
            State.big_id = resp.job_id
        if body["name"] == "sdk-compat-multi-etl":
            State.etl_id = resp.job_id
    cont = continuous_job(State.etl_id)
    resp = w.jobs.create(**kwargs(jobs.JobSettings, cont))
    State.jobs[resp.job_id] = cont
    after = int(time.time() * 1000)
    ids = list(State.jobs)
    check("jobs.create returns 45 distinct positive job ids",
          len(set(ids)) == 45 and all(isinstance(i, int) and i > 0 for i in ids), ids[:5])
    for jid, body in State.jobs.items():
        job = w.jobs.get(jid).as_dict()
        got = job.get("settings", {})
        same(f"jobs.get {body['name'][:40]!r} settings round-trip", readable(body), got)
        check(f"jobs.get {body['name'][:40]!r} hides the write-only run_as and names it in run_as_user_name",
              "run_as" not in got and job.get("run_as_user_name") == run_as_name(body, State.me.user_name),
              (got.get("run_as"), job.get("run_as_user_name")))
    # output-only fields, checked once on a representative job
    job = w.jobs.get(State.etl_id)
    check("jobs.get has job_id", job.job_id == State.etl_id, job.job_id)
    check("jobs.get has creator_user_name = me", job.creator_user_name == State.me.user_name, job.creator_user_name)
    check("jobs.get has created_time in epoch ms", job.created_time is not None
          and before - 5000 <= job.created_time <= after + 5000, job.created_time)
    check("jobs.get settings.format is MULTI_TASK", job.settings.format == jobs.Format.MULTI_TASK, job.settings.format)
    check("jobs.get run_as_user_name is the run_as user", job.run_as_user_name == "etl-runner@example.com",
          job.run_as_user_name)


def permissions_suite(w):
    """The Permissions API through both of the SDK's doors: `w.permissions` (generic) and `w.jobs.*_permissions`."""
    job_id = str(State.etl_id)
    acl = w.permissions.get("jobs", job_id)
    check("permissions.get has object_id /jobs/<id> and object_type job",
          (acl.object_id, acl.object_type) == (f"/jobs/{job_id}", "job"), (acl.object_id, acl.object_type))
    levels = {(e.user_name or e.group_name, p.permission_level, bool(p.inherited))
              for e in acl.access_control_list for p in e.all_permissions}
    check("permissions.get: the creator owns the job, admins inherit CAN_MANAGE",
          levels == {(State.me.user_name, iam.PermissionLevel.IS_OWNER, False),
                     ("admins", iam.PermissionLevel.CAN_MANAGE, True)}, levels)
    admins = [p for e in acl.access_control_list if e.group_name == "admins" for p in e.all_permissions]
    check("the admins' grant is inherited from /jobs/", admins[0].inherited_from_object == ["/jobs/"], admins)
    w.permissions.set("jobs", job_id, access_control_list=[
        iam.AccessControlRequest(group_name="users", permission_level=iam.PermissionLevel.CAN_VIEW)])
    acl = w.jobs.get_permissions(job_id)
    direct = {(e.user_name or e.group_name, p.permission_level.value)
              for e in acl.access_control_list for p in e.all_permissions if not p.inherited}
    check("permissions.set replaces the direct grants and keeps the owner",
          direct == {(State.me.user_name, "IS_OWNER"), ("users", "CAN_VIEW")}, direct)
    w.jobs.update_permissions(job_id, access_control_list=[
        jobs.JobAccessControlRequest(group_name="users", permission_level=jobs.JobPermissionLevel.CAN_MANAGE_RUN)])
    acl = w.jobs.get_permissions(job_id)
    direct = {(e.user_name or e.group_name, p.permission_level.value)
              for e in acl.access_control_list for p in e.all_permissions if not p.inherited}
    check("jobs.update_permissions changes a grant",
          direct == {(State.me.user_name, "IS_OWNER"), ("users", "CAN_MANAGE_RUN")}, direct)
    expect_error("a grant to an unknown user is refused", InvalidParameterValue, "INVALID_PARAMETER_VALUE",
                 "Principal: UserName(nobody@example.com) does not exist",
                 lambda: w.permissions.update("jobs", job_id, access_control_list=[
                     iam.AccessControlRequest(user_name="nobody@example.com",
                                              permission_level=iam.PermissionLevel.CAN_VIEW)]))
    expect_error("a level of another object type is refused", InvalidParameterValue, "INVALID_PARAMETER_VALUE",
                 "Permission level",
                 lambda: w.permissions.update("jobs", job_id, access_control_list=[
                     iam.AccessControlRequest(group_name="users",
                                              permission_level=iam.PermissionLevel.CAN_ATTACH_TO)]))
    expect_error("the permissions of a job that does not exist", ResourceDoesNotExist, "RESOURCE_DOES_NOT_EXIST",
                 "job 1 does not exist", lambda: w.permissions.get("jobs", "1"))
    pool = w.instance_pools.get_permissions(next(iter(State.pools)))
    check("instance_pools.get_permissions: object_type instance-pool",
          pool.object_type == "instance-pool", pool.object_type)


def big_job_paging(w):
    job = w.jobs.get(State.big_id)
    keys = [t.task_key for t in job.settings.tasks]
    want = [t["task_key"] for t in State.jobs[State.big_id]["tasks"]]
    check("jobs.get (SDK) returns all 130 tasks of the big job", keys == want, f"{len(keys)} tasks")
    check("jobs.get (SDK) big job keeps its job cluster", len(job.settings.job_clusters) == 1,
          len(job.settings.job_clusters))
    raw = w.api_client.do("GET", "/api/2.2/jobs/get", query={"job_id": State.big_id})
    first = len(raw.get("settings", {}).get("tasks", []))
    token = raw.get("next_page_token")
    check("jobs/get first page caps tasks at 100 and gives next_page_token", first == 100 and bool(token),
          f"{first} tasks, next_page_token={token!r}")
    if token:
        raw2 = w.api_client.do("GET", "/api/2.2/jobs/get", query={"job_id": State.big_id, "page_token": token})
        tasks2 = raw2.get("settings", {}).get("tasks", [])
        check("jobs/get second page has the remaining 30 tasks and no token",
              len(tasks2) == 30 and not raw2.get("next_page_token")
              and [t["task_key"] for t in tasks2] == want[100:],
              f"{len(tasks2)} tasks, next_page_token={raw2.get('next_page_token')!r}")
    raw21 = w.api_client.do("GET", "/api/2.1/jobs/get", query={"job_id": State.big_id})
    check("jobs/get 2.1 returns all 130 tasks unpaged",
          len(raw21.get("settings", {}).get("tasks", [])) == 130 and not raw21.get("next_page_token"),
          len(raw21.get("settings", {}).get("tasks", [])))


def list_jobs(w):
    ours = set(State.jobs)
    listed = list(w.jobs.list())
    ids = [j.job_id for j in listed]
    check("jobs.list returns every job exactly once", sorted(ids) == sorted(ours),
          f"{len(ids)} listed, {len(set(ids))} distinct, {len(ours)} created")
    check("jobs.list without expand_tasks has no tasks",
          all(not (j.settings and j.settings.tasks) for j in listed), "tasks present")
    created = [j.created_time for j in listed]
    check("jobs.list is newest first", created == sorted(created, reverse=True), created[:5])
    names = {j.job_id: j.settings.name for j in listed}
    check("jobs.list names match", all(names.get(i) == b["name"] for i, b in State.jobs.items()),
          [(b["name"], names.get(i)) for i, b in State.jobs.items() if names.get(i) != b["name"]][:3])

    expanded = {j.job_id: j for j in w.jobs.list(expand_tasks=True)}
    check("jobs.list(expand_tasks=True) returns every job", set(expanded) == ours, len(expanded))
    bad = []
    for jid, body in State.jobs.items():
        j = expanded.get(jid)
        if j is None:
            continue
        d = diff(readable(body), j.settings.as_dict())
        if d:
            bad.append(f"{body['name'][:30]}: {d[0]}")
    check("jobs.list(expand_tasks=True) settings round-trip (big job refilled via get)", not bad, bad[:3])
    big = expanded.get(State.big_id)
    check("jobs.list(expand_tasks=True) big job has all 130 tasks", big is not None and len(big.settings.tasks) == 130,
          big and len(big.settings.tasks))

    bad_run_as = []
    for limit in (20, 25, 100):
        pages, seen, token, sizes = 0, [], None, []
        while True:
            q = {"limit": limit, "expand_tasks": "true"}
            if token:
                q["page_token"] = token
            page = w.api_client.do("GET", "/api/2.2/jobs/list", query=q)
            pages += 1
            batch = page.get("jobs", [])
            sizes.append(len(batch))
            seen += [j["job_id"] for j in batch]
            for j in batch:
                body = State.jobs.get(j["job_id"], {})
                if "run_as" in j.get("settings", {}) or j.get("run_as_user_name") != run_as_name(
                        body, State.me.user_name):
                    bad_run_as.append((j["job_id"], j.get("run_as_user_name")))
                if j["job_id"] == State.big_id:
                    n = len(j.get("settings", {}).get("tasks", []))
                    check(f"jobs/list limit={limit} truncates the big job to 100 tasks with has_more",
                          n == 100 and j.get("has_more") is True, f"{n} tasks, has_more={j.get('has_more')!r}")
            token = page.get("next_page_token")
            more = page.get("has_more")
            if not token:
                check(f"jobs/list limit={limit} last page has no has_more", not more, more)
                break
            check(f"jobs/list limit={limit} page {pages} has has_more", more is True, more)
            if pages > 10:
                break
        want_pages = -(-45 // limit)
        check(f"jobs/list limit={limit} pages through 45 jobs in {want_pages} pages of <= {limit}",
              pages == want_pages and all(s <= limit for s in sizes) and sorted(seen) == sorted(ours),
              f"pages={pages} sizes={sizes} distinct={len(set(seen))}")
    check("jobs/list items carry run_as_user_name and never the write-only settings.run_as", not bad_run_as,
          bad_run_as[:3])
    sdk20 = [j.job_id for j in w.jobs.list(limit=20)]
    check("jobs.list(limit=20) (SDK paging) returns all 45", sorted(sdk20) == sorted(ours), len(sdk20))
    expect_error("jobs.list(limit=101) is rejected", InvalidParameterValue, "INVALID_PARAMETER_VALUE",
                 "The limit must be between 1 and 100, but got 101.", lambda: list(w.jobs.list(limit=101)))

    odd_name = simple_job(7)["name"]
    for name in ("sdk-compat-multi-etl", "SDK-COMPAT-MULTI-ETL", odd_name):
        found = [j.job_id for j in w.jobs.list(name=name)]
        want = [i for i, b in State.jobs.items() if b["name"].lower() == name.lower()]
        check(f"jobs.list(name={name[:30]!r}) filters exactly, case-insensitively", found == want, found)


def update_reset_delete_jobs(w):
    jid = State.etl_id
    new_transform = jobs.Task.from_dict({
        "task_key": "transform", "depends_on": [{"task_key": "ingest"}], "job_cluster_key": "etl",
        "spark_python_task": {"python_file": "/Workspace/Shared/etl/transform_v2.py", "parameters": ["--incremental"]}})
    added = jobs.Task.from_dict({"task_key": "audit", "depends_on": [{"task_key": "publish"}], "job_cluster_key": "small",
                                 "notebook_task": {"notebook_path": "/Shared/etl/audit"}})
    w.jobs.update(jid, new_settings=jobs.JobSettings(timeout_seconds=999, tasks=[new_transform, added]),
                  fields_to_remove=["health", "tasks/cleanup"])
    s = w.jobs.get(jid).settings
    by_key = {t.task_key: t for t in s.tasks}
    check("jobs.update replaces a top-level field", s.timeout_seconds == 999, s.timeout_seconds)
    check("jobs.update removes a top-level field", s.health is None, s.health)
    check("jobs.update merges tasks by key (replace + add + remove)",
          set(by_key) == {"ingest", "transform", "gate", "publish", "audit"}, sorted(by_key))
    t = by_key.get("transform")
    check("jobs.update replaced the task whole",
          t is not None and t.spark_python_task.python_file == "/Workspace/Shared/etl/transform_v2.py"
          and t.spark_python_task.parameters == ["--incremental"], t and t.spark_python_task)
    ingest = by_key.get("ingest")
    check("jobs.update kept untouched tasks", ingest is not None and len(ingest.libraries or []) == 4,
          ingest and ingest.libraries)
    check("jobs.update kept job_clusters and other settings",
          [c.job_cluster_key for c in s.job_clusters] == ["etl", "small"] and s.name == "sdk-compat-multi-etl"
          and s.schedule is not None and s.schedule.quartz_cron_expression == "0 30 2 * * ?",
          [c.job_cluster_key for c in s.job_clusters])

    simple_id = next(i for i, b in State.jobs.items() if b["name"] == "sdk-compat-simple-01")
    new = {"name": "sdk-compat-simple-01-reset", "max_concurrent_runs": 5,
           "tasks": [{"task_key": "only", "notebook_task": {"notebook_path": "/Shared/reset"}}]}
    w.jobs.reset(simple_id, new_settings=jobs.JobSettings.from_dict(new))
    s = w.jobs.get(simple_id).settings.as_dict()
    same("jobs.reset sets the new settings", new, s)
    check("jobs.reset drops settings not in new_settings", not s.get("tags") and not s.get("timeout_seconds"),
          {"tags": s.get("tags"), "timeout_seconds": s.get("timeout_seconds")})
    State.jobs[simple_id] = new

    gone = next(i for i, b in State.jobs.items() if b["name"] == "sdk-compat-simple-39")
    w.jobs.delete(gone)
    # The service answers 400 INVALID_PARAMETER_VALUE "Job N does not exist."; the SDK maps that message to
    # ResourceDoesNotExist (a NotFound).
    expect_error("jobs.get of a deleted job raises ResourceDoesNotExist", ResourceDoesNotExist,
                 "INVALID_PARAMETER_VALUE", f"Job {gone} does not exist.", lambda: w.jobs.get(gone))
    del State.jobs[gone]
    check("jobs.list no longer shows the deleted job", gone not in {j.job_id for j in w.jobs.list()})
    expect_error("jobs.get of a missing job raises ResourceDoesNotExist (SDK override of the 400)",
                 ResourceDoesNotExist, "INVALID_PARAMETER_VALUE", "Job 123 does not exist.", lambda: w.jobs.get(123))
    # jobs/delete has no such override in the SDK: the 400 stays InvalidParameterValue.
    expect_error("jobs.delete of a missing job raises InvalidParameterValue", InvalidParameterValue,
                 "INVALID_PARAMETER_VALUE", "Job 123 does not exist.", lambda: w.jobs.delete(123))


def runs_suite(w):
    """Job runs as failover, failback and DR drills use them (issue 19): run-now of a paused job and the SDK's
    waiter, get_run, list_runs(active_only=True), idempotency tokens, a skipped second run, cancel_run and
    cancel_all_runs, and jobs.update pausing and unpausing a schedule and a continuous job."""
    cron = {"quartz_cron_expression": "0 0 4 * * ?", "timezone_id": "UTC"}
    # Without queueing (which 2.2 turns on by default), a run beyond max_concurrent_runs is skipped.
    body = {"name": "sdk-compat-runs", "max_concurrent_runs": 1, "queue": {"enabled": False},
            "schedule": dict(cron, pause_status="PAUSED"),
            "parameters": [{"name": "env", "default": "prod"}],
            "tasks": [{"task_key": "main", "notebook_task": {"notebook_path": "/Shared/runs/main"}}]}
    jid = w.jobs.create(**kwargs(jobs.JobSettings, body)).job_id
    waiter = w.jobs.run_now(jid, job_parameters={"env": "dr"})
    first_id = waiter.response.run_id
    check("jobs.run_now returns run_id and number_in_job",
          isinstance(first_id, int) and waiter.response.number_in_job == first_id, waiter.response)
    run = waiter.result(timeout=WAIT)
    check("jobs.run_now of a job with a PAUSED schedule runs to TERMINATED SUCCESS (SDK waiter)",
          run.state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED
          and run.state.result_state == jobs.RunResultState.SUCCESS, run.state)
    check("the run's status is TERMINATED with termination code SUCCESS",
          run.status.state == jobs.RunLifecycleStateV2State.TERMINATED
          and run.status.termination_details.code == jobs.TerminationCodeCode.SUCCESS, run.status)
    check("the run names its job, trigger, type, creator and page",
          run.job_id == jid and run.run_id == first_id and run.trigger == jobs.TriggerType.ONE_TIME
          and run.run_type == jobs.RunType.JOB_RUN and run.creator_user_name == State.me.user_name
          and run.run_page_url.endswith(f"#job/{jid}/run/{first_id}") and run.run_name == "sdk-compat-runs",
          (run.job_id, run.trigger, run.run_type, run.creator_user_name, run.run_page_url))
    check("the run has its task and the job parameters it was given",
          [t.task_key for t in run.tasks] == ["main"]
          and [(p.name, p.value) for p in run.job_parameters] == [("env", "dr")],
          (run.tasks, run.job_parameters))
    check("the run has start and end times", run.start_time > 0 and run.end_time >= run.start_time,
          (run.start_time, run.end_time))
    again = w.jobs.get_run(first_id)
    check("jobs.get_run of a finished run shows it as the waiter left it",
          again.state.result_state == jobs.RunResultState.SUCCESS and again.end_time == run.end_time, again.state)

    a = w.jobs.run_now(jid, idempotency_token="sdk-compat-run-token").response.run_id
    b = w.jobs.run_now(jid, idempotency_token="sdk-compat-run-token").response.run_id
    check("jobs.run_now with the same idempotency_token returns the same run", a == b, (a, b))
    w.jobs.wait_get_run_job_terminated_or_skipped(a, timeout=WAIT)

    active = w.jobs.run_now(jid).response.run_id
    skipped = w.jobs.run_now(jid).result(timeout=WAIT)
    check("a run beyond max_concurrent_runs is SKIPPED (SDK waiter target state)",
          skipped.state.life_cycle_state == jobs.RunLifeCycleState.SKIPPED
          and skipped.state.state_message.startswith("Skipping this run because the limit of 1"), skipped.state)
    listed = [r.run_id for r in w.jobs.list_runs(job_id=jid, active_only=True)]
    check("jobs.list_runs(active_only=True) lists only the active run", listed == [active], listed)
    cancelled = w.jobs.cancel_run(active).result(timeout=WAIT)
    check("jobs.cancel_run ends the run TERMINATED CANCELED (SDK waiter)",
          cancelled.state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED
          and cancelled.state.result_state == jobs.RunResultState.CANCELED
          and cancelled.state.user_cancelled_or_timedout is True
          and cancelled.status.termination_details.code == jobs.TerminationCodeCode.USER_CANCELED, cancelled.state)
    check("jobs.list_runs(active_only=True) is empty after the cancel",
          list(w.jobs.list_runs(job_id=jid, active_only=True)) == [])
    every = [r.run_id for r in w.jobs.list_runs(job_id=jid, limit=2)]
    check("jobs.list_runs pages through every run, newest first",
          every == [skipped.run_id, active, a, first_id], every)
    done = [r.run_id for r in w.jobs.list_runs(job_id=jid, completed_only=True, expand_tasks=True)]
    check("jobs.list_runs(completed_only=True) lists the finished runs", done == every, done)
    expanded = next(iter(w.jobs.list_runs(job_id=jid, expand_tasks=True)))
    check("jobs.list_runs(expand_tasks=True) shows tasks", [t.task_key for t in expanded.tasks or []] == ["main"],
          expanded.tasks)
    plain = next(iter(w.jobs.list_runs(job_id=jid)))
    check("jobs.list_runs without expand_tasks shows none", not plain.tasks, plain.tasks)

    # cancel_all_runs cancels the active runs of one job.
    w.jobs.update(jid, new_settings=jobs.JobSettings(max_concurrent_runs=3))
    started = [w.jobs.run_now(jid).response.run_id for _ in range(2)]
    w.jobs.cancel_all_runs(job_id=jid)
    ends = [w.jobs.wait_get_run_job_terminated_or_skipped(r, timeout=WAIT).state.result_state for r in started]
    check("jobs.cancel_all_runs cancels every active run of the job",
          ends == [jobs.RunResultState.CANCELED] * 2, ends)

    expect_error("jobs.get_run of a missing run raises ResourceDoesNotExist (SDK override of the 400)",
                 ResourceDoesNotExist, "INVALID_PARAMETER_VALUE", "Run 1 does not exist.",
                 lambda: w.jobs.get_run(1))
    expect_error("jobs.run_now of a missing job raises InvalidParameterValue", InvalidParameterValue,
                 "INVALID_PARAMETER_VALUE", "Job 1 does not exist.", lambda: w.jobs.run_now(1))

    # Unpause and pause: update replaces the schedule block whole and keeps every other setting.
    for pause in (jobs.PauseStatus.UNPAUSED, jobs.PauseStatus.PAUSED):
        w.jobs.update(jid, new_settings=jobs.JobSettings(schedule=jobs.CronSchedule(pause_status=pause, **cron)))
        s = w.jobs.get(jid).settings
        check(f"jobs.update sets schedule.pause_status {pause.value} and keeps the rest",
              s.schedule.pause_status == pause and s.schedule.quartz_cron_expression == cron["quartz_cron_expression"]
              and s.name == "sdk-compat-runs" and [t.task_key for t in s.tasks] == ["main"]
              and s.max_concurrent_runs == 3, (s.schedule, s.name, s.max_concurrent_runs))
    expect_error("jobs.update of a schedule without its cron expression is refused", InvalidParameterValue,
                 "INVALID_PARAMETER_VALUE", "Missing required field: schedule.quartz_cron_expression",
                 lambda: w.jobs.update(jid, new_settings=jobs.JobSettings.from_dict(
                     {"schedule": {"pause_status": "UNPAUSED"}})))
    cont = w.jobs.create(**kwargs(jobs.JobSettings, {
        "name": "sdk-compat-runs-continuous", "continuous": {"pause_status": "PAUSED"},
        "tasks": [{"task_key": "main", "notebook_task": {"notebook_path": "/Shared/runs/stream"}}]})).job_id
    w.jobs.update(cont, new_settings=jobs.JobSettings(continuous=jobs.Continuous(
        pause_status=jobs.PauseStatus.UNPAUSED)))
    check("jobs.update unpauses a continuous job",
          w.jobs.get(cont).settings.continuous.pause_status == jobs.PauseStatus.UNPAUSED)

    # A pool warmed for failover: min_idle_instances up, then back.
    pid, pool = next(iter(State.pools.items()))
    for idle in (3, pool.get("min_idle_instances", 0)):
        w.instance_pools.edit(pid, pool["instance_pool_name"], pool["node_type_id"], min_idle_instances=idle,
                              max_capacity=pool.get("max_capacity"),
                              idle_instance_autotermination_minutes=pool.get("idle_instance_autotermination_minutes"),
                              custom_tags=pool.get("custom_tags"))
        got = w.instance_pools.get(pid)
        check(f"instance_pools.edit sets min_idle_instances {idle}",
              (got.min_idle_instances or 0) == idle and got.stats.idle_count == idle,
              (got.min_idle_instances, got.stats))
    for j in (jid, cont):
        w.jobs.delete(j)


def clusters_suite(w):
    pool_ids = list(State.pools)
    policy_ids = list(State.policies)
    specs = {
        "sdk-compat-autoscale": {
            "cluster_name": "sdk-compat-autoscale", "spark_version": "15.4.x-scala2.12",
            "node_type_id": "i3.xlarge", "driver_node_type_id": "i3.2xlarge",
            "autoscale": {"min_workers": 1, "max_workers": 4}, "autotermination_minutes": 60,
            "data_security_mode": "USER_ISOLATION", "runtime_engine": "PHOTON", "aws_attributes": aws(),
            "spark_conf": {"spark.hadoop.fs.s3a.endpoint": S3_ENDPOINT,
                           "spark.password": "{{secrets/etl-secrets/pw}}"},
            "spark_env_vars": {"BUCKET": "s3://acme-landing-us-east-1"},
            "custom_tags": {"team": "analytics"},
            "init_scripts": [{"volumes": {"destination": "/Volumes/main/infra/scripts/setup.sh"}}],
            "cluster_log_conf": {"dbfs": {"destination": "dbfs:/cluster-logs"}}},
        "sdk-compat-single-node": {
            "cluster_name": "sdk-compat-single-node", "spark_version": "15.4.x-cpu-ml-scala2.12",
            "node_type_id": "r5d.xlarge", "num_workers": 0, "autotermination_minutes": 30,
            "data_security_mode": "SINGLE_USER", "single_user_name": State.me.user_name,
            "spark_conf": {"spark.databricks.cluster.profile": "singleNode", "spark.master": "local[*, 4]"},
            "custom_tags": {"ResourceClass": "SingleNode"}},
        "sdk-compat-pooled": {
            "cluster_name": "sdk-compat-pooled", "spark_version": "15.4.x-scala2.12",
            "instance_pool_id": pool_ids[0], "driver_instance_pool_id": pool_ids[1], "num_workers": 2,
            "autotermination_minutes": 20},
        "sdk-compat-policy": {
            "cluster_name": "sdk-compat-policy", "spark_version": "14.3.x-scala2.12", "node_type_id": "m5d.xlarge",
            "num_workers": 1, "policy_id": policy_ids[0], "apply_policy_default_values": True},
    }
    waits = {}
    for name, spec in specs.items():
        waiter = w.clusters.create(**kwargs(compute.ClusterSpec, spec))
        check(f"clusters.create {name} returns a cluster id", bool(waiter.cluster_id), waiter)
        waits[name] = (waiter, spec)
    for name, (waiter, spec) in waits.items():
        details = waiter.result(timeout=WAIT)
        State.clusters[details.cluster_id] = spec
        check(f"clusters.create {name} reaches RUNNING (SDK waiter)", details.state == compute.State.RUNNING,
              details.state)
        got = w.clusters.get(details.cluster_id).as_dict()
        # ClusterDetails has no apply_policy_default_values: only `spec` echoes it.
        top = {k: v for k, v in spec.items() if k != "apply_policy_default_values"}
        same(f"clusters.get {name} echoes the config at the top level", top, got)
        same(f"clusters.get {name} spec is what was sent", spec, got.get("spec") or {})
        check(f"clusters.get {name} output-only fields",
              got.get("cluster_id") == details.cluster_id and got.get("cluster_source") == "API"
              and got.get("creator_user_name") == State.me.user_name and bool(got.get("start_time"))
              and (got.get("default_tags") or {}).get("ClusterId") == details.cluster_id
              and isinstance(got.get("driver"), dict),
              {k: got.get(k) for k in ("cluster_source", "creator_user_name", "start_time", "default_tags")})
        if "autoscale" not in spec and spec.get("num_workers"):
            check(f"clusters.get {name} has executors while RUNNING",
                  len(got.get("executors") or []) == spec["num_workers"], len(got.get("executors") or []))
    ids = {n: cid for cid, s in State.clusters.items() for n in [s["cluster_name"]]}

    listed = list(w.clusters.list())
    listed_ids = [c.cluster_id for c in listed]
    check("clusters.list returns every cluster once", sorted(listed_ids) == sorted(State.clusters), listed_ids)
    check("clusters.list items carry names and state",
          all(c.cluster_name == State.clusters[c.cluster_id]["cluster_name"] and c.state for c in listed
              if c.cluster_id in State.clusters), "mismatch")
    paged = [c.cluster_id for c in w.clusters.list(page_size=1)]
    check("clusters.list(page_size=1) pages through all clusters", sorted(paged) == sorted(State.clusters), paged)
    flt = compute.ListClustersFilterBy(cluster_sources=[compute.ClusterSource.UI, compute.ClusterSource.API])
    filtered = [c.cluster_id for c in w.clusters.list(filter_by=flt)]
    check("clusters.list(filter_by.cluster_sources=UI,API) keeps API clusters",
          sorted(filtered) == sorted(State.clusters), filtered)
    flt = compute.ListClustersFilterBy(cluster_sources=[compute.ClusterSource.JOB])
    check("clusters.list(filter_by.cluster_sources=JOB) is empty", list(w.clusters.list(filter_by=flt)) == [])
    sort = compute.ListClustersSortBy(field=compute.ListClustersSortByField.CLUSTER_NAME,
                                      direction=compute.ListClustersSortByDirection.ASC)
    names = [c.cluster_name for c in w.clusters.list(sort_by=sort)]
    check("clusters.list(sort_by CLUSTER_NAME ASC) is sorted", names == sorted(names), names)

    # edit replaces the whole config; a running cluster restarts and comes back RUNNING
    cid = ids["sdk-compat-autoscale"]
    edited = dict(specs["sdk-compat-autoscale"], autoscale={"min_workers": 2, "max_workers": 6},
                  autotermination_minutes=90)
    del edited["custom_tags"]
    details = w.clusters.edit(cluster_id=cid, **kwargs(compute.ClusterSpec, edited)).result(timeout=WAIT)
    check("clusters.edit of a RUNNING cluster comes back RUNNING", details.state == compute.State.RUNNING,
          details.state)
    got = w.clusters.get(cid).as_dict()
    same("clusters.edit applied the new config", edited, got)
    same("clusters.edit updated spec", edited, got.get("spec") or {})
    check("clusters.edit removed fields not sent", "custom_tags" not in (got.get("spec") or {})
          and not got.get("custom_tags"), got.get("custom_tags"))
    State.clusters[cid] = edited

    cid = ids["sdk-compat-single-node"]
    details = w.clusters.delete(cid).result(timeout=WAIT)
    check("clusters.delete terminates (SDK waiter)", details.state == compute.State.TERMINATED, details.state)
    got = w.clusters.get(cid)
    check("terminated cluster has termination_reason USER_REQUEST",
          got.termination_reason is not None and got.termination_reason.code == compute.TerminationReasonCode.USER_REQUEST,
          got.termination_reason)
    check("terminated cluster has no driver", got.driver is None, got.driver)
    w.clusters.edit(cluster_id=cid, **kwargs(compute.ClusterSpec, dict(specs["sdk-compat-single-node"],
                                                                        autotermination_minutes=45)))
    got = w.clusters.get(cid)
    check("clusters.edit of a TERMINATED cluster keeps it TERMINATED and applies the change",
          got.state == compute.State.TERMINATED and got.autotermination_minutes == 45,
          (got.state, got.autotermination_minutes))
    details = w.clusters.start(cid).result(timeout=WAIT)
    check("clusters.start brings a TERMINATED cluster back to RUNNING", details.state == compute.State.RUNNING,
          details.state)

    cid = ids["sdk-compat-pooled"]
    w.clusters.permanent_delete(cid)
    expect_error("clusters.get after permanent_delete raises ResourceDoesNotExist", ResourceDoesNotExist,
                 "INVALID_PARAMETER_VALUE", f"Cluster {cid} does not exist", lambda: w.clusters.get(cid))
    check("clusters.list no longer shows the permanently deleted cluster",
          cid not in {c.cluster_id for c in w.clusters.list()})
    del State.clusters[cid]
    expect_error("clusters.get of a missing cluster raises ResourceDoesNotExist", ResourceDoesNotExist,
                 "INVALID_PARAMETER_VALUE", "Cluster 0000-000000-nope0000 does not exist",
                 lambda: w.clusters.get("0000-000000-nope0000"))

    versions = {v.key for v in w.clusters.spark_versions().versions or []}
    check("clusters.spark_versions lists 15.4.x-scala2.12", "15.4.x-scala2.12" in versions, sorted(versions)[:10])
    node_types = {n.node_type_id for n in w.clusters.list_node_types().node_types or []}
    check("clusters.list_node_types lists i3.xlarge", "i3.xlarge" in node_types, sorted(node_types)[:10])
    zones = w.clusters.list_zones()
    check("clusters.list_zones lists us-east-1a", "us-east-1a" in (zones.zones or []), zones)


def pools_policies_mutations(w):
    pid, body = next(iter(State.pools.items()))
    w.instance_pools.edit(pid, body["instance_pool_name"], body["node_type_id"], min_idle_instances=0,
                          max_capacity=20, idle_instance_autotermination_minutes=45,
                          custom_tags={"team": "data-eng", "edited": "yes"})
    got = w.instance_pools.get(pid).as_dict()
    edited = dict(body, min_idle_instances=0, max_capacity=20, idle_instance_autotermination_minutes=45,
                  custom_tags={"team": "data-eng", "edited": "yes"})
    same("instance_pools.edit applied and kept cloud attributes", edited, got)
    State.pools[pid] = edited

    listed = {p.instance_pool_id: p for p in w.instance_pools.list()}
    check("instance_pools.list returns every pool", set(listed) == set(State.pools), sorted(listed))
    check("instance_pools.list items carry stats", all(p.stats is not None for p in listed.values()), "no stats")

    temp = next(i for i, b in State.pools.items() if b["instance_pool_name"] == "sdk-compat-pool-temp")
    w.instance_pools.delete(temp)
    after = {p.instance_pool_id: p for p in w.instance_pools.list()}
    check("instance_pools.delete removes the pool from list",
          temp not in after or after[temp].state == compute.InstancePoolState.DELETED, sorted(after))
    del State.pools[temp]

    pol_id = next(i for i, b in State.policies.items() if b["name"] == "sdk-compat-policy-libs")
    new_def = {"spark_version": {"type": "fixed", "value": "15.4.x-scala2.12"}}
    w.cluster_policies.edit(pol_id, name="sdk-compat-policy-libs-v2", definition=json.dumps(new_def),
                            libraries=[compute.Library(pypi=compute.PythonPyPiLibrary(package="mlflow==2.15.0"))])
    got = w.cluster_policies.get(pol_id)
    check("cluster_policies.edit renamed the policy", got.name == "sdk-compat-policy-libs-v2", got.name)
    check("cluster_policies.edit replaced the definition", json.loads(got.definition or "null") == new_def,
          got.definition)
    check("cluster_policies.edit replaced the libraries",
          [l.as_dict() for l in got.libraries or []] == [{"pypi": {"package": "mlflow==2.15.0"}}], got.libraries)

    temp = next(i for i, b in State.policies.items() if b["name"] == "sdk-compat-policy-temp")
    w.cluster_policies.delete(temp)
    del State.policies[temp]
    listed = {p.policy_id for p in w.cluster_policies.list()}
    check("cluster_policies.list excludes the deleted policy and has the others",
          temp not in listed and set(State.policies) <= listed, sorted(listed))
    expect_error("cluster_policies.get of a deleted policy raises ResourceDoesNotExist", ResourceDoesNotExist,
                 "RESOURCE_DOES_NOT_EXIST", f"Can't find a cluster policy with id: {temp}.",
                 lambda: w.cluster_policies.get(temp))
    by_name = [p.name for p in w.cluster_policies.list(sort_column=compute.ListSortColumn.POLICY_NAME,
                                                       sort_order=compute.ListSortOrder.ASC)]
    check("cluster_policies.list sorts by name", by_name == sorted(by_name), by_name)


def warehouse_kwargs(body, warehouse_type):
    """The SDK's typed keyword arguments of `warehouses.create`/`edit` for a body given as plain JSON."""
    out = dict(body)
    if "channel" in out:
        out["channel"] = sql.Channel.from_dict(out["channel"])
    if "tags" in out:
        out["tags"] = sql.EndpointTags.from_dict(out["tags"])
    if "spot_instance_policy" in out:
        out["spot_instance_policy"] = sql.SpotInstancePolicy(out["spot_instance_policy"])
    if "warehouse_type" in out:
        out["warehouse_type"] = warehouse_type(out["warehouse_type"])
    return out


def warehouses_suite(w):
    """SQL warehouses: create (waiting for RUNNING, as the SDK and the provider do), get, list, edit, delete."""
    body = {"name": "sdk-compat-warehouse", "cluster_size": "Small", "max_num_clusters": 3, "auto_stop_mins": 30,
            "enable_photon": True, "enable_serverless_compute": False, "warehouse_type": "CLASSIC",
            "spot_instance_policy": "RELIABILITY_OPTIMIZED",
            "channel": {"name": "CHANNEL_NAME_PREVIEW"},
            "tags": {"custom_tags": [{"key": "team", "value": "bi"}]}}
    got = w.warehouses.create_and_wait(**warehouse_kwargs(body, sql.CreateWarehouseRequestWarehouseType),
                                        timeout=WAIT)
    wid = got.id
    check("warehouses.create_and_wait returns a RUNNING warehouse with an id",
          bool(wid) and got.state == sql.State.RUNNING, repr(got.state))
    got = w.warehouses.get(wid).as_dict()
    same("warehouses.get round-trips what was sent", body, got)
    check("warehouses.get has the output-only fields",
          got.get("creator_name") == "emulator@example.com" and got.get("num_clusters") == 1
          and got.get("odbc_params", {}).get("path") == f"/sql/1.0/warehouses/{wid}"
          and got.get("jdbc_url", "").startswith("jdbc:spark://") and got.get("health", {}).get("status"),
          got)
    check("warehouses.get fills min_num_clusters", got.get("min_num_clusters") == 1, got.get("min_num_clusters"))
    plain = w.warehouses.create(name="sdk-compat-warehouse-defaults", cluster_size="2X-Small").response.id
    d = w.warehouses.get(plain)
    check("a warehouse created with only a name and size gets the documented defaults",
          (d.auto_stop_mins, d.min_num_clusters, d.max_num_clusters, d.enable_serverless_compute, d.warehouse_type)
          == (120, 1, 1, False, sql.GetWarehouseResponseWarehouseType.CLASSIC), d)
    listed = {x.id: x.name for x in w.warehouses.list()}
    check("warehouses.list lists both", listed.get(wid) == body["name"] and plain in listed, listed)
    paged = [x.id for x in w.warehouses.list(page_size=1)]
    check("warehouses.list pages with page_size", sorted(paged) == sorted(listed), paged)
    edited = dict(body, cluster_size="Medium", auto_stop_mins=60)
    del edited["tags"]
    w.warehouses.edit_and_wait(wid, **warehouse_kwargs(edited, sql.EditWarehouseRequestWarehouseType), timeout=WAIT)
    got = w.warehouses.get(wid).as_dict()
    same("warehouses.edit applied", edited, got)
    check("warehouses.edit replaces the whole configuration (tags left out are gone)", "tags" not in got, got)
    expect_error("warehouses.create with a size the API lacks raises InvalidParameterValue",
                 InvalidParameterValue, "INVALID_PARAMETER_VALUE", "Invalid cluster size",
                 lambda: w.warehouses.create(name="sdk-compat-bad", cluster_size="Huge"))
    acl = w.warehouses.get_permissions(wid)
    direct = {(e.user_name or e.group_name, p.permission_level.value)
              for e in acl.access_control_list for p in e.all_permissions if not p.inherited}
    check("warehouses.get_permissions: object_type warehouses, the creator owns it",
          acl.object_type == "warehouses" and direct == {("emulator@example.com", "IS_OWNER")}, acl)
    w.warehouses.update_permissions(wid, access_control_list=[sql.WarehouseAccessControlRequest(
        group_name="users", permission_level=sql.WarehousePermissionLevel.CAN_USE)])
    # The provider's path (`/sql/warehouses/`, provider-behaviour.md §6.1) reads the same ACL.
    raw = w.api_client.do("GET", f"/api/2.0/permissions/sql/warehouses/{wid}")
    direct = {(e.get("user_name") or e.get("group_name"), p["permission_level"])
              for e in raw["access_control_list"] for p in e["all_permissions"] if not p["inherited"]}
    check("warehouses.update_permissions adds a grant, read back on the provider's path",
          direct == {("emulator@example.com", "IS_OWNER"), ("users", "CAN_USE")}, raw)
    w.warehouses.delete(plain)
    w.warehouses.delete(wid)
    check("warehouses.delete removes them", not any(x.id in (wid, plain) for x in w.warehouses.list()), "still listed")
    expect_error("warehouses.get of a deleted warehouse raises ResourceDoesNotExist", ResourceDoesNotExist,
                 "RESOURCE_DOES_NOT_EXIST", "", lambda: w.warehouses.get(wid))


def pipelines_suite(w):
    """Pipelines: create (returns pipeline_id), get (spec and state), list (paged, no spec), update, delete."""
    body = {"name": "sdk-compat-pipeline", "catalog": "main", "schema": "sdk", "edition": "ADVANCED",
            "channel": "CURRENT", "photon": True, "continuous": False, "development": True,
            "configuration": {"source": "s3://bucket/in"},
            "libraries": [{"notebook": {"path": "/Shared/dlt/orders_bronze"}}],
            "clusters": [{"label": "default", "num_workers": 2, "node_type_id": "i3.xlarge",
                          "aws_attributes": {"zone_id": "us-east-1a", "instance_profile_arn": IP_ETL}}]}
    pid = w.pipelines.create(**kwargs(pipelines.PipelineSpec, body)).pipeline_id
    check("pipelines.create returns a pipeline_id", bool(pid), pid)
    got = w.pipelines.get(pid)
    same("pipelines.get spec round-trips what was sent", body, got.spec.as_dict())
    check("pipelines.get has the state fields",
          got.pipeline_id == pid and got.spec.id == pid and got.name == body["name"]
          and got.state == pipelines.PipelineState.IDLE and got.creator_user_name == "emulator@example.com"
          and got.run_as_user_name == "emulator@example.com" and bool(got.last_modified), repr(got))
    hive = w.pipelines.create(name="sdk-compat-pipeline-hive", target="t", continuous=True,
                              libraries=[pipelines.PipelineLibrary(notebook=pipelines.NotebookLibrary(path="/x"))]
                              ).pipeline_id
    h = w.pipelines.get(hive)
    check("a pipeline without a catalog gets storage dbfs:/pipelines/<id>, and a continuous one runs",
          h.spec.storage == f"dbfs:/pipelines/{hive}" and h.state == pipelines.PipelineState.RUNNING, repr(h))
    expect_error("pipelines.create with a taken name raises ResourceAlreadyExists", ResourceAlreadyExists,
                 "RESOURCE_ALREADY_EXISTS", "Pipeline with name 'sdk-compat-pipeline' already exists",
                 lambda: w.pipelines.create(name="sdk-compat-pipeline"))
    twin = w.pipelines.create(name="sdk-compat-pipeline", allow_duplicate_names=True).pipeline_id
    listed = list(w.pipelines.list_pipelines(max_results=1))
    ids = {p.pipeline_id for p in listed}
    check("pipelines.list_pipelines pages through every pipeline", {pid, hive, twin} <= ids and
          len(ids) == len(listed), sorted(ids))
    check("pipelines.list_pipelines items carry no spec but the state", all(p.state and p.name for p in listed),
          [p.as_dict() for p in listed])
    edited = dict(body, development=False, configuration={"source": "s3://bucket/v2"})
    del edited["clusters"]
    # The twin has the same name, so the edit needs allow_duplicate_names too.
    w.pipelines.update(pid, allow_duplicate_names=True, **kwargs(pipelines.PipelineSpec, edited))
    got = w.pipelines.get(pid).spec.as_dict()
    same("pipelines.update applied", {k: v for k, v in edited.items() if k != "development"}, got)
    check("pipelines.update replaces the whole spec", "clusters" not in got and not got.get("development"), got)
    acl = w.pipelines.get_permissions(pid)
    check("pipelines.get_permissions: object_type pipelines, the creator owns it",
          acl.object_type == "pipelines" and {(e.user_name, p.permission_level.value)
                                               for e in acl.access_control_list for p in e.all_permissions
                                               if not p.inherited} == {("emulator@example.com", "IS_OWNER")}, acl)
    expect_error("a pipeline grant with a level pipelines lack raises InvalidParameterValue", InvalidParameterValue,
                 "INVALID_PARAMETER_VALUE", "",
                 lambda: w.permissions.update("pipelines", pid, access_control_list=[iam.AccessControlRequest(
                     group_name="users", permission_level=iam.PermissionLevel.CAN_USE)]))
    for p in (pid, hive, twin):
        w.pipelines.delete(p)
    expect_error("pipelines.get of a deleted pipeline raises ResourceDoesNotExist", ResourceDoesNotExist,
                 "RESOURCE_DOES_NOT_EXIST", f"The specified pipeline {pid} was not found.",
                 lambda: w.pipelines.get(pid))


def bad_credentials():
    bad = client(token="dapi-not-a-valid-token-000000", auth_type="pat")
    # The real service sends the number 403 as error_code for a bad token; the SDK keeps it.
    expect_error("an invalid token raises PermissionDenied", PermissionDenied, 403, "Invalid access token.",
                 lambda: bad.current_user.me())
    expect_error("an invalid token raises PermissionDenied on jobs.list", PermissionDenied, 403,
                 "Invalid access token.", lambda: list(bad.jobs.list()))


# ------------------------------------------------------------------------------------------------ secrets, SCIM
def secrets_suite(w):
    """Scopes, secrets (no value ever comes back) and ACLs, with the errors the SDK docstrings name."""
    w.secrets.create_scope("sdk-compat-scope")
    scopes = {s.name: s for s in w.secrets.list_scopes()}
    check("secrets.list_scopes lists the new scope as a DATABRICKS scope",
          "sdk-compat-scope" in scopes
          and scopes["sdk-compat-scope"].backend_type == workspace.ScopeBackendType.DATABRICKS, scopes)
    expect_error("secrets.create_scope of an existing name is RESOURCE_ALREADY_EXISTS", ResourceAlreadyExists,
                 "RESOURCE_ALREADY_EXISTS", "Scope sdk-compat-scope already exists!",
                 lambda: w.secrets.create_scope("sdk-compat-scope"))
    expect_error("secrets.create_scope with a bad name is INVALID_PARAMETER_VALUE", InvalidParameterValue,
                 "INVALID_PARAMETER_VALUE", "Scope name", lambda: w.secrets.create_scope("bad name"))
    acls = [(a.principal, a.permission) for a in w.secrets.list_acls("sdk-compat-scope")]
    check("the creator holds MANAGE on a new scope", acls == [(State.me.user_name, workspace.AclPermission.MANAGE)],
          acls)
    w.secrets.put_secret("sdk-compat-scope", "db-password", string_value="s3cr3t-value")
    w.secrets.put_secret("sdk-compat-scope", "blob", bytes_value="AAEC")
    listed = list(w.secrets.list_secrets("sdk-compat-scope"))
    check("secrets.list_secrets lists the keys with last_updated_timestamp",
          sorted(s.key for s in listed) == ["blob", "db-password"]
          and all(isinstance(s.last_updated_timestamp, int) and s.last_updated_timestamp > 0 for s in listed),
          listed)
    raw = w.api_client.do("GET", "/api/2.0/secrets/list", query={"scope": "sdk-compat-scope"})
    check("secrets/list returns no value", "s3cr3t" not in json.dumps(raw)
          and all(set(s) == {"key", "last_updated_timestamp"} for s in raw["secrets"]), raw)
    expect_error("the emulator has no secrets/get", NotFound, "ENDPOINT_NOT_FOUND", "No API found",
                 lambda: w.secrets.get_secret("sdk-compat-scope", "db-password"))
    w.secrets.delete_secret("sdk-compat-scope", "blob")
    check("secrets.delete_secret removes the key",
          [s.key for s in w.secrets.list_secrets("sdk-compat-scope")] == ["db-password"])
    expect_error("secrets.put_secret to a missing scope is RESOURCE_DOES_NOT_EXIST", ResourceDoesNotExist,
                 "RESOURCE_DOES_NOT_EXIST", "Scope nope does not exist!",
                 lambda: w.secrets.put_secret("nope", "k", string_value="v"))
    w.secrets.put_acl("sdk-compat-scope", "users", workspace.AclPermission.READ)
    got = w.secrets.get_acl("sdk-compat-scope", "users")
    check("secrets.get_acl returns the ACL put", (got.principal, got.permission) == ("users", workspace.AclPermission.READ),
          got)
    w.secrets.put_acl("sdk-compat-scope", "users", workspace.AclPermission.WRITE)
    check("secrets.put_acl overwrites", w.secrets.get_acl("sdk-compat-scope", "users").permission
          == workspace.AclPermission.WRITE)
    expect_error("secrets.put_acl for an unknown principal is INVALID_PARAMETER_VALUE", InvalidParameterValue,
                 "INVALID_PARAMETER_VALUE", "Principal nobody-here does not exist",
                 lambda: w.secrets.put_acl("sdk-compat-scope", "nobody-here", workspace.AclPermission.READ))
    principals = sorted(a.principal for a in w.secrets.list_acls("sdk-compat-scope"))
    check("secrets.list_acls lists both ACLs", principals == sorted([State.me.user_name, "users"]), principals)
    w.secrets.delete_acl("sdk-compat-scope", "users")
    expect_error("secrets.get_acl of a deleted ACL is RESOURCE_DOES_NOT_EXIST", ResourceDoesNotExist,
                 "RESOURCE_DOES_NOT_EXIST", "No ACL", lambda: w.secrets.get_acl("sdk-compat-scope", "users"))
    w.secrets.delete_scope("sdk-compat-scope")
    check("secrets.delete_scope removes the scope",
          "sdk-compat-scope" not in [s.name for s in w.secrets.list_scopes()])


def scim_suite(w):
    """Users, groups and service principals: create, list with a filter and paging, get, SCIM errors."""
    user = w.users.create(user_name="sdk.compat@example.com", display_name="SDK Compat")
    check("users.create returns an id and the user name", bool(user.id) and user.user_name == "sdk.compat@example.com",
          user)
    for i in range(3):
        w.users.create(user_name=f"sdk.page{i}@example.com")
    found = list(w.users.list(filter='userName eq "SDK.Compat@example.com"'))
    check("users.list(filter userName eq) finds the user, ignoring case", [u.id for u in found] == [user.id], found)
    paged = list(w.users.list(filter='userName sw "sdk.page"', count=2))
    check("users.list pages with startIndex/count", sorted(u.user_name for u in paged)
          == [f"sdk.page{i}@example.com" for i in range(3)], paged)
    got = w.users.get(user.id)
    check("users.get returns the user", got.user_name == "sdk.compat@example.com" and got.active, got)
    expect_error("users.create of an existing user name is a SCIM 409", ResourceConflict, "SCIM_409",
                 "uniqueness User with userName", lambda: w.users.create(user_name="sdk.compat@example.com"))
    # The SDK puts the body's `scimType` before `detail`, `None` when there is none (a 404 has none).
    expect_error("users.get of an unknown id is a SCIM 404", NotFound, "SCIM_404", "None User with id 1 not found",
                 lambda: w.users.get("1"))
    group = w.groups.create(display_name="sdk-compat-group", members=[iam.ComplexValue(value=user.id)])
    found = list(w.groups.list(filter='displayName eq "sdk-compat-group"'))
    check("groups.list(filter displayName eq) finds the group", [g.id for g in found] == [group.id], found)
    got = w.groups.get(group.id)
    check("groups.get returns the group with its members",
          got.display_name == "sdk-compat-group" and [m.value for m in got.members] == [user.id], got)
    sp = w.service_principals.create(display_name="sdk-compat-sp")
    check("service_principals.create gives an application id", bool(sp.application_id) and bool(sp.id), sp)
    found = list(w.service_principals.list(filter=f'applicationId eq "{sp.application_id}"'))
    check("service_principals.list(filter applicationId eq) finds it", [s.id for s in found] == [sp.id], found)
    got = w.service_principals.get(sp.id)
    check("service_principals.get returns it", got.display_name == "sdk-compat-sp" and got.active, got)
    expect_error("a filter with an unknown operator is a SCIM 400", BadRequest, "SCIM_400",
                 "invalidFilter", lambda: list(w.groups.list(filter='displayName gt "a"')))
    # A secret ACL may name the new principals.
    w.secrets.create_scope("sdk-compat-principals")
    w.secrets.put_acl("sdk-compat-principals", "sdk-compat-group", workspace.AclPermission.READ)
    w.secrets.put_acl("sdk-compat-principals", sp.application_id, workspace.AclPermission.WRITE)
    w.secrets.put_acl("sdk-compat-principals", "sdk.compat@example.com", workspace.AclPermission.MANAGE)
    check("secret ACLs accept a group, a service principal and a user",
          len(list(w.secrets.list_acls("sdk-compat-principals"))) == 4)
    w.secrets.delete_scope("sdk-compat-principals")


def pat_suite():
    w = client(token=TOKEN, auth_type="pat")
    check("SDK config uses pat auth", w.config.auth_type == "pat", w.config.auth_type)
    section("identity", identity, w)
    if State.me is None:
        return
    section("pools", create_pools, w)
    section("policies", create_policies, w)
    if len(State.pools) < 2 or not State.policies:
        check("pools and policies exist for the rest of the suite", False, "creation failed")
        return
    section("jobs create/get", create_jobs, w)
    if State.etl_id is not None:
        section("permissions", permissions_suite, w)
    if State.big_id is not None:
        section("jobs get paging", big_job_paging, w)
        section("jobs list", list_jobs, w)
        section("jobs update/reset/delete", update_reset_delete_jobs, w)
    section("job runs", runs_suite, w)
    section("clusters", clusters_suite, w)
    section("pools/policies edit/delete", pools_policies_mutations, w)
    section("sql warehouses", warehouses_suite, w)
    section("pipelines", pipelines_suite, w)
    section("secrets", secrets_suite, w)
    section("SCIM", scim_suite, w)
    section("bad credentials", bad_credentials)


# ------------------------------------------------------------------------------------------------ M2M suite
def m2m_identity(w):
    me = w.current_user.me()
    check("current_user.me works with an OAuth token", bool(me.user_name), repr(me))
    check("current_user.me of a service principal is its application id", me.user_name == CLIENT_ID, me.user_name)


def m2m_jobs(w):
    body = etl_job(CLIENT_ID)
    body["name"] = "sdk-compat-m2m-etl"
    body["run_as"] = {"service_principal_name": CLIENT_ID}
    jid = w.jobs.create(**kwargs(jobs.JobSettings, body)).job_id
    job = w.jobs.get(jid)
    same("jobs.create/get round-trip with an OAuth token", readable(body), job.settings.as_dict())
    check("jobs.get run_as_user_name is the service principal's application id",
          job.run_as_user_name == CLIENT_ID and job.settings.run_as is None,
          (job.run_as_user_name, job.settings.run_as))
    check("jobs.get creator_user_name is the service principal", job.creator_user_name == CLIENT_ID,
          job.creator_user_name)
    found = [j.job_id for j in w.jobs.list(name="sdk-compat-m2m-etl", expand_tasks=True)]
    check("jobs.list(name=) with an OAuth token", found == [jid], found)
    w.jobs.delete(jid)
    expect_error("jobs.get after delete raises ResourceDoesNotExist (OAuth)", ResourceDoesNotExist,
                 "INVALID_PARAMETER_VALUE", f"Job {jid} does not exist.", lambda: w.jobs.get(jid))


def m2m_lists(w):
    """Each list, with an OAuth token, shows an object made with that token (and its id and name)."""
    pool = w.instance_pools.create(instance_pool_name="sdk-compat-m2m-pool", node_type_id="i3.xlarge",
                                   idle_instance_autotermination_minutes=10).instance_pool_id
    policy = w.cluster_policies.create(name="sdk-compat-m2m-policy",
                                       definition=json.dumps({"num_workers": {"type": "range", "maxValue": 2}})
                                       ).policy_id
    cluster = w.clusters.create(cluster_name="sdk-compat-m2m-cluster", spark_version="15.4.x-scala2.12",
                                node_type_id="i3.xlarge", num_workers=1, autotermination_minutes=30).cluster_id
    pools = [(p.instance_pool_id, p.instance_pool_name) for p in w.instance_pools.list()
             if p.instance_pool_name == "sdk-compat-m2m-pool"]
    check("instance_pools.list with an OAuth token lists the pool it made", pools == [(pool, "sdk-compat-m2m-pool")],
          pools)
    policies = [(p.policy_id, p.name) for p in w.cluster_policies.list() if p.name == "sdk-compat-m2m-policy"]
    check("cluster_policies.list with an OAuth token lists the policy it made",
          policies == [(policy, "sdk-compat-m2m-policy")], policies)
    clusters = [(c.cluster_id, c.cluster_name, c.creator_user_name) for c in w.clusters.list()
                if c.cluster_name == "sdk-compat-m2m-cluster"]
    check("clusters.list with an OAuth token lists the cluster it made, created by the service principal",
          clusters == [(cluster, "sdk-compat-m2m-cluster", CLIENT_ID)], clusters)
    w.clusters.permanent_delete(cluster)
    w.cluster_policies.delete(policy)
    w.instance_pools.delete(pool)


def m2m_suite():
    w = client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, auth_type="oauth-m2m")
    check("SDK config uses oauth-m2m auth", w.config.auth_type == "oauth-m2m", w.config.auth_type)
    section("M2M identity", m2m_identity, w)
    section("M2M jobs", m2m_jobs, w)
    section("M2M lists", m2m_lists, w)
    # The token endpoint's OAuth error (RFC 6749 §5.2), which the SDK raises as a ValueError, not an API error.
    expect_error("a wrong client secret is refused by the token endpoint", ValueError, None,
                 "invalid_client: Client authentication failed",
                 lambda: client(client_id=CLIENT_ID, client_secret="wrong-secret", auth_type="oauth-m2m")
                 .current_user.me())


def main():
    if TOKEN:
        section("PAT suite", pat_suite)
    elif CLIENT_ID and CLIENT_SECRET:
        section("OAuth M2M suite", m2m_suite)
    else:
        print("set DATABRICKS_TOKEN or DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET", file=sys.stderr)
        return 2
    print(f"{PASSED} passed, {FAILED} failed", flush=True)
    return 1 if FAILED or not PASSED else 0


if __name__ == "__main__":
    sys.exit(main())
