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
        if sc["kind"] == "limits":  # its own section: two keys on one gateway
            continue
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


# ------------------------------------------------------------------ limits (two keys, one gateway)

LIMIT_PATHS = {"direct": "direct", "plain": "gproxy, plain key",
               "limited": "gproxy, limited key",
               "plain_together": "gproxy, plain key, both keys at once",
               "limited_together": "gproxy, limited key, both keys at once"}


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def us(x):
    return "—" if x is None else f"{'+' if x >= 0 else '−'}{abs(x):,.0f}"


def usable_runs(runs):
    return [r for r in runs if not unusable(r)]


def med(runs, key, q):
    """The median over rounds of one percentile (ms)."""
    return median([(r.get(key) or {}).get(q) for r in usable_runs(runs)])


def paired(runs, key, q, suffix=""):
    """Per round, limited − plain for one percentile, in µs (rounds where both ran)."""
    plain = {r["round"]: r for r in usable_runs(runs.get("plain" + suffix, []))}
    out = []
    for r in usable_runs(runs.get("limited" + suffix, [])):
        p = plain.get(r["round"])
        if p is not None:
            out.append((r[key][q] - p[key][q]) * 1e3)
    return out


def limits_tables(sc, settings):
    runs = sc["runs"]
    c = sc.get("ceilings") or {}
    dur = sc.get("duration") or settings["duration"]
    out = [f"### {sc['title']}", ""]
    out.append(
        f"One gproxy process (usage and request logs on), the same calls with two keys. The "
        f"**plain key** (user `bench`) has permission `*` and nothing else. The **limited key** "
        f"(user `bench-limited`) has a permission scoped to provider `mock` with the glob "
        f"`gpt-4*`, two rate limits covering the model (`gpt-*` and `gpt-4.1*`, each with rpm "
        f"{num(c.get('rpm'))}, rpd {num(c.get('rpd'))}, tpm {num(c.get('tpm'))}, tpd "
        f"{num(c.get('tpd'))}) and a monthly quota of ${num(c.get('quota_usd'))} on a priced "
        f"model (`[[models]]` row for `mock/gpt-4.1`): {c.get('margin', '?')}× what the run can "
        f"send or spend ({num(c.get('calls_bound'))} calls at most, each reserving up to "
        f"{c.get('worst_tokens', '?')} tokens and ${c.get('worst_usd', 0):.6f}), so nothing is "
        f"refused and every check runs in full.")
    out.append("")
    out.append(
        f"{sc['rounds']} rounds; in each, for chat at a fixed rate, chat one request at a time "
        f"and streams: the direct path; the two "
        f"keys one after the other (plain first in even rounds, limited first in odd ones); "
        f"then both keys at once (one load process each, started together; chat at half the "
        f"rate each), so that anything else the machine does in that window hits both alike. "
        f"{dur:g} s per run after its warm-up. Figures are medians over rounds; **added** is "
        f"the median over rounds of limited − plain in the same round.")
    out.append("")

    def label(who, kind):
        name = LIMIT_PATHS[who]
        if kind == "chat" and who.endswith("_together"):
            name += f" ({max(1, sc['rate'] // 2):,} req/s each)"
        return name

    http_kinds = [
        ("chat", f"Chat, non-stream, at a fixed {sc['rate']:,} req/s (oha `-q`, "
                 f"latency-corrected, up to {sc['concurrency']} connections):"),
        ("chat-serial", "Chat, non-stream, one request at a time (oha, closed loop, 1 "
                        "connection per key):"),
    ]
    for kind, heading in http_kinds:
        if kind not in runs:
            continue
        out += [heading, ""]
        out += ["| path | req/s | p50 ms | p90 ms | p99 ms | added vs direct p50 / p99 ms "
                "| CPU s per 1k req | errors |", "|" + "---|" * 8]
        d = runs[kind]["direct"]
        for who in LIMIT_PATHS:
            rs = runs[kind].get(who, [])
            if not rs:
                continue
            if not usable_runs(rs):
                out.append(f"| {label(who, kind)} | " + " | ".join(["—"] * 6)
                           + f" | {errors_of(rs)} |")
                continue
            p = {q: med(rs, "latency_ms", q) for q in ("p50", "p90", "p99")}
            vs = "—"
            if who != "direct" and usable_runs(d):
                vs = (f"{signed(p['p50'] - med(d, 'latency_ms', 'p50'))} / "
                      f"{signed(p['p99'] - med(d, 'latency_ms', 'p99'))}")
            out.append("| " + " | ".join([
                label(who, kind), num(median([r["rps"] for r in usable_runs(rs)])),
                f"{p['p50']:.3f}", f"{p['p90']:.3f}", f"{p['p99']:.3f}", vs,
                num(median([r.get("cpu_s_per_1k") for r in usable_runs(rs)]), 4),
                errors_of(rs),
            ]) + " |")
        out.append("")
    out.append(f"Chat streams, 100 chunks, closed loop, {sc['stream_concurrency']} at a time per "
               f"key (gproxy-loadgen):")
    out.append("")
    out += ["| path | streams/s | TTFB p50 ms | TTFB p90 | TTFB p99 | total p50 ms | total p90 "
            "| total p99 | CPU s per 1k | errors |", "|" + "---|" * 10]
    for who in LIMIT_PATHS:
        rs = runs["stream"].get(who, [])
        if not rs:
            continue
        if not usable_runs(rs):
            out.append(f"| {label(who, 'stream')} | " + " | ".join(["—"] * 8)
                       + f" | {errors_of(rs)} |")
            continue
        cells = [label(who, "stream"), num(median([r["rps"] for r in usable_runs(rs)]))]
        cells += [f"{med(rs, 'ttfb_ms', q):.3f}" for q in ("p50", "p90", "p99")]
        cells += [f"{med(rs, 'latency_ms', q):.3f}" for q in ("p50", "p90", "p99")]
        cells += [num(median([r.get("cpu_s_per_1k") for r in usable_runs(rs)]), 4),
                  errors_of(rs)]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append("CPU per request is per key only in the one-after-the-other runs (the gateway is "
               "one process); with both keys at once it is not split, hence —.")
    out.append("")
    out.append("**Added by limits and quota** (limited key − plain key, same process, paired "
               "by round), in µs:")
    out.append("")
    out += ["| measure | runs | added p50 µs | added p90 µs | added p99 µs "
            "| limited ÷ plain p50 / p90 / p99 | added p50 per round, µs "
            "| added CPU µs per request |", "|" + "---|" * 8]
    measures = [("chat", "latency_ms", f"chat at {sc['rate']:,} req/s, latency"),
                ("chat-serial", "latency_ms", "chat one at a time, latency"),
                ("stream", "ttfb_ms", "stream, time to first byte"),
                ("stream", "latency_ms", "stream, total")]
    for kind, key, name in measures:
        if kind not in runs:
            continue
        rs = runs[kind]
        for suffix, how in [("", "one after the other"), ("_together", "both at once")]:
            if not rs.get("limited" + suffix):
                continue
            cells = [name, how]
            cells += [us(median(paired(rs, key, q, suffix))) for q in ("p50", "p90", "p99")]
            ratios = []
            for q in ("p50", "p90", "p99"):
                a, b = med(rs["limited" + suffix], key, q), med(rs["plain" + suffix], key, q)
                ratios.append("—" if not a or not b else f"{a / b:.3f}")
            cells.append(" / ".join(ratios) + "×")
            cells.append(", ".join(us(x) for x in paired(rs, key, "p50", suffix)) or "—")
            cpu = None
            if suffix == "" and key != "ttfb_ms":
                a = median([r.get("cpu_s_per_1k") for r in usable_runs(rs["limited"])])
                b = median([r.get("cpu_s_per_1k") for r in usable_runs(rs["plain"])])
                cpu = None if a is None or b is None else (a - b) * 1e3
            cells.append(us(cpu) if kind == "chat" else f"({us(cpu)})" if cpu is not None else "—")
            out.append("| " + " | ".join(cells) + " |")
    out.append("")
    before, after = sc.get("quota_before"), sc.get("quota_after")
    if after:
        used = float(after["used_usd"]) - float(before["used_usd"]) if before else None
        sent = sc.get("limited_sent") or 0
        per = f" (${used / sent:.6f} a call)" if used is not None and sent else ""
        out.append(f"Quota (`GET /user/quota` with the limited key after the run): used "
                   f"${after['used_usd']} of ${after['limit_usd']} ({after['period']}), "
                   f"${after['reserved_usd']} reserved, over {sent:,} calls sent with the key"
                   f"{per}; the check call's usage was `{json.dumps(sc.get('check_call_usage'))}`.")
        out.append("")
    out.append("CPU is the gateway process's user+system time, its request path and its "
               "storage writer (which adds each priced usage record to the quota in the same "
               "transaction) alike; added CPU is the difference of the medians, meaningful for "
               "the fixed-rate chat runs (a closed loop that runs slower spreads the gateway's "
               "idle work over fewer requests, so it is in brackets there). On 2 cores the p99 and per-round figures move "
               "by tens of µs or more from run to run; p50 is the steadiest.")
    return out


