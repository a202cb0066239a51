"""Gateway behaviour that cuts across the protocols: login, the unscoped model list in each
SDK's shape, single-model lookups, credentials in the query string, protocol mismatches, and
what the unscoped model rewrite must leave alone."""

from __future__ import annotations

import time

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import errors, types

from harness import CLIENT_KEY, Mock, assert_upstream

MSGS = [{"role": "user", "content": "hi"}]
CONFIGURED = ["chat-default", "openai-main/gpt-4.1"]


def test_login_returns_the_users_key(gw: str, openai_mock: Mock) -> None:
    resp = httpx.post(
        f"{gw}/login", json={"name": "alice", "password": "alice-pw"}, trust_env=False
    )
    assert resp.status_code == 200, resp.text
    key = resp.json()["api_key"]
    assert key == CLIENT_KEY
    # The key works with an SDK.
    openai_mock.push({"text": "logged in"})
    c = openai.OpenAI(base_url=f"{gw}/openai-main/v1", api_key=key, max_retries=0)
    assert c.chat.completions.create(model="gpt-4.1", messages=MSGS).choices[0].message.content == (
        "logged in"
    )

    wrong = httpx.post(
        f"{gw}/login", json={"name": "alice", "password": "nope"}, trust_env=False
    )
    assert wrong.status_code == 401


def test_unscoped_model_list_in_each_sdk_shape(
    gw: str, openai_mock: Mock, anthropic_mock: Mock, gemini_mock: Mock
) -> None:
    oa = openai.OpenAI(base_url=f"{gw}/v1", api_key=CLIENT_KEY, max_retries=0)
    assert sorted(m.id for m in oa.models.list()) == CONFIGURED

    an = anthropic.Anthropic(base_url=gw, api_key=CLIENT_KEY, max_retries=0)
    anthropic_models = list(an.models.list())
    assert sorted(m.id for m in anthropic_models) == CONFIGURED
    assert {m.type for m in anthropic_models} == {"model"}

    for version in ("v1beta", "v1"):
        ge = genai.Client(
            api_key=CLIENT_KEY, http_options=types.HttpOptions(base_url=gw, api_version=version)
        )
        names = sorted(m.name for m in ge.models.list())
        assert names == [f"models/{m}" for m in CONFIGURED], version

    for mock in (openai_mock, anthropic_mock, gemini_mock):
        assert mock.requests() == [], "unscoped lists are answered by the gateway itself"


def test_single_model_lookups(gw: str, openai_mock: Mock, anthropic_mock: Mock) -> None:
    scoped = openai.OpenAI(base_url=f"{gw}/openai-main/v1", api_key=CLIENT_KEY, max_retries=0)
    assert scoped.models.retrieve("gpt-4.1").id == "gpt-4.1"
    assert_upstream(openai_mock, openai_mock.only_request(), "/v1/models/gpt-4.1")

    unscoped = openai.OpenAI(base_url=f"{gw}/v1", api_key=CLIENT_KEY, max_retries=0)
    assert unscoped.models.retrieve("openai-main/gpt-4.1").id == "openai-main/gpt-4.1"
    assert unscoped.models.retrieve("chat-default").id == "chat-default"
    with pytest.raises(openai.NotFoundError):
        unscoped.models.retrieve("openai-main/no-such-model")

    an = anthropic.Anthropic(base_url=f"{gw}/anthropic-main", api_key=CLIENT_KEY, max_retries=0)
    assert an.models.retrieve("claude-sonnet-4-5").id == "claude-sonnet-4-5"
    assert_upstream(anthropic_mock, anthropic_mock.only_request(), "/v1/models/claude-sonnet-4-5")


def test_query_key_credential(gw: str, gemini_mock: Mock) -> None:
    url = f"{gw}/gemini-main/v1beta/models/gemini-2.5-flash:generateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    bad = httpx.post(url, params={"key": "sk-wrong"}, json=body, trust_env=False)
    assert bad.status_code == 401
    assert bad.json()["error"]["status"] == "UNAUTHENTICATED"
    assert gemini_mock.requests() == []

    gemini_mock.push({"text": "query key ok"})
    good = httpx.post(
        url, params={"key": CLIENT_KEY, "foo": "bar", "alt": "json"}, json=body, trust_env=False
    )
    assert good.status_code == 200, good.text
    assert good.json()["candidates"][0]["content"]["parts"][0]["text"] == "query key ok"
    sent = gemini_mock.only_request()
    assert_upstream(gemini_mock, sent, "/v1beta/models/gemini-2.5-flash:generateContent")
    assert sent["query"] == "alt=json", "what the operation defines passes; the key and the rest do not"


