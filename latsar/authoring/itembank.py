"""The item bank: the single source of truth for every multiple-choice item and its key.

``course_data/item_bank.yaml`` holds the sections of the module, the graded
items (``items``: stem, options a–d, key, section, tag, points, evidence) and,
optionally, a pool of practice items for the live quiz (``practice``: the same
fields without ``number`` and ``points``, ids ``LAT1-01``).  Notebooks,
grading, feedback and reports all read it through :class:`ItemBank`; nothing
else in the repository states a key.  The file is validated on load and every
problem names the item and the field, so an instructor who edits it knows what
to fix.

Practice items live in their own list on purpose: iterating the bank, ``in``
and ``bank[id]`` see graded items only, so ``latsar sync``, the assignments,
grading and the reports cannot pick a practice item up by accident, and a
practice item is never a reworded graded item (checked on load: no identical
stem, no identical set of options).  The live quiz uses :attr:`ItemBank.practice`.

Parallel forms.  Each of the 20 module items is a *slot* (its id, ``MP1-01`` …
``MP2-10``).  The optional list ``variants`` holds further graded items for a
slot: the same fact of the same section in other words and another scenario,
ids ``MP1-01-v2`` … ``MP1-01-v9``, with the fields of an item except
``materi_pokok``, ``number`` and ``points``, which a variant inherits from its
slot (writing them is refused, as is a section or tag other than the slot's).
Every item knows its :attr:`Item.slot` and :attr:`Item.variant` (the module item
is variant 1).  The API, in one place:

- iteration, ``len``, ``in``, ``bank[id]``, :meth:`ItemBank.for_assignment` and
  :meth:`ItemBank.for_materi_pokok` still see the 20 module items only, so every
  notebook, answer sheet, grade and report stays as it was;
- :attr:`ItemBank.slots` maps each slot id, in module order, to the tuple of its
  graded items: the module item first, then its variants by number;
- :meth:`ItemBank.all_items` lists every graded item, slot by slot;
- :meth:`ItemBank.variant` looks any graded item up by id, module item or variant.

Siblings differ (checked on load): no variant repeats the stem or the set of
options of another item of its slot, and no practice item repeats a variant's.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import yaml

from latsar.course import (MATERI_POKOK_ASSIGNMENT, PRETEST_ASSIGNMENT, PRETEST_SLOTS_PER_MATERI_POKOK, LatsarError,
                           evaluation_of)

LETTERS = ("a", "b", "c", "d")
ITEM_ID = re.compile(r"^MP(?P<mp>[12])-(?P<num>\d{2})$")
PRACTICE_ID = re.compile(r"^LAT(?P<mp>[12])-(?P<num>\d{2})$")
#: a variant of a slot: the module item's id, "-v" and 2..9 (the module item itself is variant 1)
VARIANT_ID = re.compile(r"^(?P<slot>MP(?P<mp>[12])-(?P<num>\d{2}))-v(?P<variant>[2-9])$")
#: libyaml's safe loader when PyYAML was built with it: the same result, 20× faster (the bank is
#: read for every graded submission); else PyYAML's own.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ItemBankError(LatsarError, ValueError):
    """The item bank file is malformed; the message names the item and field."""


@dataclass(frozen=True)
class Section:
    id: str
    materi_pokok: int
    title: str

    @property
    def label(self) -> str:
        return f"{self.id} {self.title}"


@dataclass(frozen=True)
class Item:
    id: str
    materi_pokok: int
    number: int
    section: Section
    tag: str
    stem: str
    options: Mapping[str, str]
    key: str = field(repr=False)  # never printed by accident
    points: int
    evidence: str
    #: One sentence on the concept the item tests, shown in the feedback of a wrong answer; never
    #: names a letter nor quotes an option (checked on load), so it is the same whatever the key.
    explanation: str
    #: The module item's id this item stands for in a form (its own id for a module item).
    slot: str
    #: 1 for the module item, n for the variant ``<slot>-vn``.
    variant: int
    graded = True  # a class attribute, not a field: PracticeItem says False

    @property
    def assignment(self) -> str:
        return MATERI_POKOK_ASSIGNMENT[self.materi_pokok]


@dataclass(frozen=True)
class PracticeItem:
    """An item of the live quiz's practice pool: keyed, never graded, never in a notebook."""

    id: str
    materi_pokok: int
    section: Section
    tag: str
    stem: str
    options: Mapping[str, str]
    key: str = field(repr=False)
    evidence: str
    graded = False


