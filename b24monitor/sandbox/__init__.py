"""The sandbox portal: a faithful local emulation of one Bitrix24 portal and its OAuth server.

It backs the test suite and lets people try b24monitor without a portal. It follows
`../shared/spec/bitrix24-events.md`: event deliveries as PHP forms without retries (§1), the event
and offline-queue methods with their errors (§2, §3), OAuth with rotating refresh tokens, the
leaky-bucket limit, batch, pagination and the `time` block (§5). Switchable real-portal modes —
self-hosted, renamed, licence expired, handler-host check — live in `edition`. Each module's
docstring says where the sandbox simplifies Bitrix24.

    portal.SandboxPortal     the portal (REST, OAuth server, deliveries, install, fire)
    traffic.TrafficGenerator realistic activity at a rate or as a burst
    runner.run_sandbox       what `b24monitor sandbox` runs
"""

from b24monitor.sandbox.delivery import DeliveryRecord
from b24monitor.sandbox.portal import SandboxPortal
from b24monitor.sandbox.runner import run_sandbox
from b24monitor.sandbox.traffic import TrafficGenerator

__all__ = ["DeliveryRecord", "SandboxPortal", "TrafficGenerator", "run_sandbox"]
