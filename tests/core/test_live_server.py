"""The tests' live server (``tests/live.py``) closes every response, also one whose
client hung up: Werkzeug's threaded server reads what is left of a request before it
closes the response, and a connection reset there skipped the close (a static file left
open, a ``ResourceWarning`` that failed whichever browser test was running)."""

from __future__ import annotations

import gc
import socket
import struct
import sys
import time
from urllib.parse import urlsplit


def _reset_after_first_byte(base_url: str, path: str) -> None:
    """GET ``path``, read one byte of the answer, then drop the connection with a reset
    (as a browser that leaves a page drops its pending requests)."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {address.netloc}\r\n\r\n".encode())
        assert sock.recv(1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_response_is_closed_when_its_client_resets_the_connection(live, monkeypatch):
    unclosed: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook",
                        lambda hook: unclosed.append(repr(hook.exc_value)))
    browser = live.client()
    for _ in range(20):
        _reset_after_first_byte(live.base_url, "/static/js/outbox.js")
    time.sleep(0.1)  # the server's threads finish their requests
    assert browser.get("/static/js/outbox.js").status_code == 200
    gc.collect()
    assert unclosed == []
