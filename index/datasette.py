"""The archive as a take-home for Datasette: table and column descriptions, search boxes, and a
few ready-made queries, written beside `referat.sqlite` as `metadata.yaml`.

    datasette referat.sqlite -m metadata.yaml

The schema lives in `index.store`; this module only describes it (a test checks that every table,
view and column of the main tables has a description here). The `punkter` table's search box
searches `punkt_text`, the words as written ("førtidspension"); `punkt_terms`, the stemmed terms
search ranks by, is hidden. Everything here also works in plain `sqlite3`: the readable columns
are stored (`documents.content_text`) or are views, not functions that need a plugin.
"""

from __future__ import annotations

from pathlib import Path

import yaml

FILENAME = "metadata.yaml"

TABLES: dict[str, dict] = {
    "meetings": {
        "description": "Ét møde: en kommunes udvalg på en dato. Nyeste først.",
        "label_column": "name",
        "sort_desc": "date",
        "columns": {
            "id": "Rækkens nummer i arkivet (brug slug, når du citerer)",
            "slug": "Mødets læsbare, stabile id: kommune/udvalg/dato",
            "name": "Mødet som man siger det: udvalg, kommune, dato og klokkeslæt",
            "municipality": "Kommunen",
            "committee": "Udvalget",
            "date": "Mødets dato (ÅÅÅÅ-MM-DD)",
            "time": "Mødets klokkeslæt, når kilden siger det",
            "place": "Mødestedet, når kilden siger det",
            "period": "Valgperioden, når kilden siger det",
            "source_id": "Udgiverens eget id for mødet (FirstAgenda: dagsordenens id)",
            "source_url": "Mødets side hos kommunen; tom når kilden ikke giver den (fx en tekstfil)",
            "absent": "Fraværende ved hele mødet (JSON-liste)",
        },
    },
    "punkter": {
        "description": (
            "Ét punkt på et mødes dagsorden, med beslutning og filterkolonner. Søgefeltet finder ord, "
            "som de står i titel og tekst. Lukkede punkter har kun deres titel."
        ),
        "label_column": "title",
        "sort_desc": "date",
        "fts_table": "punkt_text",
        "fts_pk": "id",
        "columns": {
            "id": "Rækkens nummer; samme nummer som rowid i punkt_text",
            "slug": "Punktets læsbare, stabile id: kommune/udvalg/dato/nummer",
            "meeting": "Mødet (meetings.id)",
            "document": "Dokumentet punktet er læst fra (documents.id)",
            "ordinal": "Rækkefølgen på dagsordenen",
            "number": "Punktets nummer på dagsordenen",
            "title": "Punktets titel",
            "case_type": "Sagstype: A-sag … E-sag, eller Lukket",
            "journal_number": "Journalnummer som skrevet",
            "journal_facet": "Journalnummerets KLE-facet",
            "journal_serial": "Journalnummerets løbenummer",
            "journal_year": "Journalnummerets år",
            "closed": "1: lukket punkt (behandlet for lukkede døre; intet indhold gemt)",
            "decision": "Beslutningen som skrevet (tom for lukkede punkter)",
            "absent": "Fraværende ved punktet (JSON-liste)",
            "absence_notes": "Bemærkninger om fravær (JSON-liste)",
            "kle": "KLE-emnenummer",
            "kle_detail": "KLE-emnet med titel og kilde (JSON)",
            "municipality": "Kommunen",
            "committee": "Udvalget",
            "date": "Mødets dato (ÅÅÅÅ-MM-DD)",
            "has_decision": "1: punktet har en beslutning",
            "enrich_version": "Version af den sprogbehandling der mærkede punktet",
            "source_url": "Punktets side hos kommunen; tom når kilden ikke giver den",
        },
    },
    "punkt_text": {
        "description": (
            "Fuldtekst over hvert punkts titel og tekst, som de står (ingen stammer, æ/ø/å bevaret): "
            "søg fx førtidspension (førtidspension* finder også sammensatte ord). rowid er punkter.id. "
            "Lukkede punkter: kun titlen."
        ),
        "columns": {"title": "Punktets titel", "text": "Punktets afsnit som ren tekst, med overskrifter"},
    },
    "punkt_overview": {
        "description": "Ét punkt pr. række, læsbart: mødets navn, titel, beslutning, temaer og hele teksten.",
        "columns": {
            "meeting": "Mødets navn",
            "themes": "Punktets temaer (nøgler, mellemrum imellem)",
            "text": "Punktets tekst (fra punkt_text)",
            "source_url": "Punktets side hos kommunen",
        },
    },
    "documents": {
        "description": "Hver indlæst fil (referat, dagsorden, tillæg) med dens indhold.",
        "columns": {
            "id": "Rækkens nummer i arkivet",
            "path": "Filens sti ved indlæsningen",
            "sha256": "Filens SHA-256",
            "meeting": "Mødet (meetings.id)",
            "kind": "referat, dagsorden eller tillaeg",
            "source_format": "Filens format",
            "punkter": "Antal punkter i dokumentet",
            "seq": "Indlæsningsrækkefølge",
            "active": "1: det er dette dokuments punkter, der søges i",
            "enrich_version": "Version af sprogbehandlingen",
            "ingested_at": "Hvornår filen blev indlæst (UTC)",
            "content": "Det læste møde som komprimeret JSON (zlib); se content_text",
            "content_text": "Dokumentet som ren tekst: mødet og hvert punkts nummer, titel og afsnit",
        },
    },
    "sections": {
        "description": "Punkternes afsnit (Resume, Indstilling, Beslutning …) som ren tekst.",
        "columns": {
            "punkt": "Punktet (punkter.id)",
            "ordinal": "Afsnittets plads i punktet",
            "name": "Afsnittets navn, ensartet på tværs af kommuner",
            "heading": "Overskriften som skrevet",
            "text": "Afsnittets tekst",
        },
    },
    "tables": {
        "description": "Tabeller i afsnittene, som JSON (rækker af celler); læsbart i tables_text.",
        "columns": {"rows": "Tabellens rækker som JSON-lister"},
    },
    "tables_text": {
        "description": "Tabellerne som tekst: én linje pr. række, cellerne adskilt af |.",
        "columns": {"text": "Tabellen som tekst"},
    },
    "participants": {"description": "Mødedeltagere og om de var fraværende."},
    "attachments": {"description": "Punkternes bilag med link til kommunens fil, hvor den kendes."},
    "entities": {
        "description": (
            "Personer, organisationer og steder fundet i teksten, med sikkerhed og belæg. "
            "shown=1: over præcisionsgrænsen (vises i Referat)."
        )
    },
    "amounts": {"description": "Beløb og tal i teksten, med enhed, sikkerhed og sammenhæng. shown=1: vises."},
    "laws": {"description": "Henvisninger til love og paragraffer."},
    "themes": {"description": "Punkternes politiske temaer med score."},
    "refs": {"description": "Datoer for tidligere møder, som et punkts tekst henviser til."},
    "links": {"description": "Sammenhænge mellem behandlinger af samme sag (journalnummer, henvisninger)."},
    "passages": {"description": "Tekststykker som søgningen sammenligner med spørgsmål; vector er embeddingen."},
    "watches": {"description": "Gemte søgninger (referat watch)."},
    "watch_seen": {"description": "Hvilke punkter en gemt søgning allerede har vist."},
    "meta": {"description": "Arkivets egne oplysninger (skemaversion, model)."},
    "punkt_terms": {"description": "Søgningens indeksord (stammer, uden accenter)", "hidden": True},
    "punkt_vocab": {"description": "Ordforrådet i punkt_terms", "hidden": True},
    "index_log": {"description": "Log over tekststykker til vektorindekset", "hidden": True},
}

