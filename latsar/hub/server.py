"""The course on a JupyterHub: one plan, used by ``latsar hub`` and by ``latsar/hub/deploy/jupyterhub_config.py``.

A :class:`HubPlan` says who is instructor and who is participant, where the
course, the shared nbgrader exchange and the hub's own state live, and which
ports to use.  ``latsar hub`` writes it to ``<state>/hub.json``, creates the
accounts and starts ``jupyterhub -f latsar/hub/deploy/jupyterhub_config.py``; the config
file reads the plan back and calls :func:`configure`.  An administrator running
their own hub can write the same JSON (or set ``LATSAR_*`` variables) instead.

The shape follows nbgrader's "one class, multiple graders" guide: the
formgrader is a hub *service* named like the course, running a JupyterLab in
the course directory; instructors reach it through the group
``formgrade-<course>``; participants are in ``nbgrader-<course>`` and see only
the assignment list.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from latsar.course import COURSE_ID, Course, LatsarError, instructor_group, participant_group
from latsar.hub.prestart import DEFAULT_CULL_HOURS
from latsar.hub.security import system_command

INSTRUCTOR_GROUP = instructor_group()
PARTICIPANT_GROUP = participant_group()
#: nbgrader finds the formgrader of a course at the service named like the course.
GRADER_SERVICE = COURSE_ID

#: JupyterHub's config and the per-role Jupyter config, shipped as package data.
DEPLOY = Path(__file__).resolve().with_name("deploy")
HUB_CONFIG = DEPLOY / "jupyterhub_config.py"
PLAN_ENV = "LATSAR_HUB_PLAN"


class HubError(LatsarError):
    """The hub cannot be set up as asked."""


#: ``lo-hi``: where :func:`free_port` draws from; parallel test workers each get a band of their own.
PORT_BAND_ENV = "LATSAR_PORT_BAND"
_handed_out: set[int] = set()


def port_band() -> range:
    """Ports to draw from: below the kernel's ephemeral range, unless ``LATSAR_PORT_BAND`` says otherwise.

    A port from ``bind(0)`` is free only until it is used, and the same range serves every
    kernel's and every spawned server's ``bind(0)`` and every outgoing connection.  The hub's
    ports are used seconds later (after accounts and services are set up); meanwhile another
    hub's server or a kernel could take one, and the hub would route a service to it."""
    if os.environ.get(PORT_BAND_ENV):
        low, high = (int(part) for part in os.environ[PORT_BAND_ENV].split("-"))
        return range(low, high + 1)
    try:
        ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    return range(10000, max(ephemeral_low, 10001))


def free_port() -> int:
    """A port nothing listens on, outside the ephemeral range and not handed out before by this process."""
    import random

    band = port_band()
    for port in random.sample(band, min(len(band), 200)):
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise HubError(f"Tidak ada port bebas di {band.start}-{band.stop - 1}; atur {PORT_BAND_ENV}=awal-akhir.")


def check_port_free(port: int) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind: TIME_WAIT is fine
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise HubError(f"Port {port} di 127.0.0.1 sudah dipakai program lain; pilih --port yang lain.") from None


def default_state_dir() -> Path:
    """Outside the course folder: a participant's files inside it would count as the instructor's."""
    if os.geteuid() == 0:
        return Path("/srv/latsar-hub")
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "latsar-hub"


def find_proxy(course_root: str | Path) -> str | None:
    """configurable-http-proxy from the course folder's ``npm ci`` (package.json pins it), else from PATH
    (``make`` puts the checkout's ``node_modules/.bin`` there)."""
    local = Path(course_root) / "node_modules" / ".bin" / "configurable-http-proxy"
    return str(local) if local.exists() else shutil.which("configurable-http-proxy")


def proxy_command(course_root: str | Path, proxy: str | None = None) -> str:
    """The proxy the plan found when it was made, else found now; a clear error when there is none."""
    found = proxy or find_proxy(course_root)
    if not found:
        raise HubError(
            "configurable-http-proxy (proksi JupyterHub) tidak ditemukan. Pasang dengan "
            "`npm ci` di folder kursus (butuh Node.js) atau taruh di PATH, lalu coba lagi."
        )
    return found


