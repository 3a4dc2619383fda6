"""Widgets of one cell share their Layout and style models: fewer messages for the same lesson.

By default every ipywidgets control brings a Layout model and a style model of its own, each
a comm the kernel opens, the participant's server relays and the browser builds.  bab2's cells
up to its first graded item opened 1,053 comms, 668 of them layouts and styles, and a class of
40 opening the lesson at once spends its CPU on exactly those messages (``bench/class_start.py``).
ipywidgets lets widgets share one Layout or style object, so each distinct look is made once per
cell run and reused by that run's widgets.

Once per *cell run*, not per kernel: a widget must never point at a model an earlier run made.
When a participant reloads the page, JupyterLab meets the kernel anew and the lesson runs its
cells again; a new widget naming a look made before the reload kept the lesson from showing for
about 90 s (``tests/e2e/test_lesson.py``, "buka lagi").  ``tests/test_notebooks.py`` checks that
every model a cell's widgets name was opened by that cell.

Nothing in latsar changes a widget's ``layout`` or ``style`` after creating it (the looks that
change, such as a button's ``button_style``, are the widget's own traits), so sharing never leaks
a change from one widget to another.  ipywidgets is imported by the caller, lazily as everywhere
in the lesson kernel.
"""

from __future__ import annotations

_looks: dict = {}
_run: object = None


def _current_run() -> object:
    """The message the kernel is answering (a cell run, or a click's comm message); None outside a kernel."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    header = getattr(shell, "parent_header", None) or {}
    return header.get("header", {}).get("msg_id")


def _shared(klass: type, traits: tuple[tuple[str, str], ...]):
    global _run
    run = _current_run()
    if run != _run:  # a new cell run: forget the looks of the last one
        _looks.clear()
        _run = run
    key = (klass, traits)
    if key not in _looks:
        _looks[key] = klass(**dict(traits))
    return _looks[key]


def new(cls: type, *args, layout: dict | None = None, style: dict | None = None, **traits):
    """``cls(*args, **traits)`` with the kernel's shared Layout for ``layout`` and shared style
    for ``style`` (both plain dicts of trait values), instead of new ones."""
    import ipywidgets as widgets

    shared = {"layout": _shared(widgets.Layout, tuple(sorted((layout or {}).items())))}
    style_trait = cls.class_traits().get("style")
    if style_trait is not None:
        shared["style"] = _shared(style_trait.klass, tuple(sorted((style or {}).items())))
    elif style:
        raise TypeError(f"{cls.__name__} has no style")
    return cls(*args, **shared, **traits)
