"""Each participant's form: for every slot, which variant and which option order they see.

Both are drawn deterministically from the participant's id, the slot and (for the order) the
assignment and the attempt, so the participant's kernel (to show them) and grading (to score
them, from the student id nbgrader knows) derive the same form without any shared state, and
a participant cannot choose it.  Standard library only: every lesson kernel imports this.

- variant: a per-(student, slot) permutation ``perm`` of the slot's variant ids, seeded by
  ``sha256(f"{student}\\0{slot}")``.  Attempt 0 (the pre-test) takes ``perm[0]``; attempt
  ``n >= 1`` takes ``perm[1 + (n - 1) % (len(perm) - 1)]``: a graded attempt never meets the
  pre-test's variant, and each retake meets one not seen before while the bank allows.
- order: a permutation of ``"abcd"`` seeded by ``sha256(f"{student}\\0{assignment}\\0{attempt}\\0{slot}")``;
  the option shown as letter ``LETTERS[i]`` (screen order) is the canonical option ``order[i]``.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import random
from typing import Mapping, Sequence

LETTERS = "abcd"
#: The module order: what a v1 answer file (and an import sheet naming module items) was shown in.
CANONICAL = LETTERS
#: Graded assignments are attempt 1 unless their notebook says otherwise (``latsar.attempt``).
DEFAULT_ATTEMPT = 1


def seeded_random(*parts: str) -> random.Random:
    """A random generator seeded by sha256 of ``parts`` joined by NUL: the same draws in every process
    (Python's ``hash()`` is salted per process), different for any other parts."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).digest()
    return random.Random(digest)


def variant_order(student: str, slot: str, variants: Sequence[str]) -> list[str]:
    """The participant's permutation of one slot's variant ids (``variants`` in bank order)."""
    perm = sorted(variants)  # independent of the order the caller lists them in
    seeded_random(str(student), str(slot)).shuffle(perm)
    return perm


def variant_for(student: str, slot: str, variants: Sequence[str], attempt: int = DEFAULT_ATTEMPT) -> str:
    """The variant id the participant meets in ``slot`` at ``attempt`` (0 = pre-test)."""
    if not variants:
        raise ValueError(f"slot {slot} has no variants")
    attempt = int(attempt)
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, not {attempt}")
    perm = variant_order(student, slot, variants)
    if attempt == 0 or len(perm) == 1:
        return perm[0]
    return perm[1 + (attempt - 1) % (len(perm) - 1)]


def option_order(student: str, assignment: str, slot: str, attempt: int = DEFAULT_ATTEMPT) -> str:
    """The canonical letters in the order shown: ``order[i]`` is shown as ``LETTERS[i]``."""
    letters = list(LETTERS)
    seeded_random(str(student), str(assignment), str(int(attempt)), str(slot)).shuffle(letters)
    return "".join(letters)


def form(student: str, assignment: str, slots: Mapping[str, Sequence[str]],
         attempt: int = DEFAULT_ATTEMPT) -> dict[str, tuple[str, str]]:
    """The whole form of one participant for one assignment: ``{slot: (variant_id, order)}``.

    ``slots`` maps each slot id of the assignment to its variant ids (the module item's id first)."""
    return {slot: (variant_for(student, slot, ids, attempt), option_order(student, assignment, slot, attempt))
            for slot, ids in slots.items()}


def is_order(order: object) -> bool:
    return isinstance(order, str) and len(order) == len(LETTERS) and sorted(order) == sorted(LETTERS)


def shown_letter(order: str, canonical: str) -> str:
    """The letter under which the canonical option ``canonical`` is shown."""
    return LETTERS[order.index(canonical)]


def canonical_letter(order: str, shown: str) -> str:
    """The canonical option shown under letter ``shown``."""
    return order[LETTERS.index(shown)]


def participant() -> str:
    """Who is answering: the hub's user name (``JUPYTERHUB_USER``, set in every single-user server
    and inherited by its kernels), else the OS account's (a laptop, ``latsar demo``)."""
    user = os.environ.get("JUPYTERHUB_USER")
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError):  # no name for this uid (some containers)
        return ""
