#!/usr/bin/env python3
"""Renders a bench/run raw JSON file as the Markdown report (bench/results/<date>.md).

Used by bench/run; also runnable alone to re-render a raw file:
    python3 bench/report.py bench/results/raw/<stamp>.json > out.md
"""

import json
import sys

NAMES = {"direct": "direct", "gproxy": "gproxy", "gproxy-nolog": "gproxy (logs off)",
         "litellm": "LiteLLM"}
README_BEGIN = "<!-- latest-results:begin -->"
README_END = "<!-- latest-results:end -->"


# ------------------------------------------------------------------ cell formatting


def ms(x):
    if x is None:
        return "—"
    return f"{x:.2f}" if abs(x) < 10 else f"{x:.1f}" if abs(x) < 100 else f"{x:.0f}"


def signed(x):
    return "—" if x is None else ("+" if x >= 0 else "−") + ms(abs(x))


def num(x, digits=0):
    return "—" if x is None else f"{x:,.{digits}f}"


def mib(kib):
    return "—" if not kib else f"{kib / 1024:.1f}"


def ratio(a, b):
    return "—" if not a or not b else f"{a / b:.2f}×"


def unusable(r):
    """Why a run has no figures to show, or None when it has some."""
    if r is None:
        return "—"
    if "failed" in r:
        return "run failed"
    if r["ok"] == 0:
        status = r.get("status") or {}
        if status and max(status, key=status.get) == "501":
            return "n/a (translation not built yet)"
        return "no successful request"
    return None


def errors(r):
    if r is None or "failed" in r:
        return "—"
    parts = [f"{k}×{v}" for k, v in sorted((r.get("status") or {}).items())
             if not k.startswith("2")]
    parts += [f"{k}×{v}" for k, v in sorted((r.get("error_kinds") or {}).items())]
    return str(r["errors"]) + (f" ({', '.join(parts)})" if parts else "")


def pct(r, key, q):
    if r is None or unusable(r):
        return None
    return (r.get(key) or {}).get(q)


def added(r, direct, key, q):
    a, b = pct(r, key, q), pct(direct, key, q)
    return None if a is None or b is None else a - b


def gateway_of(sc):
    """The gproxy flavour a scenario measured."""
    return "gproxy-nolog" if "gproxy-nolog" in sc["results"] else "gproxy"


# ------------------------------------------------------------------ tables


def summary(data):
    head = ("| scenario | direct req/s | gproxy req/s | LiteLLM req/s | gproxy ÷ direct "
            "| gproxy ÷ LiteLLM | gproxy added p50 / p99 ms | LiteLLM added p50 / p99 ms "
            "| CPU s per 1k req, gproxy / LiteLLM | peak RSS MiB, gproxy / LiteLLM "
            "| errors, direct / gproxy / LiteLLM |")
    rows = [head, "|" + "---|" * 11]
    for sc in data["scenarios"]:
        res = sc["results"]
        d, g, l = res.get("direct"), res.get(gateway_of(sc)), res.get("litellm")
        key = "latency_ms"

        def rps(r):
            if sc["kind"] == "hold":
                return "—"
            return unusable(r) or num(r["rps"])

        def add(r):
            if sc["kind"] == "hold":  # a burst of connects: the TTFB is in the hold table
                return "—"
            return unusable(r) or f"{signed(added(r, d, key, 'p50'))} / {signed(added(r, d, key, 'p99'))}"

        def res_cell(r, field, fmt):
            return "—" if r is None or unusable(r) else fmt(r.get(field))

        hold = sc["kind"] == "hold"
        rows.append("| " + " | ".join([
            sc["title"] + (" ¹" if sc["kind"] in ("stream", "hold") else ""),
            rps(d), rps(g), rps(l) if l is not None else "—",
            "—" if hold or unusable(g) or unusable(d) else ratio(g["rps"], d["rps"]),
            "—" if hold or unusable(g) or unusable(l) else ratio(g["rps"], l["rps"]),
            add(g), add(l) if l is not None else "—",
            f"{res_cell(g, 'cpu_s_per_1k', lambda x: num(x, 3))} / "
            f"{res_cell(l, 'cpu_s_per_1k', lambda x: num(x, 3))}",
            f"{res_cell(g, 'peak_rss_kib', mib)} / {res_cell(l, 'peak_rss_kib', mib)}",
            f"{errors(d)} / {errors(g)} / {errors(l)}",
        ]) + " |")
    rows.append("")
    rows.append("¹ Streams: added latency is on the total stream time (time to first byte in the "
                "stream table below). Held streams: memory and errors only; CPU is per 1,000 "
                "streams.")
    return "\n".join(rows)