#: The lesson extension ``make install`` builds from ``labextension/`` (see deploy/jupyter/common).
LESSON_EXTENSION = DEPLOY / "jupyter" / "common" / "labextensions" / "@latsar" / "lesson" / "package.json"


def require_lesson_extension(built: Path = LESSON_EXTENSION) -> None:
    """Without it lessons show nothing until *Run All*, and their instructions say otherwise."""
    if not built.is_file():
        raise HubError(
            f"Ekstensi pelajaran belum dibangun ({built.parent} tidak ada): tanpa itu latihan dan soal "
            "tidak muncul sendiri. Jalankan `make install` di folder kursus (butuh Node.js), lalu coba lagi."
        )


@dataclass
class HubPlan:
    course_root: str
    state_dir: str
    instructors: list[str]
    participants: list[str]
    #: real OS accounts (needs root): each user's server runs as that user, log-in with PAM.
    system_users: bool
    port: int = 8000
    hub_port: int = field(default_factory=free_port)
    proxy_api_port: int = field(default_factory=free_port)
    grader_port: int = field(default_factory=free_port)
    #: the live-quiz service ``latsar-live`` (latsar/live/service.py)
    live_port: int = field(default_factory=free_port)
    #: the single-user fallback's scrypt hashes, one per account (latsar.hub.trial); unused with PAM.
    password_hashes: dict[str, str] = field(default_factory=dict)
    #: the single-user fallback as root: the unprivileged OS account every server runs as.
    run_as: str | None = None
    #: participants' and instructors' Python and Jupyter config, outside the course (latsar.hub.runtime).
    runtime_dir: str | None = None
    #: OS account that runs the formgrader service: the course folder's owner.
    grader_user: str | None = None
    python_bin: str = field(default_factory=lambda: str(Path(sys.executable).parent))
    #: configurable-http-proxy, found when the plan is made (:func:`find_proxy`).
    proxy: str | None = None
    #: extra hub services and their roles, e.g. the live-quiz service or a load script.
    extra_services: list[dict] = field(default_factory=list)
    extra_roles: list[dict] = field(default_factory=list)
    #: hours a server may sit idle before the idle culler stops it; 0: never (latsar.hub.prestart)
    cull_idle_hours: float = DEFAULT_CULL_HOURS

    # -- derived paths ---------------------------------------------------------
    @property
    def state(self) -> Path:
        return Path(self.state_dir)

    @property
    def exchange(self) -> Path:
        return self.state / "exchange"

    @property
    def plan_file(self) -> Path:
        return self.state / "hub.json"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def user_bin(self) -> str:
        """The Python every user's server runs: the runtime's once built, else the running one."""
        if self.runtime_dir:
            from latsar.hub.runtime import python_bin

            return str(python_bin(Path(self.runtime_dir)))
        return self.python_bin

    def home(self, user: str) -> Path:
        if self.system_users:
            return Path(pwd.getpwnam(user).pw_dir)
        return self.state / "home" / user

    def save(self) -> Path:
        self.state.mkdir(parents=True, exist_ok=True)
        from latsar.course.files import atomic_write

        return atomic_write(self.plan_file, json.dumps(asdict(self), indent=2), mode=0o600)  # holds password hashes

    @classmethod
    def load(cls, path: str | Path) -> "HubPlan":
        return cls(**json.loads(Path(path).read_text()))


# -- the hub's configuration --------------------------------------------------

def role_config_dir(role: str, runtime: str | None = None) -> Path:
    """Per-role Jupyter config: which nbgrader extensions a server has (see latsar/hub/deploy/jupyter/).

    Users' servers read the runtime's copy (outside the course folder); the grader, this checkout's."""
    if runtime and role != "grader":
        from latsar.hub.runtime import config_dir

        return config_dir(Path(runtime), role)
    return DEPLOY / "jupyter" / role


def config_path(role: str, runtime: str | None = None) -> str:
    """``JUPYTER_CONFIG_PATH`` of a role: its own folder first, then what every role shares."""
    return os.pathsep.join([str(role_config_dir(role, runtime)), str(role_config_dir("common", runtime))])