QUERIES = {
    "soeg": {
        "title": "Søg i punkterne",
        "description": "Punkter hvis titel eller tekst indeholder ordene, med uddrag og link til kilden.",
        "sql": (
            "SELECT p.slug, m.name AS moede, p.title, "
            "snippet(punkt_text, 1, '[', ']', ' … ', 24) AS uddrag, p.decision, p.source_url "
            "FROM punkt_text JOIN punkter p ON p.id = punkt_text.rowid JOIN meetings m ON m.id = p.meeting "
            "WHERE punkt_text MATCH :ord ORDER BY rank LIMIT 200"
        ),
    },
    "afsnit_med_ord": {
        "title": "Afsnit der nævner et ord",
        "description": "De afsnit (sections) der indeholder ordet, som det står.",
        "sql": (
            "SELECT p.slug, p.title, s.name AS afsnit, s.text FROM punkt_text "
            "JOIN sections s ON s.punkt = punkt_text.rowid JOIN punkter p ON p.id = s.punkt "
            "WHERE punkt_text MATCH :ord AND instr(lower(s.text), lower(:ord)) > 0 ORDER BY p.date DESC LIMIT 500"
        ),
    },
}


def metadata(database: str = "referat") -> dict:
    """Datasette's metadata for the archive file `<database>.sqlite`."""
    return {
        "title": "Referat: kommunale referater",
        "description": (
            "Møder, punkter, beslutninger og afsnit fra kommunale referater. Søg i tabellen punkter "
            "(eller punkt_text) med ord, som de står; lukkede punkter har kun deres titel."
        ),
        "databases": {database: {"tables": TABLES, "queries": QUERIES}},
    }


def write_metadata(home: str | Path) -> Path:
    """Write `metadata.yaml` beside the archive's `referat.sqlite`; returns its path."""
    path = Path(home) / FILENAME
    text = yaml.safe_dump(metadata(), allow_unicode=True, sort_keys=False, width=120)
    path.write_text(text, encoding="utf-8")
    return path
