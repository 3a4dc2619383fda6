"""Ungraded practice activities for the lessons, with immediate feedback in Indonesian.

Each function displays one self-contained widget; a lesson cell is a single
call with the content as arguments (the cell input is hidden in the notebook).
Nothing here is graded: graded items live in :mod:`latsar.kernel.answers`.  An attempt is
noted in ``.latihan.json`` for the progress view (:mod:`latsar.kernel.progress`).

- :func:`quiz`  — one question, several options in an order of the participant's own, feedback
  on click: why the right option is right, and why each wrong option is wrong
  (also for "kecuali"/"bukan" items: spot the odd one out);
- :func:`match` — put each statement in its category from a drop-down
  (sort behaviours into the three kode etik, match asas, assemble BerAKHLAK);
- :func:`mastery_calculator` — the module's 80 % rule on a slider.
"""

from __future__ import annotations

import getpass  # noqa: F401  (participant() reads it; tests patch it here)
import html
import random
from typing import Mapping, Sequence

from latsar.course import mastered
from latsar.kernel.forms import participant, seeded_random  # noqa: F401  (participant: here first)
from latsar.kernel.look import new


def _skip() -> bool:
    """Practice widgets are pointless while nbgrader autogrades; show nothing then."""
    from latsar.kernel.answers import autograding

    return autograding()

def _tried(question: str, right: bool) -> None:
    """Note the attempt for the lesson's progress view (it survives a reopen)."""
    from latsar.kernel.progress import record_attempt

    record_attempt(question, right)


_OK = "#1b5e20"
_BAD = "#b00020"

#: A drop-down's description is its accessible name (ipywidgets renders it as the select's
#: ``<label for>``); the statement beside it is already visible, so the label is hidden from
#: the eye only (not ``display: none``, which screen readers would skip too).
_SR_LABEL = """<style>
.latsar-pilihan .widget-label {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
</style>"""


def _shuffled(values: Sequence[str], seed: str) -> list[str]:
    """A stable shuffle: the same activity shows the same order every time."""
    out = list(values)
    random.Random(seed).shuffle(out)
    return out


def _color(text: str, color: str) -> str:
    return f"<span style='color:{color}'>{text}</span>"


def display_order(question: str, count: int, user: str | None = None) -> list[int]:
    """The order one participant sees a quiz's options in, as indices into the options as written.

    Drawn from the participant and the question: the same for them on every reopen or kernel
    restart, different for their neighbour, so neither the authored order nor a neighbour's
    screen tells where the right option is."""
    order = list(range(count))
    seeded_random(participant() if user is None else user, question).shuffle(order)
    return order


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def check_quiz(question: str, options: Sequence[str], answer: int, reasons: Mapping[int, str] | None) -> None:
    """Refuse a quiz an author left incomplete; every message names the question, in Indonesian."""
    name = f"latihan {_short(question)!r}"
    if len(options) < 2 or not all(isinstance(o, str) and o.strip() for o in options):
        raise ValueError(f"{name}: perlu sedikitnya dua opsi, masing-masing teks yang tidak kosong")
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(options):
        raise ValueError(f"{name}: answer harus indeks salah satu opsi (0 sampai {len(options) - 1})")
    wrong = [i for i in range(len(options)) if i != answer]
    given = dict(reasons or {})
    missing = [i for i in wrong if not (isinstance(given.get(i), str) and given[i].strip())]
    if missing:
        listed = "; ".join(f"{i}: {_short(options[i], 40)!r}" for i in missing)
        raise ValueError(f"{name}: setiap opsi yang salah perlu alasan mengapa salah, "
                         f"reasons={{indeks: '…'}}; belum ada untuk opsi {listed}")
    extra = sorted(set(given) - set(wrong), key=repr)
    if extra:
        raise ValueError(f"{name}: reasons hanya untuk opsi yang salah (indeks {', '.join(map(str, wrong))}); "
                         f"bukan untuk {', '.join(map(repr, extra))}")


def quiz(question: str, options: Sequence[str], answer: int, explanation: str = "",
         reasons: Mapping[int, str] | None = None) -> None:
    """A practice question with feedback on every option.

    ``answer`` is the 0-based index of the right option in ``options`` *as written*;
    ``explanation`` says why it is right (shown when it is clicked).  ``reasons`` is required:
    one sentence per wrong option, keyed by its index as written, saying why it is wrong
    (shown with *✘ Belum tepat* when that option is clicked)::

        quiz("Siapa yang wajib menyelenggarakan pelayanan publik?",
             ["Hanya swasta", "Pemerintah, sendiri atau bersama swasta", "Hanya relawan"],
             answer=1,
             explanation="Pelayanan publik adalah hak warga, jadi kewajiban pemerintah.",
             reasons={0: "Swasta boleh ikut, tetapi kewajibannya tetap pada pemerintah.",
                      2: "Relawan tidak memikul kewajiban konstitusional itu."})

    Each participant sees the options in an order of their own (:func:`display_order`); the
    radio buttons carry the index as written, so the check and the practice log (keyed by the
    question, :mod:`latsar.kernel.progress`) do not depend on the order shown.
    """
    if _skip():
        return
    check_quiz(question, options, answer, reasons)
    import ipywidgets as widgets
    from IPython.display import display

    title = new(widgets.HTML, f"<b>Latihan:</b> {html.escape(question)}")
    choices = new(widgets.RadioButtons,
        options=[(options[i], i) for i in display_order(question, len(options))],
        value=None,
        layout=dict(width="auto"),
    )
    feedback = new(widgets.HTML)

    def on_change(change) -> None:
        picked = change["new"]
        if picked is None:
            return
        if picked == answer:
            text = _color("✔ Tepat!", _OK)
            if explanation:
                text += f" {html.escape(explanation)}"
        else:
            text = (f"{_color('✘ Belum tepat.', _BAD)} {html.escape(reasons[picked])} "
                    "Coba pilih jawaban lain.")
        feedback.value = text
        _tried(question, picked == answer)

    choices.observe(on_change, names="value")
    display(new(widgets.VBox, [title, choices, feedback]))


