"""PyInstaller runtime hook: a CA store for the bundle's OpenSSL when the machine has none where
the build machine's OpenSSL looked (/usr/lib/ssl on Debian; Fedora keeps it in /etc/pki).

Without one, HTTPS through urllib — pyngrok's download of the ngrok agent — fails certificate
verification. certifi's bundle (collected because httpx uses it) is then used; a store the user
chose with SSL_CERT_FILE or SSL_CERT_DIR, or the machine's own, always wins. The value always
names an existing file: httpx fails to create a client when SSL_CERT_FILE points nowhere.
"""

import os
import ssl
import sys


def _machine_has_ca_store() -> bool:
    paths = ssl.get_default_verify_paths()  # cafile/capath are None when they do not exist
    return bool(paths.cafile) or bool(paths.capath and os.listdir(paths.capath))


def _use_bundled_ca_store() -> None:
    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        return
    if _machine_has_ca_store():
        return
    bundled = os.path.join(getattr(sys, "_MEIPASS", ""), "certifi", "cacert.pem")
    if os.path.isfile(bundled):
        os.environ["SSL_CERT_FILE"] = bundled


_use_bundled_ca_store()
