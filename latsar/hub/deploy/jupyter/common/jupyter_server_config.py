"""JupyterLab settings every role shares (``labsettings/overrides.json`` beside this file).

- JupyterLab speaks Indonesian (the pinned ``jupyterlab-language-pack-id-ID``; the locale
  ``id_ID`` is the default in ``overrides.json``, a user may still switch in *Pengaturan*).
- A notebook opens on its own Python kernel without the "Select Kernel" question, and
  JupyterLab does not ask about news: participants who never wrote code meet no question
  they cannot answer.
- The lesson extension (``labextensions/@latsar/lesson``, built by ``make install`` from
  ``labextension/``) runs a lesson's cells when it opens and hides their code.  Instructors'
  and the grader's servers disable it in their own ``labconfig/page_config.json``.

``latsar.hub.server.config_path`` puts this folder after each role's own folder in
``JUPYTER_CONFIG_PATH``; ``latsar lab`` does the same for one participant's JupyterLab.
"""

from pathlib import Path

c = get_config()  # noqa: F821

HERE = Path(__file__).resolve().parent
c.LabApp.app_settings_dir = str(HERE / "labsettings")
c.LabApp.extra_labextensions_path = [str(HERE / "labextensions")]
