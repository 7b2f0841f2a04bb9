"""The shape of FirstAgenda JSON that Referat reads, checked before any field is used.

Only the fields the reader uses are declared, each with the types FirstAgenda writes (and
numbers where ids may be numbers). Unknown fields are allowed; a known field of the wrong type
is refused with one line that names it: `feltet Dagsordenpunkter[3].Felter er en tekst, ikke en
liste`. Without this, a wrong type surfaced deep in the reader as `'str' object has no attribute
'get'`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nlp.errors import NotAReferatError

IdValue = str | int | None


class _Model(BaseModel):
    # Lax: `"true"` is a boolean and `3` may stand for `"3"` where ids are declared as both; a
    # text where a list or an object belongs is still refused.
    model_config = ConfigDict(extra="allow")


class FeltSchema(_Model):
    Html: str | None = None
    Link: str | None = None


class BilagSchema(_Model):
    Navn: str | None = None
    Id: IdValue = None


class PunktSchema(_Model):
    Id: IdValue = None
    Navn: str | None = None
    Caption: str | None = None
    Punktnummer: IdValue = None
    Number: IdValue = None
    SagsNummer: IdValue = None
    CaseNumber: IdValue = None
    Felter: list[FeltSchema] | None = None
    Bilag: list[BilagSchema] | None = None


class DeltagerSchema(_Model):
    Name: str | None = None
    Absent: bool | None = None
    ParticipationCancelled: bool | None = None


class MoedeSchema(_Model):
    Dato: str | None = None
    MeetingBeginUtc: str | None = None
    Sted: str | None = None
    Navn: str | None = None
    Moededeltagere: list[DeltagerSchema] | None = None
    IsSupplementaryAgenda: bool | None = None
    Afsluttet: bool | None = None


class UdvalgSchema(_Model):
    Navn: str | None = None


class DagsordenSchema(_Model):
    Dagsordenpunkter: list[PunktSchema] = Field(default_factory=list)
    Moede: MoedeSchema | None = None
    Udvalg: UdvalgSchema | None = None
    Id: IdValue = None
    TillaegsDagsorden: bool | None = None
    #: Not FirstAgenda's: the site `referat harvest` fetched the meeting from (index/harvest.py).
    ReferatSite: str | None = None


_KIND = {
    "list": "en liste",
    "dict": "et objekt",
    "str": "en tekst",
    "int": "et tal",
    "float": "et tal",
    "bool": "en sandhedsværdi (true/false)",
    "NoneType": "tom (null)",
}
_EXPECTED = {
    "list_type": "en liste",
    "model_type": "et objekt",
    "dict_type": "et objekt",
    "string_type": "en tekst",
    "int_type": "et tal",
    "bool_type": "en sandhedsværdi (true/false)",
    "bool_parsing": "en sandhedsværdi (true/false)",
    "int_parsing": "et tal",
}
_MODEL_NAMES = {cls.__name__ for cls in _Model.__subclasses__()}


def _path(loc: tuple[Any, ...]) -> str:
    """`('Dagsordenpunkter', 3, 'Felter', 'list[FeltSchema]')` -> `Dagsordenpunkter[3].Felter`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in part or part in _KIND or part in _MODEL_NAMES or part in ("none", "int", "str", "bool"):
            continue  # a union branch, not a field
        else:
            out += f".{part}" if out else part
    return out or "dokumentet"


def validate(data: Any) -> DagsordenSchema:
    """The agenda as checked models; raises NotAReferatError naming the first wrong field."""
    try:
        return DagsordenSchema.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = next((e for e in errors if e["type"] in _EXPECTED), errors[0])
        found = _KIND.get(type(first.get("input")).__name__, type(first.get("input")).__name__)
        expected = _EXPECTED.get(first["type"], first.get("msg", "noget andet"))
        raise NotAReferatError(
            f"ikke en FirstAgenda-dagsorden: feltet {_path(first['loc'])} er {found}, ikke {expected}"
        ) from None