def match(
    title: str,
    pairs: Mapping[str, str],
    categories: Sequence[str] | None = None,
    explanation: str = "",
    reasons: Mapping[str, str] | None = None,
) -> None:
    """Assign each statement (key of ``pairs``) to its category (value).

    ``categories`` fixes the order of the drop-down; by default the distinct
    values of ``pairs`` in a stable shuffled order.  ``reasons`` (optional, one per
    statement of ``pairs``) says why a statement belongs where it does: after
    *Periksa* every wrong pairing gets a line with its reason.
    """
    if _skip():
        return
    import ipywidgets as widgets
    from IPython.display import display

    cats = list(categories) if categories else _shuffled(sorted(set(pairs.values())), title)
    missing = set(pairs.values()) - set(cats)
    if missing:
        raise ValueError(f"kategori tidak ada di daftar: {sorted(missing)}")
    if reasons is not None and set(reasons) != set(pairs):
        raise ValueError("reasons harus memuat tepat pernyataan-pernyataan di pairs")
    statements = _shuffled(list(pairs), title + "/pernyataan")
    rows, dropdowns, marks = [], [], []
    for statement in statements:
        dropdown = new(widgets.Dropdown,
            options=[("— pilih —", None)] + [(c, c) for c in cats],
            value=None,
            description=statement,  # the select's accessible name; shown once, beside it
            layout=dict(width="22em"),
        )
        dropdown.add_class("latsar-pilihan")
        mark = new(widgets.HTML, layout=dict(width="2em"))
        label = new(widgets.HTML, html.escape(statement), layout=dict(width="32em"))
        rows.append(new(widgets.HBox, [label, dropdown, mark]))
        dropdowns.append(dropdown)
        marks.append(mark)
    check = new(widgets.Button, description="Periksa", button_style="primary", icon="check")
    feedback = new(widgets.HTML)
    details = new(widgets.HTML)  # one line per wrong pairing, with its reason

    def on_check(_button) -> None:
        right = 0
        wrong = []
        for statement, dropdown, mark in zip(statements, dropdowns, marks):
            if dropdown.value is None:
                mark.value = ""
                continue
            ok = dropdown.value == pairs[statement]
            right += ok
            mark.value = _color("✔", _OK) if ok else _color("✘", _BAD)
            if not ok:
                wrong.append(_wrong_line(statement, dropdown.value, (reasons or {}).get(statement, "")))
        details.value = f"<ul>{''.join(wrong)}</ul>" if wrong else ""
        total = len(statements)
        text = f"Benar {right} dari {total}."
        if right == total:
            text = _color(f"✔ Semua benar ({total}/{total})!", _OK)
            if explanation:
                text += f" {html.escape(explanation)}"
        else:
            text += " Perbaiki yang bertanda ✘ atau belum dipilih, lalu klik Periksa lagi."
        feedback.value = text
        _tried(title, right == total)

    check.on_click(on_check)
    header = new(widgets.HTML, f"{_SR_LABEL}<b>Latihan:</b> {html.escape(title)}")
    display(new(widgets.VBox, [header, *rows, details, new(widgets.HBox, [check, feedback])]))


def _wrong_line(statement: str, chosen: str, reason: str) -> str:
    """One wrong pairing of :func:`match`, and why the statement belongs elsewhere when known."""
    line = f"{_color('✘', _BAD)} <i>{html.escape(statement)}</i>: bukan <b>{html.escape(chosen)}</b>."
    return f"<li>{line} {html.escape(reason)}</li>" if reason else f"<li>{line}</li>"


def mastery_calculator(total: int = 10) -> None:
    """The module's rule: ≥ 80 % correct means *tuntas*, otherwise *ulangi*."""
    if _skip():
        return
    import ipywidgets as widgets
    from IPython.display import display

    slider = new(widgets.IntSlider, value=0, min=0, max=total, description="Jawaban benar:",
                 style={"description_width": "initial"})
    out = new(widgets.HTML)

    def update(_change=None) -> None:
        percent = slider.value / total
        if mastered(slider.value, total):
            verdict = _color("<b>tuntas</b> — lanjutkan ke materi berikutnya", _OK)
        else:
            verdict = _color("<b>ulangi</b> — pelajari lagi bagian yang belum dikuasai", _BAD)
        out.value = f"Tingkat penguasaan {percent:.0%}: {verdict}"

    slider.observe(update, names="value")
    update()
    display(new(widgets.VBox, [slider, out]))
