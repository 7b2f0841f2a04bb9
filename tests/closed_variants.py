"""Minutes that mark punkter closed in every way we know of, with a unique word planted in each
closed body (`zqxlukketN`), written by the tests themselves.

Two lists: the markings a tester reported (issue 18), and markings of our own that no round of
fixes was shown (other words, look-alike characters, wraps, positions), so that a fix made for the
first list is checked on the second.
"""

from __future__ import annotations

import json
from pathlib import Path

PLANTED = "zqxlukket"

#: Titles reported to leak, as a municipality might write them.
REPORTED_TITLES = [
    "Punkt 6: Lukket punkt 7: Erstatningssag",
    "Lukket B-sag: Salg af jord",
    "B-sag: Lukket: Salg af jord",
    "Lukket; Personalesag",
    "Lukket, Personalesag",
    "Lukket pkt.: Personalesag",
    "Lukket emne: Personalesag",
    "Lukkede punkter: Personalesag",
    "«Lukket» Personalesag",
    "Luk\u200bket: Personalesag",
    "Ｌｕｋｋｅｔ: Personalesag",
    "Fortroligt: Lukket sag om erstatning",
]

#: Markings of our own: other words and forms, look-alikes, wraps, positions.
OWN_TITLES = [
    "Ikke offentligt punkt: Salg af ejendom",
    "Ikke-offentlig: Tilbud på rengøring",
    "Fortrolig sag - Ansættelse af direktør",
    "Salg af byggegrund (fortroligt)",
    "Erstatningssag – LUKKET",
    "Erstatningssag | lukket punkt",
    "Lukk. pkt.: Køb af areal",
    "LUKKEDE SAGER: Køb af areal",
    "Undtaget offentlighed: Køb af areal",
    "Lukkеt: Køb af areal",  # Cyrillic е
    "ʟukket: Køb af areal",  # small capital L
    "𝐋𝐮𝐤𝐤𝐞𝐭: Køb af areal",  # mathematical bold
    "L u k k e t: Køb af areal",
    "L.U.K.K.E.T - Køb af areal",
    "Lu\u00adkket: Køb af areal",  # soft hyphen
    "Luk\u2060ket: Køb af areal",  # word joiner
    "**Lukket** Køb af areal",
    "Lukket&#58; Køb af areal",
    "Punkt lukket: Køb af areal",
    "Orientering om retssag (lukket møde)",
    "Tilbud på kantinedrift /Lukket/",
    "1ukket: Køb af areal",
    "Lukk3t: Køb af areal",
    "C-sag - fortrolige oplysninger: Personalesag",
    "Lukkket: Køb af areal",  # a typo must not open it
    "Fortorlig sag: Køb af areal",
    "Ikke til offentliggørelse: Personalesag",
    "Tavshedsbelagt: Personalesag",
    "Salg af grund (må ikke offentliggøres)",
]


def text_referat(titles: list[str], start: int = 1) -> str:
    """An Odense-style text referat: an open first punkt, then one closed punkt per title."""
    lines = [
        "REFERAT Økonomiudvalget 2022-2025 d. 05-03-2024",
        "",
        "Mødested: Rådhuset, Odense Kommune",
        "",
        "Punkt 1: A-sag: Godkendelse af dagsorden",
        "",
        "00.01.00-A00-1-24",
        "",
        "Beslutning",
        "",
        "Godkendt.",
        "",
    ]
    for n, title in enumerate(titles, start=start + 1):
        lines += [
            f"Punkt {n}: {title}",
            "",
            f"00.00.00-A00-{n}-24",
            "",
            "Sagsfremstilling",
            "",
            f"Sagen om {PLANTED}{n} drøftes.",
            "",
            "Beslutning",
            "",
            f"{PLANTED}{n}b godkendt. Anna Hansen deltog ikke i mødet.",
            "",
        ]
    lines += [f"Punkt {start + len(titles) + 1}: C-sag: Åben sag om skoler", "", "Beslutning", "", "Godkendt.", ""]
    return "\n".join(lines)


