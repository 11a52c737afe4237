"""Cancel really stops the HTTP call in flight: the model server sees its connection closed at once.

A local model keeps generating for as long as the request's connection is open, so a cancel that
only stops waiting (and lets the blocked read run into its timeout) keeps the consultant's machine
busy. The server here accepts the first chat completion and holds it open without answering; the
test cancels and waits for the server to see the client's end of the connection close.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from core.actions.agents import run_crew
from core.agents.runtime import CrewFailed
from core.agents.settings import LLMSettings
from core.bootstrap import Core
from core.db.models import CrewOutput
from core.progress import CancelToken
from core.uow import Tenant

TIMEOUT_S = 30.0  # the configured read timeout: a cancel must not wait for it


class HoldingLLM:
    """An OpenAI-compatible endpoint that reads each request and never answers it.

    `held` is set when a request has arrived; `dropped` when the client has closed that
    connection (the handler's blocking read reaches EOF or is reset).
    """

    def __init__(self) -> None:
        self.held = threading.Event()
        self.dropped = threading.Event()
        self.requests = 0
        self._sockets: list[socket.socket] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests += 1
                outer._sockets.append(self.connection)
                outer.held.set()
                try:  # no answer: wait for the client to go away
                    while self.connection.recv(4096):
                        pass
                except OSError:
                    pass
                outer.dropped.set()
                self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> HoldingLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for sock in self._sockets:  # ends a handler still holding (the client never closed)
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def holding_llm() -> Iterator[HoldingLLM]:
    with HoldingLLM() as server:
        yield server


def test_cancel_closes_the_connection_of_the_request_in_flight(
    core: Core, tenant: Tenant, servers_import, holding_llm: HoldingLLM
) -> None:
    settings = LLMSettings(base_url=holding_llm.base_url, model="scripted-model", timeout_s=TIMEOUT_S)
    cancel = CancelToken()
    cancelled_at: list[float] = []

    def cancel_when_held() -> None:
        if holding_llm.held.wait(TIMEOUT_S):
            cancelled_at.append(time.monotonic())
            cancel.cancel()

    threading.Thread(target=cancel_when_held, daemon=True).start()
    with pytest.raises(CrewFailed) as failed:
        run_crew(core.uows, tenant, servers_import.flow_id, "mapping", settings, cancel=cancel)
    assert failed.value.error_code == "cancelled"
    assert cancelled_at, "the request never reached the server"
    # the server sees the connection closed promptly, not when the client's read times out
    assert holding_llm.dropped.wait(2.0), "the request in flight kept its connection after the cancel"
    assert time.monotonic() - cancelled_at[0] < 2.0 < TIMEOUT_S
    assert holding_llm.requests == 1
    with core.uow(tenant) as uow:
        (stored,) = uow.session.scalars(
            select(CrewOutput).where(CrewOutput.discovery_flow_id == servers_import.flow_id)
        )
        assert stored.status == "cancelled" and stored.suggestions == 0
