"""Practice activities teach: every one explains itself, a match explains each wrong pairing, and a
quiz explains each wrong option, whose length and authored position give nothing away (issue 15)."""

import ast
import html
import json
from collections import Counter

import pytest

from latsar.kernel import activities

from .conftest import REPO


def activity_calls():
    """(notebook, cell id, function name, call) of every quiz and match of the lessons."""
    for path in sorted((REPO / "source").glob("*/*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            compile(source, f"{path.stem}:{cell['id']}", "exec")  # also refuses a repeated keyword
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("quiz", "match"):
                    yield path.stem, cell["id"], node.func.id, node


def argument(call: ast.Call, name: str, position: int):
    for keyword in call.keywords:
        if keyword.arg == name:
            return ast.literal_eval(keyword.value)
    return ast.literal_eval(call.args[position]) if len(call.args) > position else None


def quizzes():
    """(where, question, options, answer, reasons) of every quiz of the lessons."""
    for nb, cell, name, call in activity_calls():
        if name == "quiz":
            yield (f"{nb}:{cell}", argument(call, "question", 0), argument(call, "options", 1),
                   argument(call, "answer", 2), argument(call, "reasons", 4))


def test_every_activity_explains_why_the_answer_is_right():
    calls = list(activity_calls())
    assert len(calls) >= 40
    missing = [(nb, cell) for nb, cell, name, call in calls
               if not (argument(call, "explanation", 3) or "").strip()]
    assert missing == []


def test_reasons_of_a_match_cover_exactly_its_statements():
    with_reasons = matches = 0
    for nb, cell, name, call in activity_calls():
        if name != "match":
            continue
        matches += 1
        reasons = argument(call, "reasons", 4)
        if reasons is None:
            continue
        with_reasons += 1
        pairs = argument(call, "pairs", 1)
        assert set(reasons) == set(pairs), (nb, cell)
        assert all(isinstance(r, str) and r.strip() for r in reasons.values()), (nb, cell)
    assert with_reasons == matches == 20  # every match of the lessons has its reasons today


@pytest.fixture
def shown(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    out = []
    monkeypatch.setattr("IPython.display.display", out.append)
    return out


def test_each_wrong_pairing_gets_its_line_and_reason(shown):
    activities.match("Cocokkan", {"Cermat": "Sesuai", "Diskriminatif": "Bertentangan", "Ramah": "Sesuai"},
                     categories=["Sesuai", "Bertentangan"],
                     reasons={"Cermat": "Teliti itu dituntut.", "Diskriminatif": "Membeda-bedakan dilarang.",
                              "Ramah": "Sopan itu dituntut."})
    box = shown[-1]
    rows = {row.children[0].value: row.children[1] for row in box.children[1:-2]}
    details, (check, feedback) = box.children[-2], box.children[-1].children
    rows["Cermat"].value = "Bertentangan"
    rows["Diskriminatif"].value = "Sesuai"
    rows["Ramah"].value = "Sesuai"
    check.click()
    assert "Benar 1 dari 3" in feedback.value
    assert details.value.count("<li>") == 2
    assert "<i>Cermat</i>: bukan <b>Bertentangan</b>. Teliti itu dituntut." in details.value
    assert "Membeda-bedakan dilarang." in details.value and "Sopan" not in details.value
    rows["Cermat"].value = "Sesuai"
    rows["Diskriminatif"].value = "Bertentangan"
    check.click()
    assert details.value == "" and "Semua benar" in feedback.value


def test_a_wrong_pairing_without_reasons_still_gets_its_line(shown):
    activities.match("Cocokkan", {"A": "X", "B": "Y"}, categories=["X", "Y"])
    box = shown[-1]
    box.children[1].children[1].value = "Y" if box.children[1].children[0].value == "A" else "X"
    box.children[-1].children[0].click()
    assert box.children[-2].value.count("<li>") == 1


def test_reasons_must_name_exactly_the_statements(shown):
    with pytest.raises(ValueError, match="reasons"):
        activities.match("Cocokkan", {"A": "X", "B": "Y"}, reasons={"A": "karena"})


# -- quiz: a reason for every wrong option, and nothing that gives the answer away ------------

def test_every_wrong_option_of_a_quiz_says_why_it_is_wrong():
    found = list(quizzes())
    assert len(found) >= 26
    for where, question, options, answer, reasons in found:
        assert reasons is not None, where
        assert set(reasons) == set(range(len(options))) - {answer}, where
        assert all(isinstance(r, str) and len(r.split()) >= 6 for r in reasons.values()), where  # not "coba lagi"
        assert len(set(reasons.values())) == len(reasons), where  # each its own
        activities.check_quiz(question, options, answer, reasons)  # what the widget refuses


def test_option_length_does_not_give_the_answer_away():
    """Before issue 15 the right option was the longest in 22 of 26 quizzes."""
    found = list(quizzes())
    longest, shortest, ranks = [], [], Counter()
    for where, _question, options, answer, _reasons in found:
        others = [len(o) for i, o in enumerate(options) if i != answer]
        if len(options[answer]) >= max(others):  # a tie counts against it
            longest.append(where)
        if len(options[answer]) <= min(others):
            shortest.append(where)
        ranks[sum(n > len(options[answer]) for n in others)] += 1  # 0: nothing is longer
    assert len(longest) <= len(found) / 4, longest
    assert len(shortest) <= len(found) / 4, shortest
    # nor the middle: striking out the longest and the shortest must not leave the answer either
    assert max(ranks.values()) <= 0.4 * len(found), ranks


def test_authored_answer_positions_are_spread():
    """The order as written must not leak either (before issue 15: option b in 14 of 26)."""
    positions = Counter(answer for _where, _q, _options, answer, _r in quizzes())
    assert sorted(positions) == [0, 1, 2, 3]
    assert max(positions.values()) <= 0.4 * sum(positions.values()), positions


QUESTION = "Siapa yang wajib menyelenggarakan pelayanan publik?"
OPTIONS = ["Hanya sektor swasta", "Pemerintah, sendiri atau bersama swasta", "Hanya relawan",
           "Hanya pemerintah pusat"]
ANSWER = 1
EXPLANATION = "Pelayanan publik adalah hak warga, jadi kewajiban pemerintah."
REASONS = {0: "Swasta boleh ikut, tetapi kewajibannya tetap pada pemerintah.",
           2: "Relawan tidak memikul kewajiban konstitusional itu.",
           3: "Pemerintah daerah pun menyelenggarakan pelayanan publik."}
USER = "peserta001"


@pytest.fixture
def participant(shown, monkeypatch):
    """The quiz as ``USER`` sees it on the hub: (radio buttons, feedback, order shown)."""
    monkeypatch.setenv("JUPYTERHUB_USER", USER)
    order = activities.display_order(QUESTION, len(OPTIONS), USER)
    # the right option is shown elsewhere than it is written: a position taken for an index fails
    assert order.index(ANSWER) != ANSWER
    activities.quiz(QUESTION, OPTIONS, answer=ANSWER, explanation=EXPLANATION, reasons=REASONS)
    _title, choices, feedback = shown[-1].children
    assert [label for label, _ in choices.options] == [OPTIONS[i] for i in order]  # texts only, no letters
    return choices, feedback, order


def test_a_wrong_option_shows_its_own_reason_and_the_right_one_the_explanation(participant):
    choices, feedback, order = participant
    for wrong, reason in REASONS.items():
        choices.index = order.index(wrong)  # what a click in the browser sets: the position shown
        assert "✘ Belum tepat." in feedback.value and "Coba pilih jawaban lain." in feedback.value
        assert html.escape(reason) in feedback.value
        assert EXPLANATION not in feedback.value
        assert [r for k, r in REASONS.items() if k != wrong and html.escape(r) in feedback.value] == []
    choices.index = order.index(ANSWER)
    assert "✔ Tepat!" in feedback.value and EXPLANATION in feedback.value
    assert "Belum tepat" not in feedback.value
    assert [r for r in REASONS.values() if html.escape(r) in feedback.value] == []


def test_the_practice_log_says_right_or_wrong_after_shuffling(participant, tmp_path):
    from latsar.kernel.progress import PracticeLog, activity_key

    choices, feedback, order = participant
    choices.index = ANSWER  # the position where the right option is *written*: shown there is a wrong one
    assert "Belum tepat" in feedback.value
    assert PracticeLog(tmp_path).load() == {activity_key(QUESTION): {"attempts": 1, "right": False}}
    choices.index = order.index(ANSWER)
    assert PracticeLog(tmp_path).load() == {activity_key(QUESTION): {"attempts": 2, "right": True}}


@pytest.mark.parametrize("reasons, message", [
    (None, r"belum ada untuk opsi 0: 'A'; 2: 'C'"),
    ({0: "Karena A salah."}, r"belum ada untuk opsi 2: 'C'"),
    ({0: "Karena A salah.", 2: "  "}, r"belum ada untuk opsi 2"),
    ({0: "Karena A salah.", 1: "B benar.", 2: "Karena C salah."}, r"reasons hanya untuk opsi yang salah \(indeks 0, 2\)"),
])
def test_a_quiz_without_a_reason_for_every_wrong_option_is_refused(shown, reasons, message):
    with pytest.raises(ValueError, match=message) as refused:
        activities.quiz("Siapa penyelenggara pelayanan publik?", ["A", "B", "C"], answer=1, reasons=reasons)
    assert "latihan 'Siapa penyelenggara pelayanan publik?'" in str(refused.value)  # names the question
    assert shown == []
