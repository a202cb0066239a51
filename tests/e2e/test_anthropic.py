"""The official anthropic SDK against the gateway: Messages (plain, raw stream, the `.stream()`
helper), tool use, count_tokens, model listing and errors, provider-scoped
(`/anthropic-main`) and unscoped (`provider/model`), checking what the SDK parsed and what
the upstream mock received."""

from __future__ import annotations

import json

import anthropic
import pytest

from harness import CLIENT_KEY, Mock, assert_upstream

MODEL = "claude-sonnet-4-5"
MSGS = [{"role": "user", "content": "What is the weather in Paris?"}]
ARGS = {"city": "Paris"}
TOOLS = [
    {
        "name": "get_weather",
        "description": "Current weather for a city",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
]
TOOL_REPLY = {"tool_call": {"id": "toolu_1", "name": "get_weather", "arguments": ARGS}}
USAGE = {"input": 25, "output": 12, "cache_read": 5, "cache_write": 3, "reasoning": 0}


@pytest.fixture
def client(gw: str) -> anthropic.Anthropic:
    """Given `api_key=`, anthropic 2.x sends `Authorization: Bearer`."""
    return anthropic.Anthropic(base_url=f"{gw}/anthropic-main", api_key=CLIENT_KEY, max_retries=0)




def create(c: anthropic.Anthropic, **kw):
    return c.messages.create(model=kw.pop("model", MODEL), max_tokens=256, messages=MSGS, **kw)


def assert_usage(usage) -> None:
    assert usage.input_tokens == 25
    assert usage.output_tokens == 12
    assert usage.cache_read_input_tokens == 5
    assert usage.cache_creation_input_tokens == 3


def test_messages_create(client: anthropic.Anthropic, anthropic_mock: Mock) -> None:
    anthropic_mock.push({"text": "Sunny, 24 degrees.", "usage": USAGE})
    m = create(client, system="Be brief")
    assert [b.type for b in m.content] == ["text"]
    assert m.content[0].text == "Sunny, 24 degrees."
    assert m.stop_reason == "end_turn"
    assert m.model == MODEL
    assert_usage(m.usage)

    sent = anthropic_mock.only_request()
    assert_upstream(anthropic_mock, sent, "/v1/messages")
    assert sent["body"] == {
        "model": MODEL,
        "max_tokens": 256,
        "messages": MSGS,
        "system": "Be brief",
    }


@pytest.mark.parametrize("how", ["x-api-key", "auth_token"])
def test_messages_create_other_credentials(gw: str, anthropic_mock: Mock, how: str) -> None:
    """`x-api-key`, as anthropic 0.x and Claude Code send it, and `auth_token` (Bearer)."""
    if how == "x-api-key":
        c = anthropic.Anthropic(
            base_url=f"{gw}/anthropic-main", default_headers={"x-api-key": CLIENT_KEY},
            max_retries=0,
        )
    else:
        c = anthropic.Anthropic(base_url=f"{gw}/anthropic-main", auth_token=CLIENT_KEY, max_retries=0)
    anthropic_mock.push({"text": "Keyed."})
    m = create(c)
    assert m.content[0].text == "Keyed."
    assert_upstream(anthropic_mock, anthropic_mock.only_request(), "/v1/messages")


def test_raw_stream_events(client: anthropic.Anthropic, anthropic_mock: Mock) -> None:
    anthropic_mock.push({"text": "Streamed reply text.", "chunks": 4, "usage": USAGE})
    events = list(create(client, stream=True))
    types = [e.type for e in events]
    assert types[0] == "message_start"
    assert types[-2:] == ["message_delta", "message_stop"]
    assert types.count("content_block_start") == 1 and types.count("content_block_stop") == 1
    deltas = [e.delta.text for e in events if e.type == "content_block_delta"]
    assert "".join(deltas) == "Streamed reply text." and len(deltas) == 4
    start = events[0].message
    assert start.model == MODEL
    assert start.usage.input_tokens == 25
    message_delta = events[-2]
    assert message_delta.delta.stop_reason == "end_turn"
    assert message_delta.usage.output_tokens == 12

    sent = anthropic_mock.only_request()
    assert_upstream(anthropic_mock, sent, "/v1/messages")
    assert sent["body"]["stream"] is True


def test_stream_helper(client: anthropic.Anthropic, anthropic_mock: Mock) -> None:
    anthropic_mock.push({"text": "Helper streamed text.", "chunks": 3, "usage": USAGE})
    with client.messages.stream(model=MODEL, max_tokens=256, messages=MSGS) as s:
        pieces = list(s.text_stream)
        final = s.get_final_message()
    assert "".join(pieces) == "Helper streamed text."
    assert len([p for p in pieces if p]) == 3
    assert final.content[0].text == "Helper streamed text."
    assert final.stop_reason == "end_turn"
    assert_usage(final.usage)
    assert_upstream(anthropic_mock, anthropic_mock.only_request(), "/v1/messages")


def test_tool_use(client: anthropic.Anthropic, anthropic_mock: Mock) -> None:
    anthropic_mock.push(TOOL_REPLY)
    m = create(client, tools=TOOLS)
    assert m.stop_reason == "tool_use"
    (block,) = m.content
    assert block.type == "tool_use"
    assert (block.id, block.name, block.input) == ("toolu_1", "get_weather", ARGS)
    sent = anthropic_mock.only_request()
    assert_upstream(anthropic_mock, sent, "/v1/messages")
    assert sent["body"]["tools"] == TOOLS


def test_tool_use_streamed(client: anthropic.Anthropic, anthropic_mock: Mock) -> None:
    anthropic_mock.push(dict(TOOL_REPLY, chunks=4))
    with client.messages.stream(model=MODEL, max_tokens=256, messages=MSGS, tools=TOOLS) as s:
        partials = [e.partial_json for e in s if e.type == "input_json"]
        final = s.get_final_message()
    assert len(partials) == 4
    assert json.loads("".join(partials)) == ARGS
    (block,) = final.content
    assert block.type == "tool_use"
    assert (block.id, block.name, block.input) == ("toolu_1", "get_weather", ARGS)
    assert final.stop_reason == "tool_use"
    sent = anthropic_mock.only_request()
    assert_upstream(anthropic_mock, sent, "/v1/messages")
    assert sent["body"]["stream"] is True


def test_count_tokens(client: anthropic.Anthropic, anthropic_mock: Mock) -> None:
    anthropic_mock.push({"usage": {"input": 42}})
    n = client.messages.count_tokens(model=MODEL, messages=MSGS)
    assert n.input_tokens == 42
    sent = anthropic_mock.only_request()
    assert_upstream(anthropic_mock, sent, "/v1/messages/count_tokens")
    assert sent["body"] == {"model": MODEL, "messages": MSGS}


def test_models_list(client: anthropic.Anthropic, anthropic_mock: Mock) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids == ["claude-sonnet-4-5", "claude-haiku-4-5"]
    sent = anthropic_mock.only_request()
    assert_upstream(anthropic_mock, sent, "/v1/models")
    assert sent["method"] == "GET"


@pytest.mark.parametrize("how", ["api_key", "x-api-key"])
def test_bad_key_is_401(gw: str, anthropic_mock: Mock, how: str) -> None:
    if how == "api_key":
        bad = anthropic.Anthropic(base_url=f"{gw}/anthropic-main", api_key="sk-wrong", max_retries=0)
    else:
        bad = anthropic.Anthropic(
            base_url=f"{gw}/anthropic-main", default_headers={"x-api-key": "sk-wrong"},
            max_retries=0,
        )
    with pytest.raises(anthropic.AuthenticationError) as info:
        create(bad)
    assert info.value.status_code == 401
    assert info.value.body["type"] == "error"
    assert info.value.body["error"]["type"] == "authentication_error"
    assert anthropic_mock.requests() == []


def test_upstream_529_passed_through(client: anthropic.Anthropic, anthropic_mock: Mock) -> None:
    anthropic_mock.push({"error": {"status": 529, "message": "Overloaded"}})
    with pytest.raises(anthropic.OverloadedError) as info:
        create(client)
    assert info.value.status_code == 529
    assert info.value.body["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert_upstream(anthropic_mock, anthropic_mock.only_request(), "/v1/messages")


def test_unscoped_rewrites_model(gw: str, anthropic_mock: Mock) -> None:
    c = anthropic.Anthropic(base_url=gw, api_key=CLIENT_KEY, max_retries=0)
    anthropic_mock.push({"text": "Unscoped.", "usage": USAGE}, {"text": "Unscoped stream."})
    m = create(c, model="anthropic-main/claude-sonnet-4-5")
    assert m.content[0].text == "Unscoped."
    assert m.model == "anthropic-main/claude-sonnet-4-5"
    assert_usage(m.usage)

    with c.messages.stream(
        model="anthropic-main/claude-sonnet-4-5", max_tokens=256, messages=MSGS
    ) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == "Unscoped stream."
    assert final.model == "anthropic-main/claude-sonnet-4-5"

    log = anthropic_mock.requests()
    assert len(log) == 2
    for sent in log:
        assert_upstream(anthropic_mock, sent, "/v1/messages")
        assert sent["body"]["model"] == MODEL


def test_unscoped_count_tokens(gw: str, anthropic_mock: Mock) -> None:
    c = anthropic.Anthropic(base_url=gw, api_key=CLIENT_KEY, max_retries=0)
    anthropic_mock.push({"usage": {"input": 77}})
    n = c.messages.count_tokens(model="anthropic-main/claude-sonnet-4-5", messages=MSGS)
    assert n.input_tokens == 77
    sent = anthropic_mock.only_request()
    assert_upstream(anthropic_mock, sent, "/v1/messages/count_tokens")
    assert sent["body"]["model"] == MODEL


def test_beta_query_and_header_pass_through(client: anthropic.Anthropic, anthropic_mock: Mock) -> None:
    """Claude Code sends `POST /v1/messages?beta=true` and an `anthropic-beta` list; both
    must reach the upstream. (anthropic 2.x keeps `beta` as request metadata rather than in the
    query, so the query is added by hand here.)"""
    anthropic_mock.push({"text": "Beta."})
    m = client.beta.messages.create(
        model=MODEL,
        max_tokens=64,
        messages=MSGS,
        betas=["token-efficient-tools-2025-02-19"],
        extra_query={"beta": "true"},
    )
    assert m.content[0].text == "Beta."
    sent = anthropic_mock.only_request()
    assert_upstream(anthropic_mock, sent, "/v1/messages")
    assert sent["query"] == "beta=true"
    assert sent["headers"]["anthropic-beta"] == "token-efficient-tools-2025-02-19"


def test_upstream_529_on_a_stream_request(client: anthropic.Anthropic, anthropic_mock: Mock) -> None:
    anthropic_mock.push({"error": {"status": 529, "message": "Overloaded"}})
    with pytest.raises(anthropic.OverloadedError) as info:
        with client.messages.stream(model=MODEL, max_tokens=64, messages=MSGS) as s:
            s.get_final_message()
    assert info.value.status_code == 529
    assert_upstream(anthropic_mock, anthropic_mock.only_request(), "/v1/messages")


def test_anthropic_count_tokens_on_an_openai_provider_is_counted_locally(gw: str, openai_mock: Mock) -> None:
    """OpenAI cannot count Anthropic requests: the gateway counts with its bundled tokenizer,
    says it estimated, and calls no upstream."""
    c = anthropic.Anthropic(base_url=f"{gw}/openai-main", api_key=CLIENT_KEY, max_retries=0)
    raw = c.messages.with_raw_response.count_tokens(model="gpt-4.1", messages=MSGS)
    assert raw.headers["x-gproxy-estimated"] == "true"
    assert 5 <= raw.parse().input_tokens <= 20
    assert openai_mock.requests() == []