def details(data):
    out = ["| scenario | path | req/s | p50 ms | p90 ms | p99 ms | max ms | added p50 | added p99 "
           "| CPU s per 1k req | peak RSS MiB | errors |", "|" + "---|" * 12]
    for sc in data["scenarios"]:
        if sc["kind"] != "http":
            continue
        d = sc["results"].get("direct")
        for name, r in sc["results"].items():
            why = unusable(r)
            cells = [sc["id"], NAMES[name]]
            if why:
                cells += [why] + ["—"] * 9
            else:
                lat = r["latency_ms"]
                cells += [num(r["rps"]), ms(lat["p50"]), ms(lat["p90"]), ms(lat["p99"]),
                          ms(lat["max"])]
                cells += ["—", "—"] if name == "direct" else [
                    signed(added(r, d, "latency_ms", "p50")),
                    signed(added(r, d, "latency_ms", "p99"))]
                cells += [num(r.get("cpu_s_per_1k"), 3), mib(r.get("peak_rss_kib"))]
            cells.append(errors(r))
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def streams(data):
    out = ["| scenario | path | streams/s | TTFB p50 | TTFB p90 | TTFB p99 | total p50 | total p90 "
           "| total p99 | total max | added TTFB p50 / p99 | added total p50 / p99 "
           "| CPU s per 1k | peak RSS MiB | errors |", "|" + "---|" * 15]
    for sc in data["scenarios"]:
        if sc["kind"] != "stream":
            continue
        d = sc["results"].get("direct")
        for name, r in sc["results"].items():
            why = unusable(r)
            cells = [sc["id"], NAMES[name]]
            if why:
                cells += [why] + ["—"] * 12
            else:
                t, tot = r["ttfb_ms"], r["latency_ms"]
                cells += [num(r["rps"]), ms(t["p50"]), ms(t["p90"]), ms(t["p99"]),
                          ms(tot["p50"]), ms(tot["p90"]), ms(tot["p99"]), ms(tot["max"])]
                if name == "direct":
                    cells += ["—", "—"]
                else:
                    cells += [f"{signed(added(r, d, 'ttfb_ms', 'p50'))} / "
                              f"{signed(added(r, d, 'ttfb_ms', 'p99'))}",
                              f"{signed(added(r, d, 'latency_ms', 'p50'))} / "
                              f"{signed(added(r, d, 'latency_ms', 'p99'))}"]
                cells += [num(r.get("cpu_s_per_1k"), 3), mib(r.get("peak_rss_kib"))]
            cells.append(errors(r))
            out.append("| " + " | ".join(cells) + " |")
    notes = [f"`{sc['id']}`: {sc['note']}." for sc in data["scenarios"]
             if sc["kind"] == "stream" and sc.get("note")]
    return "\n".join(out + ([""] + notes if notes else []))


def holds(data):
    out = ["| path | streams | open at once | held to the end | TTFB p50 / p99 ms | RSS before MiB "
           "| peak RSS MiB | KiB per stream | RSS 2 s after close MiB | errors |",
           "|" + "---|" * 10]
    for sc in data["scenarios"]:
        if sc["kind"] != "hold":
            continue
        for name, r in sc["results"].items():
            cells = [NAMES[name], str(sc["count"])]
            if "failed" in r:
                cells += ["run failed"] + ["—"] * 6
            else:
                t = r.get("ttfb_ms") or {}
                per = None
                if r.get("peak_rss_kib") and r.get("peak_in_flight"):
                    per = (r["peak_rss_kib"] - r["rss_before_kib"]) / r["peak_in_flight"]
                cells += [str(r["peak_in_flight"]), str(r["held"]),
                          f"{ms(t.get('p50'))} / {ms(t.get('p99'))}",
                          mib(r.get("rss_before_kib")), mib(r.get("peak_rss_kib")),
                          num(per, 1), mib(r.get("rss_after_kib"))]
            cells.append(errors(r))
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


