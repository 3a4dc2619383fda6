"""JupyterHub configuration for the course *Berorientasi Pelayanan* (course id ``latsar-pelayanan``).

``latsar hub`` writes a plan (who teaches, who takes part, where the course and the
shared exchange are) and starts ``jupyterhub -f latsar/hub/deploy/jupyterhub_config.py``
with ``LATSAR_HUB_PLAN`` pointing at it.  On your own hub, write that JSON yourself
(see README, "JupyterHub") or replace this file's last lines with your settings;
everything course-specific is in :func:`latsar.hub.server.configure`.
"""

import os

from latsar.hub.server import PLAN_ENV, HubPlan, configure

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)

configure(c, HubPlan.load(os.environ[PLAN_ENV]))
