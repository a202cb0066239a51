"""Translation through the gateway with the official SDKs: the anthropic SDK on OpenAI Chat
and Gemini providers, the openai SDK on Anthropic and Gemini providers, google-genai on an
OpenAI Chat provider; plain and streamed, and tool conversations over two turns (call, then
result), checking what each SDK parsed, the ids pairing, the usage, and what the upstream
received."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest
from google import genai
from google.genai import types

from harness import CLIENT_KEY, Mock, assert_upstream

ARGS = {"city": "Paris"}
ANTHROPIC_TOOLS = [
    {
        "name": "get_weather",
        "description": "Current weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]
OPENAI_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]
USAGE = {"input": 25, "output": 12, "cache_read": 5, "cache_write": 0, "reasoning": 0}
QUESTION = [{"role": "user", "content": "What is the weather in Paris?"}]


@pytest.fixture
def claude_on_openai(gw: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=f"{gw}/openai-main", api_key=CLIENT_KEY, max_retries=0)


@pytest.fixture
def gpt_on_anthropic(gw: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gw}/anthropic-main/v1", api_key=CLIENT_KEY, max_retries=0)


def test_anthropic_sdk_on_an_openai_provider(claude_on_openai: anthropic.Anthropic, openai_mock: Mock) -> None:
    openai_mock.push({"text": "Sunny in Paris.", "usage": USAGE})
    msg = claude_on_openai.messages.create(
        model="gpt-4.1", max_tokens=256, system="Be brief.", messages=QUESTION
    )
    assert msg.type == "message" and msg.role == "assistant"
    assert msg.content[0].type == "text" and msg.content[0].text == "Sunny in Paris."
    assert msg.stop_reason == "end_turn"
    # Chat's prompt tokens include the cached ones; Anthropic counts them apart.
    assert (msg.usage.input_tokens, msg.usage.cache_read_input_tokens) == (20, 5)
    assert msg.usage.output_tokens == 12
    sent = openai_mock.only_request()
    assert_upstream(openai_mock, sent, "/v1/chat/completions")
    assert sent["body"]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert sent["body"]["model"] == "gpt-4.1"


def test_anthropic_stream_helper_on_an_openai_provider(
    claude_on_openai: anthropic.Anthropic, openai_mock: Mock
) -> None:
    openai_mock.push({"text": "Sunny and warm in Paris today.", "chunks": 5, "usage": USAGE})
    with claude_on_openai.messages.stream(model="gpt-4.1", max_tokens=256, messages=QUESTION) as s:
        texts = list(s.text_stream)
        final = s.get_final_message()
    assert "".join(texts) == "Sunny and warm in Paris today."
    assert len(texts) == 5
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 12
    assert openai_mock.only_request()["body"]["stream_options"] == {"include_usage": True}


def test_anthropic_tool_conversation_on_an_openai_provider(
    claude_on_openai: anthropic.Anthropic, openai_mock: Mock
) -> None:
    openai_mock.push(
        {"tool_call": {"id": "call_w1", "name": "get_weather", "arguments": ARGS}, "chunks": 3}
    )
    with claude_on_openai.messages.stream(
        model="gpt-4.1", max_tokens=256, messages=QUESTION, tools=ANTHROPIC_TOOLS
    ) as s:
        first = s.get_final_message()
    assert first.stop_reason == "tool_use"
    call = next(b for b in first.content if b.type == "tool_use")
    assert (call.id, call.name, call.input) == ("call_w1", "get_weather", ARGS)

    openai_mock.clear()
    openai_mock.push({"text": "It is sunny."})
    history = QUESTION + [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny, 24C"}]},
    ]
    second = claude_on_openai.messages.create(
        model="gpt-4.1", max_tokens=256, messages=history, tools=ANTHROPIC_TOOLS
    )
    assert second.content[0].text == "It is sunny."
    msgs = openai_mock.only_request()["body"]["messages"]
    assistant = next(m for m in msgs if m["role"] == "assistant")
    assert assistant["tool_calls"][0]["id"] == "call_w1"
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == ARGS
    tool = next(m for m in msgs if m["role"] == "tool")
    assert tool == {"role": "tool", "content": "sunny, 24C", "tool_call_id": "call_w1"}


def test_openai_sdk_on_an_anthropic_provider(gpt_on_anthropic: openai.OpenAI, anthropic_mock: Mock) -> None:
    anthropic_mock.push({"text": "Sunny in Paris.", "usage": USAGE})
    resp = gpt_on_anthropic.chat.completions.create(
        model="claude-sonnet-4-5",
        messages=[{"role": "system", "content": "Be brief."}] + QUESTION,
        max_tokens=100,
    )
    assert resp.choices[0].message.content == "Sunny in Paris."
    assert resp.choices[0].finish_reason == "stop"
    assert resp.model == "claude-sonnet-4-5"
    # Anthropic's input excludes the cache reads; chat's prompt tokens include them.
    assert resp.usage.prompt_tokens == 30
    assert resp.usage.prompt_tokens_details.cached_tokens == 5
    assert resp.usage.completion_tokens == 12
    sent = anthropic_mock.only_request()
    assert_upstream(anthropic_mock, sent, "/v1/messages")
    assert sent["body"]["system"] == "Be brief."
    assert sent["body"]["max_tokens"] == 100


def test_openai_stream_and_tool_conversation_on_an_anthropic_provider(
    gpt_on_anthropic: openai.OpenAI, anthropic_mock: Mock
) -> None:
    anthropic_mock.push(
        {"tool_call": {"id": "toolu_1", "name": "get_weather", "arguments": ARGS}, "chunks": 3, "usage": USAGE}
    )
    stream = gpt_on_anthropic.chat.completions.create(
        model="claude-sonnet-4-5",
        messages=QUESTION,
        tools=OPENAI_TOOLS,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert calls[0].id == "toolu_1" and calls[0].function.name == "get_weather"
    assert all(tc.index == 0 for tc in calls)
    assert json.loads("".join(tc.function.arguments or "" for tc in calls)) == ARGS
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["tool_calls"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 12

    anthropic_mock.clear()
    anthropic_mock.push({"text": "It is sunny."})
    second = gpt_on_anthropic.chat.completions.create(
        model="claude-sonnet-4-5",
        tools=OPENAI_TOOLS,
        messages=QUESTION
        + [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": json.dumps(ARGS)}}
                ],
            },
            {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny, 24C"},
        ],
    )
    assert second.choices[0].message.content == "It is sunny."
    msgs = anthropic_mock.only_request()["body"]["messages"]
    assert msgs[1]["content"][0] == {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": ARGS}
    assert msgs[2]["role"] == "user"
    assert msgs[2]["content"][0] == {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny, 24C"}


def test_openai_stream_helper_on_an_anthropic_provider(
    gpt_on_anthropic: openai.OpenAI, anthropic_mock: Mock
) -> None:
    anthropic_mock.push({"text": "Sunny and warm.", "chunks": 4})
    with gpt_on_anthropic.chat.completions.stream(model="claude-sonnet-4-5", messages=QUESTION) as s:
        final = s.get_final_completion()
    assert final.choices[0].message.content == "Sunny and warm."
    assert final.choices[0].finish_reason == "stop"


GEMINI_TOOL = types.Tool(
    function_declarations=[
        types.FunctionDeclaration(
            name="get_weather",
            description="Current weather for a city",
            parameters_json_schema={"type": "object", "properties": {"city": {"type": "string"}}},
        )
    ]
)


@pytest.mark.parametrize("version", ["v1beta", None], ids=["v1beta", "default-v1"])
def test_google_genai_on_an_openai_provider(gw: str, openai_mock: Mock, version) -> None:
    options = {"base_url": f"{gw}/openai-main"}
    if version:
        options["api_version"] = version
    c = genai.Client(api_key=CLIENT_KEY, http_options=types.HttpOptions(**options))
    openai_mock.push({"text": "Sunny in Paris.", "usage": USAGE})
    r = c.models.generate_content(
        model="gpt-4.1",
        contents="What is the weather in Paris?",
        config=types.GenerateContentConfig(system_instruction="Be brief.", max_output_tokens=64),
    )
    assert r.text == "Sunny in Paris."
    assert r.usage_metadata.prompt_token_count == 25
    assert r.usage_metadata.cached_content_token_count == 5
    sent = openai_mock.only_request()
    assert_upstream(openai_mock, sent, "/v1/chat/completions")
    assert sent["body"]["messages"][0] == {"role": "system", "content": "Be brief."}

    openai_mock.clear()
    openai_mock.push({"text": "Sunny and warm.", "chunks": 3})
    pieces = [chunk.text for chunk in c.models.generate_content_stream(model="gpt-4.1", contents="Weather?")]
    assert "".join(p for p in pieces if p) == "Sunny and warm."


def test_google_genai_function_call_on_an_openai_provider(gw: str, openai_mock: Mock) -> None:
    c = genai.Client(api_key=CLIENT_KEY, http_options=types.HttpOptions(base_url=f"{gw}/openai-main"))
    openai_mock.push({"tool_call": {"id": "call_g1", "name": "get_weather", "arguments": ARGS}, "chunks": 2})
    config = types.GenerateContentConfig(
        tools=[GEMINI_TOOL],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    chunks = list(c.models.generate_content_stream(model="gpt-4.1", contents="Weather in Paris?", config=config))
    calls = [fc for ch in chunks for fc in (ch.function_calls or [])]
    assert [(fc.name, fc.args) for fc in calls] == [("get_weather", ARGS)]

    openai_mock.clear()
    openai_mock.push({"text": "It is sunny."})
    r = c.models.generate_content(
        model="gpt-4.1",
        contents=[
            types.Content(role="user", parts=[types.Part(text="Weather in Paris?")]),
            types.Content(role="model", parts=[types.Part(function_call=calls[0])]),
            types.Content(
                role="user",
                parts=[types.Part.from_function_response(name="get_weather", response={"result": "sunny"})],
            ),
        ],
        config=config,
    )
    assert r.text == "It is sunny."
    msgs = openai_mock.only_request()["body"]["messages"]
    assistant = next(m for m in msgs if m["role"] == "assistant")
    tool = next(m for m in msgs if m["role"] == "tool")
    assert tool["tool_call_id"] == assistant["tool_calls"][0]["id"], "call and result paired"
    assert tool["content"] == "sunny"


def test_openai_sdk_on_a_gemini_provider(gw: str, gemini_mock: Mock) -> None:
    c = openai.OpenAI(base_url=f"{gw}/gemini-main/v1", api_key=CLIENT_KEY, max_retries=0)
    gemini_mock.push({"text": "Sunny in Paris."})
    resp = c.chat.completions.create(model="gemini-2.5-flash", messages=QUESTION)
    assert resp.choices[0].message.content == "Sunny in Paris."
    assert_upstream(gemini_mock, gemini_mock.only_request(), "/v1beta/models/gemini-2.5-flash:generateContent")

    gemini_mock.clear()
    gemini_mock.push({"tool_call": {"id": "unused", "name": "get_weather", "arguments": ARGS}})
    with c.chat.completions.stream(model="gemini-2.5-flash", messages=QUESTION, tools=OPENAI_TOOLS) as s:
        final = s.get_final_completion()
    (call,) = final.choices[0].message.tool_calls
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == ARGS
    assert final.choices[0].finish_reason == "tool_calls"
    sent = gemini_mock.only_request()
    assert sent["path"].endswith(":streamGenerateContent") and sent["query"] == "alt=sse"


def test_anthropic_sdk_on_a_gemini_provider(gw: str, gemini_mock: Mock) -> None:
    c = anthropic.Anthropic(base_url=f"{gw}/gemini-main", api_key=CLIENT_KEY, max_retries=0)
    gemini_mock.push({"text": "Sunny and warm in Paris.", "chunks": 3})
    with c.messages.stream(model="gemini-2.5-flash", max_tokens=100, messages=QUESTION) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == "Sunny and warm in Paris."
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0

    gemini_mock.clear()
    gemini_mock.push({"text": "Sunny in Paris.", "usage": USAGE})
    r = c.messages.create(model="gemini-2.5-flash", max_tokens=100, system="Be brief.", messages=QUESTION)
    assert [b.text for b in r.content if b.type == "text"] == ["Sunny in Paris."]
    assert r.stop_reason == "end_turn"
    # Gemini's prompt count includes the cached tokens; Anthropic's input_tokens does not.
    assert (r.usage.input_tokens, r.usage.cache_read_input_tokens, r.usage.output_tokens) == (20, 5, 12)
    sent = gemini_mock.only_request()
    assert_upstream(gemini_mock, sent, "/v1beta/models/gemini-2.5-flash:generateContent")
    assert sent["body"]["systemInstruction"]["parts"] == [{"text": "Be brief."}]


def test_openai_responses_sdk_on_an_anthropic_provider(gw: str, anthropic_mock: Mock) -> None:
    c = openai.OpenAI(base_url=f"{gw}/anthropic-main/v1", api_key=CLIENT_KEY, max_retries=0)
    anthropic_mock.push({"text": "Sunny in Paris.", "usage": USAGE})
    r = c.responses.create(model="claude-sonnet-4-5", instructions="Be brief.", input="Weather in Paris?")
    assert r.output_text == "Sunny in Paris."
    assert r.status == "completed"
    assert r.usage.input_tokens == 30 and r.usage.output_tokens == 12
    assert anthropic_mock.only_request()["body"]["system"] == "Be brief."

    anthropic_mock.clear()
    anthropic_mock.push(
        {"tool_call": {"id": "toolu_r", "name": "get_weather", "arguments": ARGS}, "chunks": 3}
    )
    tools = [{"type": "function", "name": "get_weather", "description": "Weather",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]
    with c.responses.stream(model="claude-sonnet-4-5", input="Weather in Paris?", tools=tools, store=False) as s:
        final = s.get_final_response()
    (call,) = [o for o in final.output if o.type == "function_call"]
    assert (call.call_id, call.name, json.loads(call.arguments)) == ("toolu_r", "get_weather", ARGS)

    anthropic_mock.clear()
    anthropic_mock.push({"text": "It is sunny."})
    second = c.responses.create(
        model="claude-sonnet-4-5",
        store=False,
        tools=tools,
        input=[
            {"role": "user", "content": "Weather in Paris?"},
            {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
            {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"},
        ],
    )
    assert second.output_text == "It is sunny."
    msgs = anthropic_mock.only_request()["body"]["messages"]
    assert msgs[2]["content"][0] == {"type": "tool_result", "tool_use_id": "toolu_r", "content": "sunny"}


TWO_CALLS = {
    "tool_calls": [
        {"id": "call_p1", "name": "get_weather", "arguments": {"city": "Paris"}},
        {"id": "call_r1", "name": "get_weather", "arguments": {"city": "Rome"}},
    ],
    "chunks": 3,
}


def test_anthropic_sdk_two_parallel_calls_over_turns_on_an_openai_provider(
    claude_on_openai: anthropic.Anthropic, openai_mock: Mock
) -> None:
    question = [{"role": "user", "content": "Weather in Paris and Rome?"}]
    openai_mock.push(TWO_CALLS)
    with claude_on_openai.messages.stream(
        model="gpt-4.1", max_tokens=256, messages=question, tools=ANTHROPIC_TOOLS
    ) as s:
        first = s.get_final_message()
    calls = [b for b in first.content if b.type == "tool_use"]
    assert [(c.id, c.input) for c in calls] == [("call_p1", {"city": "Paris"}), ("call_r1", {"city": "Rome"})]
    assert first.stop_reason == "tool_use"

    # Turn 2: both results; the model calls again; turn 3: the answer.
    openai_mock.clear()
    openai_mock.push({"tool_call": {"id": "call_x", "name": "get_weather", "arguments": {"city": "Oslo"}}}, {"text": "All sunny."})
    history = question + [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "call_p1", "content": "sunny"},
            {"type": "tool_result", "tool_use_id": "call_r1", "content": "sunny too"},
        ]},
    ]
    second = claude_on_openai.messages.create(model="gpt-4.1", max_tokens=256, messages=history, tools=ANTHROPIC_TOOLS)
    (again,) = [b for b in second.content if b.type == "tool_use"]
    history += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in second.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": again.id, "content": "snow"}]},
    ]
    third = claude_on_openai.messages.create(model="gpt-4.1", max_tokens=256, messages=history, tools=ANTHROPIC_TOOLS)
    assert third.content[0].text == "All sunny."
    requests = openai_mock.requests()
    tools = [m for m in requests[-1]["body"]["messages"] if m["role"] == "tool"]
    assert [(m["tool_call_id"], m["content"]) for m in tools] == [
        ("call_p1", "sunny"), ("call_r1", "sunny too"), ("call_x", "snow")
    ]


def test_openai_sdk_two_parallel_calls_over_turns_on_an_anthropic_provider(
    gpt_on_anthropic: openai.OpenAI, anthropic_mock: Mock
) -> None:
    anthropic_mock.push(TWO_CALLS)
    with gpt_on_anthropic.chat.completions.stream(
        model="claude-sonnet-4-5", messages=QUESTION, tools=OPENAI_TOOLS
    ) as s:
        first = s.get_final_completion()
    calls = first.choices[0].message.tool_calls
    assert [(c.id, json.loads(c.function.arguments)) for c in calls] == [
        ("call_p1", {"city": "Paris"}), ("call_r1", {"city": "Rome"})
    ]
    assert first.choices[0].finish_reason == "tool_calls"

    anthropic_mock.clear()
    anthropic_mock.push({"text": "Both sunny."})
    messages = QUESTION + [
        {"role": "assistant", "content": None, "tool_calls": [c.model_dump() for c in calls]},
        {"role": "tool", "tool_call_id": "call_p1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_r1", "content": "sunny too"},
    ]
    second = gpt_on_anthropic.chat.completions.create(model="claude-sonnet-4-5", messages=messages, tools=OPENAI_TOOLS)
    assert second.choices[0].message.content == "Both sunny."
    sent = anthropic_mock.only_request()["body"]["messages"]
    assert [b["id"] for b in sent[1]["content"] if b["type"] == "tool_use"] == ["call_p1", "call_r1"]
    assert [(b["tool_use_id"], b["content"]) for b in sent[2]["content"]] == [
        ("call_p1", "sunny"), ("call_r1", "sunny too")
    ]


def test_google_genai_on_an_anthropic_provider(gw: str, anthropic_mock: Mock) -> None:
    c = genai.Client(api_key=CLIENT_KEY, http_options=types.HttpOptions(base_url=f"{gw}/anthropic-main"))
    anthropic_mock.push({"tool_call": {"id": "toolu_g", "name": "get_weather", "arguments": ARGS}, "chunks": 2})
    config = types.GenerateContentConfig(
        tools=[GEMINI_TOOL],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        max_output_tokens=128,
    )
    chunks = list(c.models.generate_content_stream(model="claude-sonnet-4-5", contents="Weather in Paris?", config=config))
    calls = [fc for ch in chunks for fc in (ch.function_calls or [])]
    assert [(fc.name, fc.args) for fc in calls] == [("get_weather", ARGS)]
    sent = anthropic_mock.only_request()
    assert_upstream(anthropic_mock, sent, "/v1/messages")
    assert sent["body"]["max_tokens"] == 128

    anthropic_mock.clear()
    anthropic_mock.push({"text": "Sunny.", "usage": USAGE})
    r = c.models.generate_content(model="claude-sonnet-4-5", contents="Weather in Paris?")
    assert r.text == "Sunny."
    assert r.usage_metadata.prompt_token_count == 30
    assert r.usage_metadata.cached_content_token_count == 5


def test_openai_responses_sdk_on_a_gemini_provider(gw: str, gemini_mock: Mock) -> None:
    c = openai.OpenAI(base_url=f"{gw}/gemini-main/v1", api_key=CLIENT_KEY, max_retries=0)
    gemini_mock.push({"text": "Sunny and warm.", "chunks": 3})
    with c.responses.stream(model="gemini-2.5-flash", input="Weather in Paris?", store=False) as s:
        text = "".join(e.delta for e in s if e.type == "response.output_text.delta")
        final = s.get_final_response()
    assert text == "Sunny and warm." and final.output_text == "Sunny and warm."
    assert final.status == "completed"
    sent = gemini_mock.only_request()
    assert sent["path"].endswith(":streamGenerateContent") and sent["query"] == "alt=sse"

    gemini_mock.clear()
    gemini_mock.push({"text": "Sunny.", "usage": USAGE})
    r = c.responses.create(model="gemini-2.5-flash", instructions="Be brief.", input="Weather in Paris?", store=False)
    assert r.output_text == "Sunny." and r.status == "completed"
    assert (r.usage.input_tokens, r.usage.output_tokens) == (25, 12)
    assert r.usage.input_tokens_details.cached_tokens == 5
    sent = gemini_mock.only_request()
    assert_upstream(gemini_mock, sent, "/v1beta/models/gemini-2.5-flash:generateContent")
    assert sent["body"]["systemInstruction"]["parts"] == [{"text": "Be brief."}]


def test_sdks_see_an_upstream_that_failed_without_an_answer_as_an_error(gw: str, gemini_mock: Mock) -> None:
    """Gemini's MALFORMED_FUNCTION_CALL with no content: an error each SDK raises (and can
    retry), never an empty success."""
    malformed = {"text": "", "finish_reason": "MALFORMED_FUNCTION_CALL"}
    c = openai.OpenAI(base_url=f"{gw}/gemini-main/v1", api_key=CLIENT_KEY, max_retries=0)
    gemini_mock.push(malformed)
    with pytest.raises(openai.InternalServerError) as err:
        c.chat.completions.create(model="gemini-2.5-flash", messages=QUESTION)
    assert err.value.status_code == 502 and "malformed" in str(err.value)

    gemini_mock.push(malformed)
    with pytest.raises(openai.APIError, match="malformed"):
        with c.chat.completions.stream(model="gemini-2.5-flash", messages=QUESTION) as s:
            s.get_final_completion()

    claude = anthropic.Anthropic(base_url=f"{gw}/gemini-main", api_key=CLIENT_KEY, max_retries=0)
    gemini_mock.push(malformed)
    with pytest.raises(anthropic.APIError, match="malformed"):
        with claude.messages.stream(model="gemini-2.5-flash", max_tokens=100, messages=QUESTION) as s:
            s.get_final_message()


def test_openai_sdk_on_stream_only_and_whole_only_anthropic_providers(gw: str, anthropic_mock: Mock) -> None:
    """A provider that only streams aggregates for a client that did not; one that never
    streams replays its answer as events for a client that does."""
    streams = openai.OpenAI(base_url=f"{gw}/anthropic-streams/v1", api_key=CLIENT_KEY, max_retries=0)
    anthropic_mock.push({"text": "Sunny in Paris.", "chunks": 4, "usage": USAGE})
    resp = streams.chat.completions.create(model="claude-sonnet-4-5", messages=QUESTION)
    assert resp.choices[0].message.content == "Sunny in Paris."
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.completion_tokens == 12
    assert anthropic_mock.only_request()["body"]["stream"] is True

    anthropic_mock.clear()
    whole = openai.OpenAI(base_url=f"{gw}/anthropic-whole/v1", api_key=CLIENT_KEY, max_retries=0)
    anthropic_mock.push({"tool_call": {"id": "toolu_w", "name": "get_weather", "arguments": ARGS}})
    with whole.chat.completions.stream(model="claude-sonnet-4-5", messages=QUESTION, tools=OPENAI_TOOLS) as s:
        final = s.get_final_completion()
    (call,) = final.choices[0].message.tool_calls
    assert call.id == "toolu_w" and json.loads(call.function.arguments) == ARGS
    assert final.choices[0].finish_reason == "tool_calls"
    assert not anthropic_mock.only_request()["body"].get("stream")


# --- Anthropic, Chat and Gemini clients on a Responses upstream (`settings.dispatch`) ---

RESPONSES_USAGE = {"input": 25, "output": 12, "cache_read": 5, "cache_write": 0, "reasoning": 4}


def _responses_request(mock: Mock) -> dict:
    """The one request the mock got: at /v1/responses, stateless."""
    sent = mock.only_request()
    assert_upstream(mock, sent, "/v1/responses")
    assert sent["body"]["store"] is False
    return sent["body"]


@pytest.fixture
def claude_on_responses(gw: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=f"{gw}/openai-responses", api_key=CLIENT_KEY, max_retries=0)


def test_anthropic_sdk_on_a_responses_provider(claude_on_responses: anthropic.Anthropic, openai_mock: Mock) -> None:
    openai_mock.push({"text": "Sunny in Paris.", "usage": RESPONSES_USAGE})
    msg = claude_on_responses.messages.create(
        model="gpt-5-codex", max_tokens=256, system="Be brief.", messages=QUESTION
    )
    assert msg.content[0].type == "text" and msg.content[0].text == "Sunny in Paris."
    assert msg.stop_reason == "end_turn"
    # Responses' input tokens include the cached ones; Anthropic counts them apart.
    assert (msg.usage.input_tokens, msg.usage.cache_read_input_tokens, msg.usage.output_tokens) == (20, 5, 12)
    body = _responses_request(openai_mock)
    assert body["instructions"] == "Be brief."
    assert body["input"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "What is the weather in Paris?"}]}
    ]
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["max_output_tokens"] == 256

    openai_mock.clear()
    openai_mock.push({"text": "Sunny and warm in Paris today.", "chunks": 5, "usage": RESPONSES_USAGE})
    with claude_on_responses.messages.stream(model="gpt-5-codex", max_tokens=256, messages=QUESTION) as s:
        texts = list(s.text_stream)
        final = s.get_final_message()
    assert "".join(texts) == "Sunny and warm in Paris today."
    assert len(texts) == 5
    assert final.stop_reason == "end_turn"
    assert (final.usage.cache_read_input_tokens, final.usage.output_tokens) == (5, 12)
    assert _responses_request(openai_mock)["stream"] is True


def test_anthropic_tool_conversation_on_a_responses_provider(
    claude_on_responses: anthropic.Anthropic, openai_mock: Mock
) -> None:
    question = [{"role": "user", "content": "Weather in Paris and Rome?"}]
    openai_mock.push(dict(TWO_CALLS, reasoning="Two cities, two calls."))
    with claude_on_responses.messages.stream(
        model="gpt-5-codex", max_tokens=256, messages=question, tools=ANTHROPIC_TOOLS
    ) as s:
        first = s.get_final_message()
    calls = [b for b in first.content if b.type == "tool_use"]
    assert [(c.id, c.name, c.input) for c in calls] == [
        ("call_p1", "get_weather", {"city": "Paris"}),
        ("call_r1", "get_weather", {"city": "Rome"}),
    ]
    assert first.stop_reason == "tool_use"
    # The model's reasoning arrives as a thinking block whose signature carries it.
    assert first.content[0].type == "thinking"
    assert first.content[0].thinking == "Two cities, two calls."
    tool = _responses_request(openai_mock)["tools"][0]
    assert tool == {
        "type": "function",
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        "strict": False,
    }

    openai_mock.clear()
    openai_mock.push({"text": "Both sunny."})
    history = question + [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "call_p1", "content": "sunny"},
            {"type": "tool_result", "tool_use_id": "call_r1", "content": "sunny too"},
        ]},
    ]
    second = claude_on_responses.messages.create(
        model="gpt-5-codex", max_tokens=256, messages=history, tools=ANTHROPIC_TOOLS
    )
    assert second.content[0].text == "Both sunny."
    items = _responses_request(openai_mock)["input"]
    # ... and goes back whole as the reasoning item, before the calls it led to.
    assert [i["type"] for i in items[:3]] == ["message", "reasoning", "function_call"]
    assert items[1]["encrypted_content"].startswith("enc_mock_")
    assert first.content[0].signature.endswith(items[1]["encrypted_content"])
    fn_calls = [i for i in items if i["type"] == "function_call"]
    outputs = [i for i in items if i["type"] == "function_call_output"]
    assert [(c["call_id"], json.loads(c["arguments"])) for c in fn_calls] == [
        ("call_p1", {"city": "Paris"}), ("call_r1", {"city": "Rome"})
    ]
    assert [(o["call_id"], o["output"]) for o in outputs] == [("call_p1", "sunny"), ("call_r1", "sunny too")]


def test_openai_sdk_chat_on_a_responses_provider(gw: str, openai_mock: Mock) -> None:
    c = openai.OpenAI(base_url=f"{gw}/openai-responses/v1", api_key=CLIENT_KEY, max_retries=0)
    openai_mock.push({"text": "Sunny in Paris.", "usage": RESPONSES_USAGE})
    r = c.chat.completions.create(
        model="gpt-5-codex",
        messages=[{"role": "system", "content": "Be brief."}] + QUESTION,
        max_completion_tokens=64,
    )
    assert r.choices[0].message.content == "Sunny in Paris."
    assert r.choices[0].finish_reason == "stop"
    assert (r.usage.prompt_tokens, r.usage.prompt_tokens_details.cached_tokens) == (25, 5)
    assert (r.usage.completion_tokens, r.usage.completion_tokens_details.reasoning_tokens) == (12, 4)
    body = _responses_request(openai_mock)
    assert body["instructions"] == "Be brief."
    assert body["max_output_tokens"] == 64

    openai_mock.clear()
    openai_mock.push({"tool_call": {"id": "call_c1", "name": "get_weather", "arguments": ARGS}, "chunks": 3,
                      "usage": RESPONSES_USAGE})
    with c.chat.completions.stream(
        model="gpt-5-codex", messages=QUESTION, tools=OPENAI_TOOLS, stream_options={"include_usage": True}
    ) as s:
        for _ in s:
            pass
        final = s.get_final_completion()
    (call,) = final.choices[0].message.tool_calls
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == ("call_c1", "get_weather", ARGS)
    assert final.choices[0].finish_reason == "tool_calls"
    assert final.usage.prompt_tokens == 25 and final.usage.completion_tokens == 12
    assert _responses_request(openai_mock)["tools"][0]["name"] == "get_weather"

    # The result goes back paired with its call.
    openai_mock.clear()
    openai_mock.push({"text": "It is sunny."})
    r = c.chat.completions.create(
        model="gpt-5-codex",
        messages=QUESTION + [
            final.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
        ],
        tools=OPENAI_TOOLS,
    )
    assert r.choices[0].message.content == "It is sunny."
    items = _responses_request(openai_mock)["input"]
    assert [i for i in items if i["type"] == "function_call_output"] == [
        {"type": "function_call_output", "call_id": "call_c1", "output": "sunny"}
    ]


def test_google_genai_on_a_responses_provider(gw: str, openai_mock: Mock) -> None:
    c = genai.Client(api_key=CLIENT_KEY, http_options=types.HttpOptions(base_url=f"{gw}/openai-responses"))
    openai_mock.push({"text": "Sunny in Paris.", "usage": RESPONSES_USAGE})
    r = c.models.generate_content(
        model="gpt-5-codex",
        contents="What is the weather in Paris?",
        config=types.GenerateContentConfig(system_instruction="Be brief.", max_output_tokens=64),
    )
    assert r.text == "Sunny in Paris."
    assert r.usage_metadata.prompt_token_count == 25
    assert r.usage_metadata.cached_content_token_count == 5
    # Gemini counts thoughts apart from the candidates.
    assert (r.usage_metadata.candidates_token_count, r.usage_metadata.thoughts_token_count) == (8, 4)
    assert _responses_request(openai_mock)["instructions"] == "Be brief."

    openai_mock.clear()
    openai_mock.push({"tool_call": {"id": "call_g1", "name": "get_weather", "arguments": ARGS}, "chunks": 2})
    config = types.GenerateContentConfig(
        tools=[GEMINI_TOOL],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    chunks = list(c.models.generate_content_stream(model="gpt-5-codex", contents="Weather in Paris?", config=config))
    calls = [fc for ch in chunks for fc in (ch.function_calls or [])]
    assert [(fc.id, fc.name, fc.args) for fc in calls] == [("call_g1", "get_weather", ARGS)]
    assert _responses_request(openai_mock)["stream"] is True

    openai_mock.clear()
    openai_mock.push({"text": "It is sunny."})
    r = c.models.generate_content(
        model="gpt-5-codex",
        contents=[
            types.Content(role="user", parts=[types.Part(text="Weather in Paris?")]),
            types.Content(role="model", parts=[types.Part(function_call=calls[0])]),
            types.Content(
                role="user",
                parts=[types.Part.from_function_response(name="get_weather", response={"result": "sunny"})],
            ),
        ],
        config=config,
    )
    assert r.text == "It is sunny."
    items = _responses_request(openai_mock)["input"]
    (fc,) = [i for i in items if i["type"] == "function_call"]
    (out,) = [i for i in items if i["type"] == "function_call_output"]
    assert fc["call_id"] == out["call_id"] == "call_g1", "call and result paired"
    assert out["output"] == "sunny"
