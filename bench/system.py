"""The system under test for bench/run: the mock upstreams, the two gproxy instances and
LiteLLM, the paths (`Target`) a request can take through them, and the request bodies."""

import base64
import json
import os
import secrets
import sqlite3
import time
import urllib.error

from procs import free_port, http, tree, wait_for_line, log

UPSTREAM_KEY = "sk-upstream"
USER_KEY = "sk-bench"  # user `bench`: permission `*`, no rate limits, no quota
LIMITED_KEY = "sk-bench-limited"  # user `bench-limited`: every admission check on (`limits`)
MODEL = "gpt-4.1"
# The bench model's price on the `mock` provider (gpt-4.1's list price), USD per million tokens.
PRICE = {"input": 2.0, "output": 8.0, "cache_read": 0.5}

GPROXY_SEED = """\
# Written by bench/run: one openai provider per mock upstream.
[[providers]]
name = "mock"
channel = "openai"
settings = {{ base_url = "{fast}/v1" }}
credentials = [ {{ api_key = "{key}" }} ]

[[providers]]
name = "mock-latency"
channel = "openai"
settings = {{ base_url = "{latency}/v1" }}
credentials = [ {{ api_key = "{key}" }} ]

[[providers]]
name = "mock-hold"
channel = "openai"
settings = {{ base_url = "{hold}/v1" }}
credentials = [ {{ api_key = "{key}" }} ]

# The fast mock again, as a Gemini provider: OpenAI clients reach it through translation.
[[providers]]
name = "mock-gemini"
channel = "aistudio"
settings = {{ base_url = "{fast}" }}
credentials = [ {{ api_key = "{key}" }} ]

# The fast mock behind a pool of four credentials, round robin with cache affinity (the
# defaults), so selection, health and affinity bookkeeping run on every call.
[[providers]]
name = "mock-pool"
channel = "openai"
settings = {{ base_url = "{fast}/v1", credential_cache_affinity_enabled = true }}
credentials = [ {{ api_key = "{key}" }}, {{ api_key = "{key}" }}, {{ api_key = "{key}" }}, {{ api_key = "{key}" }} ]

[[users]]
name = "bench"
password = "bench-pw"
[[users.keys]]
api_key = "{user_key}"

[[permissions]]
user_name = "bench"
model_pattern = "*"
"""

# Appended to the seed: a second user whose calls go through every admission check (the
# `limits` scenario compares its key with `bench`'s on the same process). Its ceilings come
# from limit_ceilings(): far above anything the run sends, so nothing is refused.
LIMITED_SEED = """\

# Written by bench/run for the `limits` scenario: the same calls as `bench`, through a
# provider-scoped glob permission, two rate limits covering the model and a monthly quota.
[[models]]
provider_name = "mock"
model_id = "{model}"
price_input_per_mtok = "{price_input}"
price_output_per_mtok = "{price_output}"
price_cache_read_per_mtok = "{price_cache_read}"

[[users]]
name = "bench-limited"
password = "bench-limited-pw"
[[users.keys]]
api_key = "{limited_key}"

[[permissions]]
user_name = "bench-limited"
provider_name = "mock"
model_pattern = "gpt-4*"

[[rate_limits]]
user_name = "bench-limited"
model_pattern = "gpt-*"
rpm = {rpm}
rpd = {rpd}
tpm = {tpm}
tpd = {tpd}

[[rate_limits]]
user_name = "bench-limited"
model_pattern = "gpt-4.1*"
rpm = {rpm}
rpd = {rpd}
tpm = {tpm}
tpd = {tpd}

[[quotas]]
user_name = "bench-limited"
quota = "{quota_usd}"
period = "monthly"
"""

# The limited key's calls are bounded by the run's settings: one chat run is at a fixed rate,
# the other chat run and the stream run are closed loops, at a rate no loopback run here
# comes near.
CLOSED_LOOP_BOUND = 10000  # requests/s
LIMIT_MARGIN = 100  # ceilings are this many times what the run can send or spend


