"""The trial hub (``latsar hub --single-user``): no OS account per person, still no shared secret.

- :class:`PlanAuthenticator` — each hub account has its own password, the
  instructor's differs from every participant's; only salted scrypt hashes are
  kept (in the plan file, readable by the hub's account alone).
- :class:`TrialSpawner` — every server runs as one unprivileged OS account
  (``latsar-coba``) when the hub runs as root, never as root itself; that
  account is "other" to the course folder, so the key stays out of reach.
  Participants do share that account with each other: the trial is not for a
  real class (``latsar hub`` says so).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from jupyterhub.auth import Authenticator
from jupyterhub.spawner import SimpleLocalProcessSpawner, set_user_setuid
from traitlets import Dict, Unicode

TRIAL_ACCOUNT = "latsar-coba"


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(stored: str, password: str) -> bool:
    try:
        kind, salt, digest = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    return hmac.compare_digest(hash_password(password, bytes.fromhex(salt)).split("$")[2], digest)


class PlanAuthenticator(Authenticator):
    """Username and password against the plan's per-account hashes."""

    password_hashes = Dict(
        Unicode(), help="Hash scrypt kata sandi per akun (per-account scrypt hashes, from latsar hub's plan).",
    ).tag(config=True)

    async def authenticate(self, handler, data):
        user, password = data.get("username", ""), data.get("password", "")
        stored = self.password_hashes.get(user)
        if stored and password_matches(stored, password):
            return user
        return None


class TrialSpawner(SimpleLocalProcessSpawner):
    """SimpleLocalProcessSpawner whose servers drop to ``run_as`` (when the hub is root)."""

    run_as = Unicode(
        "", help="Akun OS tak berhak untuk semua server (unprivileged OS account every server runs as).",
    ).tag(config=True)

    def make_preexec_fn(self, name):
        if not self.run_as:
            return super().make_preexec_fn(name)
        home = self.home_dir
        become = set_user_setuid(self.run_as, chdir=False)

        def preexec():
            become()
            os.chdir(home)

        return preexec
