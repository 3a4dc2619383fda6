"""The Indonesian of what click prints around latsar's commands (usage, section titles, its own errors).

Click marks its messages for gettext; ``id/LC_MESSAGES/latsar.po`` translates those an instructor
meets.  :func:`indonesian` makes them the ones click prints while a command runs.  The compiled ``latsar.mo`` is
committed beside the ``.po``; ``python -m latsar.locale`` rebuilds it with Babel, and
``tests/test_cli_language.py`` fails when it is out of date.
"""

from __future__ import annotations

import gettext
import io
import os
from contextlib import contextmanager
from pathlib import Path

DOMAIN = "latsar"
LOCALE_DIR = Path(__file__).resolve().parent
PO = LOCALE_DIR / "id" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO = PO.with_suffix(".mo")


@contextmanager
def indonesian():
    """Click's messages in Indonesian while a command runs, unless the user asked for a language of
    their own (``LANGUAGE``).  gettext reads the language from the environment only; it is put back
    after, so that a test process running commands in turn keeps its own."""
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    domain, language = gettext.textdomain(), os.environ.get("LANGUAGE")
    gettext.textdomain(DOMAIN)
    os.environ.setdefault("LANGUAGE", "id")
    try:
        yield
    finally:
        gettext.textdomain(domain)
        if language is None:
            os.environ.pop("LANGUAGE", None)


def compiled() -> bytes:
    """``latsar.po`` compiled to the bytes of a ``.mo`` file."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with PO.open("rb") as po:
        catalog = read_po(po, locale="id", domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()