def limit_ceilings(args):
    """The `bench-limited` user's rate limits and quota: what the `limits` scenario can send
    at most (rounds × 2 runs per kind × (fixed rate × duration + 2 × closed-loop bound ×
    duration, plus warm-ups)), in requests, tokens and USD, times LIMIT_MARGIN."""
    stream_warmup = max(args.limits_stream_concurrency, args.warmup // 10)
    secs = args.limits_duration
    per_round = 2 * (args.limits_rate * secs + args.warmup + 1
                     + CLOSED_LOOP_BOUND * secs + args.warmup + 1
                     + CLOSED_LOOP_BOUND * secs + stream_warmup + 1)
    calls = int(args.limits_rounds * per_round) + 10  # + the check call and spares
    # In any minute: at most two load processes at once, each below the higher of the bounds.
    per_minute = min(calls, 2 * max(args.limits_rate, CLOSED_LOOP_BOUND) * 60
                     + 2 * (2 * args.warmup + stream_warmup + 3))
    # A call's worst case as the gateway reserves it: the body at 4 bytes a token, plus
    # max_tokens; every input token at the input price.
    sc = {"prompt": "small", "surface": "openai", "kind": "stream"}
    input_tokens = -(-len(body(sc, MODEL)) // 4)
    max_tokens = json.loads(body(sc, MODEL))["max_tokens"]
    worst_tokens = input_tokens + max_tokens
    worst_usd = (input_tokens * PRICE["input"] + max_tokens * PRICE["output"]) / 1e6
    return {
        "calls_bound": calls, "worst_tokens": worst_tokens, "worst_usd": worst_usd,
        "rpm": LIMIT_MARGIN * per_minute, "rpd": LIMIT_MARGIN * calls,
        "tpm": LIMIT_MARGIN * per_minute * worst_tokens, "tpd": LIMIT_MARGIN * calls * worst_tokens,
        "quota_usd": int(LIMIT_MARGIN * calls * worst_usd) + 1, "margin": LIMIT_MARGIN,
    }

LITELLM_CONFIG = """\
# Written by bench/run: one model per mock upstream, the same upstream ids gproxy uses.
model_list:
  - model_name: {model}
    litellm_params: {{model: openai/{model}, api_base: "{fast}/v1", api_key: {key}}}
  - model_name: {model}-latency
    litellm_params: {{model: openai/{model}, api_base: "{latency}/v1", api_key: {key}}}
  - model_name: {model}-hold
    litellm_params: {{model: openai/{model}, api_base: "{hold}/v1", api_key: {key}}}
litellm_settings:
  drop_params: true
"""

# gproxy provider and LiteLLM model name for each mock upstream.
GPROXY_PROVIDER = {"fast": "mock", "latency": "mock-latency", "hold": "mock-hold",
                   "fast-gemini": "mock-gemini", "fast-pool": "mock-pool"}
LITELLM_MODEL = {"fast": MODEL, "latency": f"{MODEL}-latency", "hold": f"{MODEL}-hold",
                 "fast-gemini": MODEL, "fast-pool": MODEL}


class Target:
    """One path a request can take: straight to a mock, or through a gateway process."""

    def __init__(self, name, base, key, proc=None):
        self.name = name  # direct | gproxy | gproxy-nolog | litellm
        self.base = base  # base URL (for direct: a dict upstream -> mock URL)
        self.key = key
        self.proc = proc  # gateway process to measure; None for the direct path
        self.sent = 0  # requests answered or failed, warm-ups included (checked against records)
        self.cut = 0  # requests oha dropped unanswered at the end of a timed run

    def url(self, upstream, surface):
        path = "/v1/messages" if surface == "anthropic" else "/v1/chat/completions"
        if self.name == "direct":
            return self.base[upstream] + path
        if self.name.startswith("gproxy"):
            return f"{self.base}/{GPROXY_PROVIDER[upstream]}{path}"
        return self.base + path

    def model(self, upstream):
        return LITELLM_MODEL[upstream] if self.name == "litellm" else MODEL

    def pids(self):
        return tree(self.proc.pid) if self.proc else []


def start_system(args, procs, tmp, bins, venv, pins):
    gproxy_bin, mock_bin, _ = bins
    mocks, mock_procs = {}, {}
    hold_delay_ms = max(1, int(args.hold_secs * 1000 / 4))  # outlives the hold: ~11 events
    flavours = {
        "fast": ["--chunks", 100],
        "latency": ["--chunks", 100, "--latency-ms", args.mock_latency_ms],
        "hold": ["--chunks", 10, "--chunk-delay-ms", hold_delay_ms],
    }
    for flavour, extra in flavours.items():
        name = f"mock-{flavour}"
        proc = procs.start(name, [mock_bin, "--host", "127.0.0.1", "--port", 0,
                                  "--expected-key", UPSTREAM_KEY, *extra],
                           cpus=pins["mock"], env=dict(os.environ, RUST_LOG="warn"))
        line = wait_for_line(proc, tmp / f"{name}.out", "listening on ")
        mocks[flavour] = line.split()[-1]
        mock_procs[flavour] = proc
    # The Gemini provider is the fast mock; the direct path is its native OpenAI endpoint.
    mocks["fast-gemini"] = mocks["fast"]
    mock_procs["fast-gemini"] = mock_procs["fast"]
    # The credential pool is the fast mock too; the direct path is the same endpoint.
    mocks["fast-pool"] = mocks["fast"]
    mock_procs["fast-pool"] = mock_procs["fast"]
    seed = tmp / "gproxy.toml"
    ceilings = limit_ceilings(args)
    seed.write_text(
        GPROXY_SEED.format(key=UPSTREAM_KEY, user_key=USER_KEY, **mocks)
        + LIMITED_SEED.format(
            model=MODEL, limited_key=LIMITED_KEY, price_input=f"{PRICE['input']:g}",
            price_output=f"{PRICE['output']:g}", price_cache_read=f"{PRICE['cache_read']:g}",
            **{k: ceilings[k] for k in ("rpm", "rpd", "tpm", "tpd", "quota_usd")}))

    targets = {"direct": Target("direct", mocks, UPSTREAM_KEY)}
    for name, logging in [("gproxy", "true"), ("gproxy-nolog", "false")]:
        data = tmp / f"{name}-data"
        data.mkdir()
        env = dict(os.environ, RUST_LOG="warn",
                   GPROXY_MASTER_KEY=base64.b64encode(secrets.token_bytes(32)).decode())
        proc = procs.start(name, [
            gproxy_bin, "--config", seed, "--data-dir", data, "--host", "127.0.0.1",
            "--port", 0, "--enable-usage", logging, "--enable-upstream-log", logging,
            "--enable-downstream-log", logging,
        ], cpus=pins["gateway"], env=env)
        line = wait_for_line(proc, tmp / f"{name}.out", "gproxy listening on ")
        targets[name] = Target(name, line.split()[-1], USER_KEY, proc)
        targets[name].data_dir = data

    if venv is not None:
        try:
            targets["litellm"] = start_litellm(procs, tmp, venv, mocks, pins)
        except RuntimeError as err:  # the gproxy figures are still worth having
            log(f"LiteLLM left out of this run: {err}")
            targets["litellm_error"] = str(err)[-1000:]
    return mocks, mock_procs, targets


def start_litellm(procs, tmp, venv, mocks, pins):
    port = free_port()
    cfg = tmp / "litellm.yaml"
    cfg.write_text(LITELLM_CONFIG.format(model=MODEL, key=UPSTREAM_KEY, **mocks))
    master = "sk-" + secrets.token_hex(16)
    env = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_MASTER_KEY=master,
               LITELLM_TELEMETRY="False")
    proc = procs.start("litellm", [
        venv / "bin" / "litellm", "--config", cfg, "--host", "127.0.0.1", "--port", port,
        "--num_workers", 1, "--telemetry", "False",
    ], cpus=pins["gateway"], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if http("GET", base + "/health/liveliness")[0] == 200:
                return Target("litellm", base, master, proc)
        except (urllib.error.URLError, OSError):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            err = (tmp / "litellm.err").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"LiteLLM did not become ready (exit {proc.poll()}):\n{err}")
        time.sleep(0.5)


PROMPT_10K = " ".join(
    f"Paragraph {i}: the quick brown fox jumps over the lazy dog while the gateway relays "
    f"every byte without buffering the whole body." for i in range(96)
)


def body(scenario, model):
    text = PROMPT_10K if scenario["prompt"] == "10k" else "Say hello in one short sentence."
    if scenario["surface"] == "anthropic":
        b = {"model": model, "max_tokens": 256,
             "messages": [{"role": "user", "content": text}]}
    else:
        b = {"model": model, "max_tokens": 256,
             "messages": [{"role": "system", "content": "You are terse."},
                          {"role": "user", "content": text}]}
    if scenario["kind"] in ("stream", "hold"):
        b["stream"] = True
    return json.dumps(b).encode()


def stored_records(data_dir):
    """Rows in gproxy's record tables after it drained its write queue."""
    db = data_dir / "gproxy.db"
    if not db.exists():
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("usages", "downstream_requests", "upstream_requests") if t in names}
    finally:
        con.close()


def warnings_in(path, limit=5):
    """WARN/ERROR lines a process logged (RUST_LOG=warn): how many, and the first few."""
    lines = [l for l in path.read_text(errors="replace").splitlines() if "WARN" in l or "ERROR" in l]
    return {"count": len(lines), "first": lines[:limit]}
