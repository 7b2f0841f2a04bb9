"""Direct answers: right or absent on the development questions, never wrong."""

from __future__ import annotations

import json

from index.answers import sentences
from nlp.query_understanding import question_kind, question_words
from tests.conftest import FIXTURES


def _questions() -> list[dict]:
    return json.loads((FIXTURES / "answers-dev.json").read_text("utf-8"))["questions"]


def test_question_kinds():
    assert question_kind("hvor mange borgere er i ressourceforløb") == "count"
    assert question_kind("Hvad koster en plads på forsorgshjemmet?") == "money"
    assert question_kind("how much did the reform cut") == "money"
    assert question_kind("hvornår besluttede udvalget budgettet") == "date"
    assert question_kind("fra hvilken dato gælder den nye takst") == "date"
    assert question_kind("hjemløse i Odense") is None
    assert question_words("hvor mange borgere er i ressourceforløb") == ["borgere", "ressourceforløb"]


def test_share_and_duration_questions_and_the_unit_they_name():
    from nlp.query_understanding import question_unit

    assert question_kind("hvor mange procent af stemmerne var brevstemmer") == "percent"
    assert question_kind("hvor stor en andel af arbejdspladserne har under ti ansatte") == "percent"
    assert question_kind("hvor høj var deltagelsesprocenten i trivselsmålingen") == "percent"
    assert question_kind("hvor mange år gælder kontrakten") == "duration"
    assert question_kind("hvor længe var udbuddet sat på pause") == "duration"
    assert question_kind("hvor mange penge bidrager Greve med") == "money"
    assert question_kind("hvor mange borgere er i ressourceforløb") == "count"
    assert question_unit("hvor mange år gælder kontrakten") == "år"
    assert question_unit("hvor lang tid tager det") is None
    assert question_words("hvor mange procent af stemmerne var brevstemmer") == ["stemmerne", "brevstemmer"]


def test_durations_and_dates_as_a_sentence_writes_them():
    from index.answers import _values, find_durations
    from nlp.dates import dates_in as find_dates

    assert find_durations("Kontrakten løber i 12 år. Pausen varede seks måneder.") == [
        (12.0, "12 år", "år"),
        (6.0, "seks måneder", "måneder"),
    ]
    assert find_dates("Den træder i kraft 1. august 2023.") == [("2023-08-01", "1. august 2023", "dato")]
    assert find_dates("Udstillingen åbner i februar 2025.") == [("2025-02", "februar 2025", "dato")]
    assert find_dates("Mødet holdes den 3. juni.") == []  # a day without a year is no date
    # the unit the question names: "hvor mange år" is not answered by months
    assert _values("duration", "Aftalen gælder i 9 år og 6 måneder.", [], "år") == [(9.0, "9 år", "år")]
    assert [v for v, _, _ in _values("percent", "Andelen er 89 % af alle.", [], None)] == [89.0]


def test_sentences_keep_abbreviations_and_skip_table_rows():
    text = "Budgettet er 8,7 mio. kr. i alt. Det er mere end sidst.\nÅr\t2024\t2025\nNy linje"
    assert sentences(text) == ["Budgettet er 8,7 mio. kr. i alt.", "Det er mere end sidst.", "Ny linje"]
    # A table row as a passage holds it (header: value cells joined by " | ") is not a sentence either.
    assert sentences("Udgift i alt: 5 mio. kr. | År: 2024\nDet koster 5 mio. kr.") == ["Det koster 5 mio. kr."]


def test_no_wrong_answer_on_the_development_questions(archive):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from answers import judge

    questions = _questions()
    assert len(questions) >= 15
    results = judge(archive, questions)
    wrong = [(q["question"], a and a["text"]) for verdict, q, a in results if verdict == "wrong"]
    assert wrong == []
    right = [q["question"] for verdict, q, _ in results if verdict == "right"]
    assert len(right) >= len([q for q in questions if q["expected"] is not None]) // 2, right


def test_an_answer_cites_its_sentence_and_punkt(archive):
    result = archive.search("hvor mange borgere havde socialt frikort i september 2024")
    answer = result.answer
    assert answer and answer["value"] == 110 and answer["unit"] == "borgere"
    assert "110 borgere med socialt frikort" in answer["sentence"]
    punkt = archive.store.punkt(answer["punkt_id"])
    assert any(answer["sentence"] in s["text"] for s in punkt["sections"])
    assert answer["meeting_date"] == punkt["meeting"]["date"]
    assert result.to_dict()["answer"] == answer
    assert archive.search("hjemløse").answer is None  # not a question: no box


def _hit(pid: str, title: str) -> dict:
    return {"id": pid, "title": title, "municipality": "Greve", "committee": "Økonomiudvalget",
            "meeting_date": "2024-01-01", "number": 1, "closed": False}  # fmt: skip


def _answer(question: str, texts: dict[str, list[str]], titles: dict[str, str]):
    from index.answers import find_answer
    from nlp.query_understanding import understand

    hits = [_hit(pid, title) for pid, title in titles.items()]
    return find_answer(understand(question), hits, texts)


def test_a_name_the_question_gives_must_be_met():
    texts = {"a": ["På Tune bibliotek blev der afgivet 100 brevstemmer i den ekstra åbningstid."]}
    titles = {"a": "Evaluering af folketingsvalg"}
    assert _answer("hvor mange brevstemmer blev afgivet på Tune bibliotek i den ekstra åbningstid", texts, titles)
    assert (
        _answer("hvor mange brevstemmer blev afgivet på Karlslunde bibliotek i den ekstra åbningstid", texts, titles)
        is None
    )


def test_the_count_is_of_what_the_question_counts_and_other_counts_do_not_compete():
    texts = {"a": ["Ud af de 2.580 ansatte er 2.055 kvinder og 525 mænd."]}
    answer = _answer("hvor mange kvinder var ansat i kommunen", texts, {"a": "Personalepolitisk redegørelse"})
    assert answer and answer["value"] == 2055


def test_a_when_question_reads_the_event_it_asks_about_and_abstains_on_two():
    titles = {"a": "Udbud af rottebekæmpelse"}
    texts = {
        "a": [
            "Den nuværende kontrakt for rottebekæmpelse udløber den 31. december 2022.",
            "Rammeaftalen om rottebekæmpelse skal i udbud med kontraktopstart den 1. januar 2023.",
        ]
    }
    answer = _answer("hvornår starter den nye aftale om bekæmpelse af rotter", texts, titles)
    assert answer and answer["value"] == "2023-01-01"  # the sentence that says it ends is no rival
    ends = _answer("hvornår udløber kontrakten for rottebekæmpelse", texts, titles)
    assert ends and ends["value"] == "2022-12-31"
    # the same punkt saying the contract ends at two times: two answers, so none
    texts["a"].append("Kontrakten for rottebekæmpelse udløber dog først i foråret 2031.")
    assert _answer("hvornår udløber kontrakten for rottebekæmpelse", texts, titles) is None


def test_a_sentence_restating_the_answer_beside_other_values_is_no_rival():
    texts = {
        "a": [
            "Forslaget betyder, at 71 ansøgninger indstilles til tilskud på i alt 5,8 mio. kr.",
            "Af de 84 ansøgninger på i alt 11,4 mio. kr. tildeles tilskud til 71 ansøgninger på 5,8 mio. kr.",
        ]
    }
    answer = _answer("hvor meget tilskud får de 71 ansøgninger", texts, {"a": "Tilskud til frivilligt socialt arbejde"})
    assert answer and answer["value"] == 5_800_000
