"""The JSON API: every endpoint, its shapes, and every bad input answered with JSON and the right status."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import gold_punkt_id

PUNKT = gold_punkt_id("004#15")
CLOSED = gold_punkt_id("004#4")
MEETING = "odense/beskaeftigelses-og-socialudvalget/2025-11-25"


def test_health(client):
    data = client.get("/health").json()
    assert data["status"] == "ok" and data["punkter"] == 107 and data["model"]


def test_search_matches_cli_shape(client):
    data = client.get("/api/search", params={"q": "tiltag mod førtidspension for unge", "limit": 3}).json()
    assert set(data) >= {"query", "hits", "total", "low_confidence", "facets"}
    assert data["hits"][0]["id"] and len(data["hits"]) == 3
    assert PUNKT in [h["id"] for h in data["hits"]]


def test_search_says_its_language_and_what_it_understood(client):
    data = client.get("/api/search", params={"q": "budget 2024 i Greve", "limit": 3}).json()
    assert data["language"] == "da" and "2024" in data["understood"] and "Greve" in data["understood"]
    english = client.get("/api/search", params={"q": "study trip to the Netherlands", "limit": 3}).json()
    assert english["language"] == "en" and "holland" in english["understood"]


def test_search_filters_as_parameters(client):
    data = client.get(
        "/api/search", params={"q": "budget", "municipality": "Greve", "date_from": "2023-01-01", "limit": 50}
    ).json()
    assert data["hits"] and all(
        h["municipality"] == "Greve" and h["meeting_date"] >= "2023-01-01" for h in data["hits"]
    )


def test_punkt_meeting_similar_entities_themes(client):
    punkt = client.get(f"/api/punkter/{PUNKT}").json()
    assert punkt["id"] == PUNKT and punkt["meeting"]["id"] == MEETING and punkt["sections"]
    assert any(a["unit"] == "DKK" or a["kind"] == "count" for a in punkt["amounts"])
    assert punkt["themes"] and punkt["kle"]["number"]
    similar = client.get(f"/api/punkter/{PUNKT}/similar", params={"limit": 3}).json()
    assert 1 <= len(similar["hits"]) <= 3
    meetings = client.get("/api/meetings").json()
    assert len(meetings) == 9
    assert set(meetings[0]) == {
        "id",
        "name",
        "municipality",
        "committee",
        "date",
        "time",
        "punkter",
        "documents",
        "source_url",
    }
    meeting = client.get(f"/api/meetings/{MEETING}").json()
    assert [p["number"] for p in meeting["punkter"]] == list(range(1, 20))
    assert meeting["absent"] == ["Joachim Hoffmann-Petersen", "Mads Thomsen"]
    people = client.get("/api/entities", params={"type": "PER"}).json()
    assert people and all(e["label"] == "PER" for e in people)
    themes = client.get("/api/themes").json()
    assert len(themes) == 24 and sum(t["punkter"] for t in themes) > 50


def test_closed_punkt_never_exposes_content(client):
    data = client.get(f"/api/punkter/{CLOSED}").json()
    assert data["closed"] and data["sections"] == [] and data["decision"] is None
    assert data["entities"] == [] and data["amounts"] == [] and data["links"] == []
    meeting = client.get(f"/api/meetings/{MEETING}").json()
    closed = next(p for p in meeting["punkter"] if p["id"] == CLOSED)
    assert closed["decision"] is None
    assert client.get(f"/api/punkter/{CLOSED}/similar").json()["hits"] == []


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/search", 422),
        ("/api/search?q=", 422),
        ("/api/search?q=" + "x" * 501, 422),
        ("/api/search?q=budget&limit=101", 422),
        ("/api/search?q=budget&limit=0", 422),
        ("/api/search?q=budget&limit=abc", 422),
        ("/api/search?q=budget&offset=-1", 422),
        ("/api/search?q=budget&date_from=2024-13", 422),
        ("/api/search?q=budget&case_type=Z-sag", 422),
        ("/api/search?q=budget&has_decision=maybe", 422),
        ("/api/search?q=budget&kle=abc", 422),
        ("/api/punkter/odense/x/2020-01-01/1", 404),
        ("/api/punkter/" + quote("🙂"), 404),
        ("/api/punkter/odense/x/2020-01-01/1/similar", 404),
        ("/api/meetings/nope", 404),
        ("/api/entities?type=PERSON", 422),
        ("/api/nothing-here", 404),
    ],
)
def test_bad_input_gets_json_error(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    body = response.json()
    assert body["error"]["status"] == status and body["error"]["message"]


def test_read_only(client):
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)("/api/search?q=budget")
        assert response.status_code == 405
        assert "skrivebeskyttet" in response.json()["error"]["message"]


def test_odd_unicode_query(client):
    for q in ["\u202e\u200b", "☃", "' OR 1=1 --", "<script>alert(1)</script>", "\ufffd" * 100]:
        response = client.get("/api/search", params={"q": q})
        assert response.status_code in (200, 422)
        assert response.headers["content-type"].startswith("application/json")
        if response.status_code == 200:  # JSON echoes the query as data; it is never HTML
            assert response.json()["query"] == q.strip()
        page = client.get("/", params={"q": q})
        assert page.status_code in (200, 422) and page.headers["content-type"].startswith("text/html")
        assert "<script>alert(1)</script>" not in page.text


def test_openapi_documents_every_endpoint(client):
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/search",
        "/api/punkter/{punkt_id}",
        "/api/punkter/{punkt_id}/similar",
        "/api/meetings",
        "/api/meetings/{meeting_id}",
        "/api/entities",
        "/api/themes",
        "/health",
    ):
        assert path in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_cors_is_configurable(archive):
    from fastapi.testclient import TestClient

    from api.app import create_app

    app = create_app(archive=archive, cors_origins=["https://avis.example"])
    with TestClient(app) as c:
        response = c.get("/health", headers={"Origin": "https://avis.example"})
        assert response.headers["access-control-allow-origin"] == "https://avis.example"
        other = c.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2024-02-30"},
        {"date_to": "2024-13-01"},
        {"date_from": "2025-01-01", "date_to": "2024-01-01"},
        {"kle": "27.x"},
        {"case_type": "F-sag"},
    ],
)
def test_invalid_filter_is_422_with_a_message(client, params):
    response = client.get("/api/search", params={"q": "budget", **params})
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert message and "\n" not in message and any(k in message for k in params)


@pytest.mark.parametrize(
    ("url", "wrong", "meant"),
    [
        ("/api/search?q=budget&municipalty=Odense", "municipalty", "municipality"),  # a typo: never a wider search
        ("/api/search?q=budget&bogus=1", "bogus", None),
        ("/api/search.csv?q=budget&limit=5", "limit", None),  # the export is the whole set
        ("/feed.atom?q=budget&comittee=x", "comittee", "committee"),
    ],
)
def test_an_unknown_parameter_is_422_naming_it(client, url, wrong, meant):
    response = client.get(url)
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert f"{wrong}: er en ukendt parameter" in message and "kendte: q" in message and "\n" not in message
    assert (f"mente du '{meant}'?" in message) if meant else "mente du" not in message


def test_known_parameters_still_pass(client):
    assert client.get("/api/search", params={"q": "budget", "municipality": "Odense", "limit": 2}).status_code == 200
    assert client.get("/?q=budget&date_from=&sort=relevance&side=1").status_code == 200  # an empty field is absent


@pytest.mark.parametrize(
    "url, said",
    [
        ("/?q=budget&municipalty=Odense", "municipalty: er en ukendt parameter (mente du &#39;municipality&#39;?)"),
        ("/?noget=1", "noget: er en ukendt parameter; kendte: q, side"),
        ("/?q=budget&side=to", "side: skal være et sidetal fra 1 til 500"),
        ("/?q=budget&side=0", "side: skal være et sidetal fra 1 til 500"),
        ("/?q=budget&side=501", "side: skal være et sidetal fra 1 til 500"),
    ],
)
def test_the_web_page_says_what_it_cannot_read(client, url, said):
    """The page shows a search only for what was asked: a typo in a filter's name would otherwise show
    every municipality's hits, and "side=to" the first page, as if the address were right."""
    response = client.get(url)
    assert response.status_code == 422
    assert said in response.text and 'class="error" role="alert"' in response.text
    assert '<ol class="hits"' not in response.text


