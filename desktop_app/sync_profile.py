"""Connection profiles: which shared server an engagement syncs with, as which login.

Why QSettings plus the keyring: the URL (host, port, database, the consultant's login role) is no
secret and is kept per engagement id in QSettings; the password goes to the OS keyring through
`desktop_app.credentials` (or stays in this session's memory when there is no keyring) and is
never written to a file.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from core.errors import UserInputError
from desktop_app import credentials
from desktop_app.settings_store import SettingsStore

DEFAULT_AUTO_INTERVAL_S = 60
MIN_AUTO_INTERVAL_S = 1
SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


@dataclass(frozen=True)
class SyncProfile:
    """An engagement's shared server: `url` names the login role and never holds a password."""

    engagement_id: uuid.UUID
    url: str

    @property
    def role(self) -> str:
        return urlsplit(self.url).username or ""

    @property
    def host(self) -> str:
        """`HOST[:PORT]`, or the socket directory of a `?host=/path` URL."""
        parts = urlsplit(self.url)
        if not parts.hostname:
            query = dict(q.partition("=")[::2] for q in parts.query.split("&") if q)
            return query.get("host", "localhost")
        return parts.hostname + (f":{parts.port}" if parts.port else "")

    @property
    def label(self) -> str:
        """`HOST[:PORT]/DATABASE` for the status bar."""
        return f"{self.host}{urlsplit(self.url).path or ''}"

    def url_with_password(self) -> str:
        """What the sync connects with: the URL plus the remembered password, if any."""
        return credentials.with_password(self.url, credentials.load_password(self.url))


def profile_url(server_url: str, role: str) -> str:
    """The server URL with `role` as its login and no password (what QSettings may keep).

    Refuses what is not a PostgreSQL URL with a host, saying what to type.
    """
    text = server_url.strip()
    if "://" not in text and text:
        text = f"postgresql://{text}"
    parts = urlsplit(text)
    if parts.scheme not in SCHEMES or not (parts.hostname or "host=" in parts.query):
        raise UserInputError(f"not a server URL: {server_url!r}", hint="type postgresql://HOST:5432/DATABASE")
    if not parts.path.strip("/"):
        raise UserInputError("the server URL names no database", hint="e.g. postgresql://HOST:5432/migration")
    role = role.strip() or (parts.username or "")
    if not role:
        raise UserInputError("no login role", hint="your own database login on the shared server")
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(role, safe='')}@{host}"
    return urlunsplit(("postgresql", netloc, parts.path, parts.query, ""))


def _key(engagement_id: uuid.UUID) -> str:
    return f"sync/profiles/{engagement_id}"


def load_profile(store: SettingsStore, engagement_id: uuid.UUID | None) -> SyncProfile | None:
    """The engagement's profile, or None when none is set."""
    if engagement_id is None:
        return None
    url = store.q.value(_key(engagement_id), "")
    if not url:
        return None
    bare, _password = credentials.split_password(str(url))  # a hand-edited file keeps no password
    return SyncProfile(engagement_id, bare)


def save_profile(
    store: SettingsStore, engagement_id: uuid.UUID, url: str, password: str | None
) -> tuple[SyncProfile, credentials.Storage | None]:
    """Keep the URL per engagement and the password in the keyring; returns where it went."""
    bare, in_url = credentials.split_password(url)
    secret = password or in_url
    where = credentials.store_password(bare, secret) if secret else None
    store.q.setValue(_key(engagement_id), bare)
    store.q.sync()
    return SyncProfile(engagement_id, bare), where


def remove_profile(store: SettingsStore, engagement_id: uuid.UUID) -> None:
    store.q.remove(_key(engagement_id))
    store.q.sync()


def auto_sync_enabled(store: SettingsStore) -> bool:
    """Retry a sync that could not connect, by itself (on by default)."""
    value = store.q.value("sync/auto", True)
    return value not in (False, "false", "0", 0)


def set_auto_sync(store: SettingsStore, enabled: bool) -> None:
    store.q.setValue("sync/auto", bool(enabled))


def auto_interval_s(store: SettingsStore) -> int:
    """First wait before retrying a failed sync; later waits double, up to eight times this."""
    try:
        value = int(store.q.value("sync/auto_interval_s", DEFAULT_AUTO_INTERVAL_S))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_AUTO_INTERVAL_S
    return max(MIN_AUTO_INTERVAL_S, value)


def set_auto_interval_s(store: SettingsStore, seconds: int) -> None:
    store.q.setValue("sync/auto_interval_s", max(MIN_AUTO_INTERVAL_S, int(seconds)))
