"""The item bank: module keys, evidence in the module text, own wording, validation."""

import re

import pytest
import yaml

from latsar.authoring.itembank import LETTERS, ItemBank, ItemBankError

from .conftest import REPO

BANK = REPO / "course_data" / "item_bank.yaml"


def squash(text: str) -> str:
    return " ".join(text.split())


def module_keys(seed_text: str) -> dict[str, str]:
    """Parse the module's KUNCI JAWABAN tables (two per line: 'n. X  m. Y')."""
    keys = {}
    start = seed_text.index("KUNCI JAWABAN")
    tail = seed_text[start:seed_text.index("DAFTAR PUSTAKA", start)]
    parts = re.split(r"MATERI POKOK (\d)\.", tail)[1:]
    for mp, block in zip(parts[::2], parts[1::2]):
        for number, letter in re.findall(r"(\d+)\.\s+([A-D])\b", block):
            keys[f"MP{mp}-{int(number):02d}"] = letter.lower()
    return keys


def test_bank_has_the_twenty_module_items():
    bank = ItemBank.load(BANK)
    assert [i.id for i in bank] == [f"MP{mp}-{n:02d}" for mp in (1, 2) for n in range(1, 11)]
    assert all(i.points == 1 for i in bank)
    assert {i.assignment for i in bank} == {"bab2_konsep_pelayanan_publik", "bab3_berorientasi_pelayanan"}


def test_keys_equal_the_modules_answer_key(seed_text):
    keys = module_keys(seed_text)
    assert len(keys) == 20
    assert {i.id: i.key for i in ItemBank.load(BANK)} == keys


def test_evidence_phrases_occur_in_the_module(seed_text):
    text = squash(seed_text)
    missing = [i.id for i in ItemBank.load(BANK).all_items() if squash(i.evidence) not in text]
    assert missing == []


def test_stems_are_reworded_not_copied(seed_text):
    text = squash(seed_text).lower()
    copied = [i.id for i in ItemBank.load(BANK).all_items() if squash(i.stem).lower().rstrip(" .") in text]
    assert copied == []


def test_every_section_of_the_module_is_known():
    bank = ItemBank.load(BANK)
    assert {i.section.id for i in bank} <= set(bank.sections)
    assert [s for s in bank.sections] == [
        "MP1.1", "MP1.2", "MP1.3", "MP1.4", "MP2.1", "MP2.1.a", "MP2.1.b", "MP2.1.c", "MP2.2"]


@pytest.fixture
def raw():
    return yaml.safe_load(BANK.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda r: r["items"][2]["options"].pop("d"), "soal MP1-03: field 'options' harus tepat berisi a, b, c, d"),
        (lambda r: r["items"][4].update(key="e"), "soal MP1-05: field 'key' harus salah satu dari a–d"),
        (lambda r: r["items"][5].update(id="MP1-05"), "soal MP1-05: id ganda"),
        (lambda r: r["items"][0].update(section="MP9"), "soal MP1-01: field 'section' 'MP9'"),
        (lambda r: r["items"][11].pop("stem"), "soal MP2-02: field 'stem' wajib"),
        (lambda r: r["items"][0].update(points=0), "soal MP1-01: field 'points' harus positif"),
        (lambda r: r["items"][3].update(materi_pokok=2), "soal MP1-04: field 'materi_pokok'"),
        (lambda r: r["items"][1]["options"].update(b="  "), "soal MP1-02: field 'options.b' kosong"),
        (lambda r: r["items"][6].pop("explanation"), "soal MP1-07: field 'explanation' wajib"),
        (lambda r: r["items"][0].update(explanation="Aturannya ada di Undang-Undang Nomor 5 Tahun 2014."),
         "soal MP1-01: field 'explanation' tidak boleh mengutip teks pilihan b"),
        (lambda r: r["items"][8].update(explanation="Ini prinsip yang TRANSPARAN."),
         "soal MP1-09: field 'explanation' tidak boleh mengutip teks pilihan b"),
        (lambda r: r["items"][8].update(explanation="Ini prinsip tidak diskriminatif."),
         "soal MP1-09: field 'explanation' tidak boleh mengutip teks pilihan d"),
        (lambda r: r["items"][9].update(explanation="Maka pilihan (a) yang benar."),
         "soal MP1-10: field 'explanation' tidak boleh menyebut huruf pilihan"),
    ],
)
def test_validation_names_item_and_field(raw, mutate, message):
    mutate(raw)
    with pytest.raises(ItemBankError) as err:
        ItemBank.from_dict(raw, BANK)
    assert message in str(err.value)


