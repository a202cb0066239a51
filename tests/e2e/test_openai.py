"""The official openai SDK against the gateway: Chat Completions, Responses, Embeddings and
model listing, provider-scoped (`/openai-main/v1`) and unscoped (`/v1`, `provider/model` or an
alias), checking both what the SDK parsed and what the upstream mock received."""

from __future__ import annotations

import json

import openai
import pytest

from harness import CLIENT_KEY, Mock, assert_upstream, mock_embedding

MSGS = [{"role": "user", "content": "What is the weather in Paris?"}]
ARGS = {"city": "Paris"}
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
TOOL_REPLY = {"tool_call": {"id": "call_1", "name": "get_weather", "arguments": ARGS}}
USAGE = {"input": 21, "output": 9, "cache_read": 4, "cache_write": 0, "reasoning": 2}


@pytest.fixture
def client(gw: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gw}/openai-main/v1", api_key=CLIENT_KEY, max_retries=0)


@pytest.fixture
def unscoped(gw: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gw}/v1", api_key=CLIENT_KEY, max_retries=0)


def assert_usage(usage) -> None:
    assert usage.prompt_tokens == 21
    assert usage.completion_tokens == 9
    assert usage.total_tokens == 30
    assert usage.prompt_tokens_details.cached_tokens == 4
    assert usage.completion_tokens_details.reasoning_tokens == 2


# --- Chat Completions -------------------------------------------------------------------------


def test_chat_scoped(client: openai.OpenAI, openai_mock: Mock) -> None:
    openai_mock.push({"text": "Sunny, 24 degrees.", "usage": USAGE})
    r = client.chat.completions.create(model="gpt-4.1", messages=MSGS, temperature=0.2)
    assert r.choices[0].message.content == "Sunny, 24 degrees."
    assert r.choices[0].finish_reason == "stop"
    assert r.model == "gpt-4.1"
    assert_usage(r.usage)

    sent = openai_mock.only_request()
    assert_upstream(openai_mock, sent, "/v1/chat/completions")
    assert sent["method"] == "POST"
    assert sent["body"]["model"] == "gpt-4.1"
    assert sent["body"]["messages"] == MSGS
    assert sent["body"]["temperature"] == 0.2


@pytest.mark.parametrize(
    "model", ["openai-main/gpt-4.1", "chat-default"], ids=["provider-model", "alias"]
)
def test_chat_unscoped_rewrites_model(unscoped: openai.OpenAI, openai_mock: Mock, model) -> None:
    openai_mock.push({"text": "Routed.", "usage": USAGE})
    r = unscoped.chat.completions.create(model=model, messages=MSGS)
    assert r.choices[0].message.content == "Routed."
    assert r.model == model, "the response names the model the client asked for"
    assert_usage(r.usage)

    sent = openai_mock.only_request()
    assert_upstream(openai_mock, sent, "/v1/chat/completions")
    assert sent["body"]["model"] == "gpt-4.1", "the upstream sees its own model id"