def read_yaml(path: Path, error: type[Exception], what: str):
    """A course YAML file (libyaml's safe loader), or ``error`` naming the file and what is wrong."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except FileNotFoundError:
        raise error(f"{path}: berkas {what} tidak ditemukan") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: bukan YAML yang sah ({exc})") from None


_SHARED: dict = {}  # ItemBank.shared: (path, sha256 of its bytes) -> bank


class ItemBank:
    """Validated, read-only view of the bank, in module order.

    Iteration, ``in`` and ``bank[id]`` cover the 20 module items only; their variants
    are in :attr:`slots` (slot id → module item, then variants), :meth:`all_items` and
    :meth:`variant`; the practice pool is :attr:`practice` (id → :class:`PracticeItem`).
    """

    def __init__(self, sections: list[Section], items: list[Item], path: Path | None = None,
                 practice: list[PracticeItem] = (), variants: list[Item] = ()):
        self.path = path
        self.sections = {s.id: s for s in sections}
        self._items = {i.id: i for i in items}
        self.practice: Mapping[str, PracticeItem] = MappingProxyType({p.id: p for p in practice})
        forms: dict[str, list[Item]] = {i.id: [i] for i in items}
        for v in sorted(variants, key=lambda v: v.variant):
            forms[v.slot].append(v)
        #: slot id → (module item, variant 2, variant 3, …), slots in module order.
        self.slots: Mapping[str, tuple[Item, ...]] = MappingProxyType({k: tuple(v) for k, v in forms.items()})
        self._graded = {i.id: i for form in self.slots.values() for i in form}

    # -- access -------------------------------------------------------------------
    def __getitem__(self, item_id: str) -> Item:
        try:
            return self._items[item_id]
        except KeyError:
            raise KeyError(f"soal {item_id!r} tidak ada di bank soal") from None

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def __iter__(self):
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def for_materi_pokok(self, mp: int) -> list[Item]:
        return [i for i in self if i.materi_pokok == mp]

    def for_assignment(self, assignment: str) -> list[Item]:
        """The slots (module items) of a graded assignment, in module order: a retake (``…_ulang1``)
        has its evaluation's; the pre-test (:data:`~latsar.course.PRETEST_ASSIGNMENT`) the first
        :data:`~latsar.course.PRETEST_SLOTS_PER_MATERI_POKOK` slots of each Materi Pokok."""
        if assignment == PRETEST_ASSIGNMENT:
            return self.pretest()
        assignment = evaluation_of(assignment)
        return [i for i in self if i.assignment == assignment]

    def pretest(self) -> list[Item]:
        """The pre-test's slots: the first :data:`~latsar.course.PRETEST_SLOTS_PER_MATERI_POKOK` of each
        Materi Pokok, in module order (the one definition sync, grading and the report use)."""
        return [i for mp in self.materi_pokok for i in self.for_materi_pokok(mp)[:PRETEST_SLOTS_PER_MATERI_POKOK]]

    @property
    def materi_pokok(self) -> list[int]:
        return sorted({i.materi_pokok for i in self})

    def section_order(self) -> list[str]:
        return list(self.sections)

    def practice_for_materi_pokok(self, mp: int) -> list[PracticeItem]:
        return [p for p in self.practice.values() if p.materi_pokok == mp]

    # -- parallel forms -----------------------------------------------------------
    def all_items(self) -> list[Item]:
        """Every graded item, module items and variants, slot by slot (module item first)."""
        return list(self._graded.values())

    def variant(self, item_id: str) -> Item:
        """Any graded item by id: a module item (``MP1-01``) or a variant (``MP1-01-v2``)."""
        try:
            return self._graded[item_id]
        except KeyError:
            raise KeyError(f"soal {item_id!r} tidak ada di bank soal (soal modul maupun varian)") from None

    # -- loading ------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> "ItemBank":
        path = Path(path)
        return cls.from_dict(read_yaml(path, ItemBankError, "bank soal"), path)

    @classmethod
    def shared(cls, path: str | Path) -> "ItemBank":
        """:meth:`load`, once per process while the file's bytes are unchanged.

        A grading worker asks for the bank in several steps of every submission; each load
        cost about 50 ms (YAML, then validation), reading the bytes well under one.  The bank
        is a read-only view, so one object serves them all.  Keyed by content, not by
        modification time, which the kernel keeps at a few milliseconds' grain."""
        path = Path(path).resolve()
        try:
            key = (str(path), hashlib.sha256(path.read_bytes()).hexdigest())
        except FileNotFoundError:
            raise ItemBankError(f"{path}: berkas bank soal tidak ditemukan") from None
        if key not in _SHARED:
            _SHARED.clear()
            _SHARED[key] = cls.load(path)
        return _SHARED[key]

    @classmethod
    def from_dict(cls, raw: object, path: Path | None = None) -> "ItemBank":
        where = str(path or "bank soal")
        if not isinstance(raw, dict):
            raise ItemBankError(f"{where}: harus berisi 'sections' dan 'items'")
        sections = [_section(s, n, where) for n, s in enumerate(_list(raw, "sections", where), 1)]
        by_id: dict[str, Section] = {}
        for s in sections:
            if s.id in by_id:
                raise ItemBankError(f"{where}: bagian {s.id!r} ganda (field 'id')")
            by_id[s.id] = s
        items: list[Item] = []
        seen: set[str] = set()
        for n, entry in enumerate(_list(raw, "items", where), 1):
            item = _item(entry, n, by_id, where)
            if item.id in seen:
                raise ItemBankError(f"{where}: soal {item.id}: id ganda (field 'id')")
            seen.add(item.id)
            items.append(item)
        variants: list[Item] = []
        if raw.get("variants") is not None:  # optional: banks written before the forms still load
            if not isinstance(raw["variants"], list):
                raise ItemBankError(f"{where}: field 'variants' harus berupa daftar soal varian")
            slots = {i.id: i for i in items}
            siblings: dict[str, list[Item]] = {i.id: [i] for i in items}
            for n, entry in enumerate(raw["variants"], 1):
                item = _variant(entry, n, by_id, slots, where)
                if item.id in seen:
                    raise ItemBankError(f"{where}: soal varian {item.id}: id ganda (field 'id')")
                seen.add(item.id)
                _distinct_from_siblings(item, siblings[item.slot], where)
                siblings[item.slot].append(item)
                variants.append(item)
        practice: list[PracticeItem] = []
        if raw.get("practice") is not None:  # optional: banks written before the pool still load
            if not isinstance(raw["practice"], list):
                raise ItemBankError(f"{where}: field 'practice' harus berupa daftar soal latihan")
            for n, entry in enumerate(raw["practice"], 1):
                item = _practice(entry, n, by_id, where)
                if item.id in seen:
                    raise ItemBankError(f"{where}: soal latihan {item.id}: id ganda (field 'id')")
                seen.add(item.id)
                _distinct_from_graded(item, [*items, *variants], where)
                practice.append(item)
        return cls(sections, items, path, practice, variants)


