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

#: What the live-quiz cell prints while nbgrader autogrades (nobody can answer then).
AUTOGRADE_TEXT = "Kuis langsung hanya berjalan di kelas bersama pengampu; jawabannya tidak dinilai."


def live_quiz(*args, **kwargs) -> None:
    """Shortcut for :func:`latsar.live.widgets.live_quiz`; while nbgrader autogrades, only a line of
    text, before the widget's imports (ipywidgets, the HTTP client: 0.1 s of every grading kernel)."""
    from latsar.kernel.answers import autograding

    if autograding():
        print(AUTOGRADE_TEXT)
        return
    from latsar.live.widgets import live_quiz as show

    show(*args, **kwargs)