def test_every_graded_item_explains_its_concept_in_one_sentence():
    bank = ItemBank.load(BANK)
    for item in bank.all_items():  # the module items and their variants
        assert item.explanation.endswith(".") and item.explanation.count(". ") == 0, item.id
        assert 40 <= len(item.explanation) <= 300, item.id
        assert not any(o.lower() in item.explanation.lower() for o in item.options.values()), item.id


def test_explanations_are_not_copied_from_the_module(seed_text):
    text = squash(seed_text).lower()
    for item in ItemBank.load(BANK).all_items():
        w = words(item.explanation)
        runs = {" ".join(w[i:i + 8]) for i in range(len(w) - 7)}
        module = " ".join(words(text))
        assert not [r for r in runs if r in module], item.id


def test_key_is_not_in_item_repr():
    item = ItemBank.load(BANK)["MP1-01"]
    assert "key" not in repr(item)
    assert set(item.options) == set(LETTERS)


# -- the practice pool of the live quiz ------------------------------------------------


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.replace("**", "").lower())


def test_practice_pool_has_at_least_ten_items_per_materi_pokok():
    bank = ItemBank.load(BANK)
    for mp in (1, 2):
        pool = bank.practice_for_materi_pokok(mp)
        assert len(pool) >= 10, mp
        assert all(re.fullmatch(rf"LAT{mp}-\d\d", p.id) and p.section.materi_pokok == mp for p in pool)
    assert len(set(bank.practice) | {i.id for i in bank}) == len(bank.practice) + len(bank)


def test_practice_items_are_not_graded_items():
    """Iterating the bank, `in` and `bank[id]` see graded items only: sync, grading and reports ignore the pool."""
    bank = ItemBank.load(BANK)
    assert [i.id for i in bank] == [f"MP{mp}-{n:02d}" for mp in (1, 2) for n in range(1, 11)]
    assert all(i.graded for i in bank) and not any(p.graded for p in bank.practice.values())
    assert "LAT1-01" not in bank
    with pytest.raises(KeyError):
        bank["LAT1-01"]
    assert "key" not in repr(bank.practice["LAT1-01"])


def test_practice_evidence_occurs_in_the_module(seed_text):
    text = squash(seed_text)
    missing = [p.id for p in ItemBank.load(BANK).practice.values() if squash(p.evidence) not in text]
    assert missing == []


def test_practice_stems_are_in_own_words(seed_text):
    """No stem copies a run of seven words of the module, nor resembles a graded item's stem."""
    import difflib

    module = words(seed_text)
    runs = {tuple(module[i:i + 7]) for i in range(len(module) - 6)}
    bank = ItemBank.load(BANK)
    copied = [p.id for p in bank.practice.values()
              if any(tuple(w[i:i + 7]) in runs for w in [words(p.stem)] for i in range(len(w) - 6))]
    assert copied == []
    close = [(p.id, i.id) for p in bank.practice.values() for i in bank.all_items()
             if difflib.SequenceMatcher(None, words(p.stem), words(i.stem)).ratio() >= 0.6]
    assert close == []


def test_practice_keys_are_spread_and_not_the_longest_option():
    bank = ItemBank.load(BANK)
    for mp in (1, 2):
        pool = bank.practice_for_materi_pokok(mp)
        per_letter = {letter: sum(p.key == letter for p in pool) for letter in LETTERS}
        assert min(per_letter.values()) >= len(pool) // 4 - 1 and max(per_letter.values()) <= len(pool) // 4 + 2, \
            per_letter
    longest = [p.id for p in bank.practice.values()
               if len(p.options[p.key]) > max(len(v) for k, v in p.options.items() if k != p.key)]
    assert longest == []


def test_bank_without_a_practice_pool_still_loads(raw):
    raw.pop("practice")
    bank = ItemBank.from_dict(raw, BANK)
    assert len(bank) == 20 and dict(bank.practice) == {}


def test_bank_without_variants_still_loads(raw):
    raw.pop("variants")
    bank = ItemBank.from_dict(raw, BANK)
    assert len(bank) == 20 and bank.all_items() == list(bank)
    assert all(form == (bank[slot],) for slot, form in bank.slots.items())


def _reworded(raw, n: int, **fields):
    """Practice item ``n`` with ``fields`` replaced (the graded items stay as they are)."""
    raw["practice"][n].update(fields)


