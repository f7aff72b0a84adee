"""The text that tells a user how to connect b24monitor (or any client) to a running sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from b24monitor.sandbox.portal import SandboxPortal


def describe(portal: SandboxPortal) -> str:
    """Connection details, the `portal add` command line and how to install the app."""
    return f"""\
Sandbox Bitrix24 portal — simulated on this machine, nothing is sent to Bitrix24.

  portal            {portal.base_url}/   (domain {portal.domain})
  REST endpoint     {portal.client_endpoint}
  OAuth server      {portal.server_endpoint}
  token URL         {portal.token_url}
  authorize page    {portal.base_url}/oauth/authorize/?client_id={portal.client_id}
  incoming webhook  {portal.webhook_url}   (event methods refuse it, as on Bitrix24)
  member_id         {portal.member_id}
  application_token {portal.application_token}

Connect b24monitor to it:
  b24monitor portal add sandbox --client-id {portal.client_id} \\
      --client-secret {portal.client_secret}

Install the app (Bitrix24 then POSTs ONAPPINSTALL with tokens to your handler URL):
  curl -X POST '{portal.base_url}/sandbox/install?handler=<your handler URL>'
Or save a new local app, as an administrator does (its ONAPPINSTALL comes at once, before
any profile exists; the answer carries its client_id and client_secret):
  curl -X POST '{portal.base_url}/sandbox/save-app?install_url=<your handler URL>'
Unlike Bitrix24, the sandbox accepts loopback handler URLs such as http://127.0.0.1:8765/...
Fire an event by hand:
  curl -X POST {portal.base_url}/sandbox/fire -H 'Content-Type: application/json' \\
       -d '{{"event": "ONCRMDEALUPDATE", "data": {{"FIELDS": {{"ID": "3187"}}}}}}'
"""
