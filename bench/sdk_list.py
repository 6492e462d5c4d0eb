#!/usr/bin/env python3
"""The listing users do today without drsync: the official Databricks Python SDK, dumped to JSON.

Reads DATABRICKS_HOST and DATABRICKS_TOKEN; writes every job (complete settings), all-purpose cluster, library
status, instance pool and cluster policy to the JSON file named by the first argument (default: sdk_list.json).
Standard library and `databricks-sdk` only; used by bench/harness.py as the baseline drsync is measured against.

The SDK's own paging does the work: `jobs.list(expand_tasks=True)` follows `next_page_token` and calls
`jobs.get` (itself following the task array paging) for every job whose tasks the listing cut off; the page
sizes are the largest the API accepts (100), the best a user can ask for. Each all-purpose cluster is then read
with `clusters.get`, as drsync and the Terraform provider read it: only `get` returns `spec`, what the cluster's
creator sent (databricks-api.md §4 Clusters), so a script that exports what DR must run reads the same objects.
"""

import json
import os
import sys

try:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.compute import ClusterSource, ListClustersFilterBy
except ImportError as e:  # pragma: no cover - environment problem
    print(f"cannot import the Databricks SDK ({e}); run `python3 -m pip install databricks-sdk`", file=sys.stderr)
    sys.exit(3)


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else "sdk_list.json"
    w = WorkspaceClient(host=os.environ["DATABRICKS_HOST"], token=os.environ["DATABRICKS_TOKEN"])
    jobs = [j.as_dict() for j in w.jobs.list(expand_tasks=True, limit=100)]
    clusters = [
        w.clusters.get(c.cluster_id).as_dict()
        for c in w.clusters.list(
            filter_by=ListClustersFilterBy(cluster_sources=[ClusterSource.UI, ClusterSource.API]),
            page_size=100,
        )
    ]
    libraries = [s.as_dict() for s in w.libraries.all_cluster_statuses()]
    pools = [p.as_dict() for p in w.instance_pools.list()]
    policies = [p.as_dict() for p in w.cluster_policies.list()]
    body = {
        "jobs": jobs,
        "clusters": clusters,
        "libraries": libraries,
        "instance_pools": pools,
        "cluster_policies": policies,
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(body, f, sort_keys=True)
    tasks = sum(len((j.get("settings") or {}).get("tasks") or []) for j in jobs)
    print(f"{len(jobs)} jobs ({tasks} tasks), {len(clusters)} clusters, {len(body['libraries'])} library statuses, "
          f"{len(pools)} pools, {len(policies)} policies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
