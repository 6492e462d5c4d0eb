#!/usr/bin/env python3
"""The bare sequential page walk: what the API's `page_token` paging costs by itself.

Walks `GET /api/2.2/jobs/list?expand_tasks=true&limit=100` from the first page to the last over one kept-alive
connection, reading each body and taking the next token from its end, and does nothing else (no JSON parsing,
no `jobs/get`). Its wall time is the practical floor of any client that pages with tokens: the latency plus the
server's own time and the transfer of every page, one after the other. Used by bench/harness.py.

Usage: page_walk.py BASE_URL (the token comes from DATABRICKS_TOKEN).
"""

import http.client
import os
import sys
import urllib.parse


def main() -> int:
    url = urllib.parse.urlsplit(sys.argv[1])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    headers = {"Authorization": f"Bearer {os.environ['DATABRICKS_TOKEN']}"}
    token, pages = None, 0
    while True:
        query = "limit=100&expand_tasks=true" + (f"&page_token={urllib.parse.quote(token)}" if token else "")
        conn.request("GET", f"/api/2.2/jobs/list?{query}", headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            print(f"page {pages + 1}: HTTP {resp.status}", file=sys.stderr)
            return 1
        pages += 1
        at = body.rfind(b'"next_page_token":"')
        if at < 0:
            break
        start = at + len(b'"next_page_token":"')
        token = body[start:body.index(b'"', start)].decode()
    print(f"{pages} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
