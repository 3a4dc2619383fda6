"""Practice activities teach: every one explains itself, and a match explains each wrong pairing."""

import ast
import json

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
