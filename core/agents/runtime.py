"""Running one crew: crewai imported here only, switched to offline-safe first; cancel; accounting.

`load_crewai` sets `CREWAI_DISABLE_TELEMETRY`, `OTEL_SDK_DISABLED`, `CREWAI_DISABLE_VERSION_CHECK`
and `CREWAI_TRACING_ENABLED=false` before the first import (without them crewai phones home and an
offline process stalls on exit). Crews run with `memory=False`, no knowledge sources and no
embedder, so no embedding model is ever called; the LLM is `crewai.LLM("openai/<model>",
base_url=...)`, which speaks to any OpenAI-compatible server.

Every HTTP request goes through `_Guard`: it counts requests and prompt bytes, refuses a request
over `budget.MAX_REQUEST_BYTES` or to another host than the configured one, and refuses everything
once the run is cancelled. The crew's (synchronous) OpenAI client is ours: an httpx client whose
transport runs the guard and whose connections are opened by `_SocketTracker`, which remembers
their sockets (crewai's async client, unused by a synchronous crew, has the guard as its
interceptor). The crew runs on a thread of its own; `run_crew` waits on it and on the cancel token.
A cancel returns at once and shuts the tracked sockets down, so the request in flight fails
immediately instead of at its read timeout and the model server sees its connection close (a local
model stops generating); the crew's thread can send nothing more.

An answer is validated by the task's guardrail (`outputs.validate_answer`) on the model's raw text,
and the guardrail keeps the validated model. Tasks set no `output_pydantic`: with it crewai would
run its converter on a retried answer, which asks the model up to three more times with a strict
`json_schema` response format (servers that do not support it answer HTTP 400). The answer's
JSON schema is in the task's text instead (`outputs.format_instructions`), and no request carries a
`response_format`. A malformed answer is asked for once more (`guardrail_max_retries=1`: the
task's attempt and one retry), then the run fails as malformed. Failures are classified
(`classify`) into an error code, class and recovery hint, the shape of the flow error path
(`core.flows.error_wrapper`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from core.agents import budget
from core.agents.crews import AGENTS, CREWS, TASKS
from core.agents.outputs import MalformedAnswer, format_instructions, validate_answer
from core.agents.settings import LLMSettings
from core.agents.tools import CrewInputs
from core.errors import OperationCancelled
from core.flows.error_wrapper import PhaseError
from core.progress import CancelToken, Progress, ProgressFn

log = logging.getLogger(__name__)

OFFLINE_ENV = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_DISABLE_VERSION_CHECK": "true",
    "CREWAI_TRACING_ENABLED": "false",
    "CREWAI_DISABLE_TRACKING": "true",
}
_QUIET = ("crewai", "crewai.llms.base_llm", "LiteLLM", "httpx", "openai", "opentelemetry")


def load_crewai() -> Any:
    """`import crewai`, offline-safe (the environment switches are set before the import)."""
    os.environ.update(OFFLINE_ENV)
    import crewai

    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.ERROR)
    return crewai


class BudgetExceeded(RuntimeError):
    """A request would carry more than the documented budget, or go to another host."""


class CrewFailed(PhaseError):
    """A crew run that failed, classified like a phase failure; `run` is what it got to."""

    def __init__(self, message: str, *, code: str, error_class: Any, hint: str, run: CrewRun) -> None:
        super().__init__(message, error_code=code, error_class=error_class, recovery_hint=hint)
        self.hint = hint  # what the front ends show under the message
        self.run = run


@dataclass
class TaskRecord:
    name: str
    status: str = "pending"  # pending | completed | failed | cancelled
    tokens: int = 0
    seconds: float = 0.0
    attempts: int = 0  # answers given (a malformed one makes 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "tokens": self.tokens,
            "seconds": round(self.seconds, 3),
            "attempts": self.attempts,
        }


@dataclass
class CrewRun:
    """What a crew run produced and cost."""

    crew: str
    model: str
    endpoint: str | None
    tasks: list[TaskRecord]
    outputs: dict[str, BaseModel] = field(default_factory=dict)
    status: str = "running"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    prompt_bytes: int = 0
    largest_request: int = 0
    seconds: float = 0.0
    tool_calls: list[str] = field(default_factory=list)


class _Guard:
    """What every request passes: our transport calls it, and crewai's async client as its interceptor.

    (crewai's BaseInterceptor is mixed in at run time, for the interceptor.)
    """

    def __init__(self, host: str | None, cancel: CancelToken) -> None:
        self.host = host
        self.cancel = cancel
        self.stopped = threading.Event()
        self.requests = 0
        self.prompt_bytes = 0
        self.largest = 0
        self.lock = threading.Lock()

    def on_outbound(self, message: Any) -> Any:
        if self.stopped.is_set() or self.cancel.cancelled:
            raise OperationCancelled("the AI crew was cancelled")
        if self.host and message.url.netloc.decode() != self.host:
            raise BudgetExceeded(f"refused a request to {message.url.host}: only {self.host} is allowed")
        size = len(message.content or b"")
        if size > budget.MAX_REQUEST_BYTES:
            raise BudgetExceeded(
                f"a request of {size} bytes is over the budget of {budget.MAX_REQUEST_BYTES} bytes"
            )
        with self.lock:
            self.requests += 1
            self.prompt_bytes += size
            self.largest = max(self.largest, size)
        return message

    def on_inbound(self, message: Any) -> Any:
        if self.stopped.is_set() or self.cancel.cancelled:
            raise OperationCancelled("the AI crew was cancelled")
        return message

    async def aon_outbound(self, message: Any) -> Any:
        return self.on_outbound(message)

    async def aon_inbound(self, message: Any) -> Any:
        return self.on_inbound(message)


class _TrackedStream:
    """An httpcore network stream that registers the socket of a TLS stream it starts, too."""

    def __init__(self, stream: Any, tracker: _SocketTracker) -> None:
        self._stream = stream
        self._tracker = tracker

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return bytes(self._stream.read(max_bytes, timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> Any:
        return self._tracker.track(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _SocketTracker:
    """An httpcore network backend: httpcore's SyncBackend, remembering the sockets it opens.

    `abort` shuts them all down: a read blocked on one returns at once (EOF), the server sees the
    connection close, and every connection opened afterwards is shut down as soon as it exists.
    Duck-typed to httpcore's `NetworkBackend` so that this module imports no httpcore at start-up.
    """

    def __init__(self) -> None:
        import httpcore

        self._backend = httpcore.SyncBackend()
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._lock = threading.Lock()
        self.aborted = False

    def track(self, stream: Any) -> _TrackedStream:
        sock = stream.get_extra_info("socket")
        with self._lock:
            if sock is not None:
                self._sockets.add(sock)
            aborted = self.aborted
        if aborted and sock is not None:
            _shutdown(sock)
        return _TrackedStream(stream, self)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> _TrackedStream:
        return self.track(self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> _TrackedStream:
        return self.track(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)

    def abort(self) -> None:
        with self._lock:
            self.aborted = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by its connection
        sock.shutdown(socket.SHUT_RDWR)


def _http_client(guard: _Guard, tracker: _SocketTracker) -> Any:
    """The httpx client of the crew's OpenAI client: the guard on every request, sockets tracked."""
    import httpcore
    import httpx

    class GuardedTransport(httpx.HTTPTransport):
        def __init__(self) -> None:
            super().__init__()  # what crewai's interceptor transport is: no proxy, TLS verified
            limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
            # httpx (0.28) has no parameter for httpcore's network backend, so the pool it built is
            # replaced by the same pool on our backend; `_pool` is all HTTPTransport sends through.
            self._pool = httpcore.ConnectionPool(
                ssl_context=httpx.create_ssl_context(),
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_keepalive_connections,
                keepalive_expiry=limits.keepalive_expiry,
                network_backend=tracker,
            )

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = super().handle_request(guard.on_outbound(request))
            return guard.on_inbound(response)

    return httpx.Client(transport=GuardedTransport())


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen and len(seen) < 20:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def classify(exc: BaseException, settings: LLMSettings) -> tuple[str, str, str, str]:
    """(error_code, error_class, recovery_hint, message) for a failed crew run."""
    where = settings.endpoint or "the model server"
    for e in _chain(exc):
        name = type(e).__name__
        text = str(e)
        if isinstance(e, OperationCancelled):
            return "cancelled", "retryable", "run the AI crew again when ready", "the AI crew was cancelled"
        if isinstance(e, BudgetExceeded):
            return "llm_budget", "non_retryable", "review fewer columns at a time", text
        if isinstance(e, MalformedAnswer | ValidationError) or "guardrail validation" in text:
            return (
                "llm_malformed",
                "retryable",
                "the model did not answer in the required JSON shape, twice; run it again or choose a "
                "stronger model",
                f"malformed answer from {settings.model}: {text}",
            )
        status = getattr(e, "status_code", None)
        if isinstance(status, int):
            if status in (401, 403):
                return (
                    "llm_refused",
                    "non_retryable",
                    "check the API key in Settings → AI model",
                    (f"{where} refused the request (HTTP {status})"),
                )
            if status == 404:
                return (
                    "llm_http_4xx",
                    "non_retryable",
                    "check the model name and the base URL (…/v1)",
                    (f"{where} answered HTTP 404 for model {settings.model}"),
                )
            if status == 429:
                return (
                    "llm_http_4xx",
                    "retryable",
                    "the server is rate-limiting; wait and run again",
                    (f"{where} answered HTTP 429 (too many requests)"),
                )
            if status >= 500:
                return (
                    "llm_http_5xx",
                    "retryable",
                    "the model server failed; check its log and run again",
                    (f"{where} answered HTTP {status}"),
                )
            message = f"{where} answered HTTP {status}"
            return "llm_http_4xx", "non_retryable", "check the model settings", message
        if "Timeout" in name or isinstance(e, TimeoutError) or "timed out" in text.lower():
            return (
                "llm_timeout",
                "retryable",
                f"the model took longer than {settings.timeout_s:g} s; raise the timeout or use a faster "
                "model",
                f"{where} did not answer within {settings.timeout_s:g} s",
            )
        if "refus" in text.lower() and "refused a request" not in text:
            return "llm_refused", "non_retryable", "the model refused the task; try another model", text
        if name in ("APIConnectionError", "ConnectError") or isinstance(e, ConnectionError):
            return (
                "llm_unreachable",
                "retryable",
                "check the base URL and that the model server runs",
                (f"cannot reach {where}"),
            )
    hint = "see the log for details; run the AI crew again"
    return "llm_failed", "non_retryable", hint, str(exc) or repr(exc)


def run_crew(
    crew_name: str,
    inputs: CrewInputs,
    settings: LLMSettings,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> CrewRun:
    """Run crew `crew_name` on `inputs`; the validated answers by task name, or CrewFailed."""
    cancel = cancel or CancelToken()
    names = CREWS[crew_name]
    run = CrewRun(crew_name, str(settings.model), settings.endpoint, [TaskRecord(n) for n in names])
    started = time.monotonic()
    guard = _Guard(urlsplit(settings.base_url or "").netloc or None, cancel)

    def report(done: int, text: str) -> None:
        if progress is not None:
            progress(
                Progress(
                    stage="agents",
                    done=done,
                    total=len(names),
                    unit="tasks",
                    text=text,
                    elapsed=time.monotonic() - started,
                )
            )

    def finish(status: str) -> None:
        run.status = status
        run.seconds = time.monotonic() - started
        run.requests, run.prompt_bytes = guard.requests, guard.prompt_bytes
        run.largest_request = guard.largest
        run.tool_calls = list(inputs.calls)

    report(0, f"starting the {crew_name} crew on {settings.model}")
    try:
        crewai = load_crewai()
        from crewai.llms.hooks.base import BaseInterceptor

        interceptor_cls = type("CrewGuard", (_Guard, BaseInterceptor), {})
        guard = interceptor_cls(guard.host, cancel)
        llm = crewai.LLM(
            model=f"openai/{settings.model}",
            base_url=settings.base_url,
            api_key=settings.api_key or "no-key",
            timeout=settings.timeout_s,
            max_retries=0,
            temperature=0,
            interceptor=guard,
        )
        tracker = _SocketTracker()
        http = _http_client(guard, tracker)
        _use_sync_client(llm, settings, http)
        crew, answers = _build(crewai, llm, crew_name, inputs, run, report, started)
    except CrewFailed:
        raise
    except Exception as exc:  # crewai missing or refusing our set-up
        finish("failed")
        code, cls, hint, message = classify(exc, settings)
        raise CrewFailed(message, code=code, error_class=cls, hint=hint, run=run) from exc

    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            crew.kickoff()
            outcome["ok"] = True
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=work, name=f"crew-{crew_name}", daemon=True)
    thread.start()
    while thread.is_alive():
        if cancel.wait(0.05):
            guard.stopped.set()
            _close(http, tracker)
            thread.join(1.0)  # its request fails at once now; a thread still busy can send nothing
            for t in run.tasks:
                if t.status == "pending":
                    t.status = "cancelled"
            finish("cancelled")
            raise CrewFailed(
                "the AI crew was cancelled",
                code="cancelled",
                error_class="retryable",
                hint="run the AI crew again when ready",
                run=run,
            )
        thread.join(0.0)
    usage = llm.get_token_usage_summary()
    run.prompt_tokens, run.completion_tokens = int(usage.prompt_tokens), int(usage.completion_tokens)
    error = outcome.get("error")
    _close(http, tracker)
    if error is None:
        for spec_name in names:
            answer = answers.get(spec_name)
            if not isinstance(answer, TASKS[spec_name].output):
                error = MalformedAnswer(f"task {spec_name} gave no {TASKS[spec_name].output.__name__}")
                break
            run.outputs[spec_name] = answer
    if error is not None:
        for t in run.tasks:
            if t.status == "pending":
                t.status = "failed"
                break
        finish("failed")
        code, cls, hint, message = classify(error, settings)
        if code == "cancelled":
            finish("cancelled")
        raise CrewFailed(message, code=code, error_class=cls, hint=hint, run=run) from error
    finish("completed")
    report(len(names), f"{crew_name} crew done")
    return run


def _use_sync_client(llm: Any, settings: LLMSettings, http: Any) -> None:
    """Make `llm` send its synchronous calls through `http` (our guarded, cancellable client).

    crewai's OpenAI provider builds its clients itself: `client_params={"http_client": ...}` goes
    to the async client too (which refuses a sync httpx client), and `interceptor=` gets a transport
    whose sockets cannot be reached. So the provider's sync OpenAI client (`_client`, which every
    synchronous call gets through `_get_sync_client`) is replaced by one made like it, on `http`.
    """
    import openai

    if not hasattr(llm, "_get_sync_client"):
        raise RuntimeError(f"crewai's LLM for openai/ is a {type(llm).__name__}, not its OpenAI provider")
    llm._client = openai.OpenAI(
        api_key=settings.api_key or "no-key",
        base_url=settings.base_url,
        timeout=settings.timeout_s,
        max_retries=0,
        http_client=http,
    )


def _close(http: Any, tracker: _SocketTracker) -> None:
    """Shut down the crew's connections (a request in flight fails at once), then close the client."""
    tracker.abort()
    try:
        http.close()
    except Exception:  # closing is best effort: the sockets are shut and the guard refuses everything
        log.debug("closing the LLM client failed", exc_info=True)


def _build(
    crewai: Any,
    llm: Any,
    crew_name: str,
    inputs: CrewInputs,
    run: CrewRun,
    report: Any,
    started: float,
) -> tuple[Any, dict[str, BaseModel]]:
    """The crew (sequential, each task with the earlier ones as context) and where the validated
    answers are kept, by task name, as their guardrails accept them."""
    tools = _tools(inputs)
    agents: dict[str, Any] = {}
    tasks: list[Any] = []
    answers: dict[str, BaseModel] = {}
    records = {r.name: r for r in run.tasks}
    state = {"tokens": 0, "at": started, "done": 0}

    def tokens_so_far() -> int:
        return int(llm.get_token_usage_summary().total_tokens)

    for name in CREWS[crew_name]:
        spec = TASKS[name]
        agent_spec = AGENTS[spec.agent]
        if spec.agent not in agents:
            agents[spec.agent] = crewai.Agent(
                role=agent_spec.role,
                goal=agent_spec.goal,
                backstory=agent_spec.backstory,
                llm=llm,
                tools=[tools[t] for t in agent_spec.tools],
                allow_delegation=False,
                verbose=False,
                max_iter=8,
                max_retry_limit=0,
                respect_context_window=True,
            )
        columns = spec.columns(inputs)
        targets = inputs.schema.names
        record = records[name]

        guardrail = _guardrail(spec.output, columns, targets, record, answers)
        done = _done(record, state, tokens_so_far, report)

        tasks.append(
            crewai.Task(
                name=name,
                description=f"{spec.describe(inputs)}\n\n{format_instructions(spec.output)}",
                expected_output=spec.expected,
                agent=agents[spec.agent],
                # no output_pydantic: its converter would re-ask the model (see the module docstring)
                guardrail=guardrail,
                guardrail_max_retries=1,
                context=list(tasks),
                callback=done,
            )
        )
    crew = crewai.Crew(
        agents=list(agents.values()),
        tasks=tasks,
        process=crewai.Process.sequential,
        memory=False,
        cache=False,
        planning=False,
        verbose=False,
    )
    return crew, answers


def _guardrail(
    model: type[BaseModel],
    columns: list[str],
    targets: tuple[str, ...],
    record: TaskRecord,
    answers: dict[str, BaseModel],
) -> Any:
    """The task's check of its raw answer: (True, the answer's JSON), the validated model kept in
    `answers`; or (False, what to fix), which crewai sends back to the model once."""

    def check(output: Any):  # unannotated return: crewai rejects any annotation but typing.Tuple
        record.attempts += 1
        try:
            answer = validate_answer(str(output.raw), model, columns=columns, targets=targets)
        except MalformedAnswer as exc:
            return False, f"{exc}. Answer again with the JSON object only, fitting the schema exactly."
        answers[record.name] = answer
        return True, answer.model_dump_json()

    return check


def _done(record: TaskRecord, state: dict[str, Any], tokens_so_far: Any, report: Any) -> Any:
    """The task's callback: its tokens and seconds, progress."""

    def callback(_output: Any) -> None:
        now = time.monotonic()
        total = tokens_so_far()
        record.status, record.tokens, record.seconds = "completed", total - state["tokens"], now - state["at"]
        state["tokens"], state["at"] = total, now
        state["done"] += 1
        report(state["done"], f"{record.name} done ({record.tokens} tokens)")

    return callback


def _tools(inputs: CrewInputs) -> dict[str, Any]:
    """crewai tools over `inputs`' methods (crewai imported: called from `run_crew` only)."""
    from crewai.tools import BaseTool
    from pydantic import Field

    class ColumnArg(BaseModel):
        column: str = Field(description="the source column's header, exactly as listed")

    class QueryArg(BaseModel):
        query: str = Field(description="words to look for in target field names and descriptions; '' for all")

    class TransformArg(BaseModel):
        column: str = Field(description="the source column's header")
        target_field: str = Field(description="a target field name")
        rules_json: str = Field(description='rules as a JSON object, e.g. {"scale": 0.001}; "{}" for none')

    class ProfileColumn(BaseTool):
        name: str = "profile_column"
        description: str = (
            "The column profiler's answer for one column: type, fill, distinct values, top values, "
            "patterns, numeric summary with outliers, date range, key and duplicate checks."
        )
        args_schema: type[BaseModel] = ColumnArg

        def _run(self, column: str) -> str:
            return inputs.profile_column(column)

    class SampleValues(BaseTool):
        name: str = "sample_values"
        description: str = f"Up to {budget.MAX_SAMPLE_VALUES} distinct values of one column, in file order."
        args_schema: type[BaseModel] = ColumnArg

        def _run(self, column: str) -> str:
            return inputs.sample_values(column)

    class TargetSchemaTool(BaseTool):
        name: str = "target_schema"
        description: str = "Target fields (name, type, unit, description) matching the query words."
        args_schema: type[BaseModel] = QueryArg

        def _run(self, query: str = "") -> str:
            return inputs.target_schema(query)

    class TestTransformation(BaseTool):
        name: str = "test_transformation"
        description: str = (
            "Convert the column's sample values for a target field with the product's own value "
            "pipeline and the given rules; says the value or the error for each."
        )
        args_schema: type[BaseModel] = TransformArg

        def _run(self, column: str, target_field: str, rules_json: str = "{}") -> str:
            return inputs.test_transformation(column, target_field, rules_json)

    return {
        "profile_column": ProfileColumn(),
        "sample_values": SampleValues(),
        "target_schema": TargetSchemaTool(),
        "test_transformation": TestTransformation(),
    }
