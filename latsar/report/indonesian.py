"""Numbers and dates written the Indonesian way (decimal comma, month names), for the page and the guide."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")


def number(value, digits: int = 2) -> str:
    """A number the Indonesian way (decimal comma); '–' when undefined."""
    if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return "–"
    value = round(float(value), digits) + 0.0  # + 0.0 turns -0.0 into 0.0: no "-0,00"
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def percent(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return "–"
    return f"{number(100 * value, digits)} %"


def date(when: datetime) -> str:
    return f"{when.day} {MONTHS[when.month - 1]} {when.year}, pukul {when:%H.%M}"

