"""Fixtures: one `gproxy-mock` per provider and a `gproxy` seeded to use them, started once per
session from the binaries named by GPROXY_BIN and GPROXY_MOCK_BIN; every test starts with empty
mock logs and scripts."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from harness import CLIENT_KEY, UPSTREAM_KEYS, Mock, Process, clean_env

# The SDKs read these; a developer's real keys or base URLs must not leak into the suite.
for _name in list(os.environ):
    if _name.startswith(("OPENAI_", "ANTHROPIC_", "GOOGLE_GENAI_", "GOOGLE_CLOUD_")) or _name in (
        "GOOGLE_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_GEMINI_BASE_URL",
    ):
        del os.environ[_name]
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

STARTUP_TIMEOUT = 60.0

# Each provider's credential cools down after a rate limit or a failure it relays; the suite
# scripts such answers test after test against one gateway, so the cooldowns are 0 here
# (the integration tests in apps/gproxy/tests/it/health.rs cover them).
COOL = "cooldown_rate_limit_secs = 0, cooldown_transient_secs = 0"

CONFIG = """\
[[providers]]
name = "openai-main"
channel = "openai"
settings = {{ base_url = "{openai}/v1", {cool} }}
credentials = [ {{ api_key = "{openai_key}" }} ]

# The same OpenAI mock, with Anthropic, Chat and Gemini clients sent to its Responses
# endpoint (as for the Responses-only codex models).
[[providers]]
name = "openai-responses"
channel = "openai"
settings = {{ base_url = "{openai}/v1", dispatch = {{ messages = "openai.responses", chat_completions = "openai.responses", generate_content = "openai.responses", stream_generate_content = "openai.responses" }}, {cool} }}
credentials = [ {{ api_key = "{openai_key}" }} ]

[[providers]]
name = "anthropic-main"
channel = "anthropic"
settings = {{ base_url = "{anthropic}", {cool} }}
credentials = [ {{ api_key = "{anthropic_key}" }} ]

[[providers]]
name = "anthropic-streams"
channel = "anthropic"
settings = {{ base_url = "{anthropic}", upstream_stream = "always", {cool} }}
credentials = [ {{ api_key = "{anthropic_key}" }} ]

[[providers]]
name = "anthropic-whole"
channel = "anthropic"
settings = {{ base_url = "{anthropic}", upstream_stream = "never", {cool} }}
credentials = [ {{ api_key = "{anthropic_key}" }} ]

[[providers]]
name = "gemini-main"
channel = "aistudio"
settings = {{ base_url = "{gemini}", {cool} }}
credentials = [ {{ api_key = "{gemini_key}" }} ]

[[models]]
provider_name = "openai-main"
model_id = "gpt-4.1"

[[model_aliases]]
alias = "chat-default"
provider_name = "openai-main"
model_id = "gpt-4.1"

[[users]]
name = "alice"
password = "alice-pw"

[[users.keys]]
api_key = "{client_key}"

[[permissions]]
user_name = "alice"
model_pattern = "*"
"""


def _binary(var: str) -> str:
    path = os.environ.get(var)
    if not path:
        pytest.exit(
            f"{var} is not set: point it at the built binary "
            "(scripts/e2e builds both and sets GPROXY_BIN and GPROXY_MOCK_BIN)",
            returncode=2,
        )
    if not os.access(path, os.X_OK):
        pytest.exit(f"{var}={path} is not an executable file", returncode=2)
    return path


def _backend_flags() -> list[str]:
    """The storage backend the suite runs on (`scripts/e2e --backend`): only the DSN or the
    persistence setting changes; the default is the embedded SQLite file."""
    flags = []
    if dsn := os.environ.get("GPROXY_E2E_DSN"):
        flags += ["--dsn", dsn]
    if persistence := os.environ.get("GPROXY_E2E_PERSISTENCE"):
        flags += ["--persistence", persistence]
    return flags


class Stack:
    """The running processes: `mocks` by provider kind and the gateway's base URL."""

    def __init__(self, gateway: Process, url: str, mocks: dict[str, Mock]):
        self.gateway = gateway
        self.url = url
        self.mocks = mocks


