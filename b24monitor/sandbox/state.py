"""Everything one sandbox portal knows, in one object the REST methods and the HTTP layer share.

The portal (`portal.py`) builds it; methods receive it with the caller and read or change it.
Emitting events is delegated through `EventSink`, which the portal implements with real POSTs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from b24monitor.sandbox.catalog import EventCatalog
from b24monitor.sandbox.edition import Edition
from b24monitor.sandbox.entities import EntityStore
from b24monitor.sandbox.events_registry import EventRegistry
from b24monitor.sandbox.ids import IdSource
from b24monitor.sandbox.offline_queue import OfflineQueue
from b24monitor.sandbox.payloads import PortalIdentity
from b24monitor.sandbox.rate_limit import LeakyBucket
from b24monitor.sandbox.tokens import TokenStore
from b24monitor.sandbox.users import UserDirectory

FEATURES = {"rest_offline_extended": True, "rest_auth_connector": True}
"""Plan features the sandbox switches on by default (spec §2.10; self-hosted portals have both)."""


class EventSink(Protocol):
    """Where REST methods send the events they trigger (event.test → ONAPPTEST)."""

    def emit_soon(self, code: str, data: Any, user_id: int, session: int) -> None:
        """Fire an event after the current request, as the portal's background job does."""


@dataclass(slots=True)
class AppInfo:
    """A local application of the sandbox portal (the first one made is `PortalState.app`).

    `application_token` is per installation: reinstalling makes a new app row (`row_id`) and so
    a new token, with the same credentials (spec §4). `handler_url`/`install_url` are what the
    administrator saved in the app's settings; the OAuth redirect goes there (spec §1.1).
    """

    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    version: int = 1
    installed: bool = False
    language: str = "en"
    features: dict[str, bool] = field(default_factory=lambda: dict(FEATURES))
    application_token: str = ""
    row_id: int = 1
    handler_url: str = ""
    install_url: str = ""

    def has_scope(self, scope: str | None) -> bool:
        """Whether the app was granted this scope (None and "basic" are always granted)."""
        return scope in (None, "basic") or scope in self.scopes


@dataclass(slots=True)
class PortalState:
    """The portal's data: identity, app, tokens, users, registrations, queue, objects."""

    identity: PortalIdentity
    app: AppInfo
    ids: IdSource
    tokens: TokenStore
    sink: EventSink
    users: UserDirectory = field(default_factory=UserDirectory)
    registry: EventRegistry = field(default_factory=EventRegistry)
    queue: OfflineQueue = field(default_factory=OfflineQueue)
    catalog: EventCatalog = field(default_factory=EventCatalog.load)
    entities: EntityStore = field(default_factory=EntityStore)
    bucket: LeakyBucket | None = None
    webhook_code: str = ""
    install_url: str | None = None  # where the last install was delivered: the app's saved URL
    edition: Edition = field(default_factory=Edition)  # self-hosted, renamed, … (edition.py)
    oauth_host: str = ""
    apps: dict[str, AppInfo] = field(default_factory=dict)  # client_id → app, `app` included
    webhook_tokens: dict[str, str] = field(default_factory=dict)  # owner → application_token

    def app_by_id(self, client_id: str) -> AppInfo | None:
        """The local app with this client_id, if the portal has one."""
        return self.apps.get(client_id)

    def token_of(self, owner: str) -> str:
        """The application_token of a registration's owner: an app's client_id or a webhook."""
        app = self.apps.get(owner)
        if app is not None:
            return app.application_token
        return self.webhook_tokens.get(owner, self.app.application_token)
