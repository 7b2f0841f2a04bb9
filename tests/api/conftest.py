from __future__ import annotations

import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app


@pytest.fixture(scope="session")
def app(archive):
    return create_app(archive=archive)


@pytest.fixture(scope="session")
def client(app):
    with TestClient(app) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(archive):
    """The app served by uvicorn on a loopback port, for real HTTP clients (MCP, browser).

    Its own app instance: an app's lifespan (and MCP's session manager) runs once.
    """
    import uvicorn

    app = create_app(archive=archive)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not srv.started and time.time() < deadline:
        time.sleep(0.1)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