_STACK: Stack | None = None


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    global _STACK
    gproxy_bin = _binary("GPROXY_BIN")
    mock_bin = _binary("GPROXY_MOCK_BIN")
    with tempfile.TemporaryDirectory(prefix="gproxy-e2e-") as tmp:
        root = Path(tmp)
        env = clean_env({"RUST_LOG": os.environ.get("RUST_LOG", "info"), "NO_COLOR": "1"})
        processes: list[Process] = []
        mocks: dict[str, Mock] = {}
        try:
            for provider, key in UPSTREAM_KEYS.items():
                proc = Process(
                    f"mock-{provider}",
                    [mock_bin, "--host", "127.0.0.1", "--port", "0", "--expected-key", key],
                    root,
                    env,
                )
                processes.append(proc)
                url = proc.wait_for_url(r"^listening on (http://\S+)$", STARTUP_TIMEOUT)
                mocks[provider] = Mock(provider, proc, url)

            config = root / "gproxy.toml"
            config.write_text(
                CONFIG.format(
                    openai=mocks["openai"].base_url,
                    anthropic=mocks["anthropic"].base_url,
                    gemini=mocks["gemini"].base_url,
                    openai_key=UPSTREAM_KEYS["openai"],
                    anthropic_key=UPSTREAM_KEYS["anthropic"],
                    gemini_key=UPSTREAM_KEYS["gemini"],
                    client_key=CLIENT_KEY,
                    cool=COOL,
                )
            )
            data_dir = root / "data"
            data_dir.mkdir()
            gateway = Process(
                "gproxy",
                [
                    gproxy_bin,
                    "--config",
                    str(config),
                    "--data-dir",
                    str(data_dir),
                    "--port",
                    "0",
                    "--host",
                    "127.0.0.1",
                    *_backend_flags(),
                ],
                root,
                env,
            )
            processes.append(gateway)
            url = gateway.wait_for_url(r"^gproxy listening on (http://\S+)$", STARTUP_TIMEOUT)
            _STACK = Stack(gateway, url.rstrip("/"), mocks)
        except RuntimeError as err:
            # One clear message (with the process's stderr) instead of an error per test; the
            # `finally` below still stops whatever did start.
            pytest.exit(f"the e2e stack did not start:\n{err}", returncode=1)
        else:
            yield _STACK
        finally:
            _STACK = None
            for mock in mocks.values():
                mock.close()
            # Gateway first, so it never sees its upstreams vanish under a live request.
            for proc in reversed(processes):
                proc.stop()


@pytest.fixture(autouse=True)
def _fresh_mocks(stack: Stack) -> Iterator[None]:
    """Each test starts with empty logs and scripts; a gateway that died mid-suite is reported
    with its stderr instead of as a connection error."""
    if stack.gateway.proc.poll() is not None:
        pytest.fail(
            f"gproxy exited with code {stack.gateway.proc.returncode}\n"
            f"--- gproxy stderr ---\n{stack.gateway.stderr_tail()}"
        )
    for mock in stack.mocks.values():
        mock.clear()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the gateway's recent stderr to every failing test's report."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and _STACK is not None:
        report.sections.append(("gproxy stderr (tail)", _STACK.gateway.stderr_tail(4000)))


@pytest.fixture
def gw(stack: Stack) -> str:
    """The gateway's base URL, `http://127.0.0.1:PORT`."""
    return stack.url


@pytest.fixture
def openai_mock(stack: Stack) -> Mock:
    return stack.mocks["openai"]


@pytest.fixture
def anthropic_mock(stack: Stack) -> Mock:
    return stack.mocks["anthropic"]


@pytest.fixture
def gemini_mock(stack: Stack) -> Mock:
    return stack.mocks["gemini"]