@pytest.mark.parametrize(
    "mutate, message",
    [
        # a graded item under another id: same stem (spacing and bold aside), or the same options in any order
        (lambda r: _reworded(r, 0, stem="  " + r["items"][0]["stem"].replace(" ", "  ")),
         "soal latihan LAT1-01: field 'stem' sama dengan soal yang dinilai MP1-01"),
        (lambda r: _reworded(r, 1, options=dict(zip("abcd", reversed(list(r["items"][5]["options"].values())))),
                             key="a"),
         "soal latihan LAT1-02: field 'options' sama dengan pilihan soal yang dinilai MP1-06"),
        (lambda r: _reworded(r, 2, id="LAT1-01"), "soal latihan LAT1-01: id ganda"),
        (lambda r: _reworded(r, 2, id="MP1-03"), "soal latihan MP1-03: field 'id' harus berbentuk LAT1-01"),
        (lambda r: _reworded(r, 3, points=1), "soal latihan LAT1-04: field tidak dikenal ['points']"),
        (lambda r: r["practice"][4].pop("evidence"), "soal latihan LAT1-05: field 'evidence' wajib"),
        (lambda r: _reworded(r, 5, key="e"), "soal latihan LAT1-06: field 'key' harus salah satu dari a–d"),
        (lambda r: _reworded(r, 6, section="MP2.2"), "soal latihan LAT1-07: field 'section' MP2.2 milik Materi Pokok"),
        (lambda r: r["practice"][7]["options"].pop("c"), "soal latihan LAT1-08: field 'options' harus tepat berisi"),
        (lambda r: r.update(practice={"LAT1-01": {}}), "field 'practice' harus berupa daftar"),
    ],
)
def test_practice_validation_names_item_and_field(raw, mutate, message):
    mutate(raw)
    with pytest.raises(ItemBankError) as err:
        ItemBank.from_dict(raw, BANK)
    assert message in str(err.value)


def test_answer_sheet_rejects_items_it_does_not_grade(released, tmp_path):
    """A practice item can never become a graded answer: import-answers refuses it, naming the id."""
    from latsar.grading.import_answers import AnswerSheetError, read_sheet

    sheet = tmp_path / "lembar.csv"
    sheet.write_text("peserta_id,item_id,pilihan\np1,MP1-01,b\np1,LAT1-01,b\n", encoding="utf-8")
    with pytest.raises(AnswerSheetError, match="LAT1-01"):
        read_sheet(sheet, released)


def test_release_and_gradebook_hold_no_practice_item(released):
    """`latsar sync`/release render graded items only: no practice id or stem in any notebook or the gradebook."""
    bank = released.item_bank
    needles = [p.id for p in bank.practice.values()] + [squash(p.stem)[:40] for p in bank.practice.values()]
    files = [*released.source.rglob("*.ipynb"), *released.release.rglob("*.ipynb")]
    assert len(files) >= 4
    for path in files:
        text = squash(path.read_text(encoding="utf-8").replace("\\n", " "))
        assert not [n for n in needles if n in text], path
    db = (released.root / "gradebook.db").read_bytes()
    assert b"LAT1-" not in db and b"LAT2-" not in db
    assert "MP1-01".encode() in db  # the graded items are there, so the search above is meaningful


# -- parallel forms: the variants of each module item (slot) ------------------------------

#: The slots: the module items' ids as the bank's own file lists them (MP1-01 … MP2-10).
SLOTS = [entry["id"] for entry in yaml.safe_load(BANK.read_text(encoding="utf-8"))["items"]]

#: Each section's heading in the module's Uraian Materi, in order.  A section's text runs from its
#: heading to the next heading that is not one of its parts (MP2.1 holds MP2.1.a–c); each Materi
#: Pokok's text ends at its Rangkuman (None).
SECTION_HEADINGS = [
    ("MP1.1", "1. Pengertian Pelayanan Publik"),
    ("MP1.2", "2. Membangun Budaya Pelayanan Prima"),
    ("MP1.3", "3. ASN sebagai Pelayan Publik"),
    ("MP1.4", "4. Nilai Berorientasi Pelayanan dalam *Core Values* ASN"),
    (None, "B. Rangkuman"),
    ("MP2.1", "1. Panduan Perilaku Berorientasi Pelayanan"),
    ("MP2.1.a", "a. Memahami dan Memenuhi Kebutuhan Masyarakat"),
    ("MP2.1.b", "b. Ramah, Cekatan, Solutif, dan Dapat Diandalkan"),
    ("MP2.1.c", "c. Melakukan Perbaikan Tiada Henti"),
    ("MP2.2", "2. Tantangan Aktualisasi Nilai Berorientasi Pelayanan"),
    (None, "B. Rangkuman"),
]


