"""Real coding agents through translation, at the versions pinned in tests/e2e/agents (installed
by scripts/agents): Claude Code (Anthropic client) on an OpenAI provider, Codex CLI (Responses
client) on an Anthropic provider, Gemini CLI on an OpenAI provider. Each completes a turn with a
tool call: the mock upstream asks for a shell command, the agent runs it (the file appears),
sends the result back (paired with its call), and prints the final answer."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from harness import CLIENT_KEY, Mock

TIMEOUT = 180


def agent(name: str) -> str:
    bin_dir = os.environ.get("GPROXY_AGENTS_BIN")
    if not bin_dir:
        pytest.fail("GPROXY_AGENTS_BIN is not set: scripts/e2e installs the agents (scripts/agents)")
    path = Path(bin_dir) / name
    assert path.exists(), f"{path} is missing: run scripts/agents"
    return str(path)


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "TERM", "NO_PROXY", "no_proxy")}
    base.update(env)
    return subprocess.run(
        cmd, cwd=cwd, env=base, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL
    )


def result_after_call(mock: Mock, call_id: str) -> str:
    """The text of the tool result the agent sent back for `call_id` (Chat or Anthropic shape)."""
    for request in mock.requests():
        for message in (request["body"] or {}).get("messages", []):
            if message.get("role") == "tool" and message.get("tool_call_id") == call_id:
                return json.dumps(message.get("content"))
            if isinstance(message.get("content"), list):
                for block in message["content"]:
                    if block.get("type") == "tool_result" and block.get("tool_use_id") == call_id:
                        return json.dumps(block.get("content"))
    raise AssertionError(f"no result for {call_id} reached the upstream: {mock.requests()}")


def test_claude_code_on_an_openai_provider(gw: str, openai_mock: Mock, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    # Claude Code 2.1.197 asks once without tools first (a quota probe), then works.
    openai_mock.push(
        {"text": "ok"},
        {"tool_call": {"id": "call_cc1", "name": "Bash",
                       "arguments": {"command": "echo claude-tool-ok > out.txt", "description": "write a file"}}},
        {"text": "Done: wrote out.txt."},
    )
    done = run(
        [agent("claude"), "-p", "write claude-tool-ok into out.txt using bash", "--dangerously-skip-permissions"],
        work,
        {
            "HOME": str(tmp_path),
            "IS_SANDBOX": "1",
            "ANTHROPIC_BASE_URL": f"{gw}/openai-main",
            "ANTHROPIC_API_KEY": CLIENT_KEY,
            "ANTHROPIC_MODEL": "gpt-4.1",
            "ANTHROPIC_SMALL_FAST_MODEL": "gpt-4.1",
            "DISABLE_AUTOUPDATER": "1",
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Done: wrote out.txt." in done.stdout
    assert (work / "out.txt").read_text().strip() == "claude-tool-ok"
    result_after_call(openai_mock, "call_cc1")
    assert all(r["path"] == "/v1/chat/completions" for r in openai_mock.requests())


def test_codex_cli_on_an_anthropic_provider(gw: str, anthropic_mock: Mock, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    home = tmp_path / "codex"
    home.mkdir()
    (home / "config.toml").write_text(
        'model = "claude-sonnet-4-5"\n'
        'model_provider = "gproxy"\n\n'
        "[model_providers.gproxy]\n"
        'name = "gproxy"\n'
        f'base_url = "{gw}/anthropic-main/v1"\n'
        'env_key = "GPROXY_KEY"\n'
        'wire_api = "responses"\n'
        "supports_websockets = false\n"
    )
    anthropic_mock.push(
        {"tool_call": {"id": "toolu_cx1", "name": "exec_command", "arguments": {"cmd": "echo codex-tool-ok > out.txt"}}},
        {"text": "Done: wrote out.txt."},
    )
    done = run(
        [agent("codex"), "exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox",
         "write codex-tool-ok into out.txt"],
        work,
        {"HOME": str(tmp_path), "CODEX_HOME": str(home), "GPROXY_KEY": CLIENT_KEY},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Done: wrote out.txt." in done.stdout
    assert (work / "out.txt").read_text().strip() == "codex-tool-ok"
    result_after_call(anthropic_mock, "toolu_cx1")
    assert all(r["path"] == "/v1/messages" for r in anthropic_mock.requests())


def test_gemini_cli_on_an_openai_provider(gw: str, openai_mock: Mock, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    settings = tmp_path / ".gemini"
    settings.mkdir()
    (settings / "settings.json").write_text(json.dumps({
        "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": False}},
        "general": {"disableAutoUpdate": True},
        "privacy": {"usageStatisticsEnabled": False},
        "telemetry": {"enabled": False},
    }))
    openai_mock.push(
        {"tool_call": {"id": "call_gm1", "name": "run_shell_command", "arguments": {"command": "echo gemini-tool-ok > out.txt"}}},
        {"text": "Done: wrote out.txt."},
    )
    done = run(
        [agent("gemini"), "-p", "write gemini-tool-ok into out.txt with the shell", "-m", "gpt-4.1", "--yolo"],
        work,
        {
            "HOME": str(tmp_path),
            "GEMINI_API_KEY": CLIENT_KEY,
            "GOOGLE_GEMINI_BASE_URL": f"{gw}/openai-main",
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Done: wrote out.txt." in done.stdout
    assert (work / "out.txt").read_text().strip() == "gemini-tool-ok"
    result_after_call(openai_mock, "call_gm1")