def test_chat_stream_with_usage(client: openai.OpenAI, openai_mock: Mock) -> None:
    openai_mock.push({"text": "One, two, three.", "chunks": 4, "usage": USAGE})
    stream = client.chat.completions.create(
        model="gpt-4.1", messages=MSGS, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "One, two, three."
    deltas = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(deltas) == 4, deltas
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    last = chunks[-1]
    assert last.choices == [], "with include_usage the last chunk has no choices"
    assert_usage(last.usage)
    assert {c.model for c in chunks} == {"gpt-4.1"}

    sent = openai_mock.only_request()
    assert_upstream(openai_mock, sent, "/v1/chat/completions")
    assert sent["body"]["stream"] is True
    assert sent["body"]["stream_options"] == {"include_usage": True}


def test_chat_stream_unscoped_rewrites_model(unscoped: openai.OpenAI, openai_mock: Mock) -> None:
    openai_mock.push({"text": "Streamed and routed."})
    stream = unscoped.chat.completions.create(
        model="openai-main/gpt-4.1", messages=MSGS, stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
        "Streamed and routed."
    )
    assert {c.model for c in chunks} == {"openai-main/gpt-4.1"}
    sent = openai_mock.only_request()
    assert_upstream(openai_mock, sent, "/v1/chat/completions")
    assert sent["body"]["model"] == "gpt-4.1"


def test_chat_stream_helper(client: openai.OpenAI, openai_mock: Mock) -> None:
    openai_mock.push({"text": "Helper text here.", "chunks": 3, "usage": USAGE})
    # openai 1.x keeps the helper under `beta`; 3.x has it on `chat.completions`.
    helper = getattr(client.chat.completions, "stream", None) or client.beta.chat.completions.stream
    with helper(model="gpt-4.1", messages=MSGS, stream_options={"include_usage": True}) as s:
        deltas = [e.delta for e in s if e.type == "content.delta" and e.delta]
        final = s.get_final_completion()
    assert "".join(deltas) == "Helper text here."
    assert final.choices[0].message.content == "Helper text here."
    assert final.choices[0].finish_reason == "stop"
    assert_usage(final.usage)
    assert_upstream(openai_mock, openai_mock.only_request(), "/v1/chat/completions")


def test_chat_tool_call(client: openai.OpenAI, openai_mock: Mock) -> None:
    openai_mock.push(TOOL_REPLY)
    r = client.chat.completions.create(model="gpt-4.1", messages=MSGS, tools=TOOLS)
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.id == "call_1"
    assert call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == ARGS

    sent = openai_mock.only_request()
    assert_upstream(openai_mock, sent, "/v1/chat/completions")
    assert sent["body"]["tools"] == TOOLS


def test_chat_tool_call_stream(client: openai.OpenAI, openai_mock: Mock) -> None:
    openai_mock.push(dict(TOOL_REPLY, chunks=4), dict(TOOL_REPLY, chunks=2))

    # Raw chunks: fragments of the arguments, keyed by tool-call index.
    calls: dict[int, dict] = {}
    for chunk in client.chat.completions.create(
        model="gpt-4.1", messages=MSGS, tools=TOOLS, stream=True
    ):
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            slot = calls.setdefault(delta.index, {"id": None, "name": None, "args": ""})
            slot["id"] = delta.id or slot["id"]
            if delta.function:
                slot["name"] = delta.function.name or slot["name"]
                slot["args"] += delta.function.arguments or ""
    assert list(calls) == [0]
    assert calls[0]["id"] == "call_1" and calls[0]["name"] == "get_weather"
    assert json.loads(calls[0]["args"]) == ARGS

    # The helper's accumulator (which needs `index` on every tool-call delta).
    helper = getattr(client.chat.completions, "stream", None) or client.beta.chat.completions.stream
    with helper(model="gpt-4.1", messages=MSGS, tools=TOOLS) as s:
        done = [e for e in s if e.type == "tool_calls.function.arguments.done"]
        final = s.get_final_completion()
    assert [e.name for e in done] == ["get_weather"]
    assert json.loads(done[0].arguments) == ARGS
    (call,) = final.choices[0].message.tool_calls
    assert (call.id, call.function.name) == ("call_1", "get_weather")
    assert json.loads(call.function.arguments) == ARGS
    assert final.choices[0].finish_reason == "tool_calls"

    log = openai_mock.requests()
    assert len(log) == 2
    for sent in log:
        assert_upstream(openai_mock, sent, "/v1/chat/completions")
        assert sent["body"]["stream"] is True


# --- Responses --------------------------------------------------------------------------------


def test_responses(client: openai.OpenAI, openai_mock: Mock) -> None:
    openai_mock.push({"text": "A response.", "usage": USAGE})
    r = client.responses.create(model="gpt-4.1", input="Say something", instructions="Be brief")
    assert r.output_text == "A response."
    assert r.status == "completed"
    assert r.model == "gpt-4.1"
    assert r.usage.input_tokens == 21
    assert r.usage.output_tokens == 9
    assert r.usage.total_tokens == 30
    assert r.usage.input_tokens_details.cached_tokens == 4
    assert r.usage.output_tokens_details.reasoning_tokens == 2

    sent = openai_mock.only_request()
    assert_upstream(openai_mock, sent, "/v1/responses")
    assert sent["body"]["input"] == "Say something"
    assert sent["body"]["instructions"] == "Be brief"
    assert sent["body"]["model"] == "gpt-4.1"


def test_responses_stream(client: openai.OpenAI, openai_mock: Mock) -> None:
    openai_mock.push({"text": "Streaming a response.", "chunks": 3, "usage": USAGE})
    events = list(client.responses.create(model="gpt-4.1", input="hi", stream=True))
    types = [e.type for e in events]
    assert types[0] == "response.created"
    assert types[-1] == "response.completed"
    for expected in (
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.output_item.done",
    ):
        assert expected in types, types
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == "Streaming a response." and len(deltas) == 3
    completed = events[-1].response
    assert completed.output_text == "Streaming a response."
    assert completed.usage.input_tokens == 21 and completed.usage.output_tokens == 9

    # The helper reads the same stream into a final response.
    openai_mock.push({"text": "Helper response."})
    with client.responses.stream(model="gpt-4.1", input="hi") as s:
        helper_deltas = [e.delta for e in s if e.type == "response.output_text.delta"]
        final = s.get_final_response()
    assert "".join(helper_deltas) == "Helper response."
    assert final.output_text == "Helper response."

    log = openai_mock.requests()
    assert len(log) == 2
    for sent in log:
        assert_upstream(openai_mock, sent, "/v1/responses")
        assert sent["body"]["stream"] is True


def test_responses_tool_call(client: openai.OpenAI, openai_mock: Mock) -> None:
    tools = [{"type": "function", "name": "get_weather",
              "parameters": TOOLS[0]["function"]["parameters"]}]
    openai_mock.push(TOOL_REPLY, TOOL_REPLY)
    r = client.responses.create(model="gpt-4.1", input="Weather in Paris?", tools=tools)
    (item,) = [o for o in r.output if o.type == "function_call"]
    assert item.call_id == "call_1" and item.name == "get_weather"
    assert json.loads(item.arguments) == ARGS

    with client.responses.stream(model="gpt-4.1", input="Weather in Paris?", tools=tools) as s:
        types = [e.type for e in s]
        final = s.get_final_response()
    assert "response.function_call_arguments.done" in types
    item = final.output[0]
    assert item.type == "function_call" and item.call_id == "call_1"
    assert json.loads(item.arguments) == ARGS

    log = openai_mock.requests()
    assert len(log) == 2
    for sent in log:
        assert_upstream(openai_mock, sent, "/v1/responses")
        assert sent["body"]["tools"] == tools


def test_responses_unscoped_alias_rewrites_model(unscoped: openai.OpenAI, openai_mock: Mock) -> None:
    openai_mock.push({"text": "Aliased."}, {"text": "Aliased stream."})
    r = unscoped.responses.create(model="chat-default", input="hi")
    assert r.output_text == "Aliased."
    assert r.model == "chat-default"

    events = list(unscoped.responses.create(model="chat-default", input="hi", stream=True))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert events[0].response.model == "chat-default"
    assert events[-1].response.model == "chat-default"
    assert events[-1].response.output_text == "Aliased stream."

    log = openai_mock.requests()
    assert len(log) == 2
    for sent in log:
        assert_upstream(openai_mock, sent, "/v1/responses")
        assert sent["body"]["model"] == "gpt-4.1"


# --- Embeddings and models --------------------------------------------------------------------


def test_embeddings_base64_default(client: openai.OpenAI, openai_mock: Mock) -> None:
    openai_mock.push({"usage": {"input": 6}})
    e = client.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"])
    assert [d.index for d in e.data] == [0, 1]
    # f32 values over powers of two: the decoded floats are exact.
    assert e.data[0].embedding == mock_embedding("alpha")
    assert e.data[1].embedding == mock_embedding("beta")
    assert e.usage.prompt_tokens == 6

    sent = openai_mock.only_request()
    assert_upstream(openai_mock, sent, "/v1/embeddings")
    assert sent["body"]["encoding_format"] == "base64", "the SDK asks for base64 by default"
    assert sent["body"]["input"] == ["alpha", "beta"]


def test_embeddings_unscoped(unscoped: openai.OpenAI, openai_mock: Mock) -> None:
    e = unscoped.embeddings.create(model="openai-main/text-embedding-3-small", input="alpha")
    assert e.data[0].embedding == mock_embedding("alpha")
    assert e.model == "openai-main/text-embedding-3-small"
    sent = openai_mock.only_request()
    assert_upstream(openai_mock, sent, "/v1/embeddings")
    assert sent["body"]["model"] == "text-embedding-3-small"


def test_models_scoped_passthrough(client: openai.OpenAI, openai_mock: Mock) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids == ["gpt-4.1", "gpt-4.1-mini"]
    sent = openai_mock.only_request()
    assert_upstream(openai_mock, sent, "/v1/models")
    assert sent["method"] == "GET"


def test_models_unscoped_lists_configured(
    unscoped: openai.OpenAI, openai_mock: Mock, anthropic_mock: Mock, gemini_mock: Mock
) -> None:
    ids = sorted(m.id for m in unscoped.models.list())
    assert ids == ["chat-default", "openai-main/gpt-4.1"]
    assert openai_mock.requests() == []
    assert anthropic_mock.requests() == []
    assert gemini_mock.requests() == []


# --- Errors -----------------------------------------------------------------------------------


def test_bad_key_is_401(gw: str, openai_mock: Mock) -> None:
    bad = openai.OpenAI(base_url=f"{gw}/openai-main/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        bad.chat.completions.create(model="gpt-4.1", messages=MSGS)
    assert info.value.status_code == 401
    assert isinstance(info.value.body, dict) and info.value.body.get("message"), info.value.body
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{gw}/v1", api_key="sk-wrong", max_retries=0).models.list()
    assert openai_mock.requests() == []


def test_upstream_429_passed_through(client: openai.OpenAI, openai_mock: Mock) -> None:
    openai_mock.push({"error": {"status": 429, "message": "slow down"}})
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="gpt-4.1", messages=MSGS)
    assert info.value.status_code == 429
    assert "slow down" in info.value.message
    assert info.value.body["message"] == "slow down"
    assert_upstream(openai_mock, openai_mock.only_request(), "/v1/chat/completions")


def test_upstream_429_on_a_stream_request(client: openai.OpenAI, openai_mock: Mock) -> None:
    """An upstream error before any stream byte keeps its status, even when streaming."""
    openai_mock.push({"error": {"status": 429, "message": "slow stream"}})
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="gpt-4.1", messages=MSGS, stream=True)
    assert info.value.status_code == 429
    assert "slow stream" in info.value.message
    assert_upstream(openai_mock, openai_mock.only_request(), "/v1/chat/completions")


def test_openai_embeddings_against_an_anthropic_provider_is_501(gw: str, anthropic_mock: Mock) -> None:
    """Anthropic has no embeddings: a clear 501, no retry."""
    c = openai.OpenAI(base_url=f"{gw}/anthropic-main/v1", api_key=CLIENT_KEY, max_retries=0)
    with pytest.raises(openai.APIStatusError) as info:
        c.embeddings.create(model="claude-sonnet-4-5", input="hi")
    assert info.value.status_code == 501
    assert info.value.response.headers["x-should-retry"] == "false"
    assert anthropic_mock.requests() == []