def _list(raw: dict, name: str, where: str) -> list:
    value = raw.get(name)
    if not isinstance(value, list) or not value:
        raise ItemBankError(f"{where}: field '{name}' harus berupa daftar yang tidak kosong")
    return value


def _section(raw: object, n: int, where: str) -> Section:
    if not isinstance(raw, dict):
        raise ItemBankError(f"{where}: bagian ke-{n} harus berupa mapping")
    label = f"{where}: bagian {raw.get('id', f'ke-{n}')!s}"
    for name, kind in (("id", str), ("materi_pokok", int), ("title", str)):
        if not isinstance(raw.get(name), kind):
            raise ItemBankError(f"{label}: field '{name}' wajib ({kind.__name__})")
    return Section(raw["id"], raw["materi_pokok"], raw["title"])


_ITEM_FIELDS = {
    "id": str,
    "materi_pokok": int,
    "number": int,
    "section": str,
    "tag": str,
    "stem": str,
    "options": dict,
    "key": str,
    "points": int,
    "evidence": str,
    "explanation": str,
}


_PRACTICE_FIELDS = {name: kind for name, kind in _ITEM_FIELDS.items()
                    if name not in ("number", "points", "explanation")}

#: written on the slot (the module item) only; a variant inherits them
_INHERITED = ("materi_pokok", "number", "points")
_VARIANT_FIELDS = {name: kind for name, kind in _ITEM_FIELDS.items() if name not in _INHERITED}