def _item(number: int, navn: str, html: str, bilag: bool = True, **extra) -> dict:
    return {
        "Punktnummer": str(number),
        "Navn": navn,
        "Caption": extra.pop("Caption", navn),
        "SagsNummer": f"24-{number:03d}",
        "IsOpen": False,
        "Felter": [{"Html": html, "Link": "https://dagsordener.greve.dk/vis?id=1", **extra.pop("felt", {})}],
        "Bilag": [{"Navn": f"Bilag om {PLANTED}{number}bilag", "Id": f"b{number}"}] if bilag else [],
        **extra,
    }


def firstagenda_meeting(titles: list[str]) -> dict:
    """A FirstAgenda meeting closing its punkter by title, by caption, by a marking in the Html, by
    a field named so, by the closed part of the agenda."""
    body = "<h3>Beslutning</h3><p>{secret} godkendt.</p>"
    items = [_item(1, "Godkendelse af dagsorden", "<h3>Beslutning</h3><p>Godkendt.</p>", bilag=False)]
    n = 1
    for title in titles:
        n += 1
        items.append(_item(n, title, body.format(secret=f"{PLANTED}{n}")))
    closed_other_ways = [
        ("Salg af grund", {"Caption": "Lukket punkt 2: Salg"}, ""),
        ("Salg af grund", {}, "<h2>LUKKET</h2>"),
        ("Salg af grund", {"Lukket": True}, ""),
        ("Salg af grund", {"IsClosed": "true"}, ""),
        ("Salg af grund", {"felt": {"Navn": "Fortroligt"}}, ""),
        ("Salg af grund", {}, "<p><strong>Ikke offentligt punkt</strong></p>"),
        ("Salg af grund", {}, "<h4>Lukket&nbsp;punkt</h4>"),
    ]
    for title, extra, marking in closed_other_ways:
        n += 1
        items.append(_item(n, title, marking + body.format(secret=f"{PLANTED}{n}"), **extra))
    n += 1
    items.append(_item(n, "Lukkede punkter", ""))
    for title in ("Køb af ejendom", "Personalesag"):
        n += 1
        items.append(_item(n, title, body.format(secret=f"{PLANTED}{n}")))
    return {
        "Id": "closed-variants-generated",
        "Udvalg": {"Navn": "Økonomiudvalget"},
        "Moede": {"Dato": "2024-03-06T17:00:00", "Sted": "Rådhuset"},
        "Dagsordenpunkter": items,
    }


def dagsorden_then_referat(folder: Path) -> tuple[Path, Path]:
    """The same meeting twice: a dagsorden where punkt 2 is open (its body planted), then the
    referat where punkt 2 is closed. Nothing of the dagsorden's punkt 2 may stay stored."""
    head = "{kind} Teknik- og Miljøudvalget 2022-2025 d. 07-03-2024\n\nMødested: Rådhuset, Odense Kommune\n\n"
    first = "Punkt 1: A-sag: Godkendelse af dagsorden\n\n00.01.00-A00-1-24\n\nBeslutning\n\nGodkendt.\n\n"
    open_two = (
        "Punkt 2: B-sag: Salg af ejendommen Skovvej 3\n\n02.34.02-G01-2-24\n\nSagsfremstilling\n\n"
        f"Ejendommen sælges til {PLANTED}dagsorden1 for 4,5 mio. kr.\n\nIndstilling\n\n"
        f"{PLANTED}dagsorden2 indstiller salget.\n"
    )
    closed_two = "Punkt 2: Lukket: Salg af ejendommen Skovvej 3\n\n02.34.02-G01-2-24\n"
    dagsorden = folder / "dagsorden.txt"
    referat = folder / "referat.txt"
    dagsorden.write_text(head.format(kind="DAGSORDEN") + first + open_two, encoding="utf-8")
    referat.write_text(head.format(kind="REFERAT") + first + closed_two, encoding="utf-8")
    return dagsorden, referat


def write_all(folder: Path) -> list[Path]:
    """Every generated file, ready to ingest."""
    folder.mkdir(parents=True, exist_ok=True)
    titles = REPORTED_TITLES + OWN_TITLES
    text = folder / "closed-titles.txt"
    text.write_text(text_referat(titles), encoding="utf-8")
    agenda = folder / "closed-firstagenda.json"
    agenda.write_text(json.dumps(firstagenda_meeting(titles), ensure_ascii=False), encoding="utf-8")
    return [text, agenda]
