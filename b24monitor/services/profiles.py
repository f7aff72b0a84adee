"""Portal profiles: public fields in `<data dir>/profiles.json`, secrets in a SecretStore.

A profile is either a local application (`app`: client_id/client_secret, and once ONAPPINSTALL
arrived the installation's endpoints, application_token and OAuth pair — spec §4, §5.2) or a
passive outgoing webhook (`webhook`: only the application_token the user pasted; nothing can be
bound — spec §7.19). The GUI and CLI may use one profile at once, so every change re-reads the
files under a cross-process lock and writes atomically (services/filelock.py).
"""

from __future__ import annotations

import dataclasses
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from b24monitor.core.errors import ProfileError
from b24monitor.services.filelock import locked, read_json, write_json
from b24monitor.services.rate_limit import RATE_PLANS
from b24monitor.services.secrets import RESERVED_PREFIX, SECRET_FIELDS, SecretStore

Kind = Literal["app", "webhook"]
_FORMAT = 1
_INSTALL_FIELDS = ("member_id", "domain", "client_endpoint", "server_endpoint")
_PAIR = ("access_token", "refresh_token", "expires")


@dataclass(frozen=True, slots=True)
class Profile:
    """One portal connection; secret fields are kept out of repr so logs never show them."""

    name: str
    kind: Kind
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    member_id: str = ""
    domain: str = ""
    client_endpoint: str = ""
    server_endpoint: str = ""
    scope: str = ""
    expires: int = 0
    application_token: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    rate: str = "standard"  # REST pacing plan (services/rate_limit.py RATE_PLANS, spec §5.4)
    app_url: str = ""  # the handler URL when the app was installed: what its settings hold (§1.1)
    uninstalled_at: float = 0.0  # when ONAPPUNINSTALL removed the app (0: it was not)

    @property
    def installed(self) -> bool:
        """True once an app profile holds an installation's endpoint and OAuth pair."""
        return self.kind == "app" and bool(
            self.member_id and self.client_endpoint and self.access_token and self.refresh_token
        )


_PUBLIC_FIELDS = tuple(
    f.name for f in dataclasses.fields(Profile) if f.name not in SECRET_FIELDS and f.name != "name"
)


