"""The scenarios of bench/run and how one is measured: warm-up, the load tool (oha or
gproxy-loadgen), and the gateway's CPU time and peak RSS read from /proc around the run."""

import json
import subprocess
import threading
import time
import urllib.error

from procs import cpu_seconds, http, log, reset_peak_rss, status_kib
from system import body


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


def run_one(ctx, sc, tgt):
    """One (scenario, target) run: warm-up, then the measured run with CPU and RSS read from
    /proc around it."""
    args = ctx["args"]
    bodyfile = ctx["tmp"] / f"body-{sc['id']}-{tgt.name}.json"
    bodyfile.write_bytes(body(sc, tgt.model(sc["upstream"])))
    url = tgt.url(sc["upstream"], sc["surface"])
    headers = ["anthropic-version: 2023-06-01"] if sc["surface"] == "anthropic" else []
    expect = "message_stop" if sc["surface"] == "anthropic" else "[DONE]"
    load = ["taskset", "-c", ctx["pins"]["load"]] if ctx["pins"]["load"] else []
    conc = sc["concurrency"]
    if sc["kind"] == "http":
        oha = [*load, ctx["oha"], "--no-tui", "--output-format", "json", "-m", "POST",
               "-T", "application/json", "-D", bodyfile,
               "-H", f"Authorization: Bearer {tgt.key}"]
        for h in headers:
            oha += ["-H", h]

        def warm():
            tgt.sent += from_oha(oha_json([*oha, "-n", args.warmup, "-c", conc, url]))["requests"]

        measured = [*oha, "-z", f"{args.duration}s", "-c", conc]
        if sc.get("rate"):
            measured += ["-q", sc["rate"], "--latency-correction"]
        run = lambda: from_oha(oha_json([*measured, url]))  # noqa: E731
    else:
        gen = [*load, ctx["loadgen"], sc["kind"], "--url", url, "--key", tgt.key,
               "--body", bodyfile, "--expect", expect]
        for h in headers:
            gen += ["--header", h]

        def loadgen(extra):
            out = subprocess.run([str(a) for a in gen + extra], capture_output=True, text=True)
            if out.returncode != 0:
                raise RuntimeError(f"gproxy-loadgen failed: {out.stderr[-2000:]}")
            raw = json.loads(out.stdout)
            raw["latency_ms"] = raw.pop("total_ms")
            return raw

        def warm():  # held streams need none: the gateway is warm by then
            if sc["kind"] == "stream":
                warmup = max(conc, args.warmup // 10)
                tgt.sent += loadgen(["--requests", warmup, "--concurrency", conc])["requests"]

        if sc["kind"] == "stream":
            extra = ["--duration", args.duration, "--concurrency", conc]
        else:
            extra = ["--count", sc["count"], "--hold-secs", args.hold_secs]

        def run():
            return loadgen(extra)

    # One request first: a target that answers 501 (an operation it does not implement yet)
    # is recorded as such instead of being hammered for the whole run.
    probe = subprocess.run(
        [str(a) for a in [*load, ctx["loadgen"], "stream", "--url", url, "--key", tgt.key,
                          "--body", bodyfile, "--requests", 1, "--concurrency", 1,
                          *sum((["--header", h] for h in headers), [])]],
        capture_output=True, text=True)
    tgt.sent += 1
    if probe.returncode == 0 and json.loads(probe.stdout)["status"].get("501"):
        return {**json.loads(probe.stdout), "target": tgt.name, "url": url, "probe_only": True}
    warm()

    pids = tgt.pids()
    with ctx["janitor"]:
        reset_peak_rss(pids)
        rss_before = status_kib(pids, "VmRSS")
        cpu_before = cpu_seconds(pids)
        result = run()
        cpu = cpu_seconds(pids) - cpu_before
        peak = status_kib(pids, "VmHWM")
    tgt.sent += result["requests"]
    tgt.cut += result.get("aborted_at_deadline", 0)
    result.update(target=tgt.name, url=url)
    if pids:
        result.update(cpu_s=cpu, peak_rss_kib=peak, rss_before_kib=rss_before,
                      cpu_s_per_1k=cpu / result["requests"] * 1000 if result["requests"] else None)
        if sc["kind"] == "hold":
            time.sleep(2)  # let closed streams be torn down before reading what is left
            result["rss_after_kib"] = status_kib(pids, "VmRSS")
    return result


def run_all(ctx):
    results = []
    for sc in scenarios(ctx["args"]):
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