def test_missing_key_is_401_in_each_shape(gw: str, stack) -> None:
    body = {"model": "m", "messages": MSGS}
    calls = {
        "openai": f"{gw}/openai-main/v1/chat/completions",
        "anthropic": f"{gw}/anthropic-main/v1/messages",
        "gemini": f"{gw}/gemini-main/v1beta/models/gemini-2.5-flash:generateContent",
    }
    shapes = {}
    for name, url in calls.items():
        resp = httpx.post(url, json=body, trust_env=False)
        assert resp.status_code == 401, (name, resp.text)
        shapes[name] = resp.json()
    assert shapes["openai"]["error"]["message"]
    assert shapes["anthropic"]["type"] == "error"
    assert shapes["anthropic"]["error"]["type"] == "authentication_error"
    assert shapes["gemini"]["error"]["code"] == 401
    assert shapes["gemini"]["error"]["status"] == "UNAUTHENTICATED"
    for mock in stack.mocks.values():
        assert mock.requests() == []


def test_gemini_embeddings_on_an_openai_provider(gw: str, openai_mock: Mock) -> None:
    """google-genai's embed_content on an OpenAI provider: translated to /v1/embeddings."""
    c = genai.Client(
        api_key=CLIENT_KEY, http_options=types.HttpOptions(base_url=f"{gw}/openai-main")
    )
    r = c.models.embed_content(model="text-embedding-3-small", contents=["hello", "world"])
    assert len(r.embeddings) == 2 and len(r.embeddings[0].values) > 0
    sent = openai_mock.only_request()
    assert sent["path"] == "/v1/embeddings"
    assert sent["body"]["input"] == ["hello", "world"]


def test_openai_embeddings_on_a_gemini_provider(gw: str, gemini_mock: Mock) -> None:
    """The openai SDK asks for base64 vectors by default: they come back decodable."""
    import openai as openai_sdk

    c = openai_sdk.OpenAI(base_url=f"{gw}/gemini-main/v1", api_key=CLIENT_KEY, max_retries=0)
    r = c.embeddings.create(model="text-embedding-004", input=["hello", "world"])
    assert len(r.data) == 2 and len(r.data[0].embedding) > 0
    assert all(isinstance(x, float) for x in r.data[1].embedding)
    assert gemini_mock.only_request()["path"] == "/v1beta/models/text-embedding-004:batchEmbedContents"


def test_unknown_provider_is_404(gw: str) -> None:
    c = openai.OpenAI(base_url=f"{gw}/v1", api_key=CLIENT_KEY, max_retries=0)
    with pytest.raises(openai.NotFoundError):
        c.chat.completions.create(model="nowhere/gpt-4.1", messages=MSGS)


def test_unscoped_rewrite_leaves_tool_input_alone(gw: str, anthropic_mock: Mock) -> None:
    """Only the response's own `model` names the client's model; a tool input that happens to
    have a `model` field equal to the upstream id is the assistant's output and must arrive
    unchanged."""
    c = anthropic.Anthropic(base_url=gw, api_key=CLIENT_KEY, max_retries=0)
    tool_input = {"model": "claude-sonnet-4-5", "n": 1}
    anthropic_mock.push(
        {"tool_call": {"id": "toolu_9", "name": "pick_model", "arguments": tool_input}}
    )
    m = c.messages.create(
        model="anthropic-main/claude-sonnet-4-5",
        max_tokens=64,
        messages=MSGS,
        tools=[{"name": "pick_model", "input_schema": {"type": "object"}}],
    )
    assert m.model == "anthropic-main/claude-sonnet-4-5"
    assert anthropic_mock.only_request()["body"]["model"] == "claude-sonnet-4-5"
    assert m.content[0].input == tool_input


# Three deltas 400 ms apart: a relay that buffers would deliver the first only at the end.
SLOW = {"text": "aaabbbccc", "chunks": 3, "chunk_delay_ms": 400}


def _first_and_total(events) -> tuple[float, float]:
    started = time.monotonic()
    first = None
    for _ in events:
        if first is None:
            first = time.monotonic() - started
    return first, time.monotonic() - started


@pytest.mark.parametrize("sdk", ["openai", "anthropic", "gemini"])
def test_streams_are_relayed_incrementally(
    gw: str, stack, sdk: str
) -> None:
    stack.mocks[sdk].push(SLOW)
    if sdk == "openai":
        c = openai.OpenAI(base_url=f"{gw}/openai-main/v1", api_key=CLIENT_KEY, max_retries=0)
        events = c.chat.completions.create(model="gpt-4.1", messages=MSGS, stream=True)
    elif sdk == "anthropic":
        c = anthropic.Anthropic(base_url=f"{gw}/anthropic-main", api_key=CLIENT_KEY, max_retries=0)
        events = c.messages.create(
            model="claude-sonnet-4-5", max_tokens=64, messages=MSGS, stream=True
        )
    else:
        c = genai.Client(
            api_key=CLIENT_KEY, http_options=types.HttpOptions(base_url=f"{gw}/gemini-main")
        )
        events = c.models.generate_content_stream(model="gemini-2.5-flash", contents="hi")
    first, total = _first_and_total(events)
    assert total >= 0.8, f"the mock paces the stream: {total:.2f}s"
    assert first < total - 0.5, f"first event at {first:.2f}s of {total:.2f}s: buffered?"