class ProfileStore:
    """Profiles of one data directory; every method re-reads the files, so processes agree."""

    def __init__(
        self, data_dir: Path, secrets: SecretStore, *, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self._path = data_dir / "profiles.json"
        self._secrets = secrets
        self._now = wall_clock

    @property
    def path(self) -> Path:
        """The public profiles file; it is replaced on every change (watched by sessions)."""
        return self._path

    def add(self, profile: Profile) -> None:
        """Store a new profile; refuses a taken name or a profile missing its credentials."""
        _validate(profile)
        with locked(self._path):
            public = self._read()
            if profile.name in public:
                raise ProfileError(
                    f"profile “{profile.name}” already exists: choose another name or remove it."
                )
            self._write(public, profile)

    def get(self, name: str) -> Profile:
        """The profile with its secrets; ProfileError when there is none of that name."""
        with locked(self._path, exclusive=False):
            return self._load(self._read(), name)

    def list(self) -> list[Profile]:
        """All profiles, sorted by name."""
        with locked(self._path, exclusive=False):
            public = self._read()
            return [self._load(public, name) for name in sorted(public)]

    def remove(self, name: str) -> None:
        """Forget a profile and its secrets (bindings on the portal are not touched)."""
        with locked(self._path):
            public = self._read()
            if public.pop(name, None) is None:
                raise _missing(name)
            write_json(self._path, _document(public))
            self._secrets.delete(name)

    def apply_install(
        self, profile_name: str, auth: Mapping[str, Any], *, proved: bool = False
    ) -> bool:
        """Store an ONAPPINSTALL/ONAPPUPDATE `auth` block; False when it is refused as forged.

        An installation already known keeps its member_id, and its application_token unless the
        block was `proved` to belong to this app (its refresh token refreshed with our
        credentials: a reinstall, spec §4 step 2); for the same installation only a newer token
        pair replaces the stored one (spec §7.7). An uninstalled profile is installed again.
        """
        block = _install_block(auth, self._now())
        with locked(self._path):
            public = self._read()
            current = self._load(public, profile_name)
            if current.kind != "app":
                raise ProfileError(
                    f"profile “{profile_name}” is an outgoing-webhook profile: "
                    "installation tokens belong to a local-application profile."
                )
            if current.member_id and current.application_token:
                same = hmac.compare_digest(current.application_token, block["application_token"])
                if current.member_id != block["member_id"] or not (same or proved):
                    return False
                if same and current.expires > block["expires"]:
                    block = {k: v for k, v in block.items() if k not in _PAIR}
            self._write(public, dataclasses.replace(current, **block, uninstalled_at=0.0))
        return True

    def save_tokens(
        self,
        profile_name: str,
        *,
        access_token: str,
        refresh_token: str,
        expires: int,
        scope: str | None = None,
        client_endpoint: str | None = None,
    ) -> bool:
        """Store a refreshed pair unless the store already holds a newer one (by `expires`)."""
        with locked(self._path):
            public = self._read()
            current = self._load(public, profile_name)
            if current.expires > expires:
                return False
            changes: dict[str, Any] = {
                "access_token": access_token,
                "refresh_token": refresh_token,
                "expires": int(expires),
            }
            if scope:
                changes["scope"] = scope
            if client_endpoint:
                changes["client_endpoint"] = client_endpoint
            self._write(public, dataclasses.replace(current, **changes))
        return True

    def apply_authorization(self, profile_name: str, answer: Mapping[str, Any]) -> None:
        """Store the pair from an authorization-code exchange (spec §5.2 full OAuth flow).

        The exchange says nothing about the application_token, so an installation known from
        ONAPPINSTALL keeps its token; a different member_id is refused like a forged install.
        """
        fields = {k: str(answer.get(k) or "") for k in (*_INSTALL_FIELDS, "scope")}
        fields["domain"] = urlsplit(fields["client_endpoint"]).hostname or fields["domain"]
        with locked(self._path):
            public = self._read()
            current = self._load(public, profile_name)
            if current.member_id and current.member_id != fields["member_id"]:
                raise ProfileError(
                    f"profile “{profile_name}” belongs to another portal (member_id differs): "
                    "add a new profile for this portal."
                )
            updated = dataclasses.replace(
                current,
                member_id=fields["member_id"],
                domain=fields["domain"],
                client_endpoint=fields["client_endpoint"],
                server_endpoint=fields["server_endpoint"],
                scope=fields["scope"],
                access_token=str(answer["access_token"]),
                refresh_token=str(answer["refresh_token"]),
                expires=int(answer["expires"]),
            )
            self._write(public, updated)

    def move(self, profile_name: str, domain: str, client_endpoint: str) -> bool:
        """The portal was renamed (spec §5.1): new domain and endpoint; False if already moved."""
        with locked(self._path):
            public = self._read()
            current = self._load(public, profile_name)
            if current.client_endpoint == client_endpoint:
                return False
            moved = dataclasses.replace(current, domain=domain, client_endpoint=client_endpoint)
            self._write(public, moved)
        return True

    def set_app_url(self, profile_name: str, url: str) -> None:
        """Remember the handler URL the app's settings in the portal were saved with (§1.1)."""
        with locked(self._path):
            public = self._read()
            current = self._load(public, profile_name)
            if current.app_url != url:
                self._write(public, dataclasses.replace(current, app_url=url))

    def reset_install(self, profile_name: str) -> None:
        """Forget the installation (after ONAPPUNINSTALL) so the next ONAPPINSTALL is accepted;
        the profile is marked uninstalled until then."""
        with locked(self._path):
            public = self._read()
            current = self._load(public, profile_name)
            secret = ("access_token", "refresh_token", "application_token")
            cleared: dict[str, Any] = {name: "" for name in (*_INSTALL_FIELDS, *secret)}
            self._write(public, dataclasses.replace(current, **cleared, scope="", expires=0,
                                                    uninstalled_at=self._now()))  # fmt: skip

    def _read(self) -> dict[str, dict[str, Any]]:
        document = read_json(self._path)
        if not isinstance(document, dict):
            return {}
        profiles = document.get("profiles")
        return profiles if isinstance(profiles, dict) else {}

    def _load(self, public: Mapping[str, Mapping[str, Any]], name: str) -> Profile:
        entry = public.get(name)
        if entry is None:
            raise _missing(name)
        values = {k: entry[k] for k in _PUBLIC_FIELDS if k in entry}
        secrets = self._secrets.load(name)
        values.update({k: secrets[k] for k in SECRET_FIELDS if k in secrets})
        return Profile(name=name, **values)

    def _write(self, public: dict[str, dict[str, Any]], profile: Profile) -> None:
        # Secrets first: a crash in between leaves an unused secret, never a profile without one.
        self._secrets.save(profile.name, {k: getattr(profile, k) for k in SECRET_FIELDS})
        public[profile.name] = {k: getattr(profile, k) for k in _PUBLIC_FIELDS}
        write_json(self._path, _document(public))


def _document(public: Mapping[str, Any]) -> dict[str, Any]:
    return {"format": _FORMAT, "profiles": dict(public)}


def _missing(name: str) -> ProfileError:
    return ProfileError(f"there is no profile “{name}”: add it first or pick another one.")


def _validate(profile: Profile) -> None:
    name = profile.name
    if not name.strip() or any(not ch.isprintable() for ch in name) or len(name) > 64:
        raise ProfileError("a profile name must be 1–64 printable characters: choose another name.")
    if name.startswith(RESERVED_PREFIX):
        raise ProfileError(f"profile names starting with “{RESERVED_PREFIX}” are reserved: "
                           "choose another name.")  # fmt: skip
    if profile.kind == "app" and not (profile.client_id and profile.client_secret):
        raise ProfileError(
            f"profile “{name}” needs the local application's client_id and client_secret: "
            "copy both from the app's page in the portal."
        )
    if profile.rate not in RATE_PLANS:
        raise ProfileError(
            f"rate “{profile.rate}” is not a pacing plan: use one of {', '.join(RATE_PLANS)}."
        )
    if profile.kind == "webhook" and not profile.application_token:
        raise ProfileError(
            f"profile “{name}” needs the outgoing webhook's application token: "
            "copy it from the webhook's settings in the portal."
        )


def _install_block(auth: Mapping[str, Any], now: float) -> dict[str, Any]:
    """The profile fields carried by an ONAPPINSTALL/ONAPPUPDATE auth block (spec §1.4, §6.1)."""
    required = (*_INSTALL_FIELDS, "application_token", "access_token", "refresh_token")
    missing = [k for k in required if not isinstance(auth.get(k), str) or not auth.get(k)]
    if missing:
        raise ProfileError(
            f"the installation event lacks {', '.join(missing)}: "
            "re-install the app in the portal so it sends a complete ONAPPINSTALL."
        )
    block: dict[str, Any] = {k: str(auth[k]) for k in required}
    block["scope"] = str(auth.get("scope") or "")
    block["expires"] = _expires(auth, now)
    return block


def _expires(auth: Mapping[str, Any], now: float) -> int:
    for key, base in (("expires", 0.0), ("expires_in", now)):
        value = auth.get(key)
        if isinstance(value, int | str) and str(value).isdigit():
            return int(base + int(value))
    return int(now + 3600)  # access tokens live one hour (spec §5.2)
