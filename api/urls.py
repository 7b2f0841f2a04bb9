"""The site's own address for links in pages, feeds and MCP citations.

`REFERAT_PUBLIC_URL` when set. Else, behind a proxy named in `REFERAT_TRUSTED_PROXIES`, the
address the proxy says (Host and X-Forwarded-Proto). Else the address of the socket the request
came in on, with its port: never the Host header or a forwarded header, which anyone can send and
which would plant links to their own site in shared citations.
"""

from __future__ import annotations

import ipaddress
import os

from nlp.settings import settings

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


def public_url() -> str | None:
    configured = os.environ.get("REFERAT_PUBLIC_URL", "").strip()
    return configured.rstrip("/") or None


def site_url(request=None) -> str:
    """The base URL for links made while answering `request` (see the module docstring)."""
    configured = public_url()
    if configured:
        return configured
    if request is None:
        return DEFAULT_URL
    if settings.trusted_proxies:
        return str(request.base_url).rstrip("/")
    server = request.scope.get("server")
    if not server:
        return DEFAULT_URL
    host, port = server[0], server[1]
    host = f"[{host}]" if ":" in str(host) else host
    return f"http://{host}:{port}" if port else f"http://{host}"
