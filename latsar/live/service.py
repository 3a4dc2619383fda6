"""The live-session service: a small tornado app, run by JupyterHub or on its own.

On ``latsar hub`` it is the JupyterHub-managed service ``latsar-live``
(:func:`hub_service_config` gives the ``services`` entry and the roles).  Every
request is identified by the hub: API calls carry a token (a participant's
kernel sends its server's ``JUPYTERHUB_API_TOKEN``), the instructor's page uses
the hub's OAuth login.  The name and groups come from the hub's
``/hub/api/user``; instructors are the members of ``formgrade-<course>``,
participants those of ``nbgrader-<course>``.

On a single machine without a hub, ``latsar live --course DIR`` runs the same
app with a token file (:class:`TokenFileAuthority`).

Rules enforced here, not in the page or the widget:

- only instructors open, close and reveal items and read answers or counts;
- a participant posts only their own answer (the name is the token's, never the
  request body's), only to the open item, and reads back only their own choice;
  the key and the module section reach a participant only after the reveal;
- items come from the bank's practice pool; a graded item opens only with the
  instructor's explicit ``allow_graded`` and after its assignment was collected
  (:mod:`.policy`);
- the key and the number of right answers reach the instructor's view (often on
  a projector) only after the reveal too.

Both views wait for changes by long polling (a GET that returns as soon as
something changed, or after ``timeout`` seconds): no websocket, no build step.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import html
import json
import os
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tornado import web
from tornado.httpserver import HTTPServer

from latsar.course import COURSE_ID, instructor_group, participant_group
from latsar.live import SERVICE_NAME
from latsar.live import policy
from latsar.live.store import LiveError, LiveStore

PREFIX = f"/services/{SERVICE_NAME}/"
DEFAULT_PORT = 10101
LONG_POLL_MAX = 30.0
PAGE = Path(__file__).with_name("page.html")


# -- who is asking -----------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    name: str
    instructor: bool
    participant: bool


class HubAuthority:
    """Identity from JupyterHub: token (API) or OAuth cookie (page), groups from ``/hub/api/user``."""

    uses_hub = True

    def __init__(self, course_id: str = COURSE_ID):
        self.instructors = instructor_group(course_id)
        self.participants = participant_group(course_id)

    async def identify(self, handler) -> Identity | None:
        auth = handler.hub_auth
        model = await auth.get_user(handler, sync=False)
        if not model or model.get("kind", "user") != "user":
            return None
        if auth.access_scopes and not auth.check_scopes(auth.access_scopes, model):
            return Identity(model["name"], False, False)  # a hub user without access to this service
        groups = set(model.get("groups") or ())
        return Identity(model["name"], self.instructors in groups, self.participants in groups)


class TokenFileAuthority:
    """Single machine without a hub: a CSV ``token,user,role`` (role ``pengampu`` or ``peserta``).

    Tokens are sent as ``Authorization: token …``; the instructor's page may be
    opened once with ``?token=…`` (the page keeps it in memory for its API calls).
    """

    uses_hub = False

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.tokens = read_token_file(self.path)

    async def identify(self, handler) -> Identity | None:
        header = handler.request.headers.get("Authorization", "")
        token = header.split(None, 1)[1].strip() if header.lower().startswith(("token ", "bearer ")) else ""
        token = token or handler.get_argument("token", "")
        entry = self.tokens.get(token) if token else None
        if entry is None:
            return None
        user, role = entry
        return Identity(user, role == "pengampu", role == "peserta")


def read_token_file(path: Path) -> dict[str, tuple[str, str]]:
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    except FileNotFoundError:
        raise LiveError(f"{path}: berkas token tidak ada. Buat dengan `latsar live --course DIR "
                        "--make-tokens ROSTER.csv`.") from None
    tokens = {}
    for n, row in enumerate(rows, start=2):
        token, user, role = ((row.get(k) or "").strip() for k in ("token", "user", "role"))
        if not token or not user or role not in ("pengampu", "peserta"):
            raise LiveError(f"{path}, baris {n}: perlu kolom token, user, role (pengampu/peserta).")
        tokens[token] = (user, role)
    return tokens


def make_token_file(path: Path, instructors: list[str], participants: list[str]) -> Path:
    """Write a token file with a fresh random token per person (readable by the owner only)."""
    from latsar.course.files import atomic_write

    rows = [("token", "user", "role")]
    rows += [(secrets.token_urlsafe(24), name, "pengampu") for name in instructors]
    rows += [(secrets.token_urlsafe(24), name, "peserta") for name in participants]
    text = "".join(",".join(r) + "\n" for r in rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, text, mode=0o600)


# -- the app -----------------------------------------------------------------------------


class Live:
    """Shared state of the app: the store, the bank, and two signals for long polls.

    An answer wakes only the instructor's views; opening, closing or revealing an
    item wakes everyone.  With 200 participants each holding a long poll, waking
    all of them on every answer would cost 200 × 200 needless reads.
    """

    def __init__(self, course, store: LiveStore, authority):
        self.course = course
        self.store = store
        self.authority = authority
        self._signals: dict[str, asyncio.Future | None] = {"answers": None, "state": None}

    def notify(self, *, state: bool = True) -> None:
        """Wake the long polls waiting for this kind of change (each then re-reads the store)."""
        for kind in ("answers", "state") if state else ("answers",):
            old, self._signals[kind] = self._signals[kind], None
            if old is not None and not old.done():
                old.set_result(None)

    async def wait(self, timeout: float, kind: str = "answers") -> None:
        """Wait for a change of ``kind`` ("answers" also fires on state changes) or ``timeout``."""
        if self._signals[kind] is None:
            self._signals[kind] = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._signals[kind]), timeout)
        except asyncio.TimeoutError:
            pass


try:  # the mixin only matters on the hub; standalone it is never touched
    from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
except ImportError:  # pragma: no cover - jupyterhub is a dependency
    HubOAuthenticated = object
    HubOAuthCallbackHandler = None


class Handler(HubOAuthenticated, web.RequestHandler):
    identity: Identity | None = None

    @property
    def live(self) -> Live:
        return self.settings["live"]

    async def prepare(self):
        self.identity = await self.live.authority.identify(self)

    def need(self, *, instructor: bool = False) -> Identity:
        if self.identity is None:
            raise LiveError("Belum masuk: permintaan tanpa token yang sah.", 401)
        if instructor and not self.identity.instructor:
            raise LiveError("Hanya pengampu yang boleh melakukan ini.", 403)
        if not (self.identity.instructor or self.identity.participant):
            raise LiveError("Anda tidak terdaftar sebagai peserta atau pengampu kursus ini.", 403)
        return self.identity

    def body(self) -> dict:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise LiveError("Isi permintaan bukan JSON yang sah.") from None
        if not isinstance(data, dict):
            raise LiveError("Isi permintaan harus berupa objek JSON.")
        return data

    def reply(self, data, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(data, ensure_ascii=False, default=str))

    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None))[1]
        message = str(exc) if isinstance(exc, LiveError) else getattr(exc, "log_message", None)
        self.reply({"error": message or "Terjadi kesalahan pada layanan kuis langsung."}, status_code)

    def _handle_request_exception(self, e):
        if isinstance(e, LiveError):
            self.send_error(e.status, exc_info=(type(e), e, e.__traceback__))
            return
        super()._handle_request_exception(e)

    def timeout(self) -> float:
        try:
            return max(0.0, min(float(self.get_argument("timeout", "0")), LONG_POLL_MAX))
        except ValueError:
            raise LiveError("timeout harus berupa angka detik.") from None


def _participant_view(store: LiveStore, who: str) -> dict:
    run = store.current_run()
    if run is None:
        return {"run": None, "message": "Belum ada soal yang dibuka pengampu."}
    data = run.public()
    data["my_choice"] = store.my_answer(run.id, who)
    if run.state == "revealed":
        data["key"] = run.key
        data["section"] = run.section
        data["correct"] = None if run.key is None or data["my_choice"] is None else data["my_choice"] == run.key
    return {"run": data}


class CurrentHandler(Handler):
    """Participant: the item the instructor has opened, with my own choice; waits for a change."""

    async def get(self):
        who = self.need().name
        since = self.get_argument("after", "")
        deadline = time.monotonic() + self.timeout()
        while True:
            view = _participant_view(self.live.store, who)
            run = view["run"]
            state = f"{run['run_id']}:{run['state']}" if run else "none"
            left = deadline - time.monotonic()
            if state != since or left <= 0:
                view["state_token"] = state
                return self.reply(view)
            await self.live.wait(left, "state")


class AnswerHandler(Handler):
    """Participant: post my choice for the open item."""

    async def post(self):
        who = self.need().name
        data = self.body()
        try:
            run_id = int(data.get("run_id"))
        except (TypeError, ValueError):
            raise LiveError("run_id wajib diisi (nomor soal yang dibuka).") from None
        choice = str(data.get("choice", "")).strip().lower()
        self.live.store.answer(run_id, who, choice)
        self.live.notify(state=False)
        self.reply({"received": True, "run_id": run_id, "choice": choice,
                    "message": f"Jawaban {choice} diterima."})


class SessionsHandler(Handler):
    async def post(self):
        who = self.need(instructor=True).name
        title = str(self.body().get("title", "")).strip()
        session_id = self.live.store.start_session(title, who)
        self.live.notify()
        self.reply({"session_id": session_id}, 201)


class SessionEndHandler(Handler):
    async def post(self, session_id):
        self.need(instructor=True)
        self.live.store.end_session(session_id)
        files = self.live.store.save_table(session_id)
        self.live.notify()
        self.reply({"session_id": session_id, "files": {k: str(v) for k, v in files.items()}})


class SessionTableHandler(Handler):
    async def get(self, session_id):
        self.need(instructor=True)
        table = self.live.store.session_table(session_id, revealed_only=True)
        self.reply({"session_id": session_id, "rows": json.loads(table.to_json(orient="records",
                                                                                date_format="iso"))})

    async def post(self, session_id):
        """Save the table now (also while the session goes on)."""
        self.need(instructor=True)
        files = self.live.store.save_table(session_id)
        self.reply({"session_id": session_id, "files": {k: str(v) for k, v in files.items()}})


class StateHandler(Handler):
    """Instructor: the active session and its items (the page loads this first)."""

    async def get(self):
        self.need(instructor=True)
        store = self.live.store
        session_id = store.active_session()
        runs = [store.counts(r.id) for r in store.runs(session_id)] if session_id else []
        self.reply({"session": store.session(session_id) if session_id else None, "runs": runs})


class BankHandler(Handler):
    """Instructor: the practice pool; with ``?graded=1`` also the graded items and how many were collected."""

    async def get(self):
        self.need(instructor=True)
        graded = self.get_argument("graded", "") in ("1", "true", "ya")
        self.reply({"items": policy.listing(self.live.course, graded=graded)})


class RunsHandler(Handler):
    """Instructor: open a practice item (``item_id``) or a poll (``stem``, ``options``[, ``key``]).

    A graded item needs ``"allow_graded": true`` and a collected assignment (:func:`.policy.resolve`).
    """

    async def post(self):
        who = self.need(instructor=True).name
        data = self.body()
        store = self.live.store
        item = None
        if data.get("item_id"):  # refused before anything is written, a session included
            item = policy.resolve(self.live.course, str(data["item_id"]), allow_graded=data.get("allow_graded") is True)
        session_id = store.active_session() or store.start_session(str(data.get("title", "")), who)
        if item is not None:
            run = store.open_item(session_id, item)
        else:
            options = data.get("options") or {}
            if isinstance(options, list):
                options = dict(zip("abcd", options))
            key = (str(data["key"]).strip().lower() or None) if data.get("key") else None
            run = store.open_poll(session_id, str(data.get("stem", "")), options, key)
        self.live.notify()
        self.reply(store.counts(run.id), 201)


class RunActionHandler(Handler):
    async def post(self, run_id, action):
        self.need(instructor=True)
        store = self.live.store
        run = store.close_run(int(run_id)) if action == "close" else store.reveal_run(int(run_id))
        self.live.notify()
        self.reply(store.counts(run.id))


class CountsHandler(Handler):
    """Instructor: answered count and distribution; with ``after=V`` waits for a version > V."""

    async def get(self, run_id):
        self.need(instructor=True)
        try:
            after = int(self.get_argument("after", "-1"))
        except ValueError:
            raise LiveError("after harus berupa nomor versi.") from None
        deadline = time.monotonic() + self.timeout()
        while True:
            counts = self.live.store.counts(int(run_id))
            left = deadline - time.monotonic()
            if counts["version"] > after or left <= 0:
                return self.reply(counts)
            await self.live.wait(left)


class AnswersHandler(Handler):
    async def get(self, run_id):
        self.need(instructor=True)
        self.reply({"run_id": int(run_id), "answers": self.live.store.answer_rows(int(run_id))})


class HealthHandler(web.RequestHandler):
    def get(self):
        self.finish({"ok": True, "pid": os.getpid(), "service": SERVICE_NAME})


class PageHandler(Handler):
    """The instructor's page; on the hub a visitor without a session is sent to the hub's login."""

    async def get(self):
        if self.identity is None and self.live.authority.uses_hub:
            return self.redirect(self.get_login_url())
        if self.identity is None or not self.identity.instructor:
            self.set_status(403)
            return self.finish(_message_page(
                "Halaman ini hanya untuk pengampu",
                "Masuk dengan akun pengampu (grup formgrade kursus ini)"
                + ("" if self.live.authority.uses_hub else ", atau buka dengan ?token=TOKEN_PENGAMPU") + "."))
        xsrf = self.xsrf_token.decode() if self.live.authority.uses_hub else ""
        page = PAGE.read_text(encoding="utf-8")
        page = page.replace("__XSRF__", html.escape(xsrf)).replace("__USER__", html.escape(self.identity.name))
        self.set_header("Cache-Control", "no-store")
        self.finish(page)


def _message_page(title: str, text: str) -> str:
    return (f'<!DOCTYPE html><html lang="id"><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<body style='font-family:sans-serif;margin:3em'><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(text)}</p></body></html>")


def make_app(course, store: LiveStore, authority, prefix: str = PREFIX) -> web.Application:
    prefix = "/" + prefix.strip("/") + "/"
    api = prefix + "api/"
    routes = [
        (prefix, PageHandler),
        (api + "health", HealthHandler),
        (api + "current", CurrentHandler),
        (api + "answer", AnswerHandler),
        (api + "state", StateHandler),
        (api + "bank", BankHandler),
        (api + "sessions", SessionsHandler),
        (api + r"sessions/([0-9A-Za-z_-]+)/end", SessionEndHandler),
        (api + r"sessions/([0-9A-Za-z_-]+)/table", SessionTableHandler),
        (api + "runs", RunsHandler),
        (api + r"runs/(\d+)/(close|reveal)", RunActionHandler),
        (api + r"runs/(\d+)/counts", CountsHandler),
        (api + r"runs/(\d+)/answers", AnswersHandler),
    ]
    if authority.uses_hub and HubOAuthCallbackHandler is not None:
        routes.append((prefix + "oauth_callback", HubOAuthCallbackHandler))
    live = Live(course, store, authority)
    return web.Application(routes, live=live, cookie_secret=os.urandom(32))


# -- JupyterHub wiring -------------------------------------------------------------------


def hub_service_config(course_root: str | Path, *, port: int = DEFAULT_PORT, course_id: str = COURSE_ID,
                       python: str = sys.executable) -> dict:
    """What ``jupyterhub_config.py`` needs for the live service.

    Returns ``{"services": [...], "roles": [...], "spawner_environment": {...}}``:

    - the managed service ``latsar-live`` (the hub starts it and restarts it if it dies);
    - role ``latsar-live-access`` gives the course's two groups
      ``access:services!service=latsar-live``, so their OAuth logins and tokens reach it;
    - the ``server`` role (scopes of each single-user server's ``JUPYTERHUB_API_TOKEN``)
      gets the same scope on top of its defaults, so a participant's kernel can post answers;
    - ``LATSAR_LIVE_URL`` tells the participant widget where the service listens.

    Use :func:`configure_hub` to merge all of it into a config object.
    """
    url = f"http://127.0.0.1:{port}"
    access = f"access:services!service={SERVICE_NAME}"
    return {
        "services": [{
            "name": SERVICE_NAME,
            "url": url,
            "command": [python, "-m", "latsar.live.service", "--course", str(Path(course_root).resolve()),
                        "--port", str(port), "--course-id", course_id],
            "oauth_no_confirm": True,
            "display": True,
            "info": {"description": "Kuis langsung (pengampu)"},
        }],
        "roles": [
            {"name": "latsar-live-access", "description": "Peserta dan pengampu dapat memakai kuis langsung",
             "scopes": [access], "groups": [instructor_group(course_id), participant_group(course_id)]},
            {"name": "server", "scopes": ["users:activity!user", "access:servers!server", access]},
        ],
        "spawner_environment": {"LATSAR_LIVE_URL": url + PREFIX},
    }


def configure_hub(c, course_root: str | Path, **kwargs) -> dict:
    """Add the live service to a JupyterHub config ``c``, merging roles of the same name."""
    conf = hub_service_config(course_root, **kwargs)

    def current(section, name, empty):  # an unset option reads as a LazyConfigValue
        return section[name] if name in section else empty

    c.JupyterHub.services = list(current(c.JupyterHub, "services", [])) + conf["services"]
    roles = {r["name"]: dict(r) for r in current(c.JupyterHub, "load_roles", [])}
    for role in conf["roles"]:
        if role["name"] in roles:
            merged = roles[role["name"]]
            for field in ("scopes", "groups", "users", "services"):
                if field in role:
                    merged[field] = sorted(set(merged.get(field, [])) | set(role[field]))
        else:
            roles[role["name"]] = role
    c.JupyterHub.load_roles = list(roles.values())
    env = dict(current(c.Spawner, "environment", {}))
    env.update(conf["spawner_environment"])
    c.Spawner.environment = env
    return conf


# -- running -----------------------------------------------------------------------------


async def serve(course, authority, *, port: int, address: str = "127.0.0.1", ready=None) -> None:
    store = LiveStore(course.live_sessions)
    app = make_app(course, store, authority)
    server = HTTPServer(app, xheaders=True)
    server.listen(port, address)
    if ready is not None:
        ready()
    try:
        await asyncio.Event().wait()
    finally:
        server.stop()
        store.close()


def main(argv: list[str] | None = None) -> int:
    from latsar.course import Course, LatsarError

    parser = argparse.ArgumentParser(prog="python -m latsar.live.service", description=__doc__.splitlines()[0])
    parser.add_argument("--course", default=".")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--course-id", default=COURSE_ID)
    parser.add_argument("--tokens", help="berkas token (tanpa hub)")
    args = parser.parse_args(argv)
    try:
        course = Course.at(args.course)
        if args.tokens:
            authority = TokenFileAuthority(args.tokens)
        elif os.environ.get("JUPYTERHUB_API_TOKEN"):
            authority = HubAuthority(args.course_id)
        else:
            raise LiveError("Tanpa JupyterHub, beri --tokens BERKAS (lihat README, bagian kuis langsung).")
    except LatsarError as exc:
        print(f"Galat: {exc}", file=sys.stderr)
        return 2
    print(f"latsar-live: http://{args.address}:{args.port}{PREFIX}", flush=True)
    asyncio.run(serve(course, authority, port=args.port, address=args.address))
    return 0


if __name__ == "__main__":
    sys.exit(main())