def user_environment(plan: HubPlan, role: str) -> dict[str, str]:
    python = plan.python_bin if role == "grader" else plan.user_bin
    return {
        "JUPYTER_CONFIG_PATH": config_path(role, plan.runtime_dir),
        "LATSAR_EXCHANGE": str(plan.exchange),
        "PATH": python + os.pathsep + "/usr/local/bin:/usr/bin:/bin",
        "JUPYTERHUB_DEFAULT_URL": "/lab",
    }


def roles(plan: HubPlan) -> list[dict]:
    """The roles of nbgrader's JupyterHub guide, for one course."""
    return [
        {
            "name": INSTRUCTOR_GROUP,
            "groups": [INSTRUCTOR_GROUP],
            "scopes": [
                f"access:services!service={GRADER_SERVICE}",
                "list:services",
                f"read:services!service={GRADER_SERVICE}",
            ],
        },
        {
            "name": PARTICIPANT_GROUP,
            "groups": [PARTICIPANT_GROUP],
            "scopes": ["list:services", f"read:services!service={GRADER_SERVICE}"],
        },
        # A server's own token may use what its owner may (course list, services).
        {"name": "server", "scopes": ["inherit"]},
    ]


def grader_service(plan: HubPlan) -> dict:
    command = [str(Path(plan.python_bin) / "jupyterhub-singleuser")]
    service = {
        "name": GRADER_SERVICE,
        "url": f"http://127.0.0.1:{plan.grader_port}",
        "command": command,
        "cwd": plan.course_root,
        "environment": user_environment(plan, "grader"),
        "oauth_no_confirm": True,
        "display": True,
        "info": {"description": "Formgrader nbgrader kursus Berorientasi Pelayanan"},
    }
    if plan.system_users and plan.grader_user and plan.grader_user != "root":
        service["user"] = plan.grader_user
    elif os.geteuid() == 0:
        command.append("--allow-root")  # course folder owned by root: the service runs as root
    return service


