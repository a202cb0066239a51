"""The official google-genai SDK against the gateway: generateContent (plain and streamed) on
`v1beta` and the SDK's default `v1`, function calls, countTokens, embeddings, model listing
and errors, provider-scoped (`/gemini-main`) and unscoped (`models/{provider}/{model}`),
checking what the SDK parsed and what the upstream mock received."""

from __future__ import annotations

import json

import httpx
import pytest
from google import genai
from google.genai import errors, types

from harness import CLIENT_KEY, Mock, assert_upstream, mock_embedding

MODEL = "gemini-2.5-flash"
ARGS = {"city": "Paris"}
USAGE = {"input": 17, "output": 8, "cache_read": 5, "cache_write": 0, "reasoning": 3}

# (api_version passed to the SDK, the version in the path it sends); None = the SDK's default.
VERSIONS = [("v1beta", "v1beta"), (None, "v1")]
VERSION_IDS = ["v1beta", "default-v1"]


def make_client(base_url: str, version: str | None, key: str = CLIENT_KEY, **options) -> genai.Client:
    if version is not None:
        options["api_version"] = version
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=base_url, **options))


def assert_usage(meta) -> None:
    assert meta.prompt_token_count == 17
    assert meta.candidates_token_count == 8
    assert meta.thoughts_token_count == 3
    assert meta.cached_content_token_count == 5
    assert meta.total_token_count == 28


@pytest.mark.parametrize(("version", "path_version"), VERSIONS, ids=VERSION_IDS)
def test_generate_content(gw: str, gemini_mock: Mock, version, path_version) -> None:
    c = make_client(f"{gw}/gemini-main", version)
    gemini_mock.push({"text": "Sunny, 24 degrees.", "usage": USAGE})
    r = c.models.generate_content(
        model=MODEL,
        contents="Weather in Paris?",
        config=types.GenerateContentConfig(temperature=0.3),
    )
    assert r.text == "Sunny, 24 degrees."
    assert r.candidates[0].finish_reason == types.FinishReason.STOP
    assert_usage(r.usage_metadata)

    sent = gemini_mock.only_request()
    assert_upstream(gemini_mock, sent, f"/{path_version}/models/{MODEL}:generateContent")
    assert sent["body"]["contents"] == [{"role": "user", "parts": [{"text": "Weather in Paris?"}]}]
    assert sent["body"]["generationConfig"]["temperature"] == 0.3


@pytest.mark.parametrize(("version", "path_version"), VERSIONS, ids=VERSION_IDS)
def test_generate_content_stream(gw: str, gemini_mock: Mock, version, path_version) -> None:
    c = make_client(f"{gw}/gemini-main", version)
    gemini_mock.push({"text": "One, two, three, four.", "chunks": 4, "usage": USAGE})
    chunks = list(c.models.generate_content_stream(model=MODEL, contents="Count"))
    assert len(chunks) == 4
    assert "".join(ch.text for ch in chunks) == "One, two, three, four."
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert_usage(chunks[-1].usage_metadata)

    sent = gemini_mock.only_request()
    assert_upstream(gemini_mock, sent, f"/{path_version}/models/{MODEL}:streamGenerateContent")
    assert sent["query"] == "alt=sse"


def test_stream_json_array_with_query_key(gw: str, gemini_mock: Mock) -> None:
    """Without `alt=sse` the stream is one JSON array; `?key=` authenticates (REST users)."""
    gemini_mock.push({"text": "Array stream.", "chunks": 2})
    resp = httpx.post(
        f"{gw}/gemini-main/v1beta/models/{MODEL}:streamGenerateContent",
        params={"key": CLIENT_KEY},
        json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
        timeout=30,
        trust_env=False,
    )
    assert resp.status_code == 200, resp.text
    items = json.loads(resp.text)
    assert isinstance(items, list) and len(items) == 2
    text = "".join(p["text"] for i in items for p in i["candidates"][0]["content"]["parts"])
    assert text == "Array stream."
    sent = gemini_mock.only_request()
    assert_upstream(gemini_mock, sent, f"/v1beta/models/{MODEL}:streamGenerateContent")
    assert "alt=sse" not in (sent["query"] or "")


