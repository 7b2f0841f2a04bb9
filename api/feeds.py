"""Atom 1.0 feeds (RFC 4287) of a search: one entry per punkt, newest meeting first.

A feed reader polling `/feed.atom?q=hjemløse&municipality=Odense` (or a saved search's
`/feed/{name}.atom`) learns of new punkter without anyone running a search by hand. Only the hits
that belong to the answer (`relevant`, the search's per-hit decision) are entries: a feed sorted by
date would otherwise open with the loosely related, and a no-answer search has no entries.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import quote
from xml.etree import ElementTree as ET

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)


def plain(snippet: str) -> str:
    """A highlighted HTML snippet as plain text: marks dropped, entities unescaped."""
    return html.unescape(re.sub(r"</?mark>", "", snippet or ""))


def _el(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def _stamp(date: str | None) -> str:
    if date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return f"{date}T00:00:00Z"
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_feed(*, title: str, feed_id: str, self_url: str, alternate_url: str, base_url: str, hits: list[dict]) -> bytes:
    """The feed document of the relevant ones of `hits` (search hits; closed punkter show their title only)."""
    hits = sorted(
        (h for h in hits if h["relevant"]), key=lambda h: (h.get("meeting_date") or "", h["id"]), reverse=True
    )
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "da"})
    _el(feed, "id", feed_id)
    _el(feed, "title", title)
    _el(feed, "updated", _stamp(hits[0].get("meeting_date")) if hits else _stamp(None))
    _el(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _el(feed, "link", rel="alternate", type="text/html", href=alternate_url)
    author = _el(feed, "author")
    _el(author, "name", "Referat")
    _el(author, "uri", base_url + "/")
    _el(feed, "generator", "Referat", uri=base_url + "/")
    for hit in hits:
        url = f"{base_url}/punkt/{quote(hit['id'], safe='/')}"
        entry = _el(feed, "entry")
        _el(entry, "id", url)
        _el(entry, "title", hit.get("title") or hit["id"])
        _el(entry, "updated", _stamp(hit.get("meeting_date")))
        _el(entry, "link", rel="alternate", type="text/html", href=url)
        where = f"{hit.get('municipality')} Kommune, {hit.get('committee')}, møde {hit.get('meeting_date')}"
        _el(entry, "category", term=hit.get("committee") or "ukendt", label=where)
        text = plain(hit.get("snippet", "")) if not hit.get("closed") else "Lukket punkt: indholdet er ikke offentligt."
        _el(entry, "summary", f"{where}, punkt {hit.get('number')}. {text}".strip(), type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)