#: "jawaban b", "pilihan (c)", "opsi D", "huruf a": an explanation must not point at a letter.
_NAMES_A_LETTER = re.compile(r"\b(jawaban|pilihan|opsi|huruf|option)\s*\(?[a-d]\)?(?![\w])", re.IGNORECASE)


def _item(raw: object, n: int, sections: dict[str, Section], where: str) -> Item:
    label = _check_common(raw, n, sections, where, _ITEM_FIELDS, ITEM_ID, "soal", "MP1-01 … MP2-99")
    if raw["points"] <= 0:
        raise ItemBankError(f"{label}: field 'points' harus positif")
    _check_explanation(raw, label)
    section = sections[raw["section"]]
    return Item(
        id=raw["id"],
        materi_pokok=raw["materi_pokok"],
        number=raw["number"],
        section=section,
        tag=raw["tag"],
        stem=raw["stem"].strip(),
        options=MappingProxyType({k: raw["options"][k].strip() for k in LETTERS}),
        key=raw["key"].strip().lower(),
        points=raw["points"],
        evidence=raw["evidence"],
        explanation=" ".join(raw["explanation"].split()),
        slot=raw["id"],
        variant=1,
    )


def _variant(raw: object, n: int, sections: dict[str, Section], slots: dict[str, Item], where: str) -> Item:
    """A variant of a module item: its own stem, options, key, evidence and explanation; the
    slot's materi pokok, number and points; the slot's section and tag, written again and checked."""
    if not isinstance(raw, dict):
        raise ItemBankError(f"{where}: soal varian ke-{n} harus berupa mapping")
    label = f"{where}: soal varian {raw.get('id', f'ke-{n}')!s}"
    match = VARIANT_ID.match(raw["id"]) if isinstance(raw.get("id"), str) else None
    if not match:
        raise ItemBankError(f"{label}: field 'id' harus berbentuk <id soal modul>-v2 … -v9, "
                            "mis. MP1-01-v2")
    slot = slots.get(match["slot"])
    if slot is None:
        raise ItemBankError(f"{label}: field 'id': soal modul {match['slot']} tidak ada di daftar 'items'")
    for name in _INHERITED:
        if name in raw:
            raise ItemBankError(f"{label}: field '{name}' tidak boleh ditulis pada varian; "
                                f"nilainya diwarisi dari soal {slot.id}")
    full = {**raw, "materi_pokok": slot.materi_pokok}
    _check_common(full, n, sections, where, {**_VARIANT_FIELDS, "materi_pokok": int}, VARIANT_ID,
                  "soal varian", "MP1-01-v2 … MP2-99-v9")
    if raw["section"] != slot.section.id:
        raise ItemBankError(f"{label}: field 'section' {raw['section']} harus sama dengan bagian soal "
                            f"{slot.id} ({slot.section.id})")
    if raw["tag"] != slot.tag:
        raise ItemBankError(f"{label}: field 'tag' {raw['tag']!r} harus sama dengan tag soal "
                            f"{slot.id} ({slot.tag!r})")
    _check_explanation(raw, label)
    return Item(
        id=raw["id"],
        materi_pokok=slot.materi_pokok,
        number=slot.number,
        section=slot.section,
        tag=raw["tag"],
        stem=raw["stem"].strip(),
        options=MappingProxyType({k: raw["options"][k].strip() for k in LETTERS}),
        key=raw["key"].strip().lower(),
        points=slot.points,
        evidence=raw["evidence"],
        explanation=" ".join(raw["explanation"].split()),
        slot=slot.id,
        variant=int(match["variant"]),
    )


def _practice(raw: object, n: int, sections: dict[str, Section], where: str) -> PracticeItem:
    _check_common(raw, n, sections, where, _PRACTICE_FIELDS, PRACTICE_ID, "soal latihan", "LAT1-01 … LAT2-99")
    return PracticeItem(
        id=raw["id"],
        materi_pokok=raw["materi_pokok"],
        section=sections[raw["section"]],
        tag=raw["tag"],
        stem=raw["stem"].strip(),
        options=MappingProxyType({k: raw["options"][k].strip() for k in LETTERS}),
        key=raw["key"].strip().lower(),
        evidence=raw["evidence"],
    )


