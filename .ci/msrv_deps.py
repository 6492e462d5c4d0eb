"""Fails when a package in the resolved build graph (cargo metadata on stdin) declares a rust-version above the
one given: the fallback of .ci/run's build at the declared rust-version, where that toolchain cannot be fetched."""
import json
import sys


def version(text):
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


msrv = version(sys.argv[1])
meta = json.load(sys.stdin)
resolved = {node["id"] for node in meta["resolve"]["nodes"]}
above = [
    f"{p['name']} {p['version']} needs Rust {p['rust_version']}"
    for p in meta["packages"]
    if p["id"] in resolved and p.get("rust_version") and version(p["rust_version"]) > msrv
]
for line in above:
    print(line, file=sys.stderr)
if above:
    sys.exit(f"{len(above)} dependencies need a newer Rust than rust-version {sys.argv[1]}")
print(f"{len(resolved)} resolved packages build at Rust {sys.argv[1]}")
