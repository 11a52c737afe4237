"""A local OpenAI-compatible server for the crew tests and the benchmark: scripted completions.

It listens on 127.0.0.1 only, answers `GET /v1/models` and `POST /v1/chat/completions` with what a
`responder(request) -> Reply` decides (a message with content, tool calls, an HTTP error, a delay),
and records every request (path, headers, body) so a test can check what left the process.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """What the server answers to one chat completion."""

    content: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200
    delay_s: float = 0.0
    error: str = "scripted failure"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}


Responder = Callable[[dict[str, Any]], Reply]


class ScriptedLLM:
    """`with ScriptedLLM(responder) as llm:` — `llm.base_url` is the `/v1` URL to configure."""

    def __init__(self, responder: Responder, models: tuple[str, ...] = ("scripted-model",)) -> None:
        self.responder = responder
        self.models = models
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._release = threading.Event()  # ends a delayed reply early when the server stops
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                return

            def _record(self, body: bytes) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                with outer._lock:
                    outer.requests.append(Recorded(self.command, self.path, headers, body))

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (cancel, timeout)
                    pass

            def do_GET(self) -> None:
                self._record(b"")
                if self.path.rstrip("/").endswith("/models"):
                    data = [{"id": m, "object": "model", "owned_by": "scripted"} for m in outer.models]
                    self._send(200, {"object": "list", "data": data})
                else:
                    self._send(404, {"error": {"message": f"no {self.path}"}})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._record(body)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no {self.path}"}})
                    return
                request = json.loads(body)
                reply = outer.responder(request)
                if reply.delay_s:
                    outer._release.wait(reply.delay_s)
                if reply.status != 200:
                    self._send(reply.status, {"error": {"message": reply.error, "type": "server_error"}})
                    return
                self._send(200, completion(request, reply))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def completions(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.json for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")]

    def __enter__(self) -> ScriptedLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()


def completion(request: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """An OpenAI chat completion object for `reply`, with usage counted in (rough) tokens."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:12]}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for name, args in reply.tool_calls
        ]
    prompt = sum(len(str(m.get("content") or "")) for m in request.get("messages", [])) // 4
    answer = len(reply.content or "") // 4 + 10 * len(reply.tool_calls)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "scripted-model"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": {"prompt_tokens": prompt, "completion_tokens": answer, "total_tokens": prompt + answer},
    }
