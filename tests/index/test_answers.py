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
    assert question_kind("hjemløse i Odense") is None
    assert question_words("hvor mange borgere er i ressourceforløb") == ["borgere", "ressourceforløb"]


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
