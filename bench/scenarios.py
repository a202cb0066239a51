"""The scenarios of bench/run and how one is measured: warm-up, the load tool (oha or
gproxy-loadgen), and the gateway's CPU time and peak RSS read from /proc around the run."""

import copy
import json
import subprocess
import threading
import time
import urllib.error

from procs import cpu_seconds, http, log, reset_peak_rss, status_kib
from system import LIMITED_KEY, body, limit_ceilings


def scenarios(args):
    """Every scenario: what is sent, how (closed loop, fixed rate, held streams) and to whom."""
    base = {"kind": "http", "surface": "openai", "prompt": "small", "upstream": "fast",
            "concurrency": args.concurrency, "targets": ["direct", "gproxy", "litellm"]}
    out = [
        {"id": "chat", "title": "OpenAI chat, small body"},
        {"id": "chat-10k", "title": "OpenAI chat, ~10 KB prompt", "prompt": "10k"},
        {"id": "chat-pool", "upstream": "fast-pool",
         "title": "OpenAI chat, 4 credentials, cache affinity on",
         "targets": ["direct", "gproxy"],
         "note": "the provider pools 4 credentials: health, breakers, retry budget and affinity run on every call"},
        {"id": "stream-100", "title": "OpenAI chat stream, 100 chunks", "kind": "stream"},
        {"id": "anthropic-to-openai", "kind": "stream", "surface": "anthropic",
         "title": "Anthropic client → OpenAI upstream, stream (translated)",
         "note": "direct = the mock's native Anthropic endpoint"},
        {"id": "anthropic-to-openai-body", "surface": "anthropic",
         "title": "Anthropic client → OpenAI upstream (translated)",
         "note": "direct = the mock's native Anthropic endpoint"},
        {"id": "openai-to-gemini", "kind": "stream", "upstream": "fast-gemini",
         "title": "OpenAI client → Gemini upstream, stream (translated)",
         "targets": ["direct", "gproxy"],
         "note": "direct = the mock's native OpenAI endpoint"},
        {"id": "openai-to-gemini-body", "upstream": "fast-gemini",
         "title": "OpenAI client → Gemini upstream (translated)",
         "targets": ["direct", "gproxy"],
         "note": "direct = the mock's native OpenAI endpoint"},
    ]
    for rate in args.rates:
        out.append({"id": f"rate-{rate}", "title": f"OpenAI chat at a fixed {rate} req/s",
                    "rate": rate, "concurrency": args.rate_connections})
    out += [
        {"id": "max", "title": "closed loop, max throughput (usage + logs on)",
         "concurrency": args.max_concurrency},
        {"id": "max-nolog", "title": "closed loop, max throughput, usage + logs off",
         "concurrency": args.max_concurrency, "targets": ["direct", "gproxy-nolog"]},
        {"id": "upstream-latency", "upstream": "latency",
         "title": f"OpenAI chat, upstream latency {args.mock_latency_ms} ms",
         "concurrency": args.latency_concurrency},
        {"id": "hold", "kind": "hold", "upstream": "hold",
         "title": f"{args.hold_streams} concurrent idle-ish streams (memory)",
         "count": args.hold_streams},
        {"id": "limits", "kind": "limits",
         "title": "auth + permission + 2 rate limits + quota, limited key vs plain key",
         "targets": ["direct", "gproxy"], "rate": args.limits_rate,
         "concurrency": args.rate_connections,
         "stream_concurrency": args.limits_stream_concurrency, "rounds": args.limits_rounds,
         "duration": args.limits_duration},
    ]
    out = [{**base, **s} for s in out]
    if args.only:
        out = [s for s in out if s["id"] in args.only]
    return out