def section_texts(seed_text: str) -> dict[str, str]:
    """Section id → its text in the module (squashed), found heading by heading after BAB II."""
    starts, at = [], seed_text.index("BAB II\n\nMATERI POKOK 1")
    for sid, heading in SECTION_HEADINGS:
        found = re.compile(rf"^{re.escape(heading)}$", re.MULTILINE).search(seed_text, at)
        assert found, heading
        starts.append((sid, found.start()))
        at = found.end()
    texts = {}
    for n, (sid, start) in enumerate(starts):
        if sid is not None:
            end = next(s for other, s in starts[n + 1:] if other is None or not other.startswith(sid + "."))
            texts[sid] = squash(seed_text[start:end])
    return texts


def variants(bank: ItemBank) -> list:
    return [i for i in bank.all_items() if i.variant > 1]


def test_section_texts_cover_every_section_of_the_bank(seed_text):
    texts = section_texts(seed_text)
    assert set(texts) == set(ItemBank.load(BANK).sections)
    assert all(len(t) > 1000 for t in texts.values()), {k: len(t) for k, t in texts.items()}
    assert texts["MP2.1.b"] in texts["MP2.1"] and "Rangkuman" not in texts["MP1.4"]


@pytest.mark.parametrize("slot", SLOTS)
def test_every_slot_has_at_least_two_variants(slot):
    """The module item and at least two variants: three forms of every item."""
    form = ItemBank.load(BANK).slots[slot]
    assert len(form) >= 3, [i.id for i in form]


def test_the_complete_bank_holds_at_least_sixty_graded_items():
    bank = ItemBank.load(BANK)
    assert len(bank) == 20 and len(bank.all_items()) >= 60


def test_variants_inherit_their_slot():
    bank = ItemBank.load(BANK)
    for slot, form in bank.slots.items():
        module_item = bank[slot]
        assert form[0] is module_item and (module_item.slot, module_item.variant) == (slot, 1)
        assert [v.variant for v in form] == sorted({v.variant for v in form}), slot
        for v in form[1:]:
            assert v.id == f"{slot}-v{v.variant}" and v.slot == slot and v.graded, v.id
            assert (v.materi_pokok, v.number, v.points, v.section, v.tag, v.assignment) == (
                module_item.materi_pokok, module_item.number, module_item.points, module_item.section,
                module_item.tag, module_item.assignment), v.id
            assert "key" not in repr(v), v.id


def test_iteration_sync_and_grading_still_see_the_module_items_only():
    """Until forms are drawn per participant, a variant never reaches a notebook, a sheet or a grade."""
    bank = ItemBank.load(BANK)
    assert [i.id for i in bank] == SLOTS and len(bank) == 20 and list(bank.slots) == SLOTS
    assert sum(len(bank.for_assignment(a)) for a in {i.assignment for i in bank}) == 20
    some = variants(bank)[0]
    assert some.id not in bank
    with pytest.raises(KeyError):
        bank[some.id]
    assert bank.variant(some.id) is some and bank.variant("MP1-01") is bank["MP1-01"]
    with pytest.raises(KeyError):
        bank.variant("LAT1-01")
    assert [i.id for i in bank.all_items()] == [i.id for slot in SLOTS for i in bank.slots[slot]]


def test_variant_evidence_occurs_in_its_own_section(seed_text):
    """A variant tests a fact of its slot's section: its evidence is quoted from that section's text.
    (The module items keep the evidence they had: MP2-01…03 quote the list of kode etik that closes
    MP1.4.)"""
    texts = section_texts(seed_text)
    missing = [(v.id, v.section.id) for v in variants(ItemBank.load(BANK)) if squash(v.evidence) not in texts[v.section.id]]
    assert missing == []


def test_variant_stems_are_in_own_words_and_unlike_their_siblings(seed_text):
    """No variant stem copies seven consecutive words of the module, and no two items of a slot
    have stems alike (difflib ratio ≥ 0.6 over their words)."""
    import difflib

    module = words(seed_text)
    runs = {tuple(module[i:i + 7]) for i in range(len(module) - 6)}
    bank = ItemBank.load(BANK)
    copied = [v.id for v in variants(bank)
              if any(tuple(w[i:i + 7]) in runs for w in [words(v.stem)] for i in range(len(w) - 6))]
    assert copied == []
    close = [(a.id, b.id) for form in bank.slots.values() for n, a in enumerate(form) for b in form[n + 1:]
             if difflib.SequenceMatcher(None, words(a.stem), words(b.stem)).ratio() >= 0.6]
    assert close == []


