"""Drives the mock upstream with the official Python SDKs (openai, anthropic, google-genai).

Run by tests/it/sdk.rs, which starts the mock and pushes one reply per request in the order of
the STEPS below. Usage: check_sdks.py BASE_URL API_KEY EXPECTED_JSON. Exits non-zero on failure.
"""

import json
import sys

import anthropic
import openai
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

BASE, KEY, EXPECTED = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
ARGS = {"city": "Paris"}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}}}}]
HELLO = "Hello from mock!"
MSGS = [{"role": "user", "content": "hi"}]


def close(a, b):
    return len(a) == len(b) and all(abs(x - y) < 1e-6 for x, y in zip(a, b))


def openai_steps():
    c = openai.OpenAI(base_url=BASE + "/v1", api_key=KEY, max_retries=0)
    # openai 1.x keeps the chat stream helper under `beta`.
    chat_stream = getattr(c.chat.completions, "stream", None) or c.beta.chat.completions.stream
    r = c.chat.completions.create(model="gpt-4.1", messages=MSGS)  # default
    assert r.choices[0].message.content == HELLO, r
    assert r.model == "gpt-4.1" and r.usage.total_tokens == 18
    assert r.usage.prompt_tokens_details.cached_tokens == 3
    assert r.usage.completion_tokens_details.reasoning_tokens == 2

    with chat_stream(model="gpt-4.1", messages=MSGS,  # default
                                   stream_options={"include_usage": True}) as s:
        # The role chunk carries `"content": ""` (as OpenAI's does): skip its empty delta.
        deltas = [e.delta for e in s if e.type == "content.delta" and e.delta]
        final = s.get_final_completion()
    assert "".join(deltas) == HELLO and len(deltas) == 3, deltas
    assert final.choices[0].message.content == HELLO and final.usage.prompt_tokens == 11

    with chat_stream(model="gpt-4.1", messages=MSGS, tools=TOOLS) as s:  # tool
        for _ in s:
            pass
        final = s.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert call.id == "call_1" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == ARGS
    assert final.choices[0].finish_reason == "tool_calls"

    try:  # error 429
        c.chat.completions.create(model="gpt-4.1", messages=MSGS)
        raise AssertionError("expected RateLimitError")
    except openai.RateLimitError as e:
        assert e.status_code == 429 and "slow down" in e.message, e

    r = c.responses.create(model="gpt-4.1", input="hi")  # default
    assert r.output_text == HELLO and r.usage.input_tokens == 11, r
    assert r.usage.input_tokens_details.cached_tokens == 3

    with c.responses.stream(model="gpt-4.1", input="hi") as s:  # default
        deltas = [e.delta for e in s if e.type == "response.output_text.delta"]
        final = s.get_final_response()
    assert "".join(deltas) == HELLO and final.output_text == HELLO
    assert final.usage.output_tokens == 7

    with c.responses.stream(model="gpt-4.1", input="hi") as s:  # tool
        events = [e.type for e in s]
        final = s.get_final_response()
    item = final.output[0]
    assert item.type == "function_call" and item.call_id == "call_1", item
    assert json.loads(item.arguments) == ARGS
    assert "response.function_call_arguments.done" in events

    e = c.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"])  # default
    assert len(e.data) == 2 and close(e.data[0].embedding, EXPECTED["alpha"]), e.data[0]
    assert e.usage.prompt_tokens == 11

    ids = [m.id for m in c.models.list()]  # default
    assert ids == ["gpt-4.1", "gpt-4.1-mini"], ids


def anthropic_steps():
    c = anthropic.Anthropic(base_url=BASE, api_key=KEY, max_retries=0)
    m = c.messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=MSGS)  # default
    assert m.content[0].text == HELLO and m.model == "claude-sonnet-4-5", m
    assert m.usage.cache_read_input_tokens == 3 and m.usage.output_tokens == 7

    with c.messages.stream(model="claude-sonnet-4-5", max_tokens=10, messages=MSGS) as s:  # default
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == HELLO and final.stop_reason == "end_turn"
    assert final.usage.input_tokens == 11 and final.usage.output_tokens == 7, final.usage

    with c.messages.stream(model="claude-sonnet-4-5", max_tokens=10, messages=MSGS) as s:  # tool
        final = s.get_final_message()
    block = final.content[0]
    assert block.type == "tool_use" and block.id == "call_1" and block.input == ARGS, block
    assert final.stop_reason == "tool_use"

    try:  # error 529
        c.messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=MSGS)
        raise AssertionError("expected OverloadedError")
    except anthropic.APIStatusError as e:
        assert e.status_code == 529 and e.body["error"]["type"] == "overloaded_error", e.body

    n = c.messages.count_tokens(model="claude-sonnet-4-5", messages=MSGS)  # default
    assert n.input_tokens == 11

    ids = [m.id for m in c.models.list()]  # default
    assert ids == ["claude-sonnet-4-5", "claude-haiku-4-5"], ids


def gemini_steps():
    for version in ["v1beta", "v1"]:
        c = genai.Client(api_key=KEY, http_options=types.HttpOptions(
            base_url=BASE, api_version=version))
        r = c.models.generate_content(model="gemini-2.5-flash", contents="hi")  # default
        assert r.text == HELLO and r.usage_metadata.prompt_token_count == 11, r
        assert r.usage_metadata.thoughts_token_count == 2
        assert r.candidates[0].finish_reason == types.FinishReason.STOP

        chunks = list(c.models.generate_content_stream(model="gemini-2.5-flash", contents="hi"))  # default
        assert "".join(ch.text for ch in chunks) == HELLO and len(chunks) == 3
        assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP

    r = c.models.generate_content(model="gemini-2.5-flash", contents="hi")  # tool
    assert r.function_calls[0].name == "get_weather" and r.function_calls[0].args == ARGS

    try:  # error 429
        c.models.generate_content(model="gemini-2.5-flash", contents="hi")
        raise AssertionError("expected ClientError")
    except genai_errors.ClientError as e:
        assert e.code == 429 and e.status == "RESOURCE_EXHAUSTED", e

    n = c.models.count_tokens(model="gemini-2.5-flash", contents="hi")  # default
    assert n.total_tokens == 11

    e = c.models.embed_content(model="text-embedding-004", contents=["alpha", "beta"])  # default
    assert len(e.embeddings) == 2 and close(e.embeddings[0].values, EXPECTED["alpha"]), e

    names = [m.name for m in c.models.list()]  # default
    assert names == ["models/gemini-2.5-flash", "models/gemini-2.5-pro"], names


openai_steps()
anthropic_steps()
gemini_steps()
print("sdk checks passed")
