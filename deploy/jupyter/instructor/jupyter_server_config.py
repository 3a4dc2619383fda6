"""JupyterLab settings shared by every role (deploy/jupyter/labsettings/overrides.json).

A notebook opens on its own Python kernel without the "Select Kernel" question,
and JupyterLab does not ask about news: participants who never wrote code meet
no question they cannot answer.  Which nbgrader extensions this role gets is in
the ``jupyter_server_config.json`` beside this file.
"""

from pathlib import Path

c = get_config()  # noqa: F821

c.LabApp.app_settings_dir = str(Path(__file__).resolve().parent.parent / "labsettings")
