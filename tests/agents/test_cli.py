"""`agents run` in a subprocess: the contract's JSON, exit 2 without a model, and no other host contacted.

The process runs with every proxy variable pointing at a trap on 127.0.0.1 (any HTTP(S) client that
honours proxies would connect there: the trap counts connections and drops them) and with an audit
hook that records every socket connection and name lookup to anything but the loopback; both must
stay empty while the crew talks to the scripted model.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from core.bootstrap import Core

from .scripted_llm import ScriptedLLM

ROOT = Path(__file__).resolve().parents[2]

# runs the CLI with an audit hook: every connect/lookup that is not loopback or a unix socket is written
# to the file named by MD_TEST_NET_LOG
_WRAPPER = """
import os, sys
log = open(os.environ["MD_TEST_NET_LOG"], "a", buffering=1)
LOCAL = ("127.0.0.1", "::1", "localhost")
def hook(event, args):
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and address[0] not in LOCAL:
            log.write(f"connect {address!r}\\n")
    elif event == "socket.getaddrinfo":
        if args[0] not in LOCAL and args[0] is not None:
            log.write(f"lookup {args[0]!r}\\n")
sys.addaudithook(hook)
from desktop_app.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


class Trap:
    """A TCP listener on 127.0.0.1 that counts connections (a proxy that nothing may use)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MD_", "OPENAI_", "CREWAI_", "OTEL_"))}
    env.update({"MD_USER": "Test Consultant <tester@example.com>", "MD_DATA_DIR": str(tmp_path / "data")})
    env.update(extra)
    return env


def test_agents_run_without_a_model_exits_2_and_says_how(core: Core, servers_import, tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, "agents", "run",
         str(servers_import.flow_id), "--crew", "mapping", "--json"],
        capture_output=True, text=True, env=_env(tmp_path), cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert res.returncode == 2, res.stderr
    error = json.loads(res.stderr.strip().splitlines()[-1])
    assert "no AI model is configured" in error["error"] and "MD_LLM_BASE_URL" in error["hint"]


def test_agents_run_json_contract_and_nothing_else_contacted(
    core: Core, servers_import, llm_server: ScriptedLLM, tmp_path: Path
) -> None:
    trap = Trap()
    net_log = tmp_path / "net.log"
    net_log.touch()
    env = _env(
        tmp_path,
        MD_LLM_BASE_URL=llm_server.base_url,
        MD_LLM_MODEL="scripted-model",
        MD_LLM_API_KEY="cli-key",
        MD_TEST_NET_LOG=str(net_log),
        HTTP_PROXY=trap.url, HTTPS_PROXY=trap.url, ALL_PROXY=trap.url,
        http_proxy=trap.url, https_proxy=trap.url, all_proxy=trap.url,
        NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
    )  # fmt: skip
    res = subprocess.run(
        [sys.executable, "-c", _WRAPPER, "--database-url", core.db.app_url, "agents", "run",
         str(servers_import.flow_id), "--crew", "mapping", "--json"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert {"crew", "model", "tasks", "suggestions", "findings"} <= set(data)  # the contract; adding is fine
    assert (data["crew"], data["model"]) == ("mapping", "scripted-model")
    assert [set(t) for t in data["tasks"]] == [{"name", "status", "tokens"}] * 2
    assert data["suggestions"] > 0 and isinstance(data["findings"], int)
    assert llm_server.completions(), "the crew talked to the scripted model"
    assert all(r.headers.get("authorization") == "Bearer cli-key" for r in llm_server.requests)
    assert trap.connections == 0
    assert net_log.read_text() == ""
    trap.sock.close()
