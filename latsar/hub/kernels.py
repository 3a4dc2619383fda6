"""A participant's lesson kernel without the start-up cost: forked, not started.

When a class logs in at 09:00, every participant's JupyterLab starts a kernel for the
lesson at once, and each kernel spends about 0.3 s of CPU importing IPython, ipykernel
and the lesson's code before it answers (``bench/class_start.py``: the kernels are the
largest share of the CPU of a class start).  Grading already forks its kernels from a
server that imported all that once (:mod:`latsar.grading.kernels`); a participant's server
now does the same for its own kernels:

- :class:`ForkingServerKernelManager` is jupyter_server's own kernel manager with only the
  launch going through the fork server, configured for the participant role
  (``latsar/hub/deploy/jupyter/participant/jupyter_server_config.json``);
- this module is also a server extension that starts the fork server in the background as
  the participant's server starts, so that with ``latsar hub --start-servers`` the imports
  are paid before class.

Each kernel is still a fresh process for one notebook, running as the participant, in the
notebook's folder, with the environment jupyter_server gives it.  No sandbox: it is the
participant's own kernel.
"""

from __future__ import annotations

import threading

from jupyter_server.services.kernels.kernelmanager import ServerKernelManager

from latsar.grading.kernels import ForkLaunch, fork_server


class ForkingServerKernelManager(ForkLaunch, ServerKernelManager):
    """jupyter_server's kernel manager (activity, culling, restarts); the launch forks."""


def _jupyter_server_extension_points():
    return [{"module": "latsar.hub.kernels"}]


def _load_jupyter_server_extension(serverapp) -> None:
    """Warm the fork server while the server starts; a failure only means kernels start it later."""

    def warm() -> None:
        try:
            fork_server()
        except Exception as exc:  # noqa: BLE001 — the first kernel start tries again and reports
            serverapp.log.warning("latsar: server fork kernel belum siap (%s); kernel pertama memulainya", exc)

    threading.Thread(target=warm, name="latsar-fork-server", daemon=True).start()