def _check_explanation(raw: dict, label: str) -> None:
    """The explanation is shown to a participant who chose wrongly, whatever the key: it must not
    give the key away by naming a letter or quoting an option.  Every option is checked, not only
    the key's, so that the check (and whether the bank loads) does not depend on the key."""
    explanation = _norm(raw["explanation"])
    if _NAMES_A_LETTER.search(raw["explanation"]):
        raise ItemBankError(f"{label}: field 'explanation' tidak boleh menyebut huruf pilihan")
    for letter in LETTERS:
        if _norm(raw["options"][letter]) in explanation:
            raise ItemBankError(f"{label}: field 'explanation' tidak boleh mengutip teks pilihan {letter}")


def _norm(text: str) -> str:
    return " ".join(text.replace("**", "").split()).lower().rstrip(" .…?")


def _same_as(item, other) -> str | None:
    """Which field makes ``item`` a copy of ``other``: the same stem, or the same set of options
    (reordered or respaced), else None."""
    if _norm(other.stem) == _norm(item.stem):
        return "stem"
    if frozenset(_norm(v) for v in other.options.values()) == frozenset(_norm(v) for v in item.options.values()):
        return "options"
    return None


def _distinct_from_graded(item: PracticeItem, graded: list[Item], where: str) -> None:
    """A practice item must not be a graded item under another id (same stem or same options)."""
    for other in graded:
        field = _same_as(item, other)
        if field:
            what = "pilihan soal" if field == "options" else "soal"
            raise ItemBankError(f"{where}: soal latihan {item.id}: field '{field}' sama dengan {what} yang dinilai "
                                f"{other.id}; soal latihan harus berbeda dari soal evaluasi")


def _distinct_from_siblings(item: Item, siblings: list[Item], where: str) -> None:
    """A variant is not another item of its slot reworded by spacing or reordered options."""
    for other in siblings:
        field = _same_as(item, other)
        if field:
            what, why = (("pilihan soal", "mengacak urutan pilihan tidak menghasilkan varian baru") if field == "options"
                         else ("soal", "setiap varian harus ditulis dengan kata-kata dan skenario lain"))
            raise ItemBankError(f"{where}: soal varian {item.id}: field '{field}' sama dengan {what} {other.id} "
                                f"(slot yang sama); {why}")


def _check_common(raw: object, n: int, sections: dict[str, Section], where: str, fields: dict,
                  id_pattern: re.Pattern, noun: str, id_form: str) -> str:
    """Schema checks shared by graded and practice items; returns the label used in messages."""
    if not isinstance(raw, dict):
        raise ItemBankError(f"{where}: {noun} ke-{n} harus berupa mapping")
    label = f"{where}: {noun} {raw.get('id', f'ke-{n}')!s}"
    unknown = set(raw) - set(fields)
    if unknown:
        raise ItemBankError(f"{label}: field tidak dikenal {sorted(unknown)}")
    for name, kind in fields.items():
        value = raw.get(name)
        if not isinstance(value, kind) or isinstance(value, bool) or (kind is str and not value.strip()):
            raise ItemBankError(f"{label}: field '{name}' wajib diisi ({kind.__name__})")
    match = id_pattern.match(raw["id"])
    if not match:
        raise ItemBankError(f"{label}: field 'id' harus berbentuk {id_form}")
    if int(match["mp"]) != raw["materi_pokok"]:
        raise ItemBankError(f"{label}: field 'materi_pokok' tidak cocok dengan id")
    options = raw["options"]
    if sorted(options) != list(LETTERS):
        raise ItemBankError(f"{label}: field 'options' harus tepat berisi a, b, c, d (ada {sorted(options)})")
    for letter in LETTERS:
        if not isinstance(options[letter], str) or not options[letter].strip():
            raise ItemBankError(f"{label}: field 'options.{letter}' kosong")
    key = raw["key"].strip().lower()
    if key not in LETTERS:
        raise ItemBankError(f"{label}: field 'key' harus salah satu dari a–d (ada {raw['key']!r})")
    section = sections.get(raw["section"])
    if section is None:
        raise ItemBankError(f"{label}: field 'section' {raw['section']!r} tidak ada di daftar bagian")
    if section.materi_pokok != raw["materi_pokok"]:
        raise ItemBankError(f"{label}: field 'section' {section.id} milik Materi Pokok lain")
    return label
