"""Each participant's form: variant and option order per slot, derived from who they are."""

from collections import Counter
from pathlib import Path

import pytest

from latsar.authoring.itembank import ItemBank
from latsar.kernel.forms import (LETTERS, canonical_letter, form, option_order, shown_letter, variant_for,
                                 variant_order)

REPO = Path(__file__).resolve().parents[1]
BANK = ItemBank.load(REPO / "course_data" / "item_bank.yaml")
BAB2 = "bab2_konsep_pelayanan_publik"
NAMES = [f"peserta{n:02d}" for n in range(40)]


def slots_of(assignment: str) -> dict[str, list[str]]:
    return {item.id: [v.id for v in BANK.slots[item.id]] for item in BANK.for_assignment(assignment)}


def test_the_form_is_deterministic_and_names_every_slot():
    slots = slots_of(BAB2)
    one = form("andi", BAB2, slots)
    assert one == form("andi", BAB2, slots) == form("andi", BAB2, {k: v[::-1] for k, v in slots.items()})
    assert list(one) == list(slots)
    for slot, (variant, order) in one.items():
        assert variant in slots[slot] and sorted(order) == list(LETTERS)


def test_variants_and_orders_spread_over_a_class():
    slots = slots_of(BAB2)
    forms = [form(name, BAB2, slots) for name in NAMES]
    for slot, ids in slots.items():
        drawn = Counter(f[slot][0] for f in forms)
        assert set(drawn) == set(ids), slot
        assert all(6 <= n <= 22 for n in drawn.values()), (slot, drawn)  # 40 / 3 ≈ 13 each
        orders = Counter(f[slot][1] for f in forms)
        assert len(orders) >= 12, (slot, orders)  # 24 possible
        firsts = Counter(o[0] for o in orders.elements())
        assert set(firsts) == set(LETTERS) and max(firsts.values()) <= 20, (slot, firsts)


def test_two_neighbours_see_different_forms():
    slots = slots_of(BAB2)
    for a, b in zip(NAMES, NAMES[1:]):
        fa, fb = form(a, BAB2, slots), form(b, BAB2, slots)
        assert sum(fa[s][0] != fb[s][0] for s in slots) >= 3, (a, b)
        assert sum(fa[s][1] != fb[s][1] for s in slots) >= 7, (a, b)


def test_the_order_depends_on_assignment_and_attempt():
    assert len({option_order("andi", a, "MP1-01", t) for a in (BAB2, "lain") for t in (0, 1, 2, 3)}) >= 5


def test_graded_attempts_never_meet_the_pretest_variant_and_retakes_meet_unseen_ones():
    ids = ["X", "X-v2", "X-v3", "X-v4"]
    for name in NAMES:
        pre = variant_for(name, "X", ids, 0)
        assert pre == variant_order(name, "X", ids)[0]
        graded = [variant_for(name, "X", ids, n) for n in (1, 2, 3)]
        assert pre not in graded and len(set(graded)) == 3  # each retake unseen while the bank allows
        assert variant_for(name, "X", ids, 4) == graded[0]  # then they come round again, never the pre-test's
        assert all(variant_for(name, "X", ids, n) != pre for n in range(1, 12))
    assert len({variant_for(n, "X", ids, 0) for n in NAMES}) == 4
    with pytest.raises(ValueError):
        variant_for("andi", "X", ids, -1)


def test_shown_and_canonical_letters_are_inverse():
    for order in ("abcd", "cadb", "dcba"):
        for letter in LETTERS:
            assert canonical_letter(order, shown_letter(order, letter)) == letter
    assert canonical_letter("cadb", "a") == "c" and shown_letter("cadb", "b") == "d"


def test_the_printed_module_key_scores_near_chance_on_participants_forms():
    """Answering the module's key letters (as printed, read as the letters on screen) no longer gives
    *tuntas*: on each participant's form the letter names another option, of another variant."""
    scores = []
    for assignment in sorted({i.assignment for i in BANK}):
        slots = slots_of(assignment)
        for name in NAMES:
            right = 0
            for slot, (variant, order) in form(name, assignment, slots).items():
                printed = BANK[slot].key  # the module's key of the slot, as a letter
                right += BANK.variant(variant).key == canonical_letter(order, printed)
            scores.append(right / len(slots))
    mean = sum(scores) / len(scores)
    assert mean <= 0.40, mean
    assert sum(s >= 0.8 for s in scores) <= len(scores) // 20  # hardly anyone reaches tuntas


def test_latsar_autograde_refuses_a_course_config_without_the_form_pins():
    from traitlets.config import Config

    from latsar.course import LatsarError
    from latsar.grading.kernels import ForkingExecute
    from latsar.grading.preprocessors import PinForms
    from latsar.grading.sanitize import NoteTampering, ReconcileClicks, ReleaseCellsOnly
    from latsar.grading.preprocessors import RepairGradeIds
    from latsar.grading.worker import check_config

    config = Config()
    config.Autograde.sanitize_preprocessors = [RepairGradeIds, NoteTampering, ReleaseCellsOnly]
    config.Autograde.autograde_preprocessors = [PinForms, ForkingExecute, ReconcileClicks]
    check_config(config)
    config.Autograde.autograde_preprocessors = [ForkingExecute, ReconcileClicks]
    with pytest.raises(LatsarError, match="PinForms"):
        check_config(config)


def _pin_form_reference(source: str, variant: str, order: str) -> str:
    """pin_form as first written, with ast.get_source_segment per node (slow, obviously right)."""
    import ast
    import json

    for name, extra in (("check", f"variant={json.dumps(variant)}, order={json.dumps(order)}"),
                        ("choose", f"form=({json.dumps(variant)}, {json.dumps(order)})")):
        call = next((n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
                     and isinstance(n.func, ast.Name) and n.func.id == name), None)
        if call is None:
            continue
        keep = [k for k in call.keywords if k.arg not in ("variant", "order", "form")]
        args = [ast.get_source_segment(source, a) for a in call.args]
        args += [f"{k.arg}={ast.get_source_segment(source, k.value)}" for k in keep]
        source = source.replace(ast.get_source_segment(source, call), f"{name}({', '.join([*args, extra])})", 1)
    return source


def test_pinning_a_form_rewrites_the_calls_exactly_as_their_source_segments_say():
    from latsar.authoring.notebooks import answer_source, item_forms, item_keys
    from latsar.grading.forms import pin_form, pinned

    for item in BANK.for_assignment(BAB2):
        source = answer_source(item.id, forms=item_forms(BANK, item.id), assignment=BAB2, attempt=1,
                               keys=item_keys(BANK, item.id))
        variant = BANK.slots[item.id][-1].id
        for text in (source, source.replace("\n", "\r\n"), "# Soal ‘ünïcode’ — é\r" + source):
            pinned_once = pin_form(text, variant, "dcba")
            assert pinned_once == _pin_form_reference(text, variant, "dcba")
            assert pinned(pinned_once)["variant"] == variant and pinned(pinned_once)["order"] == "dcba"
            assert f'form=("{variant}", "dcba")' in pinned_once  # choose(...) too
            assert pin_form(pinned_once, item.id, "abcd") == _pin_form_reference(pinned_once, item.id, "abcd")