def test_years_facet_in_year_order(client):
    years = [v["value"] for v in client.get("/api/search", params={"q": "budget"}).json()["facets"]["years"]]
    assert len(years) >= 3 and years == sorted(years, reverse=True)


def test_search_json_carries_a_direct_answer(client):
    data = client.get("/api/search", params={"q": "hvor mange borgere havde socialt frikort i september 2024"}).json()
    answer = data["answer"]
    assert answer["value"] == 110 and answer["unit"] == "borgere" and "110 borgere" in answer["sentence"]
    assert answer["punkt_id"] in [h["id"] for h in data["hits"]]
    assert client.get("/api/search", params={"q": "hjemløse"}).json()["answer"] is None


def test_search_page_counts_the_relevant_and_divides_off_the_rest(client):
    import re

    api = client.get("/api/search", params={"q": "hjemløse", "limit": 20}).json()
    page = client.get("/", params={"q": "hjemløse"}).text
    heading = re.search(r'<h2 id="resultater">(\d+) punkt', page)
    assert heading and int(heading.group(1)) == api["total"] > 0
    counted, _, rest = page.partition('id="mindre-relevante"')
    assert "Mindre relevante" in rest and "side 1 af" not in counted  # one page of relevant punkter
    link = lambda hit: f'href="/punkt/{hit["id"]}"'  # noqa: E731
    assert all(link(h) in counted for h in api["hits"] if h["relevant"])
    first_less = next(h for h in api["hits"] if not h["relevant"])
    assert link(first_less) not in counted and link(first_less) in rest
    nothing = client.get("/", params={"q": "kattefoder på månen"}).text
    assert '<h2 id="resultater">0 punkter</h2>' in nothing and "Intet relevant fundet" in nothing
    assert "Mindre relevante" in nothing and "Side 1 af" not in nothing
