"""What the portal administrator does under Developer resources: save local apps, add webhooks.

Spec §1.1, §4: a portal has as many senders as it has apps and outgoing webhooks, each with its
own application_token. Saving a "uses only API" local app shows its client_id/secret and — in the
default install-on-save mode — POSTs ONAPPINSTALL to its "initial installation path" at once,
before anyone could have typed those credentials elsewhere. An outgoing webhook is a set of
registrations owned by the webhook: its deliveries carry its own token and never OAuth tokens.
Simplified: the webhook's events are bound directly (no UI), and every app gets every scope
the portal was made with.
"""

from __future__ import annotations

from dataclasses import dataclass

from b24monitor.sandbox.ids import application_token_for
from b24monitor.sandbox.state import AppInfo, PortalState


@dataclass(frozen=True, slots=True)
class OutgoingWebhook:
    """An outgoing webhook made in the portal UI: where it posts, and its token (§4 step 4)."""

    owner: str
    handler_url: str
    application_token: str


def new_app(state: PortalState) -> AppInfo:
    """A new local app with its own credentials and application_token (not installed yet)."""
    app = AppInfo(state.ids.client_id(), state.ids.client_secret(), state.app.scopes)
    app.application_token = application_token_for(
        state.identity.member_id, app.client_id, app.client_secret
    )
    state.apps[app.client_id] = app
    return app


def add_outgoing_webhook(
    state: PortalState, handler_url: str, events: list[str]
) -> OutgoingWebhook:
    """An outgoing webhook posting `events` to `handler_url`, with a token of its own."""
    owner = f"webhook:{len(state.webhook_tokens) + 1}"
    token = state.ids.hex(32)
    state.webhook_tokens[owner] = token
    for event in events:
        state.registry.bind(event.upper(), handler=handler_url, owner=owner)
    return OutgoingWebhook(owner, handler_url, token)