# ------------------------------------------------------------------ prose


def pinning_text(m):
    p = m["pinning"]
    if not p.get("gateway"):
        return "Processes were not pinned to cores; gateway, mock and load generator share them."
    return (f"Pinned with `taskset`: the gateway under test (gproxy or LiteLLM) on CPU {p['gateway']}; "
            f"the mock upstreams on CPU {p['mock']}; the load generator (oha, gproxy-loadgen) on "
            f"CPU {p['load']}. On a 2-core machine the load generator and the mock share one core, "
            "so the direct path runs client and upstream on that core while the other idles: the "
            "direct figures are a floor for latency, not a ceiling for throughput, and the "
            "gateway's ratio to them is not a measure of its own capacity.")


def notes(data):
    s, gw = data["settings"], data.get("gateways", {})
    lines = []
    lines.append("- **Logging.** gproxy runs on a temporary SQLite database with usage records and "
                 "upstream/downstream request logs on (bodies off) in every row except "
                 "`max-nolog`, where a second instance has all three off. LiteLLM runs without a "
                 "database, so it stores neither usage nor logs: its figures are closer in work "
                 "done to gproxy with logs off than with logs on.")
    for name in ("gproxy", "gproxy-nolog"):
        info = gw.get(name)
        if not info or not info.get("sent"):
            continue
        rec = info.get("records") or {}
        rec_text = ", ".join(f"{k} {v:,}" for k, v in rec.items()) or "no record tables"
        check = ""
        cut = info.get("cut", 0)
        if name == "gproxy" and "downstream_requests" in rec:
            gap = info["sent"] - rec["downstream_requests"]
            if gap > 0:
                check = f" **{gap:,} of the requests sent have no downstream record.**"
            elif cut:
                check = (f" Every request sent has its downstream record; of the {cut:,} cut "
                         f"ones, {-gap:,} {'has' if gap == -1 else 'have'} one too.")
            else:
                check = " Every request sent has its downstream record."
        lines.append(f"- **{NAMES[name]} records.** {info['sent']:,} requests sent and answered "
                     f"(warm-ups, probes and held streams included)"
                     + (f", plus {cut:,} that oha cut unanswered at the end of timed runs (in "
                        f"flight, or in fixed-rate runs possibly never sent)" if cut else "")
                     + f"; after a SIGTERM drain (exit {info['exit_code']}) the database held: "
                     f"{rec_text}.{check}")
    for name, info in gw.items():
        log = info.get("log") or {}
        if log.get("count"):
            first = "; ".join(f"`{l.strip()[:160]}`" for l in log["first"][:3])
            lines.append(f"- **{NAMES[name]} logged {log['count']} warning/error line(s)**, "
                         f"first: {first}")
        else:
            lines.append(f"- {NAMES[name]} logged no warnings or errors.")
        lines.append(f"  RSS at the end of the run: {mib(info.get('rss_end_kib'))} MiB.")
    if data.get("litellm_error"):
        lines.append("- **LiteLLM did not start**, so this run has no LiteLLM figures: "
                     f"`{data['litellm_error'].strip().splitlines()[-1][:300]}`")
    lines += nagle_note(data)
    lines.append(f"- The mock upstream keeps every request in memory; bench/run empties its log "
                 f"before each run and every 2 s during it (largest mock RSS seen: "
                 f"{mib(data.get('mock_peak_rss_kib'))} MiB).")
    lines.append("- Errors are non-2xx answers plus connect/read failures (for streams also a body "
                 "cut before its final event); requests oha cut at the end of a timed run are "
                 "not errors. Fixed-rate runs use oha's latency correction (latency counted from "
                 "when the request was due), so a target that cannot keep the rate shows it in "
                 "p99/max and in the achieved req/s.")
    lines.append(f"- Settings: {s['duration']:g} s per measured run after {s['warmup']} warm-up "
                 f"requests; chat/10 KB/stream at {s['concurrency']} connections, max throughput "
                 f"at {s['max_concurrency']}, fixed rates with up to {s['rate_connections']}, "
                 f"upstream latency {s['mock_latency_ms']} ms at {s['latency_concurrency']}; "
                 f"{s['hold_streams']} held streams for {s['hold_secs']:g} s.")
    return "\n".join(lines)


