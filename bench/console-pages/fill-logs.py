#!/usr/bin/env python3
"""Adds N request logs (default 100,000) to a gproxy SQLite database for bench/console: one
downstream request and one upstream attempt each, spread over October 2026 (the month the
usage_summary example fills) in time order, 50 users and 100 keys, 5 % answered 429; request
ids `req_large0000000000` upwards. Inserted with SQL into downstream_requests /
upstream_requests (the tables GET /admin/logs reads), which must exist: the store creates them
(the usage_summary example does, on the same file).

Usage: fill-logs.py DATABASE [N]
"""
import json
import random
import sqlite3
import sys

db, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
T0, SPAN = 1_790_812_800_000, 30 * 86_400_000  # 2026-10-01 00:00 UTC, 30 days
headers = json.dumps({"content-type": "application/json"})
rng = random.Random(11)
down, up = [], []
for i in range(n):
    at, rid = T0 + SPAN * i // n, f"req_large{i:010d}"
    status = 200 if rng.random() < 0.95 else 429
    down.append((rid, at, 1 + i % 50, 1 + i % 100, "POST", "/v1/chat/completions", status, 100 + i % 900, headers, headers))
    up.append((rid, at, "openai", 1, "POST", "https://api.openai.com/v1/chat/completions", status, 90 + i % 900, headers, headers))
con = sqlite3.connect(db)
tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
missing = {"downstream_requests", "upstream_requests"} - tables
if missing:
    sys.exit(f"{db} has no table {', '.join(sorted(missing))}: let the store create its schema first")
con.executemany(
    "INSERT INTO downstream_requests (request_id, created_at, user_id, user_key_id, method, path, status,"
    " latency_ms, request_headers, response_headers) VALUES (?,?,?,?,?,?,?,?,?,?)", down)
con.executemany(
    "INSERT INTO upstream_requests (request_id, created_at, provider, credential_id, method, url, status,"
    " latency_ms, request_headers, response_headers) VALUES (?,?,?,?,?,?,?,?,?,?)", up)
con.commit()
print(f"{n} request logs added to {db}")
