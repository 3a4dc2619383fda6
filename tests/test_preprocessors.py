"""CheckCellMetadataOnce (latsar.grading.preprocessors) accepts and refuses what nbgrader's own
CheckCellMetadata does, with the same error, on the course's real notebooks and broken copies."""

import copy

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator, SchemaTooNewError, SchemaTooOldError, ValidationError
from nbgrader.preprocessors import CheckCellMetadata

from latsar.grading.preprocessors import CheckCellMetadataOnce, CompiledMetadataValidator

BAB2 = "bab2_konsep_pelayanan_publik"


def graded_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def set_field(key, value):
    def edit(nb):
        graded_cells(nb)[0].metadata.nbgrader[key] = value
    return edit


def drop_field(key):
    def edit(nb):
        graded_cells(nb)[0].metadata.nbgrader.pop(key)
    return edit


def duplicate_id(nb):
    cells = graded_cells(nb)
    cells[1].metadata.nbgrader["grade_id"] = cells[0].metadata.nbgrader["grade_id"]


def task_in_code(nb):
    graded_cells(nb)[0].metadata.nbgrader["task"] = True


EDITS = {
    "unchanged": lambda nb: None,
    "points as text": set_field("points", "sepuluh"),
    "grade as text": set_field("grade", "ya"),
    "unknown key": set_field("bonus", 3),
    "empty grade id": set_field("grade_id", ""),
    "no points": drop_field("points"),
    "no grade id": drop_field("grade_id"),
    "no locked": drop_field("locked"),
    "old schema": set_field("schema_version", 2),
    "new schema": set_field("schema_version", 9),
    "duplicate id": duplicate_id,
    "task in a code cell": task_in_code,
}


def outcome(check, nb):
    try:
        check(nb)
    except (ValidationError, SchemaTooOldError, SchemaTooNewError) as exc:
        return type(exc).__name__, str(exc).splitlines()[0]
    return "ok", ""


@pytest.mark.parametrize("name", EDITS)
def test_same_verdict_and_error_as_nbgrader(released, name):
    nb = nbformat.read(released.release_notebook(BAB2), as_version=4)
    source = nbformat.read(released.source_notebook(BAB2), as_version=4)
    for notebook in (nb, source):
        EDITS[name](notebook)
        stock = outcome(lambda n: MetadataValidator().validate_nb(copy.deepcopy(n)), notebook)
        ours = outcome(lambda n: CompiledMetadataValidator().validate_nb(copy.deepcopy(n)), notebook)
        assert ours == stock
        assert (stock[0] == "ok") == (name == "unchanged"), stock
        # the preprocessors: both pass, or both refuse with nbgrader's message
        pre_stock = outcome(lambda n: CheckCellMetadata().preprocess(copy.deepcopy(n), {}), notebook)
        pre_ours = outcome(lambda n: CheckCellMetadataOnce().preprocess(copy.deepcopy(n), {}), notebook)
        assert pre_ours == pre_stock