@pytest.mark.parametrize(("version", "path_version"), VERSIONS, ids=VERSION_IDS)
def test_function_call(gw: str, gemini_mock: Mock, version, path_version) -> None:
    c = make_client(f"{gw}/gemini-main", version)
    gemini_mock.push({"tool_call": {"id": "unused", "name": "get_weather", "arguments": ARGS}})
    tool = types.Tool(
        function_declarations=[
            types.FunctionDeclaration(
                name="get_weather",
                description="Current weather for a city",
                parameters_json_schema={
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            )
        ]
    )
    r = c.models.generate_content(
        model=MODEL,
        contents="Weather in Paris?",
        config=types.GenerateContentConfig(
            tools=[tool],
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        ),
    )
    (call,) = r.function_calls
    assert call.name == "get_weather"
    assert call.args == ARGS

    sent = gemini_mock.only_request()
    assert_upstream(gemini_mock, sent, f"/{path_version}/models/{MODEL}:generateContent")
    (declared,) = sent["body"]["tools"][0]["functionDeclarations"]
    assert declared["name"] == "get_weather"


@pytest.mark.parametrize(("version", "path_version"), VERSIONS, ids=VERSION_IDS)
def test_count_tokens(gw: str, gemini_mock: Mock, version, path_version) -> None:
    c = make_client(f"{gw}/gemini-main", version)
    gemini_mock.push({"usage": {"input": 42}})
    n = c.models.count_tokens(model=MODEL, contents="How many tokens?")
    assert n.total_tokens == 42
    sent = gemini_mock.only_request()
    assert_upstream(gemini_mock, sent, f"/{path_version}/models/{MODEL}:countTokens")
    assert sent["body"]["contents"][0]["parts"] == [{"text": "How many tokens?"}]


@pytest.mark.parametrize(("version", "path_version"), VERSIONS, ids=VERSION_IDS)
def test_embed_content(gw: str, gemini_mock: Mock, version, path_version) -> None:
    c = make_client(f"{gw}/gemini-main", version)
    e = c.models.embed_content(model="text-embedding-004", contents=["alpha", "beta"])
    assert [emb.values for emb in e.embeddings] == [mock_embedding("alpha"), mock_embedding("beta")]
    sent = gemini_mock.only_request()
    # google-genai sends embed_content as batchEmbedContents.
    assert_upstream(
        gemini_mock, sent, f"/{path_version}/models/text-embedding-004:batchEmbedContents"
    )
    texts = [r["content"]["parts"][0]["text"] for r in sent["body"]["requests"]]
    assert texts == ["alpha", "beta"]


@pytest.mark.parametrize(("version", "path_version"), VERSIONS, ids=VERSION_IDS)
def test_models_list(gw: str, gemini_mock: Mock, version, path_version) -> None:
    c = make_client(f"{gw}/gemini-main", version)
    names = [m.name for m in c.models.list()]
    assert names == ["models/gemini-2.5-flash", "models/gemini-2.5-pro"]
    sent = gemini_mock.only_request()
    assert_upstream(gemini_mock, sent, f"/{path_version}/models")
    assert sent["method"] == "GET"


@pytest.mark.parametrize(("version", "path_version"), VERSIONS, ids=VERSION_IDS)
def test_models_get(gw: str, gemini_mock: Mock, version, path_version) -> None:
    c = make_client(f"{gw}/gemini-main", version)
    m = c.models.get(model="gemini-2.5-pro")
    assert m.name == "models/gemini-2.5-pro"
    assert m.display_name == "Gemini 2.5 Pro"
    sent = gemini_mock.only_request()
    assert_upstream(gemini_mock, sent, f"/{path_version}/models/gemini-2.5-pro")
    assert sent["method"] == "GET"


@pytest.mark.parametrize(("version", "path_version"), VERSIONS, ids=VERSION_IDS)
def test_bad_key_is_401(gw: str, gemini_mock: Mock, version, path_version) -> None:
    c = make_client(f"{gw}/gemini-main", version, key="sk-wrong")
    with pytest.raises(errors.ClientError) as info:
        c.models.generate_content(model=MODEL, contents="hi")
    assert info.value.code == 401
    assert info.value.status == "UNAUTHENTICATED"
    assert gemini_mock.requests() == []


def test_upstream_429_passed_through(gw: str, gemini_mock: Mock) -> None:
    c = make_client(f"{gw}/gemini-main", "v1beta")
    gemini_mock.push({"error": {"status": 429, "message": "quota exhausted"}})
    with pytest.raises(errors.ClientError) as info:
        c.models.generate_content(model=MODEL, contents="hi")
    assert info.value.code == 429
    assert info.value.status == "RESOURCE_EXHAUSTED"
    assert info.value.message == "quota exhausted"
    assert_upstream(gemini_mock, gemini_mock.only_request(), f"/v1beta/models/{MODEL}:generateContent")


@pytest.mark.parametrize(("version", "path_version"), VERSIONS, ids=VERSION_IDS)
def test_unscoped(gw: str, gemini_mock: Mock, version, path_version) -> None:
    seen: list[str] = []
    c = make_client(
        gw, version, client_args={"event_hooks": {"request": [lambda r: seen.append(r.url.path)]}}
    )
    gemini_mock.push({"text": "Unscoped.", "usage": USAGE}, {"text": "Unscoped stream.", "chunks": 2})
    r = c.models.generate_content(model="gemini-main/gemini-2.5-flash", contents="hi")
    assert r.text == "Unscoped."
    assert_usage(r.usage_metadata)
    # Gemini names the model in the path, not the body: the gateway rewrites nothing in the
    # response, so `modelVersion` stays the upstream's.
    assert r.model_version == MODEL
    chunks = list(c.models.generate_content_stream(model="gemini-main/gemini-2.5-flash", contents="hi"))
    assert "".join(ch.text for ch in chunks) == "Unscoped stream."

    # The SDK keeps the slash: `models/{provider}/{model}:method` reaches the gateway as is.
    assert seen == [
        f"/{path_version}/models/gemini-main/gemini-2.5-flash:generateContent",
        f"/{path_version}/models/gemini-main/gemini-2.5-flash:streamGenerateContent",
    ]
    log = gemini_mock.requests()
    assert len(log) == 2
    assert_upstream(gemini_mock, log[0], f"/{path_version}/models/{MODEL}:generateContent")
    assert_upstream(gemini_mock, log[1], f"/{path_version}/models/{MODEL}:streamGenerateContent")