def errors_of(runs):
    total = sum(r.get("errors", 0) for r in runs if "failed" not in r)
    failed = sum(1 for r in runs if "failed" in r)
    status = {}
    for r in runs:
        for k, v in (r.get("status") or {}).items():
            if not k.startswith("2"):
                status[k] = status.get(k, 0) + v
    parts = [f"{k}×{v}" for k, v in sorted(status.items())]
    text = str(total) + (f" ({', '.join(parts)})" if parts else "")
    return text + (f", {failed} run(s) failed" if failed else "")


def limits_section(data):
    out = []
    for sc in data["scenarios"]:
        if sc["kind"] != "limits":
            continue
        if sc.get("failed"):
            out += [f"**The `{sc['id']}` scenario FAILED:** `{sc['failed'][:600]}`", ""]
        if any(sc.get("runs", {}).get(k, {}).get("limited") for k in ("chat", "stream")):
            out += limits_tables(sc, data["settings"])
    return "\n".join(out) if out else None


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
    kinds = {sc["kind"] for sc in data["scenarios"]}
    if kinds - {"limits"}:
        lines.append(f"- Settings: {s['duration']:g} s per measured run after {s['warmup']} "
                     f"warm-up requests; chat/10 KB/stream at {s['concurrency']} connections, "
                     f"max throughput at {s['max_concurrency']}, fixed rates with up to "
                     f"{s['rate_connections']}, upstream latency {s['mock_latency_ms']} ms at "
                     f"{s['latency_concurrency']}; {s['hold_streams']} held streams for "
                     f"{s['hold_secs']:g} s.")
    if "limits" in kinds:
        lines.append(f"- Settings of `limits`: {s['limits_rounds']} rounds of "
                     f"{s['limits_duration']:g} s per measured run, each after {s['warmup']} "
                     f"warm-up requests ({max(s['limits_stream_concurrency'], s['warmup'] // 10)} "
                     f"for streams); chat at {s['limits_rate']:,} req/s with up to "
                     f"{s['rate_connections']} connections, and one at a time; streams "
                     f"{s['limits_stream_concurrency']} at a time per key.")
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
    only = data.get("only")
    title = f"# gproxy benchmark, {data['date']}" + (" (quick smoke run)" if data["quick"] else "")
    if only:
        title += f": {', '.join(only)}"
    versions = ", ".join(f"{k.replace('_version', '')} `{v}`" for k, v in m.items()
                         if k.endswith("_version") and v)
    kinds = {sc["kind"] for sc in data["scenarios"]}
    flags = (" --quick" if data["quick"] else "") + (f" --only {','.join(only)}" if only else "")
    if "limits" in kinds:
        st = data["settings"]
        flags += (f" --limits-rounds {st['limits_rounds']} --limits-duration "
                  f"{st['limits_duration']:g}")
    parts = [
        title, "",
        f"Machine: **{m['cores']} cores** ({m['cpu_model']}), {m['memory_gib']} GiB, Linux "
        f"{m['kernel']}. Revision `{m['gproxy_revision']}`; {versions}. Started {data['started']}.",
        "", pinning_text(m), "",
        "Reproduce: `bench/run" + flags +
        "` (see bench/README.md). Added latency = the gateway's percentile minus the direct "
        "path's in the same run; CPU = the gateway process's user+system seconds per 1,000 "
        "requests; peak RSS = its VmHWM during the run.", "",
    ]
    # Each section only when the run has a scenario of its kind (an --only run may not).
    sections = [
        ("Summary", summary, kinds - {"limits"}),
        ("Request/response runs", details, kinds & {"http"}),
        ("Streams", streams, kinds & {"stream"}),
        ("Held streams (memory)", holds, kinds & {"hold"}),
        ("Limits and quota: the added cost of admission", limits_section, kinds & {"limits"}),
    ]
    for heading, fn, present in sections:
        if present:
            parts += [f"## {heading}", "", fn(data), ""]
    parts += ["## Notes", "", notes(data), ""]
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
