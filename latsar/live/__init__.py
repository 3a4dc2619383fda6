"""Live session mode: the instructor opens an item, the class answers by clicking.

- :mod:`.store`   — durable SQLite record of sessions, opened items and answers
  (every answer is committed before it is acknowledged, so a restart loses none);
- :mod:`.policy`  — which bank items may be opened: the practice pool, and a graded
  item only when explicitly allowed after its assignment was collected;
- :mod:`.service` — the tornado service (a JupyterHub service ``latsar-live``, or
  standalone with a token file) and the instructor's page;
- :mod:`.client`  — the HTTP client of the participant widget, the tests and the benchmark;
- :mod:`.widgets` — :func:`live_quiz`, the participant widget in the chapter notebooks.

Live answers are practice: nothing here touches nbgrader's gradebook.
"""

SERVICE_NAME = "latsar-live"


def live_quiz(*args, **kwargs) -> None:
    """Shortcut for :func:`latsar.live.widgets.live_quiz` (imports ipywidgets lazily)."""
    from latsar.live.widgets import live_quiz as show

    show(*args, **kwargs)
