"""The participant's live-quiz widget, one call in the chapter notebooks: ``live_quiz()``.

It shows the item the instructor has opened, takes the answer by a click and
says that the answer was received; after the instructor reveals it says
whether the answer was right and which module section is behind the item.  A
background thread waits on the service (long polling) so a newly opened item
appears by itself.  Answers go to the live service only: never to the
notebook's answer file, never to nbgrader.
"""

from __future__ import annotations

import html
import re
import threading

from latsar.kernel.answers import autograding
from latsar.live import AUTOGRADE_TEXT
from latsar.live.client import LiveClient, LiveRefused, LiveUnavailable
from latsar.kernel.look import new

_OK, _BAD, _MUTED = "#1b5e20", "#b00020", "#555"
WAIT = 25.0
RETRY = 3.0


def live_quiz(url: str | None = None, token: str | None = None) -> None:
    """Display the widget (``url``/``token`` default to the kernel's environment, see :func:`~.client.from_env`)."""
    from IPython.display import display

    if autograding():
        print(AUTOGRADE_TEXT)
        return
    try:
        client = LiveClient(url, token) if url and token else LiveClient.from_env()
    except LiveUnavailable as exc:
        import ipywidgets as widgets

        display(new(widgets.HTML, _note(f"Kuis langsung belum tersedia di sini: {exc} Minta pengampu memeriksanya; "
                                        "latihan lain di notebook ini tetap bisa dikerjakan.", _MUTED)))
        return
    quiz = LiveQuiz(client)
    display(quiz.box)
    quiz.start()  # the thread keeps the quiz alive; returning None keeps the cell free of an Out[] line


def _rich(text: str) -> str:
    """Escaped text with the bank's ``**bold**`` as bold."""
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(text))


def _note(text: str, color: str) -> str:
    return f"<span style='color:{color}'>{html.escape(text)}</span>"


class LiveQuiz:
    """Widgets plus the thread that follows the instructor."""

    def __init__(self, client: LiveClient):
        import ipywidgets as widgets

        self.client = client
        self.run: dict | None = None
        self._render = threading.RLock()  # the poll thread and a click both render
        self.stopped = threading.Event()
        self.title = new(widgets.HTML, "<b>Kuis langsung</b> <i>(latihan bersama pengampu, tidak dinilai)</i>")
        self.question = new(widgets.HTML)
        # plain buttons, not the ToggleButtons of the graded items: a live answer is no graded answer
        self.buttons: dict[str, object] = {}
        self.choices = new(widgets.HBox, [])
        self.choices.add_class("latsar-live-choices")
        self.status = new(widgets.HTML, _note("Menghubungi layanan kuis langsung…", _MUTED))
        self.box = new(widgets.VBox, [self.title, self.question, self.choices, self.status])
        self.thread = threading.Thread(target=self._follow, name="latsar-live-quiz", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    # -- following the instructor --------------------------------------------------------
    def _follow(self) -> None:
        state = None
        while not self.stopped.is_set():
            try:
                view = self.client.current(after=state, wait=WAIT)
            except LiveUnavailable:
                self.status.value = _note("Layanan kuis langsung tidak dapat dihubungi; mencoba lagi…", _BAD)
                self.stopped.wait(RETRY)
                continue
            except LiveRefused as exc:
                self.status.value = _note(str(exc), _BAD)
                self.stopped.wait(RETRY * 5)
                continue
            if view.get("state_token") != state:
                state = view.get("state_token")
                self.show(view.get("run"))

    def show(self, run: dict | None) -> None:
        """Render what the service says about the current item (also used by the tests)."""
        with self._render:
            self._show(run)
            # Published last: whoever sees ``run`` (the poll thread's caller, a test) sees its buttons.
            self.run = run

    def _show(self, run: dict | None) -> None:
        import ipywidgets as widgets

        if run is None:
            self.question.value = ""
            self.buttons = {}
            self.choices.children = []
            self.status.value = _note("Belum ada soal yang dibuka pengampu. Soal akan muncul di sini.", _MUTED)
            return
        options = "".join(f"<li><b>{html.escape(k)}.</b> {_rich(v)}</li>" for k, v in run["options"].items())
        label = f"Jajak pendapat {run['seq']}" if run["kind"] == "poll" else f"Soal {run['seq']}"  # no bank id
        self.question.value = (f"<p><b>{html.escape(label)}</b></p><p>{_rich(run['stem'])}</p>"
                               f"<ul style='list-style:none;padding-left:.5em'>{options}</ul>")
        if list(self.buttons) != list(run["options"]):
            self.buttons = {}
            for letter in run["options"]:
                button = new(widgets.Button, description=letter, tooltip=f"Pilih jawaban {letter}",
                             layout=dict(width="3.5em"))
                button.on_click(lambda _b, letter=letter: self.answer(letter))
                self.buttons[letter] = button
            self.choices.children = [new(widgets.Label, "Jawaban:"), *self.buttons.values()]
        self._mark(run.get("my_choice"), disabled=run["state"] != "open")
        self.status.value = self._status(run)

    def _mark(self, chosen: str | None, disabled: bool) -> None:
        for letter, button in self.buttons.items():
            button.button_style = "info" if letter == chosen else ""
            button.disabled = disabled

    @staticmethod
    def _status(run: dict) -> str:
        mine = run.get("my_choice")
        if run["state"] == "open":
            if mine:
                return _note(f"✔ Jawaban {mine} diterima. Anda masih boleh mengubahnya sampai soal ditutup.", _OK)
            return _note("Klik salah satu huruf untuk menjawab.", _MUTED)
        if run["state"] == "closed":
            told = f"Jawaban Anda: {mine}. " if mine else "Anda tidak menjawab soal ini. "
            return _note(told + "Soal ditutup; tunggu pengampu menampilkan kunci.", _MUTED)
        key, section = run.get("key"), run.get("section")
        if key is None:
            return _note("Jajak pendapat selesai (tanpa kunci). Terima kasih atas jawabannya.", _MUTED)
        where = f" Bagian modul: {section}." if section else ""
        if mine is None:
            return _note(f"Kunci: {key}. Anda tidak menjawab.{where}", _MUTED)
        if run.get("correct"):
            return _note(f"✔ Benar! Kunci: {key}.{where}", _OK)
        again = f" Baca lagi bagian modul {section}." if section else ""
        return _note(f"✘ Belum tepat: Anda memilih {mine}, kuncinya {key}.{again}", _BAD)

    # -- answering -------------------------------------------------------------------------
    def click(self, letter: str) -> None:
        """What a click on a letter does (the tests click here)."""
        self.buttons[letter].click()

    def answer(self, letter: str) -> None:
        run = self.run
        if run is None:
            return
        try:
            self.client.answer(run["run_id"], letter)
        except (LiveRefused, LiveUnavailable) as exc:
            self.status.value = _note(str(exc), _BAD)
            return
        self.run = {**run, "my_choice": letter}
        self._mark(letter, disabled=False)
        self.status.value = self._status(self.run)