class Janitor:
    """Empties the mocks' request logs (DELETE /__mock/requests) before each run and every
    couple of seconds during it: the mock keeps every request in memory, which would otherwise
    grow without bound over a long run. Also tracks the mocks' largest RSS."""

    def __init__(self, mocks, mock_procs):
        self.mocks, self.mock_procs = mocks, mock_procs
        self.peak_rss_kib = 0
        self._stop = threading.Event()
        self._thread = None

    def clear(self):
        for flavour, url in self.mocks.items():
            rss = status_kib([self.mock_procs[flavour].pid], "VmRSS")
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            try:
                http("DELETE", url + "/__mock/requests")
            except (urllib.error.URLError, OSError) as err:
                log(f"could not clear the request log of {url}: {err}")

    def __enter__(self):
        self.clear()
        self._stop.clear()

        def loop():
            while not self._stop.wait(2.0):
                self.clear()

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def oha_json(argv):
    out = subprocess.run([str(a) for a in argv], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"oha failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def from_oha(raw):
    """oha's JSON summary in the shape the report reads (milliseconds, error counts)."""
    status = {str(k): v for k, v in raw.get("statusCodeDistribution", {}).items()}
    # Requests still in flight at the deadline are cut by oha itself, not failed by the server.
    kinds = {k: v for k, v in raw.get("errorDistribution", {}).items() if "deadline" not in k}
    ok = sum(v for k, v in status.items() if k.startswith("2"))
    answered = sum(status.values())
    pct = raw.get("latencyPercentiles", {})
    summary = raw.get("summary", {})
    latency = None
    if ok:
        latency = {"p50": pct["p50"] * 1e3, "p90": pct["p90"] * 1e3, "p99": pct["p99"] * 1e3,
                   "max": summary["slowest"] * 1e3}
    elapsed = summary.get("total", 0) or 1
    aborted = sum(v for k, v in raw.get("errorDistribution", {}).items() if "deadline" in k)
    return {"requests": answered + sum(kinds.values()), "aborted_at_deadline": aborted, "ok": ok,
            "errors": answered - ok + sum(kinds.values()), "status": status,
            "error_kinds": kinds, "rps": ok / elapsed, "elapsed_s": elapsed,
            "latency_ms": latency}


def plan(ctx, sc, tgt):
    """How one (scenario, target) run is driven: its URL, the probe, the warm-up, and the
    measured run's command line with the parser of its output."""
    args = ctx["args"]
    bodyfile = ctx["tmp"] / f"body-{sc['id']}-{tgt.name}.json"
    bodyfile.write_bytes(body(sc, tgt.model(sc["upstream"])))
    url = tgt.url(sc["upstream"], sc["surface"])
    headers = ["anthropic-version: 2023-06-01"] if sc["surface"] == "anthropic" else []
    expect = "message_stop" if sc["surface"] == "anthropic" else "[DONE]"
    load = ["taskset", "-c", ctx["pins"]["load"]] if ctx["pins"]["load"] else []
    conc = sc["concurrency"]
    duration = sc.get("duration") or args.duration
    if sc["kind"] == "http":
        oha = [*load, ctx["oha"], "--no-tui", "--output-format", "json", "-m", "POST",
               "-T", "application/json", "-D", bodyfile,
               "-H", f"Authorization: Bearer {tgt.key}"]
        for h in headers:
            oha += ["-H", h]

        def warm():
            tgt.sent += from_oha(oha_json([*oha, "-n", args.warmup, "-c", conc, url]))["requests"]

        argv = [*oha, "-z", f"{duration}s", "-c", conc]
        if sc.get("rate"):
            argv += ["-q", sc["rate"], "--latency-correction"]
        argv.append(url)

        def parse(returncode, stdout, stderr):
            if returncode != 0:
                raise RuntimeError(f"oha failed ({returncode}): {stderr[-2000:]}")
            return from_oha(json.loads(stdout))
    else:
        gen = [*load, ctx["loadgen"], sc["kind"], "--url", url, "--key", tgt.key,
               "--body", bodyfile, "--expect", expect]
        for h in headers:
            gen += ["--header", h]

        def parse(returncode, stdout, stderr):
            if returncode != 0:
                raise RuntimeError(f"gproxy-loadgen failed: {stderr[-2000:]}")
            raw = json.loads(stdout)
            raw["latency_ms"] = raw.pop("total_ms")
            return raw

        def loadgen(extra):
            out = subprocess.run([str(a) for a in gen + extra], capture_output=True, text=True)
            return parse(out.returncode, out.stdout, out.stderr)

        def warm():  # held streams need none: the gateway is warm by then
            if sc["kind"] == "stream":
                warmup = max(conc, args.warmup // 10)
                tgt.sent += loadgen(["--requests", warmup, "--concurrency", conc])["requests"]

        if sc["kind"] == "stream":
            argv = gen + ["--duration", duration, "--concurrency", conc]
        else:
            argv = gen + ["--count", sc["count"], "--hold-secs", args.hold_secs]

    def probe():
        """One request first: a target that answers 501 (an operation it does not implement
        yet) is recorded as such instead of being hammered for the whole run."""
        out = subprocess.run(
            [str(a) for a in [*load, ctx["loadgen"], "stream", "--url", url, "--key", tgt.key,
                              "--body", bodyfile, "--requests", 1, "--concurrency", 1,
                              *sum((["--header", h] for h in headers), [])]],
            capture_output=True, text=True)
        tgt.sent += 1
        if out.returncode == 0 and json.loads(out.stdout)["status"].get("501"):
            return {**json.loads(out.stdout), "target": tgt.name, "url": url, "probe_only": True}
        return None

    return {"url": url, "probe": probe, "warm": warm, "argv": [str(a) for a in argv],
            "parse": parse}


def counted(tgt, result, url):
    tgt.sent += result["requests"]
    tgt.cut += result.get("aborted_at_deadline", 0)
    result.update(target=tgt.name, url=url)
    return result


def run_one(ctx, sc, tgt):
    """One (scenario, target) run: warm-up, then the measured run with CPU and RSS read from
    /proc around it."""
    p = plan(ctx, sc, tgt)
    probed = p["probe"]()
    if probed:
        return probed
    p["warm"]()

    pids = tgt.pids()
    with ctx["janitor"]:
        reset_peak_rss(pids)
        rss_before = status_kib(pids, "VmRSS")
        cpu_before = cpu_seconds(pids)
        out = subprocess.run(p["argv"], capture_output=True, text=True)
        cpu = cpu_seconds(pids) - cpu_before
        peak = status_kib(pids, "VmHWM")
    result = counted(tgt, p["parse"](out.returncode, out.stdout, out.stderr), p["url"])
    if pids:
        result.update(cpu_s=cpu, peak_rss_kib=peak, rss_before_kib=rss_before,
                      cpu_s_per_1k=cpu / result["requests"] * 1000 if result["requests"] else None)
        if sc["kind"] == "hold":
            time.sleep(2)  # let closed streams be torn down before reading what is left
            result["rss_after_kib"] = status_kib(pids, "VmRSS")
    return result


def run_together(ctx, sc, tgts):
    """The same measured run against several targets at once (one load process each, started
    together): whatever else the machine does in that window hits them all alike. The
    gateway's CPU is read for the window as a whole (`cpu_s_per_1k` over every request)."""
    plans = [plan(ctx, sc, t) for t in tgts]
    for p in plans:
        if p["probe"]():
            raise RuntimeError(f"{p['url']} answered 501")
        p["warm"]()
    pids = sorted({pid for t in tgts for pid in t.pids()})
    with ctx["janitor"]:
        cpu_before = cpu_seconds(pids)
        running = [subprocess.Popen(p["argv"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True) for p in plans]
        outs = [proc.communicate() for proc in running]
        cpu = cpu_seconds(pids) - cpu_before
    results = [counted(t, p["parse"](proc.returncode, *o), p["url"])
               for t, p, proc, o in zip(tgts, plans, running, outs)]
    total = sum(r["requests"] for r in results)
    for r in results:
        r.update(cpu_s_window=cpu, cpu_s_per_1k_window=cpu / total * 1000 if total else None)
    return results


def call(tgt, method, path, payload=None):
    """One request to gproxy with `tgt`'s key: (status, parsed JSON or text)."""
    headers = {"Authorization": f"Bearer {tgt.key}"}
    if payload is not None:
        headers["Content-Type"] = "application/json"
    try:
        status, raw = http(method, tgt.base + path, payload, headers, timeout=30)
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def run_limits(ctx, sc):
    """The `limits` scenario: the same gproxy process, the same calls, with the plain key
    (user `bench`: permission `*`, nothing else) and the limited key (user `bench-limited`:
    a provider-scoped glob permission, two rate limits and a monthly USD quota on a priced
    model). In each round, for chat at a fixed rate, chat one request at a time and streams
    (closed loop): the direct path for reference; the two keys one after the other (plain first in even rounds, limited
    first in odd ones), which gives each key's latency and CPU per request; then the two keys
    at once (half the rate each for chat), so that whatever else the machine does hits both
    alike. Any refusal of the limited key fails the scenario, and so does a quota left
    uncharged."""
    args = ctx["args"]
    direct, plain = ctx["targets"]["direct"], ctx["targets"]["gproxy"]
    limited = copy.copy(plain)
    limited.key, limited.sent, limited.cut = LIMITED_KEY, 0, 0
    paths = {"direct": direct, "plain": plain, "limited": limited}
    kinds = {
        "chat": {**sc, "id": "limits-chat", "kind": "http"},
        "chat-serial": {**sc, "id": "limits-chat-serial", "kind": "http", "rate": None,
                        "concurrency": 1},
        "stream": {**sc, "id": "limits-stream", "kind": "stream",
                   "concurrency": sc["stream_concurrency"]},
    }
    together = {**kinds, "chat": {**kinds["chat"], "rate": max(1, sc["rate"] // 2)}}
    whos = ["direct", "plain", "limited", "plain_together", "limited_together"]
    out = {**sc, "results": {}, "ceilings": limit_ceilings(args),
           "runs": {kind: {who: [] for who in whos} for kind in kinds}}

    def check(r, who, kind, rnd):
        lat = r.get("ttfb_ms") or r.get("latency_ms") or {}
        log(f"{'':>20}   {who}: {r['rps']:.0f} req/s, p50 {lat.get('p50', 0):.3f} ms, "
            f"p99 {lat.get('p99', 0):.3f} ms, errors {r['errors']} {r.get('status')}")
        refused = {k: v for k, v in (r.get("status") or {}).items() if not k.startswith("2")}
        if who.startswith("limited") and (refused or r.get("probe_only")):
            raise RuntimeError(f"the limited key was refused during the {kind} run of round "
                               f"{rnd + 1}: statuses {r.get('status')}")
        if r["errors"]:
            log(f"limits: {r['errors']} error(s) on the {who} path: {r.get('status')} "
                f"{r.get('error_kinds')}")

    try:
        # One call first: a key the gateway refuses (a missing price, a bad seed) says why.
        status, answer = call(limited, "POST", "/mock/v1/chat/completions",
                              body(kinds["chat"], limited.model("fast")))
        limited.sent += 1
        if status != 200:
            raise RuntimeError(f"the limited key was refused before the run: {status} {answer}")
        out["check_call_usage"] = answer.get("usage") if isinstance(answer, dict) else None
        status, quota = call(limited, "GET", "/user/quota")
        if status != 200:
            raise RuntimeError(f"GET /user/quota with the limited key: {status} {quota}")
        out["quota_before"] = quota
        for rnd in range(sc["rounds"]):
            order = ["plain", "limited"] if rnd % 2 == 0 else ["limited", "plain"]
            for kind, sub in kinds.items():
                for who in ["direct", *order]:
                    log(f"{'limits':>20} → round {rnd + 1}/{sc['rounds']} {kind} {who}")
                    r = run_one(ctx, sub, paths[who])
                    r["round"] = rnd
                    out["runs"][kind][who].append(r)
                    check(r, who, kind, rnd)
                log(f"{'limits':>20} → round {rnd + 1}/{sc['rounds']} {kind} both keys at once")
                pair = run_together(ctx, together[kind], [paths[w] for w in order])
                for who, r in zip(order, pair):
                    r["round"] = rnd
                    out["runs"][kind][f"{who}_together"].append(r)
                    check(r, f"{who}_together", kind, rnd)
        time.sleep(1.0)  # let the last calls settle on the ledger
        status, quota = call(limited, "GET", "/user/quota")
        if status != 200:
            raise RuntimeError(f"GET /user/quota with the limited key: {status} {quota}")
        out["quota_after"] = quota
        if float(quota["used_usd"]) <= float(out["quota_before"]["used_usd"]):
            raise RuntimeError(f"the limited key's calls were not charged to its quota: {quota}")
    except (RuntimeError, ValueError, OSError, KeyError, TypeError) as err:
        out["failed"] = str(err)[-1000:]
        log(f"!!! limits FAILED: {out['failed']}")
    finally:
        out["limited_sent"], out["limited_cut"] = limited.sent, limited.cut
        plain.sent += limited.sent  # one process: its records count both keys' calls
        plain.cut += limited.cut
    return out


def run_all(ctx):
    results = []
    for sc in scenarios(ctx["args"]):
        if sc["kind"] == "limits":
            results.append(run_limits(ctx, sc))
            continue
        rows = {}
        for name in sc["targets"]:
            tgt = ctx["targets"].get(name)
            if tgt is None:
                continue
            log(f"{sc['id']:>20} → {name}")
            try:
                rows[name] = run_one(ctx, sc, tgt)
            except (RuntimeError, json.JSONDecodeError, OSError) as err:
                log(f"{sc['id']} → {name} failed: {err}")
                rows[name] = {"target": name, "failed": str(err)[-500:]}
            r = rows[name]
            if "failed" not in r:
                lat = r.get("latency_ms") or r.get("ttfb_ms") or {}
                log(f"{'':>20}   {r['rps']:.0f} req/s, p50 {lat.get('p50', 0):.2f} ms, "
                    f"p99 {lat.get('p99', 0):.2f} ms, errors {r['errors']} {r.get('status')}")
        results.append({**sc, "results": rows})
    return results
