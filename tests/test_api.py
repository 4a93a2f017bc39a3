"""The HTTP API, with the official openai client against a real server on localhost."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

import openai
import pytest
from conftest import KINZHAL, ROOT, SEEDS
from servers import failing_provider, kabar_server

from rag import RAG, Settings

KEY = "kabar-test-key-123456"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> str:
    index = tmp_path_factory.mktemp("api")
    RAG(Settings(index_dir=str(index))).ingest([SEEDS])
    log = index / "server.log"
    with kabar_server("api", index, log, KABAR_LLM="extractive") as url:
        yield url


def post(url: str, body: object, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)


def test_chat_completion_carries_citations(api: str) -> None:
    reply = client(api).chat.completions.create(
        model="kabar",
        messages=[{"role": "user", "content": "Kapal apa yang dinaiki Kim dan Shoigu?"}],
    )
    message = reply.choices[0].message
    assert "Shaposhnikov" in message.content
    citations = message.model_extra["citations"]
    assert citations and citations[0]["source"] == KINZHAL
    assert citations[0]["quote"] and f"[{citations[0]['n']}]" in message.content


def test_citations_survive_streaming(api: str) -> None:
    stream = client(api).chat.completions.create(
        model="kabar",
        stream=True,
        messages=[{"role": "user", "content": "Kapal apa yang dinaiki Kim dan Shoigu?"}],
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    assert "Shaposhnikov" in text and "Shaposhnikov" in final.model_extra["answer"]
    assert final.model_extra["citations"][0]["source"] == KINZHAL


def test_follow_up_uses_the_conversation(api: str) -> None:
    reply = client(api).chat.completions.create(
        model="kabar",
        messages=[
            {"role": "user", "content": "Apa yang diperiksa Kim di Vladivostok?"},
            {"role": "assistant", "content": "Sistem rudal Kinzhal [1]."},
            {"role": "user", "content": "Siapa yang menjelaskan karakteristik kapal itu?"},
        ],
    )
    assert any(c["source"] == KINZHAL for c in reply.choices[0].message.model_extra["citations"])


def test_search_and_health(api: str) -> None:
    status, body = post(api + "/v1/search", {"query": "Kinzhal MiG-31I", "k": 2})
    assert status == 200 and body["hits"][0]["source"] == KINZHAL and len(body["hits"]) == 2
    with urllib.request.urlopen(api + "/healthz") as response:
        health = json.loads(response.read())
    assert health["status"] == "ok" and health["chunks"] > 0


@pytest.mark.parametrize(
    "body, status, says",
    [
        (b"{not json", 422, "detail"),
        ({"messages": []}, 422, "detail"),
        ({"messages": [{"role": "user"}]}, 422, "detail"),
        ({"messages": [{"role": "wizard", "content": "x"}]}, 422, "detail"),
        ({"messages": [{"role": "user", "content": "   "}]}, 400, "empty"),
        ({"messages": [{"role": "user", "content": "x" * 5000}]}, 400, "limit"),
        ({"messages": [{"role": "assistant", "content": "hi"}]}, 400, "last message"),
        (
            {"messages": [{"role": "user", "content": "Kim?"}], "model": "gpt-4o"},
            400,
            "unknown model",
        ),
    ],
)
def test_malformed_requests_get_a_4xx_with_a_message(
    api: str, body, status: int, says: str
) -> None:
    code, reply = post(api + "/v1/chat/completions", body)
    assert code == status
    assert says in json.dumps(reply)


def test_search_rejects_bad_k(api: str) -> None:
    code, reply = post(api + "/v1/search", {"query": "Kim", "k": 0})
    assert code == 422


def test_api_key_is_required_when_set(tmp_path: Path) -> None:
    RAG(Settings(index_dir=str(tmp_path))).ingest([SEEDS / KINZHAL])
    with kabar_server(
        "api", tmp_path, tmp_path / "log", KABAR_LLM="extractive", KABAR_API_KEY=KEY
    ) as url:
        code, reply = post(url + "/v1/search", {"query": "Kinzhal"})
        assert code == 401 and "API key" in reply["detail"]
        code, reply = post(
            url + "/v1/search", {"query": "Kinzhal"}, {"Authorization": f"Bearer {KEY}"}
        )
        assert code == 200 and reply["hits"]
        with pytest.raises(openai.AuthenticationError):
            client(url).chat.completions.create(
                model="kabar", messages=[{"role": "user", "content": "Kim"}]
            )


def test_eight_concurrent_clients_get_their_own_answers(api: str) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_api import load

    questions = [
        "Kapal apa yang dinaiki Kim dan Shoigu?",
        "Siapa juru bicara Kremlin?",
        "Siapa yang memimpin delegasi Cina?",
        "Di mana Kim melihat rudal Kinzhal?",
    ]
    result = load(api, questions, clients=8, requests=24)
    assert result["errors"] == [] and result["mixed_up"] == []
    assert result["throughput_rps"] > 0


def test_a_failing_model_gives_a_502_with_a_message(tmp_path: Path) -> None:
    RAG(Settings(index_dir=str(tmp_path))).ingest([SEEDS / KINZHAL])
    with kabar_server(
        "api",
        tmp_path,
        tmp_path / "log",
        **failing_provider("sk-kabar-api-secret-0123456789"),
    ) as url:
        code, reply = post(
            url + "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "Siapa juru bicara Kremlin?"}]},
        )
        assert code == 502 and "could not connect" in reply["error"]["message"]
        assert "sk-kabar-api-secret" not in json.dumps(reply)
        code, _ = post(url + "/v1/search", {"query": "Kinzhal"})
        assert code == 200


def test_filters_ride_in_extra_body(api: str) -> None:
    reply = client(api).chat.completions.create(
        model="kabar",
        messages=[{"role": "user", "content": "Who led the Chinese delegation?"}],
        extra_body={"outlets": ["Republika"], "date_to": "2023-07-31"},
    )
    citations = reply.choices[0].message.model_extra["citations"]
    assert "Li Hongzhong" in reply.choices[0].message.content
    assert {c["source"] for c in citations} == {"001_19d4d10bd79297cd.txt"}
    stream = client(api).chat.completions.create(
        model="kabar",
        stream=True,
        messages=[{"role": "user", "content": "Kapal apa yang dinaiki Kim dan Shoigu?"}],
        extra_body={"date_to": "2023-07-31"},  # the frigate story is from September
    )
    last = list(stream)[-1].model_extra
    assert "Shaposhnikov" not in str(last)
    assert last["citations"] and all(c["date"] <= "2023-07-31" for c in last["citations"])


def test_search_filters_and_a_clear_error_for_an_unknown_outlet(api: str) -> None:
    status, body = post(api + "/v1/search", {"query": "Kim Shoigu", "k": 10, "outlets": ["tempo"]})
    assert status == 200 and {h["outlet"] for h in body["hits"]} == {"TEMPO.CO"}
    status, body = post(api + "/v1/search", {"query": "Kim", "outlets": ["Kompas"]})
    assert status == 400 and "known outlets: REPUBLIKA.CO.ID, TEMPO.CO" in body["error"]["message"]


def test_timeline_by_post_and_get(api: str) -> None:
    status, body = post(
        api + "/v1/timeline", {"topic": "Kim Jong Un and Russia", "outlets": ["tempo"]}
    )
    assert status == 200 and body["events"]
    assert {e["citation"]["outlet"] for e in body["events"]} == {"TEMPO.CO"}
    query = "topic=Kim%20Jong%20Un%20and%20Russia&date_from=2023-09-01&outlet=tempo"
    with urllib.request.urlopen(f"{api}/v1/timeline?{query}", timeout=60) as response:
        events = json.loads(response.read())["events"]
    assert events and all(e["citation"]["date"] == "2023-09-17" for e in events)
    assert any(e["date"] == "2023-09-13" and "Putin" in e["text"] for e in events)


def test_articles_are_added_by_text_file_or_url_and_private_urls_refused(api: str) -> None:
    import httpx
    from servers import news_site

    text = (
        "Lewat telepon ke kantor berita lokal Current News Service, Hezb-ul Mujahedeen, kelompok "
        "militan Kashmir yang terbesar, menyatakan bertanggung jawab atas ledakan di Srinagar."
    )
    code, report = post(
        api + "/v1/articles", {"text": text, "name": "srinagar.txt", "date": "2005-03-01"}
    )
    assert code == 200 and report["added"] == ["srinagar.txt"]
    code, found = post(api + "/v1/search", {"query": "Hezb-ul Mujahedeen Srinagar", "k": 1})
    assert found["hits"][0]["source"] == "srinagar.txt"
    assert found["hits"][0]["date"] == "2005-03-01"

    line = json.dumps({"id": "bau", "text": "Di Kota Bau-Bau ada dua perusahaan budidaya mutiara."})
    reply = httpx.post(api + "/v1/articles", files={"file": ("dump.jsonl", line.encode())})
    assert reply.status_code == 200 and reply.json()["added"] == ["dump.jsonl#bau"]
    reply = httpx.post(api + "/v1/articles", files={"file": ("virus.exe", b"MZ")})
    assert reply.status_code == 422 and "unsupported file type" in reply.json()["error"]["message"]

    with news_site() as site:
        code, refused = post(api + "/v1/articles", {"url": site.url + "/plain.txt"})
        assert code == 422 and refused["added"] == []
        assert "private or loopback address" in refused["error"]["message"]
        assert "KABAR_ALLOW_PRIVATE_URLS" in refused["error"]["message"]
        assert site.hits == []
    code, error = post(api + "/v1/articles", {"title": "no text, no url"})
    assert code == 400 and "give either 'url' or 'text'" in error["error"]["message"]
