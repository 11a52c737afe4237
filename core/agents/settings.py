"""Which OpenAI-compatible endpoint the AI crews talk to, and whether they can run at all.

Precedence (like `core.config`): environment (`MD_LLM_BASE_URL`, `MD_LLM_MODEL`, `MD_LLM_API_KEY`,
the scripts' contract) > the settings file (`llm_base_url`, `llm_model`, `llm_timeout_s`,
`llm_mask_pii`) > nothing (the AI actions are disabled and say why). The key is never written to
the settings file: the desktop app keeps it in the OS keyring (`desktop_app.credentials`) and hands
it in as `api_key`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from core.errors import ConfigurationError

ENV_BASE_URL = "MD_LLM_BASE_URL"
ENV_MODEL = "MD_LLM_MODEL"
ENV_API_KEY = "MD_LLM_API_KEY"
FILE_BASE_URL = "llm_base_url"
FILE_MODEL = "llm_model"
FILE_TIMEOUT = "llm_timeout_s"
FILE_MASK_PII = "llm_mask_pii"
DEFAULT_TIMEOUT_S = 120.0
ENABLE_HINT = "pip install 'migration-discovery[ai]' (or `python dev.py test`, which installs it)"
CONFIGURE_HINT = (
    f"set an OpenAI-compatible endpoint in Settings → AI model, or {ENV_BASE_URL} and {ENV_MODEL} "
    f"(and {ENV_API_KEY} if the server needs a key)"
)


@dataclass(frozen=True)
class LLMSettings:
    """An OpenAI-compatible endpoint: `base_url` ends in `/v1` (OpenAI, Azure, Ollama, vLLM, llama.cpp)."""

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S
    mask_pii: bool = False

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.model)

    @property
    def endpoint(self) -> str | None:
        """host:port of the endpoint (what `crew_outputs.endpoint` keeps; never the key)."""
        if not self.base_url:
            return None
        parts = urlsplit(self.base_url)
        return parts.netloc or self.base_url


def resolve(file_values: Mapping[str, object] | None = None, api_key: str | None = None) -> LLMSettings:
    """The endpoint from the environment, else the settings file; `api_key` from the keyring."""
    values = file_values or {}
    base_url = os.environ.get(ENV_BASE_URL) or _text(values.get(FILE_BASE_URL))
    model = os.environ.get(ENV_MODEL) or _text(values.get(FILE_MODEL))
    key = os.environ.get(ENV_API_KEY) or api_key
    try:
        timeout = float(values.get(FILE_TIMEOUT) or DEFAULT_TIMEOUT_S)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        timeout = DEFAULT_TIMEOUT_S
    return LLMSettings(
        base_url=base_url.rstrip("/") if base_url else None,
        model=model,
        api_key=key or None,
        timeout_s=timeout,
        mask_pii=bool(values.get(FILE_MASK_PII, False)),
    )


def _text(value: object) -> str | None:
    return str(value).strip() or None if value else None


def crewai_installed() -> bool:
    """True when the `[ai]` extra is installed (found, not imported: importing it takes seconds)."""
    return importlib.util.find_spec("crewai") is not None


def unavailable_reason(settings: LLMSettings) -> str | None:
    """Why the AI actions are disabled (None when they can run)."""
    if not crewai_installed():
        return f"the AI crews need the optional CrewAI package: {ENABLE_HINT}"
    if not settings.configured:
        return f"no AI model is configured: {CONFIGURE_HINT}"
    return None


def require_configured(settings: LLMSettings) -> None:
    """Refuse, with how to fix it, when no model is configured or crewai is missing."""
    if not settings.configured:
        raise ConfigurationError("no AI model is configured", hint=CONFIGURE_HINT)
    if not crewai_installed():
        raise ConfigurationError("the AI crews need the optional CrewAI package", hint=ENABLE_HINT)


def list_models(base_url: str, api_key: str | None = None, timeout_s: float = 10.0) -> list[str]:
    """The ids `GET {base_url}/models` lists ("test connection"); raises ConfigurationError with a hint."""
    url = base_url.rstrip("/") + "/models"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            payload = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        hint = "check the API key" if exc.code in (401, 403) else "check the base URL (it ends in /v1)"
        raise ConfigurationError(f"{url} answered HTTP {exc.code}", hint=hint) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConfigurationError(
            f"cannot reach {url} ({reason})", hint="check the base URL and that the model server is running"
        ) from exc
    except ValueError as exc:
        raise ConfigurationError(f"{url} did not answer JSON", hint="is it OpenAI-compatible?") from exc
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise ConfigurationError(f"{url} did not list models", hint="is this an OpenAI-compatible server?")
    return sorted(str(m.get("id")) for m in data if isinstance(m, dict) and m.get("id"))
