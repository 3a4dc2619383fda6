"""Widgets that share their Layout and style models: a third of the messages for the same lesson.

By default every ipywidgets control brings a Layout model and a style model of its own, each
a comm the kernel opens, the participant's server relays and the browser builds.  bab2's cells
up to its first graded item opened 1,053 comms, 668 of them layouts and styles, and a class of
40 opening the lesson at once spends its CPU on exactly those messages (``bench/class_start.py``).
ipywidgets lets widgets share one Layout or style object, so each distinct look is made once per
kernel and reused.  Nothing in latsar changes a widget's ``layout`` or ``style`` after creating
it (the looks that change, such as a button's ``button_style``, are the widget's own traits), so
sharing never leaks a change from one widget to another.

ipywidgets is imported by the caller, lazily as everywhere in the lesson kernel.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=None)
def _shared(klass: type, traits: tuple[tuple[str, str], ...]):
    return klass(**dict(traits))


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
