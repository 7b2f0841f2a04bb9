"""The site's own address for links in pages, feeds and MCP citations.

`REFERAT_PUBLIC_URL` when set; else the address the request came to, but only when its host is a
loopback name (a developer's own machine); else the default. An arbitrary Host header is never
echoed into a page: that would let anyone plant links to their own site in shared citations.
"""

from __future__ import annotations

import ipaddress
import os

DEFAULT_URL = "http://127.0.0.1:8000"
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def site_url(request=None) -> str:
    configured = os.environ.get("REFERAT_PUBLIC_URL", "").strip()
    if configured:
        return configured.rstrip("/")
    if request is not None and is_loopback(request.url.hostname):
        return str(request.base_url).rstrip("/")
    return DEFAULT_URL
