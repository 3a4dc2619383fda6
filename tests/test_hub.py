"""latsar.hub.server without a running hub: the plan's checks and re-publishing."""

from __future__ import annotations

import subprocess
import time

import pytest

from latsar.hub import server as hub

from .conftest import copy_course


@pytest.fixture
def course(tmp_path):
    return copy_course(tmp_path / "course")


def test_a_second_start_republishes_the_release(course, tmp_path):
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    assert hub.publish(course, exchange, ["bab1_pendahuluan"]) == ["bab1_pendahuluan"]
    # stock release_assignment refuses an existing outbound folder without force
    assert hub.publish(course, exchange, ["bab1_pendahuluan"]) == ["bab1_pendahuluan"]
    assert (exchange / hub.COURSE_ID / "outbound" / "bab1_pendahuluan" / "bab1_pendahuluan.ipynb").exists()


def test_plan_refuses_what_cannot_work(course, tmp_path):
    with pytest.raises(hub.HubError, match="pengampu sekaligus peserta"):
        hub.make_plan(course, ["ani"], ["ani", "budi"], 8000, tmp_path / "state", False)
    with pytest.raises(hub.HubError, match="di dalam folder kursus"):
        hub.make_plan(course, ["ani"], ["budi"], 8000, course.root / "state", False)
    with pytest.raises(hub.HubError, match="minimal satu pengampu"):
        hub.make_plan(course, [], ["budi"], 8000, tmp_path / "state", False)


def test_roles_follow_nbgrader_groups(course, tmp_path):
    plan = hub.make_plan(course, ["ani"], ["budi"], 8000, tmp_path / "state", False)
    roles = {role["name"]: role for role in hub.roles(plan)}
    assert "access:services!service=latsar-pelayanan" in roles["formgrade-latsar-pelayanan"]["scopes"]
    assert not any(s.startswith("access:services!service=latsar-pelayanan")
                   for s in roles["nbgrader-latsar-pelayanan"]["scopes"])


def test_system_accounts_are_refused():
    with pytest.raises(hub.HubError, match="akun sistem"):
        hub._ensure_os_user("root", "tidak-dipakai")


@pytest.mark.parametrize("role", ["participant", "instructor", "grader"])
def test_every_role_starts_kernels_without_asking(role, tmp_path):
    """Each role's JUPYTER_CONFIG_PATH reaches the shared lab settings (no "Select Kernel" dialog)."""
    import json
    import subprocess

    from .conftest import BIN

    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "JUPYTER_CONFIG_PATH": hub.config_path(role)}
    shown = subprocess.run([str(BIN / "jupyter"), "lab", "--show-config"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    settings = hub.role_config_dir("common") / "labsettings"
    assert f".app_settings_dir = '{settings}'" in shown.stdout
    overrides = json.loads((settings / "overrides.json").read_text(encoding="utf-8"))
    assert overrides["@jupyterlab/notebook-extension:tracker"]["autoStartDefaultKernel"] is True
    # the role's own folder still decides its nbgrader extensions
    formgrader = "nbgrader.server_extensions.formgrader | extension was successfully loaded"
    assert (formgrader in shown.stderr) == (role == "grader")


def test_a_runtime_another_hub_runs_on_is_not_removed(tmp_path):
    """Building a new runtime removes older builds, but not one a running hub holds: removing it
    under that hub's servers broke their kernels (seen when two checkouts ran hubs at once)."""
    import subprocess
    import sys

    from latsar.hub import runtime

    root = tmp_path / "runtime"
    keep, used, unused, unmarked = (root / name for name in ("baru", "dipakai", "lama", "tanpa-tanda"))
    for folder in (keep, used, unused, unmarked):
        (folder / "venv").mkdir(parents=True)
    for folder in (keep, used, unused):
        (folder / runtime.IN_USE).write_text("")
    holder = subprocess.Popen(  # another hub: a process of its own holding the shared lock
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         "fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_SH)\n"
         "print('held', flush=True); time.sleep(120)", str(used / runtime.IN_USE)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert runtime.collect(root, keep=keep) == [unused, unmarked]
        assert keep.is_dir() and used.is_dir() and not unused.exists() and not unmarked.exists()
    finally:
        holder.kill()
        holder.wait()
    assert runtime.collect(root, keep=keep) == [used]  # that hub stopped: its runtime goes
    assert keep.is_dir()


def test_this_process_holds_its_runtime_and_passes_it_to_the_hub(tmp_path):
    import fcntl
    import os

    from latsar.hub import runtime

    build = tmp_path / "runtime" / "abc"
    build.mkdir(parents=True)
    fd = runtime.hold(build)
    try:
        assert fd in runtime.held_fds()
        probe = os.open(build / runtime.IN_USE, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what collect() tries
        finally:
            os.close(probe)
    finally:
        os.close(runtime._held.pop(build))


def test_the_hub_refuses_to_start_without_the_lesson_extension(tmp_path):
    """Lessons tell participants that their widgets appear by themselves: only true with the extension."""
    from latsar.hub.server import LESSON_EXTENSION, HubError, require_lesson_extension

    require_lesson_extension()  # make install built it
    assert LESSON_EXTENSION.is_file()
    with pytest.raises(HubError, match="make install"):
        require_lesson_extension(tmp_path / "labextensions" / "@latsar" / "lesson" / "package.json")


def test_a_stale_proxy_pid_file_never_gets_another_process_killed(tmp_path):
    """JupyterHub kills whatever a leftover proxy pid file names; the file must go unless it names a proxy."""
    pid_file = tmp_path / "proxy.pid"
    other = subprocess.Popen(["sleep", "60"])  # the pid now belongs to something else
    proxy = subprocess.Popen(["bash", "-c", "exec -a configurable-http-proxy sleep 60"])  # a real leftover proxy
    try:
        pid_file.write_text(f"{other.pid}\n")
        hub.forget_stale_proxy(pid_file)
        assert not pid_file.exists()
        pid_file.write_text("kosong")
        hub.forget_stale_proxy(pid_file)
        assert not pid_file.exists()
        hub.forget_stale_proxy(pid_file)  # no file: nothing to do
        pid_file.write_text(str(proxy.pid))
        for _ in range(100):  # until bash has exec'd
            if "configurable-http-proxy" in open(f"/proc/{proxy.pid}/cmdline").read():
                break
            time.sleep(0.01)
        hub.forget_stale_proxy(pid_file)
        assert pid_file.exists()  # JupyterHub stops the old proxy itself, as it should
    finally:
        for p in (other, proxy):
            p.kill()
            p.wait()


def test_a_benchmark_deletes_only_the_accounts_it_created():
    """bench/hub_load.py and bench/class_start.py delete what absent_accounts named before prepare."""
    assert hub.absent_accounts(["root", "tidakadaakunini9", "nobody"]) == ["tidakadaakunini9"]
