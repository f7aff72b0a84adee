"""The one warning about the app's saved URLs in the portal versus the current handler URL.

The application's settings page keeps the "Handler path" and "Initial installation path" it was
saved with, and the portal registers its own ONAPPINSTALL row at the installation path (spec
§1.1). When the public URL changes, b24monitor moves its bindings, but installs, reinstalls and
the OAuth redirect still go to the saved URL until the administrator edits the settings: only
they can, `event.bind` cannot. Every front end (listen lines, `bindings`, the GUI status bar)
says so with the sentence built here.
"""

from __future__ import annotations


def is_stale(saved_url: str | None, handler_url: str | None) -> bool:
    """True when the app was saved with a URL that is not the current handler URL."""
    return bool(saved_url and handler_url and saved_url != handler_url)


def app_settings_warning(saved_url: str | None, handler_url: str | None) -> str | None:
    """One sentence: what the portal still uses and what to set instead; None when current."""
    if not is_stale(saved_url, handler_url):
        return None
    return (
        f"the app's settings in the portal still send installs and reinstalls to {saved_url}: "
        f"set its “Handler path” and “Initial installation path” to {handler_url} and save "
        "(a reserved ngrok domain keeps the URL from changing)."
    )
