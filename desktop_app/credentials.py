"""Database passwords: in the OS keyring when one exists, otherwise only in memory for the session.

Why: the settings file holds the server URL *without* its password (`core.config` refuses password
keys). On a machine without a keyring backend (`keyring.backends.fail` / `null`) the password is
kept for this session only and the user is told so — it is never written to disk in plain text.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Literal
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

log = logging.getLogger(__name__)

SERVICE = "migration-discovery"
Storage = Literal["keyring", "session"]

_session_passwords: dict[str, str] = {}


def keyring_available() -> bool:
    """True when a real keyring backend is installed (not the fail/null placeholders)."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:  # keyring import or backend discovery can fail in odd environments
        return False
    if isinstance(backend, fail.Keyring):
        return False
    module = type(backend).__module__
    return not module.endswith(("fail", "null")) and getattr(backend, "priority", 1) > 0


def _split(url: str) -> tuple[SplitResult, str | None, str | None, str]:
    """(parts, user, password, host part) of a database URL, user and password percent-decoded."""
    parts = urlsplit(url)
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user, has_password, password = userinfo.partition(":")
    return (
        parts,
        unquote(user) if user else None,
        unquote(password) if has_password else None,
        hostinfo,
    )


def account_for(url: str) -> str:
    """Keyring account name for a server URL: user@host:port/database (no password)."""
    parts, user, _password, _host = _split(url)
    return f"{user or ''}@{parts.hostname or 'localhost'}:{parts.port or 5432}/{parts.path.lstrip('/')}"


def split_password(url: str) -> tuple[str, str | None]:
    """(URL without password, password) — the URL part is what the settings file may keep."""
    parts, user, password, host = _split(url)
    netloc = f"{quote(user, safe='')}@{host}" if user else host
    return urlunsplit(parts._replace(netloc=netloc)), password


def with_password(url: str, password: str | None) -> str:
    """The URL with `password` (percent-encoded) in place of any it had."""
    if not password:
        return url
    parts, user, _old, host = _split(url)
    netloc = f"{quote(user or '', safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def store_password(url: str, password: str) -> Storage:
    """Remember the password for this server; returns where it went."""
    account = account_for(url)
    _session_passwords[account] = password
    if keyring_available():
        try:
            import keyring

            keyring.set_password(SERVICE, account, password)
            return "keyring"
        except Exception as exc:
            log.warning("keyring refused the password (%s); keeping it for this session only", exc)
    return "session"


def load_password(url: str) -> str | None:
    """The remembered password for this server (session memory first, then the keyring)."""
    account = account_for(url)
    if account in _session_passwords:
        return _session_passwords[account]
    if keyring_available():
        with contextlib.suppress(Exception):
            import keyring

            return keyring.get_password(SERVICE, account)
    return None


def forget_session_passwords() -> None:
    """Tests: drop in-memory passwords."""
    _session_passwords.clear()


# --- the AI model's API key (issue 16): same keyring service, one account per endpoint -------------


def llm_account(base_url: str) -> str:
    """The keyring account of an LLM endpoint's API key (the base URL, without any path slash)."""
    return f"llm:{base_url.rstrip('/')}"


def store_llm_key(base_url: str, api_key: str) -> Storage:
    """Remember the endpoint's API key (keyring, else this session only); returns where it went."""
    account = llm_account(base_url)
    _session_passwords[account] = api_key
    if keyring_available():
        try:
            import keyring

            keyring.set_password(SERVICE, account, api_key)
            return "keyring"
        except Exception as exc:
            log.warning("keyring refused the API key (%s); keeping it for this session only", exc)
    return "session"


def load_llm_key(base_url: str | None) -> str | None:
    """The remembered API key of an endpoint (session memory first, then the keyring)."""
    if not base_url:
        return None
    account = llm_account(base_url)
    if account in _session_passwords:
        return _session_passwords[account]
    if keyring_available():
        with contextlib.suppress(Exception):
            import keyring

            return keyring.get_password(SERVICE, account)
    return None
