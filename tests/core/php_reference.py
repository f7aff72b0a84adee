"""Delivery bodies as PHP 8.2's http_build_query builds them (kept literal: CI has no PHP)."""

AUTH_APP = (
    b"&auth%5Baccess_token%5D=7d1b3a6a006d8c5f0071e2a400000001000007c4e0b9f1a2c3d4e5f60718293a"
    b"4b5c6d&auth%5Bexpires%5D=1764342192&auth%5Bexpires_in%5D=3600"
    b"&auth%5Bscope%5D=crm%2Ctask%2Cuser&auth%5Bdomain%5D=acme.bitrix24.com"
    b"&auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix.info%2Frest%2F&auth%5Bstatus%5D=L"
    b"&auth%5Bclient_endpoint%5D=https%3A%2F%2Facme.bitrix24.com%2Frest%2F"
    b"&auth%5Bmember_id%5D=0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a&auth%5Buser_id%5D=1"
    b"&auth%5Bapplication_token%5D=9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"
)
# A robot, workflow or agent fired the event: no user, no OAuth tokens (spec §1.4).
AUTH_ROBOT = (
    b"&auth%5Bdomain%5D=acme.bitrix24.com"
    b"&auth%5Bclient_endpoint%5D=https%3A%2F%2Facme.bitrix24.com%2Frest%2F"
    b"&auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix.info%2Frest%2F"
    b"&auth%5Bmember_id%5D=0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a"
    b"&auth%5Bapplication_token%5D=9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"
)

# spec §1.4, byte for byte.
DEAL_UPDATE = (
    b"event=ONCRMDEALUPDATE&event_handler_id=412&data%5BFIELDS%5D%5BID%5D=3187&ts=1764338592"
    + AUTH_APP
)
