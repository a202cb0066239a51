"""An upstream stream that breaks off mid-body (mock `cut_after`) must reach the client as an
error in its own protocol, so the SDK raises instead of handing back a silently truncated
answer. Each test also checks the part that did arrive."""

from __future__ import annotations

import json

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import errors, types

from harness import CLIENT_KEY, Mock, assert_upstream

MSGS = [{"role": "user", "content": "Tell me a story"}]
# Three deltas of "aaa", "bbb", "ccc"; the mock drops the connection after the first.
CUT = {"text": "aaabbbccc", "chunks": 3, "cut_after": 1}


def test_openai_chat_stream_cut_raises(gw: str, openai_mock: Mock) -> None:
    c = openai.OpenAI(base_url=f"{gw}/openai-main/v1", api_key=CLIENT_KEY, max_retries=0)
    openai_mock.push(CUT)
    got: list[str] = []
    with pytest.raises(openai.APIError) as info:
        for chunk in c.chat.completions.create(
            model="gpt-4.1", messages=MSGS, stream=True, stream_options={"include_usage": True}
        ):
            if chunk.choices and chunk.choices[0].delta.content:
                got.append(chunk.choices[0].delta.content)
    assert got == ["aaa"], "what arrived before the cut is relayed"
    assert "ended unexpectedly" in info.value.message
    assert_upstream(openai_mock, openai_mock.only_request(), "/v1/chat/completions")


def test_openai_chat_stream_helper_cut_raises(gw: str, openai_mock: Mock) -> None:
    c = openai.OpenAI(base_url=f"{gw}/openai-main/v1", api_key=CLIENT_KEY, max_retries=0)
    openai_mock.push(CUT)
    with pytest.raises(openai.APIError):
        with c.chat.completions.stream(model="gpt-4.1", messages=MSGS) as s:
            for _ in s:
                pass
            s.get_final_completion()
    assert_upstream(openai_mock, openai_mock.only_request(), "/v1/chat/completions")


def test_openai_responses_stream_cut_raises(gw: str, openai_mock: Mock) -> None:
    c = openai.OpenAI(base_url=f"{gw}/openai-main/v1", api_key=CLIENT_KEY, max_retries=0)
    openai_mock.push(CUT)
    types: list[str] = []
    with pytest.raises(openai.APIError):
        for event in c.responses.create(model="gpt-4.1", input="hi", stream=True):
            types.append(event.type)
    assert types[0] == "response.created"
    assert "response.completed" not in types
    assert types.count("response.output_text.delta") == 1
    assert_upstream(openai_mock, openai_mock.only_request(), "/v1/responses")


def test_anthropic_raw_stream_cut_raises(gw: str, anthropic_mock: Mock) -> None:
    c = anthropic.Anthropic(base_url=f"{gw}/anthropic-main", api_key=CLIENT_KEY, max_retries=0)
    anthropic_mock.push(CUT)
    types: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as info:
        for event in c.messages.create(
            model="claude-sonnet-4-5", max_tokens=64, messages=MSGS, stream=True
        ):
            types.append(event.type)
    assert types[0] == "message_start"
    assert types.count("content_block_delta") == 1
    assert "message_stop" not in types
    assert info.value.body["type"] == "error"
    assert "ended unexpectedly" in info.value.body["error"]["message"]
    assert_upstream(anthropic_mock, anthropic_mock.only_request(), "/v1/messages")


def test_anthropic_stream_helper_cut_raises(gw: str, anthropic_mock: Mock) -> None:
    c = anthropic.Anthropic(base_url=f"{gw}/anthropic-main", api_key=CLIENT_KEY, max_retries=0)
    anthropic_mock.push(CUT)
    got: list[str] = []
    with pytest.raises(anthropic.APIStatusError):
        with c.messages.stream(model="claude-sonnet-4-5", max_tokens=64, messages=MSGS) as s:
            for text in s.text_stream:
                got.append(text)
    assert got == ["aaa"]
    assert_upstream(anthropic_mock, anthropic_mock.only_request(), "/v1/messages")


@pytest.mark.parametrize("version", ["v1beta", None], ids=["v1beta", "default-v1"])
def test_gemini_stream_cut_raises(gw: str, gemini_mock: Mock, version) -> None:
    options = {"base_url": f"{gw}/gemini-main"}
    if version:
        options["api_version"] = version
    c = genai.Client(api_key=CLIENT_KEY, http_options=types.HttpOptions(**options))
    gemini_mock.push(CUT)
    got: list[str] = []
    with pytest.raises(errors.APIError):
        for chunk in c.models.generate_content_stream(model="gemini-2.5-flash", contents="hi"):
            got.append(chunk.text)
    assert got == ["aaa"]
    assert gemini_mock.only_request()["path"].endswith(":streamGenerateContent")


def test_gemini_json_array_stream_cut_ends_with_an_error_element(gw: str, gemini_mock: Mock) -> None:
    """Without `alt=sse` the stream is one JSON array: a cut must still leave valid JSON whose
    last element is a Gemini error, not a truncated array."""
    gemini_mock.push(CUT)
    resp = httpx.post(
        f"{gw}/gemini-main/v1beta/models/gemini-2.5-flash:streamGenerateContent",
        headers={"x-goog-api-key": CLIENT_KEY},
        json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
        timeout=30,
        trust_env=False,
    )
    assert resp.status_code == 200
    items = json.loads(resp.text)
    assert items[0]["candidates"][0]["content"]["parts"][0]["text"] == "aaa"
    assert len(items) == 2
    assert "ended unexpectedly" in items[-1]["error"]["message"]
    assert_upstream(
        gemini_mock, gemini_mock.only_request(),
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
    )