def nagle_note(data):
    """Explains stream totals near 40 ms: a TCP artefact, named so it is not read as work."""
    sc = next((s for s in data["scenarios"] if s["id"] == "stream-100"), None)
    direct = sc and sc["results"].get("direct")
    if not direct or unusable(direct) or direct["latency_ms"]["p50"] < 35:
        return []
    text = (f"- **Stream totals are mostly a TCP timer, not work.** The mock upstream sends each "
            f"SSE event as its own small write on a socket without `TCP_NODELAY`; on a reused "
            f"keep-alive connection Nagle's algorithm holds the later events until the "
            f"client's delayed ACK (40 ms on Linux), so a 100-chunk stream with no delay takes "
            f"{ms(direct['latency_ms']['p50'])} ms even direct. Time to first byte is not "
            f"affected.")
    g = sc["results"].get("gproxy")
    extra = added(g, direct, "latency_ms", "p99") if g else None
    if extra is not None and extra > 30:
        text += (f" Through gproxy the total p99 is {ms(extra)} ms higher: its listener does "
                 f"not set `TCP_NODELAY` either, so the downstream leg can stall a second time.")
    return [text]


def render(data):
    m = data["machine"]
    title = f"# gproxy benchmark, {data['date']}" + (" (quick smoke run)" if data["quick"] else "")
    versions = ", ".join(f"{k.replace('_version', '')} `{v}`" for k, v in m.items()
                         if k.endswith("_version") and v)
    parts = [
        title, "",
        f"Machine: **{m['cores']} cores** ({m['cpu_model']}), {m['memory_gib']} GiB, Linux "
        f"{m['kernel']}. Revision `{m['gproxy_revision']}`; {versions}. Started {data['started']}.",
        "", pinning_text(m), "",
        "Reproduce: `bench/run" + (" --quick" if data["quick"] else "") +
        "` (see bench/README.md). Added latency = the gateway's percentile minus the direct "
        "path's in the same run; CPU = the gateway process's user+system seconds per 1,000 "
        "requests; peak RSS = its VmHWM during the run.", "",
        "## Summary", "", summary(data), "",
        "## Request/response runs", "", details(data), "",
        "## Streams", "", streams(data), "",
        "## Held streams (memory)", "", holds(data), "",
        "## Notes", "", notes(data), "",
    ]
    if data["quick"]:
        parts[1:1] = ["", "> Quick run: a couple of seconds per scenario, for checking that "
                      "everything works. The figures are noisy; use a full `bench/run` for "
                      "numbers to quote."]
    return "\n".join(parts)


def update_readme(text, data, filename):
    """Replaces the block between the README markers with this run's summary."""
    m = data["machine"]
    block = "\n".join([
        README_BEGIN,
        f"From [`results/{filename}`](results/{filename}) ({data['date']}, {m['cores']} cores, "
        f"{m['cpu_model']}; {pinning_text(m).split(';')[0].lower()}).", "",
        summary(data), README_END,
    ])
    if README_BEGIN in text and README_END in text:
        head, rest = text.split(README_BEGIN, 1)
        return head + block + rest.split(README_END, 1)[1]
    return text.rstrip("\n") + "\n\n## Latest results\n\n" + block + "\n"


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        sys.stdout.write(render(json.load(f)))