def configure(c, plan: HubPlan) -> None:
    """Fill a JupyterHub config object ``c`` from the plan."""
    state = plan.state
    c.JupyterHub.ip = "127.0.0.1"
    c.JupyterHub.port = plan.port
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = plan.hub_port
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.ConfigurableHTTPProxy.command = [proxy_command(plan.course_root, plan.proxy)]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{plan.proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    c.JupyterHub.cleanup_servers = True

    users = set(plan.instructors) | set(plan.participants)
    c.Authenticator.allowed_users = users
    if plan.system_users:
        c.JupyterHub.authenticator_class = "pam"
        c.JupyterHub.spawner_class = "localprocess"
    else:
        from latsar.hub.trial import PlanAuthenticator, TrialSpawner

        c.JupyterHub.authenticator_class = PlanAuthenticator
        c.PlanAuthenticator.password_hashes = plan.password_hashes
        c.JupyterHub.spawner_class = TrialSpawner
        c.TrialSpawner.home_dir_template = str(state / "home" / "{username}")
        c.TrialSpawner.run_as = plan.run_as or ""
    c.JupyterHub.load_groups = {
        INSTRUCTOR_GROUP: {"users": sorted(plan.instructors)},
        PARTICIPANT_GROUP: {"users": sorted(plan.participants)},
    }
    from latsar.hub.prestart import services as prestart_services  # start ahead, cull when idle

    ahead, ahead_roles = prestart_services(plan.state, plan.python_bin, plan.cull_idle_hours)
    c.JupyterHub.load_roles = [*roles(plan), *ahead_roles, *plan.extra_roles]
    c.JupyterHub.services = [grader_service(plan), *ahead, *plan.extra_services]
    from latsar.live.service import configure_hub as configure_live  # live quiz: service, roles, LATSAR_LIVE_URL

    configure_live(c, plan.course_root, port=plan.live_port, python=str(Path(plan.python_bin) / "python"))

    c.Spawner.cmd = [str(Path(plan.user_bin) / "jupyterhub-singleuser")]
    c.Spawner.default_url = "/lab"
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 120
    # Stopping a server: SIGINT, SIGTERM, SIGKILL, a few seconds apart (defaults add up to 20 s).
    c.LocalProcessSpawner.interrupt_timeout = 3
    c.LocalProcessSpawner.term_timeout = 3
    c.LocalProcessSpawner.kill_timeout = 3

    instructors = set(plan.instructors)

    def pre_spawn_hook(spawner) -> None:
        role = "instructor" if spawner.user.name in instructors else "participant"
        spawner.environment.update(user_environment(plan, role))
        if not plan.system_users:
            # One OS account for everyone: nbgrader would take the OS name as student id.
            spawner.environment["LATSAR_STUDENT_ID"] = spawner.user.name
            _trial_home(plan, spawner.user.name)

    c.Spawner.pre_spawn_hook = pre_spawn_hook


# -- ``latsar hub``: accounts, folders, process -------------------------------

def _owner(path: Path) -> str:
    return pwd.getpwuid(path.stat().st_uid).pw_name


def _ensure_os_user(name: str, password: str) -> None:
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        # HOME_MODE: Debian's default home is 0755, so a neighbour could read one's clicks
        subprocess.run([system_command("useradd"), "--create-home", "-K", "HOME_MODE=0700",
                        "--shell", "/bin/bash", name], check=True)
    else:
        if account.pw_uid < 1000:  # never reset the password of root or a system account
            raise HubError(f"Akun {name} adalah akun sistem (uid {account.pw_uid}); pilih nama lain.")
    subprocess.run([system_command("chpasswd")], input=f"{name}:{password}\n", text=True, check=True)


def absent_accounts(names) -> list[str]:
    """The names that have no OS account yet: the only ones a throw-away hub (a benchmark) may
    delete when it is done, so that a real ``pengampu`` on the machine survives it."""
    absent = []
    for name in names:
        try:
            pwd.getpwnam(name)
        except KeyError:
            absent.append(name)
    return absent


def _ensure_trial_account() -> str:
    """The unprivileged account of the trial hub's servers (a system account, no log-in)."""
    from latsar.hub.trial import TRIAL_ACCOUNT

    try:
        pwd.getpwnam(TRIAL_ACCOUNT)
    except KeyError:
        subprocess.run([system_command("useradd"), "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", TRIAL_ACCOUNT], check=True)
    return TRIAL_ACCOUNT


def _trial_home(plan: HubPlan, user: str) -> Path:
    """A trial account's home: ``0700``, owned by the account the servers run as."""
    home = plan.home(user)
    home.mkdir(parents=True, exist_ok=True)
    if plan.run_as and os.geteuid() == 0:
        account = pwd.getpwnam(plan.run_as)
        os.chown(home, account.pw_uid, account.pw_gid)
    home.chmod(0o700)
    return home


def prepare(plan: HubPlan) -> dict[str, str]:
    """Create folders, accounts and the users' runtime; close the course to participants.

    Returns user → password.  Raises :class:`HubError` when a participant could
    still read the course folder, the gradebook, the live store or hub state."""
    from latsar.hub import security as sec
    from latsar.hub.trial import hash_password
    from latsar.hub.runtime import ensure
    from latsar.hub.prestart import ensure_token

    state = plan.state
    state.mkdir(parents=True, exist_ok=True)
    plan.exchange.mkdir(exist_ok=True)
    plan.exchange.chmod(0o1777)  # nbgrader's shared exchange: every account writes its inbound
    plan.runtime_dir = str(ensure())
    ensure_token(state)  # latsar.hub.prestart: the token that starts participants' servers ahead
    logins = {user: secrets.token_urlsafe(9) for user in [*plan.instructors, *plan.participants]}
    if plan.system_users:
        for user, password in logins.items():
            _ensure_os_user(user, password)
            sec.close_home(user)
        probe_as = plan.participants[0] if plan.participants else None
    else:
        plan.password_hashes = {user: hash_password(password) for user, password in logins.items()}
        if os.geteuid() == 0:
            plan.run_as = _ensure_trial_account()
        (state / "home").mkdir(exist_ok=True)
        (state / "home").chmod(0o711)
        for user in logins:
            _trial_home(plan, user)
        probe_as = plan.run_as
    if os.geteuid() == 0:
        _close_everything(plan, probe_as)
    return logins


def _close_everything(plan: HubPlan, probe_as: str | None) -> None:
    """Course folder, checkout and hub state closed; then proven as a participant account."""
    from latsar.hub import security as sec

    course = Path(plan.course_root)
    gid = sec.ensure_group(plan.instructors if plan.system_users else [])
    sec.close_course(course, gid)
    checkout = sec.checkout_of_package()
    if checkout is not None and checkout != course:
        sec.close_checkout(checkout, gid)
    plan.save()
    sec.close_state(plan.state, plan.exchange)
    if probe_as is None:
        return
    python = Path(plan.user_bin) / "python"
    first = plan.participants[0] if plan.participants else plan.instructors[0]
    try:
        # what the accounts must reach (their home, the exchange), then what they must not read
        sec.refuse_if_unreachable(sec.unreachable(probe_as, python, [str(plan.exchange), str(plan.home(first))]),
                                  probe_as)
        found = sec.verify(probe_as, python, sec.protected_paths(course, plan.state, plan.exchange, checkout))
        sec.refuse_if_readable(found, probe_as)
    except sec.SecurityError as exc:
        raise HubError(str(exc)) from None


def make_plan(course: Course, instructors: list[str], participants: list[str], port: int,
              state_dir: Path | None, system_users: bool | None) -> HubPlan:
    if not instructors:
        raise HubError("Beri minimal satu pengampu (--instructor NAMA).")
    clash = set(instructors) & set(participants)
    if clash:
        raise HubError(f"Nama ini tercantum sebagai pengampu sekaligus peserta: {', '.join(sorted(clash))}.")
    is_root = os.geteuid() == 0
    if system_users is None:
        system_users = is_root
    if system_users and not is_root:
        raise HubError("Akun sistem (--system-users) hanya bisa dibuat oleh root; jalankan dengan sudo.")
    require_lesson_extension()
    state = (state_dir or default_state_dir()).resolve()
    if state == course.root or course.root in state.parents:
        raise HubError(
            f"Folder status hub ({state}) ada di dalam folder kursus; pilih --state di luar {course.root}."
        )
    return HubPlan(
        course_root=str(course.root), state_dir=str(state),
        instructors=list(instructors), participants=list(participants),
        system_users=system_users, port=port,
        grader_user=_owner(course.root), proxy=find_proxy(course.root),
    )


def service_checks(plan: HubPlan) -> dict[str, tuple[str, str, str]]:
    """Per routed service: a path through the proxy, and a JSON field and value only it answers with.

    A service's port is drawn when the plan is made and bound seconds later; if another
    server took it meanwhile, JupyterHub's own check (any HTTP answer) passes, the service
    cannot bind, and its route leads to the other server."""
    from latsar.live import SERVICE_NAME as LIVE

    return {LIVE: (f"/services/{LIVE}/api/health", "service", LIVE),
            GRADER_SERVICE: (f"/services/{GRADER_SERVICE}/api", "version", "")}


def answer_of(url: str) -> dict | None:
    """The JSON object at ``url`` (redirects not followed); ``{}`` for any other answer; None for
    none yet: no connection, the proxy finding nothing on the route's port, or the hub itself
    (its redirect to ``/hub/…``: the proxy adds the routes of the hub and its services together,
    and one may be in place a moment before another)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request("GET", parts.path)
        reply = conn.getresponse()
        body = reply.read()
    except OSError:
        return None
    finally:
        conn.close()
    if reply.status in (502, 503, 504):  # the proxy: nothing answers on the route's port yet
        return None
    if reply.status in (301, 302, 303, 307, 308) and (reply.getheader("Location") or "").startswith("/hub/"):
        return None
    try:
        data = json.loads(body) if reply.status == 200 else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def wait_until_up(plan: HubPlan, proc: subprocess.Popen, timeout: float = 90) -> None:
    """Until the hub answers (its route and its services' are then in place), then until each
    service answers through the proxy as itself.

    A service route answered by another server is refused at once, naming the service, rather
    than found later by an instructor (see :func:`service_checks`)."""
    deadline = time.monotonic() + timeout
    log = plan.state / "jupyterhub.log"

    def until(name: str, answered: Callable[[], bool]) -> None:
        while not answered():
            if proc.poll() is not None:
                raise HubError(f"JupyterHub berhenti saat mulai (kode {proc.returncode}); lihat {log}.")
            if time.monotonic() > deadline:
                raise HubError(f"JupyterHub di {plan.url} belum siap setelah {timeout:.0f} detik "
                               f"(belum menjawab: {name}); lihat {log}.")
            time.sleep(0.5)

    until("hub", lambda: "version" in (answer_of(plan.url + "/hub/api/") or {}))
    for name, (path, field_name, value) in service_checks(plan).items():
        def itself(name=name, path=path, field_name=field_name, value=value) -> bool:
            data = answer_of(plan.url + path)
            if data is None:
                return False
            if field_name in data and (not value or data[field_name] == value):
                return True
            raise HubError(
                f"Layanan {name} tidak menjawab sebagai dirinya di {plan.url}{path}: port layanan itu "
                f"dipakai program lain. Hentikan hub dan mulai lagi (port baru dipilih); lihat {log}.")

        until(name, itself)


def forget_stale_proxy(pid_file: Path) -> None:
    """Remove a proxy pid file left by a hub that died, unless it names a live proxy.

    On start JupyterHub kills whatever process the file names, without asking what it
    is; after a crash and a reboot, or minutes of a busy machine, that pid may be a
    database, a participant's kernel or anything else of root's."""
    import psutil

    try:
        pid = int(pid_file.read_text().strip())
        command = " ".join(psutil.Process(pid).cmdline())
    except (OSError, ValueError, psutil.Error):
        command = ""
    if "configurable-http-proxy" not in command:
        pid_file.unlink(missing_ok=True)


def start(plan: HubPlan) -> subprocess.Popen:
    """Start JupyterHub in its own process group, logging to ``<state>/jupyterhub.log``."""
    plan.proxy = proxy_command(plan.course_root, plan.proxy)  # no proxy: say so now, not in the hub's log
    plan.save()
    forget_stale_proxy(plan.state / "proxy.pid")
    env = dict(os.environ, **{PLAN_ENV: str(plan.plan_file)})
    env["PATH"] = plan.python_bin + os.pathsep + env.get("PATH", "")
    log_path = plan.state / "jupyterhub.log"
    log = open(os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab")
    os.chmod(log_path, 0o600)
    from latsar.hub.runtime import held_fds

    proc = subprocess.Popen(
        [str(Path(plan.python_bin) / "jupyterhub"), "-f", str(HUB_CONFIG)],
        cwd=plan.state, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        pass_fds=held_fds(),  # the hub keeps its runtime marked in use while it runs (runtime.hold)
        umask=0o077,  # hub state (database, cookie secret, log) and users' new files: owner only
    )
    try:
        wait_until_up(plan, proc)
    except BaseException:
        stop(proc)
        raise
    return proc


def stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM lets JupyterHub stop its servers, services and proxy.

    Servers run in sessions of their own (and as other users), so whatever the
    hub left behind is found among its descendants and stopped too."""
    import psutil

    try:
        left = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        left = []
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()
    alive = [p for p in left if p.is_running()]
    for p in alive:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(alive, timeout=5)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


def publish(course: Course, exchange: Path, assignments: list[str] | None = None) -> list[str]:
    """Generate the release and put it in the hub's exchange (stock ``nbgrader release_assignment``)."""
    from traitlets.config import Config

    from latsar.course.nbgrader_api import api, check
    from latsar.authoring.release import generate

    done = generate(course, assignments)
    overrides = Config()
    overrides.Exchange.root = str(exchange)
    overrides.ExchangeReleaseAssignment.force = True  # a second `latsar hub` re-publishes the release
    nbapi = api(course, overrides)
    for assignment in done:
        check(nbapi.release_assignment(assignment), f"release_assignment {assignment}")
    return done
