"""Practice widgets name their controls for screen readers (issue 12, item 7; measured in the browser
by tests/e2e/test_accessibility.py with axe-core)."""

import html

import ipywidgets as widgets

from latsar.kernel import activities


def test_every_match_drop_down_is_named_by_its_statement(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    pairs = {"Cermat & teliti": "Sesuai", "Diskriminatif": "Bertentangan"}
    activities.match("Cocokkan", pairs)
    header, *rest = shown[-1].children
    rows = [box for box in rest if any(isinstance(w, widgets.Dropdown) for w in getattr(box, "children", ()))]
    assert len(rows) == len(pairs)
    assert "latsar-pilihan .widget-label" in header.value  # the label is hidden from the eye only
    assert "display: none" not in header.value
    for row in rows:
        label, dropdown, _mark = row.children
        # the <label for> ipywidgets renders names the select; the same text shows beside it
        assert html.escape(dropdown.description) == label.value
        assert "latsar-pilihan" in dropdown._dom_classes
    assert sorted(row.children[1].description for row in rows) == sorted(pairs)