def test_siblings_share_neither_stem_nor_set_of_options():
    bank = ItemBank.load(BANK)
    for slot, form in bank.slots.items():
        assert len({squash(i.stem).lower() for i in form}) == len(form), slot
        assert len({frozenset(squash(o).lower() for o in i.options.values()) for i in form}) == len(form), slot


def _lengths(item) -> tuple[int, list[int]]:
    return len(item.options[item.key]), [len(v) for k, v in item.options.items() if k != item.key]


def _pick_longest_score(items, pick=max) -> float:
    """Expected score of a participant who always picks the longest (``pick=max``) or shortest
    option, choosing at random among options of the same length."""
    score = 0.0
    for item in items:
        lengths = {k: len(v) for k, v in item.options.items()}
        chosen = [k for k, n in lengths.items() if n == pick(lengths.values())]
        score += (item.key in chosen) / len(chosen)
    return score / len(items)


@pytest.mark.parametrize("mp", (1, 2))
def test_keys_give_nothing_away_per_materi_pokok(mp):
    """Over all forms of a Materi Pokok (30 items once complete): every letter is the key 6–9
    times (a quarter of the items, ±1.5), the key is a longest option (ties count) in at most a
    third of the items and a shortest one in at most a third, and always choosing the longest or
    the shortest option scores at most 35 %."""
    items = [i for i in ItemBank.load(BANK).all_items() if i.materi_pokok == mp]
    n = len(items)
    per_letter = {letter: sum(i.key == letter for i in items) for letter in LETTERS}
    assert all(n // 4 - 1 <= count <= -(-n // 4) + 1 for count in per_letter.values()), (n, per_letter)
    longest = [i.id for i in items if _lengths(i)[0] >= max(_lengths(i)[1])]
    shortest = [i.id for i in items if _lengths(i)[0] <= min(_lengths(i)[1])]
    assert len(longest) <= n / 3 and len(shortest) <= n / 3, (longest, shortest)
    assert _pick_longest_score(items) <= 0.35 and _pick_longest_score(items, min) <= 0.35


def _variant_at(raw, vid: str) -> dict:
    return next(v for v in raw["variants"] if v["id"] == vid)


def _set(vid: str, **fields):
    return lambda r: _variant_at(r, vid).update(fields)


@pytest.mark.parametrize(
    "mutate, message",
    [
        # the id: a slot's id, "-v" and 2..9, of a slot that exists, once
        (_set("MP1-01-v2", id="MP1-01-2"), "soal varian MP1-01-2: field 'id' harus berbentuk"),
        (_set("MP1-01-v2", id="MP1-01-v1"), "soal varian MP1-01-v1: field 'id' harus berbentuk"),
        (_set("MP1-01-v2", id="LAT1-01-v2"), "soal varian LAT1-01-v2: field 'id' harus berbentuk"),
        (lambda r: _variant_at(r, "MP1-01-v2").pop("id"), "soal varian ke-1: field 'id' harus berbentuk"),
        (_set("MP1-01-v2", id="MP1-11-v2"), "soal varian MP1-11-v2: field 'id': soal modul MP1-11 tidak ada"),
        (_set("MP1-02-v2", id="MP1-01-v2"), "soal varian MP1-01-v2: id ganda"),
        # inherited from the slot, so not written
        (_set("MP1-03-v2", points=1), "soal varian MP1-03-v2: field 'points' tidak boleh ditulis"),
        (_set("MP1-03-v2", number=3), "soal varian MP1-03-v2: field 'number' tidak boleh ditulis"),
        (_set("MP1-03-v2", materi_pokok=1), "soal varian MP1-03-v2: field 'materi_pokok' tidak boleh ditulis"),
        # the slot's section and tag
        (_set("MP1-04-v2", section="MP1.2"),
         "soal varian MP1-04-v2: field 'section' MP1.2 harus sama dengan bagian soal MP1-04 (MP1.4)"),
        (_set("MP1-04-v2", section="MP2.2"), "soal varian MP1-04-v2: field 'section' MP2.2 milik Materi Pokok lain"),
        (_set("MP1-04-v2", section="MP9"), "soal varian MP1-04-v2: field 'section' 'MP9' tidak ada"),
        (_set("MP1-04-v3", tag="dasar-hukum"), "soal varian MP1-04-v3: field 'tag' 'dasar-hukum' harus sama"),
        # the checks every graded item has
        (lambda r: _variant_at(r, "MP1-05-v2")["options"].pop("d"),
         "soal varian MP1-05-v2: field 'options' harus tepat berisi a, b, c, d"),
        (lambda r: _variant_at(r, "MP1-05-v2")["options"].update(b=" "), "soal varian MP1-05-v2: field 'options.b' kosong"),
        (_set("MP1-05-v3", key="e"), "soal varian MP1-05-v3: field 'key' harus salah satu dari a–d"),
        (lambda r: _variant_at(r, "MP1-06-v2").pop("stem"), "soal varian MP1-06-v2: field 'stem' wajib"),
        (lambda r: _variant_at(r, "MP1-06-v2").pop("evidence"), "soal varian MP1-06-v2: field 'evidence' wajib"),
        (lambda r: _variant_at(r, "MP1-06-v3").pop("explanation"), "soal varian MP1-06-v3: field 'explanation' wajib"),
        (_set("MP1-06-v3", catatan="x"), "soal varian MP1-06-v3: field tidak dikenal ['catatan']"),
        (_set("MP1-07-v2", explanation="Jawabannya jelas, yaitu jawaban c, karena syaratnya berbelit."),
         "soal varian MP1-07-v2: field 'explanation' tidak boleh menyebut huruf pilihan"),
        (_set("MP1-07-v2", explanation="Syarat yang berbelit melanggar prinsip mudah dan murah."),
         "soal varian MP1-07-v2: field 'explanation' tidak boleh mengutip teks pilihan c"),
        # distinct from the other items of its slot
        (lambda r: _variant_at(r, "MP1-08-v2").update(stem="  " + r["items"][7]["stem"].replace(" ", "  ")),
         "soal varian MP1-08-v2: field 'stem' sama dengan soal MP1-08"),
        (lambda r: _variant_at(r, "MP1-08-v3").update(stem=_variant_at(r, "MP1-08-v2")["stem"]),
         "soal varian MP1-08-v3: field 'stem' sama dengan soal MP1-08-v2"),
        (lambda r: _variant_at(r, "MP1-09-v2").update(
            options=dict(zip("abcd", reversed(list(r["items"][8]["options"].values())))), key="c"),
         "soal varian MP1-09-v2: field 'options' sama dengan pilihan soal MP1-09"),
        # a practice item is not a variant under another id
        (lambda r: r["practice"][0].update(stem=_variant_at(r, "MP1-10-v2")["stem"]),
         "soal latihan LAT1-01: field 'stem' sama dengan soal yang dinilai MP1-10-v2"),
        (lambda r: r["practice"][0].update(options=dict(_variant_at(r, "MP1-10-v3")["options"])),
         "soal latihan LAT1-01: field 'options' sama dengan pilihan soal yang dinilai MP1-10-v3"),
        # the list itself
        (lambda r: r.update(variants={"MP1-01-v2": {}}), "field 'variants' harus berupa daftar"),
        (lambda r: r["variants"].insert(0, "MP1-01-v2"), "soal varian ke-1 harus berupa mapping"),
    ],
)
def test_variant_validation_names_variant_and_field(raw, mutate, message):
    mutate(raw)
    with pytest.raises(ItemBankError) as err:
        ItemBank.from_dict(raw, BANK)
    assert message in str(err.value)
    assert str(BANK) in str(err.value)  # the file, for the instructor who edits it


def test_the_shared_bank_is_read_once_and_again_as_soon_as_its_bytes_change(tmp_path):
    path = tmp_path / "item_bank.yaml"
    text = BANK.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = ItemBank.shared(path)
    assert ItemBank.shared(path) is first
    key = first["MP1-01"].key
    other = next(letter for letter in LETTERS if letter != key)
    start = text.index("id: MP1-01")
    at = text.index(f"key: {key}", start)
    # same size, written at once: a modification time could not tell the two files apart
    path.write_text(text[:at] + f"key: {other}" + text[at + len(f"key: {key}"):], encoding="utf-8")
    assert ItemBank.shared(path)["MP1-01"].key == other
    path.unlink()
    with pytest.raises(ItemBankError, match="tidak ditemukan"):
        ItemBank.shared(path)
