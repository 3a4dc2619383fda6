"""JupyterLab settings every role shares (``labsettings/overrides.json`` beside this file).

A notebook opens on its own Python kernel without the "Select Kernel" question,
and JupyterLab does not ask about news: participants who never wrote code meet
no question they cannot answer.  ``latsar.hub.server.config_path`` puts this folder
after each role's own folder in ``JUPYTER_CONFIG_PATH``.
"""

from pathlib import Path

c = get_config()  # noqa: F821

c.LabApp.app_settings_dir = str(Path(__file__).resolve().parent / "labsettings")
