"""Process and mock plumbing for the end-to-end suite: start a binary and wait for its
"listening on" line, script a `gproxy-mock` over its `/__mock/` endpoints, and check what an
upstream received (path, upstream key swapped in, client key gone)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx

# The key alice's SDK clients present; it must never reach an upstream.
CLIENT_KEY = "sk-client-alice"

# One mock per provider, each expecting that provider's upstream key.
UPSTREAM_KEYS = {
    "openai": "sk-upstream-openai",
    "anthropic": "sk-upstream-anthropic",
    "gemini": "sk-upstream-gemini",
}

# Environment variables that would steer an SDK or a binary away from what the suite sets up.
_STRAY_ENV = re.compile(
    r"^(GPROXY_.*|OPENAI_.*|ANTHROPIC_.*|GOOGLE_API_KEY|GEMINI_API_KEY|GOOGLE_GENAI_.*"
    r"|GOOGLE_GEMINI_BASE_URL|GOOGLE_CLOUD_.*)$"
)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process: no stray `GPROXY_*` or SDK variables, and
    loopback traffic kept away from any configured HTTP proxy."""
    env = {k: v for k, v in os.environ.items() if not _STRAY_ENV.match(k)}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra or {})
    return env


class Process:
    """A child binary started with stdout piped (for its listening line) and stderr in a file
    (so a failure can show it without a pipe ever filling up)."""

    def __init__(self, name: str, argv: list[str], log_dir: Path, env: dict[str, str]):
        self.name = name
        self.stderr_path = log_dir / f"{name}.stderr.log"
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self._lines.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
        self._lines.put(None)

    def stderr_tail(self, limit: int = 6000) -> str:
        try:
            text = self.stderr_path.read_text("utf-8", "replace")
        except OSError as err:
            return f"<cannot read {self.stderr_path}: {err}>"
        return text[-limit:] if text else "<empty>"

    def wait_for_url(self, pattern: str, timeout: float) -> str:
        """Waits for a stdout line matching `pattern` (one group: the URL) and returns the URL.
        Raises with the process's stderr if it exits first or the timeout runs out."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(
                    f"{self.name} printed no line matching {pattern!r} within {timeout}s; "
                    f"stdout so far: {seen!r}\n--- {self.name} stderr ---\n{self.stderr_tail()}"
                )
            try:
                line = self._lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if line is None:
                code = self.proc.wait()
                raise RuntimeError(
                    f"{self.name} exited with code {code} before listening; stdout: {seen!r}\n"
                    f"--- {self.name} stderr ---\n{self.stderr_tail()}"
                )
            seen.append(line)
            match = regex.search(line)
            if match:
                return match.group(1)

    def stop(self, timeout: float = 10) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit within `timeout`; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()
        return self.proc.returncode


class Mock:
    """A running `gproxy-mock`, scripted over HTTP."""

    def __init__(self, provider: str, process: Process, base_url: str):
        self.provider = provider
        self.process = process
        self.base_url = base_url
        self.key = UPSTREAM_KEYS[provider]
        self._http = httpx.Client(base_url=base_url, timeout=10, trust_env=False)

    def push(self, *replies: dict[str, Any]) -> None:
        """Queues replies (`{"text": ...}`, `{"tool_call": {...}}`, `{"error": {...}}`, ...)."""
        resp = self._http.post("/__mock/replies", json=list(replies))
        assert resp.status_code == 204, resp.text

    def requests(self) -> list[dict[str, Any]]:
        resp = self._http.get("/__mock/requests")
        resp.raise_for_status()
        return resp.json()

    def only_request(self) -> dict[str, Any]:
        """The single request this mock received since the last clear."""
        log = self.requests()
        assert len(log) == 1, f"{self.provider} mock got {len(log)} requests: {log}"
        return log[0]

    def clear(self) -> None:
        resp = self._http.delete("/__mock/requests")
        assert resp.status_code == 204, resp.text

    def close(self) -> None:
        self._http.close()


def assert_upstream(mock: Mock, request: dict[str, Any], path: str) -> None:
    """What every upstream request must look like: the expected path, the provider's upstream
    key in that provider's header, and the client's key nowhere (headers or query)."""
    assert request["path"] == path, request
    headers = request["headers"]
    if mock.provider == "openai":
        assert headers.get("authorization") == f"Bearer {mock.key}", headers
    elif mock.provider == "anthropic":
        assert headers.get("x-api-key") == mock.key, headers
        assert headers.get("anthropic-version"), headers
    else:
        assert headers.get("x-goog-api-key") == mock.key, headers
    leaked = {k: v for k, v in headers.items() if CLIENT_KEY in v}
    assert not leaked, f"client key forwarded upstream in headers {leaked}"
    assert CLIENT_KEY not in (request["query"] or ""), request["query"]


def mock_embedding(text: str) -> list[float]:
    """The mock's deterministic 8-dimensional embedding (FNV-1a of the UTF-8 bytes, each
    little-endian byte of the hash over 256), as `gproxy_testkit::mock_embedding` computes it."""
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        value ^= byte
        value = (value * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return [b / 256.0 for b in value.to_bytes(8, "little")]
