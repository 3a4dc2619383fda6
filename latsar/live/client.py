"""HTTP client of the live service: one set of calls, blocking or asyncio.

The participant widget uses :class:`LiveClient` from the kernel; the tests and
``bench/live.py`` drive 40 or 200 simulated participants with the very same
calls through :class:`AsyncLiveClient`.  Errors come back as
:class:`LiveRefused` (the service said no, with its Indonesian message) or
:class:`LiveUnavailable` (the service could not be reached).
"""

from __future__ import annotations

import os

import httpx

from latsar.course import LatsarError

ENV_URL = "LATSAR_LIVE_URL"
ENV_TOKEN = "LATSAR_LIVE_TOKEN"


class LiveUnavailable(LatsarError):
    """The service did not answer (not running, wrong address, network)."""


class LiveRefused(LatsarError):
    """The service answered with an error; ``status`` is the HTTP status, the message is Indonesian."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def from_env(env=None) -> tuple[str, str]:
    """URL and token of the service for this kernel.

    On the hub, ``LATSAR_LIVE_URL`` is set for every single-user server
    (:func:`latsar.live.service.hub_service_config`) and the token is the
    server's ``JUPYTERHUB_API_TOKEN``; on one machine both come from
    ``LATSAR_LIVE_URL`` and ``LATSAR_LIVE_TOKEN``.
    """
    env = os.environ if env is None else env
    url = env.get(ENV_URL, "").strip()
    token = (env.get(ENV_TOKEN) or env.get("JUPYTERHUB_API_TOKEN") or "").strip()
    if not url:
        raise LiveUnavailable("Alamat layanan kuis langsung belum diatur (variabel LATSAR_LIVE_URL kosong).")
    if not token:
        raise LiveUnavailable("Token untuk kuis langsung tidak ada (LATSAR_LIVE_TOKEN atau JUPYTERHUB_API_TOKEN).")
    return url, token


class _Calls:
    """The service's API; ``_call`` is blocking or a coroutine depending on the subclass."""

    def _call(self, method: str, path: str, *, json=None, params=None, wait: float = 0.0):
        raise NotImplementedError

    # participant
    def current(self, after: str | None = None, wait: float = 0.0):
        """The item the instructor has opened (or ``{"run": None}``); with ``after`` waits for a change."""
        params = {"timeout": wait, **({"after": after} if after is not None else {})}
        return self._call("GET", "current", params=params, wait=wait)

    def answer(self, run_id: int, choice: str):
        return self._call("POST", "answer", json={"run_id": run_id, "choice": choice})

    # instructor
    def state(self):
        return self._call("GET", "state")

    def bank(self, graded: bool = False):
        """The practice pool; with ``graded`` also the graded items (with their collected count)."""
        return self._call("GET", "bank", params={"graded": "1"} if graded else None)

    def start_session(self, title: str = ""):
        return self._call("POST", "sessions", json={"title": title})

    def open_item(self, item_id: str, allow_graded: bool = False):
        """Open a practice item; a graded one only with ``allow_graded`` once its assignment is collected."""
        body = {"item_id": item_id, **({"allow_graded": True} if allow_graded else {})}
        return self._call("POST", "runs", json=body)

    def open_poll(self, stem: str, options: dict | list, key: str | None = None):
        return self._call("POST", "runs", json={"stem": stem, "options": options, "key": key})

    def close(self, run_id: int):
        return self._call("POST", f"runs/{run_id}/close")

    def reveal(self, run_id: int):
        return self._call("POST", f"runs/{run_id}/reveal")

    def counts(self, run_id: int, after: int | None = None, wait: float = 0.0):
        """Answered count and distribution; with ``after`` waits for a version greater than it."""
        params = {"timeout": wait, **({"after": after} if after is not None else {})}
        return self._call("GET", f"runs/{run_id}/counts", params=params, wait=wait)

    def answers(self, run_id: int):
        return self._call("GET", f"runs/{run_id}/answers")

    def end_session(self, session_id: str):
        return self._call("POST", f"sessions/{session_id}/end")

    def table(self, session_id: str):
        return self._call("GET", f"sessions/{session_id}/table")

    def health(self):
        return self._call("GET", "health")


def _base(url: str) -> str:
    return url.rstrip("/") + "/api/"


def _result(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.is_success:
        return data
    message = data.get("error") if isinstance(data, dict) else None
    raise LiveRefused(message or f"Layanan kuis langsung menolak permintaan (HTTP {response.status_code}).",
                      response.status_code)


def _unavailable(url: str, exc: Exception) -> LiveUnavailable:
    return LiveUnavailable(f"Layanan kuis langsung tidak dapat dihubungi di {url} ({type(exc).__name__}).")


class LiveClient(_Calls):
    """Blocking client (the widget's)."""

    def __init__(self, url: str, token: str, timeout: float = 10.0):
        self.url = url
        self.timeout = timeout
        self.http = httpx.Client(base_url=_base(url), headers={"Authorization": f"token {token}"},
                                 timeout=timeout)

    @classmethod
    def from_env(cls, env=None) -> "LiveClient":
        return cls(*from_env(env))

    def _call(self, method, path, *, json=None, params=None, wait=0.0):
        try:
            response = self.http.request(method, path, json=json, params=params, timeout=self.timeout + wait)
        except httpx.HTTPError as exc:
            raise _unavailable(self.url, exc) from None
        return _result(response)

    def close_connection(self) -> None:
        self.http.close()


class AsyncLiveClient(_Calls):
    """asyncio client: the simulated participants of the tests and the benchmark."""

    def __init__(self, url: str, token: str, timeout: float = 10.0, http: httpx.AsyncClient | None = None):
        self.url = url
        self.timeout = timeout
        self.headers = {"Authorization": f"token {token}"}
        self.http = http or httpx.AsyncClient(timeout=timeout)

    async def _call(self, method, path, *, json=None, params=None, wait=0.0):
        try:
            response = await self.http.request(method, _base(self.url) + path, json=json, params=params,
                                               headers=self.headers, timeout=self.timeout + wait)
        except httpx.HTTPError as exc:
            raise _unavailable(self.url, exc) from None
        return _result(response)

    async def aclose(self) -> None:
        await self.http.aclose()
