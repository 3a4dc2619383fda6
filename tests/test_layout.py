"""The package layout: old import names keep working, and no import runs back up the pipeline."""

import ast
import importlib
import json
from pathlib import Path

import pytest

import latsar

PACKAGE = Path(latsar.__file__).parent
REPO = PACKAGE.parent

#: Old names written into committed notebooks, gradebook source cells and copies of
#: nbgrader_config.py, and the module each one is.
OLD_NAMES = {
    "latsar.answers": "latsar.kernel.answers",
    "latsar.activities": "latsar.kernel.activities",
    "latsar.preprocessors": "latsar.grading.preprocessors",
    "latsar.sanitize": "latsar.grading.sanitize",
    "latsar.kernels": "latsar.grading.kernels",
    "latsar.safehtml": "latsar.grading.safehtml",
    "latsar.exchange": "latsar.grading.exchange",
}

#: The pipeline's stages in order; a module may import its own stage or an earlier one.
STAGES = {"course": 0, "authoring": 1, "kernel": 2, "grading": 3, "results": 4,
          "report": 5, "live": 5, "hub": 5, "cli": 6, "demo": 6, "simulate": 6}


@pytest.mark.parametrize("old", sorted(OLD_NAMES))
def test_old_name_is_the_same_module(old):
    assert importlib.import_module(old) is importlib.import_module(OLD_NAMES[old])


def test_every_old_name_in_notebooks_and_config_resolves():
    """Each ``latsar.*`` import in the committed notebooks and nbgrader_config.py imports, and the
    dotted names nbgrader_config.py gives as strings resolve to an object."""
    sources = [(REPO / "nbgrader_config.py").read_text(encoding="utf-8")]
    for path in sorted((REPO / "source").glob("*/*.ipynb")):
        sources += ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                    if c["cell_type"] == "code"]
    modules = set()
    for text in sources:
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("latsar"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name), f"{node.module}.{alias.name}"
                modules.add(node.module)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("latsar."):
                module, _, name = node.value.rpartition(".")
                assert hasattr(importlib.import_module(module), name), node.value
    assert {"latsar.answers", "latsar.activities"} <= modules  # what the lessons import


#: Imports that run back up on purpose, each with its reason.
ALLOWED_BACK = {
    ("latsar/course/__init__.py", "latsar.authoring.itembank"):
        "Course.item_bank loads the bank on first use: the course owns its path, authoring its format",
}


def _stage(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2 or module in OLD_NAMES:
        return None
    return STAGES.get(parts[1])


def test_no_import_runs_back_up_the_pipeline():
    backwards = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        if module in OLD_NAMES or "deploy" in path.parts:
            continue
        own = _stage(module)
        if own is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("latsar"):
                targets = [node.module] if node.module != "latsar" else [f"latsar.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("latsar.")]
            for target in targets:
                stage = _stage(target)
                if stage is not None and stage > own and (str(path.relative_to(REPO)), target) not in ALLOWED_BACK:
                    backwards.append(f"{path.relative_to(REPO)}:{node.lineno} imports {target}")
    assert not backwards, "imports that run back up the pipeline:\n" + "\n".join(backwards)


def test_what_a_lesson_imports_stays_light():
    """A participant's kernel imports the widgets at every lesson start: no pandas, nbgrader or database."""
    import subprocess
    import sys

    code = ("import sys, latsar.answers, latsar.activities, latsar.live; "
            "print(' '.join(m for m in ('pandas', 'nbgrader', 'sqlalchemy', 'matplotlib', 'traitlets.config.loader')"
            " if m in sys.modules))")
    heavy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert heavy == []


def test_every_third_party_import_is_declared():
    """Each distribution the package imports is a dependency in pyproject.toml (not only pulled in
    by another one), so a change upstream cannot take it away."""
    import importlib.metadata as md
    import re
    import sys
    import tomllib

    declared = {re.split(r"[\[<>=!~ ]", d, maxsplit=1)[0].lower().replace("_", "-")
                for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]}
    owners = md.packages_distributions()
    undeclared = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top in sys.stdlib_module_names or top in ("latsar", "__future__"):
                    continue
                dists = {d.lower().replace("_", "-") for d in owners.get(top, [top])}
                if not dists & declared:
                    undeclared.add(f"{top} ({path.relative_to(REPO)})")
    assert not undeclared, "imported but not declared in pyproject.toml: " + ", ".join(sorted(undeclared))


def test_the_readme_is_read_in_five_minutes():
    """Issue 13: at most 250 lines; the rest belongs in docs/ (one page per topic) or CHANGELOG.md."""
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move detail to docs/"
