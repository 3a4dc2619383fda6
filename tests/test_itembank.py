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
    missing = [i.id for i in ItemBank.load(BANK) if squash(i.evidence) not in text]
    assert missing == []


def test_stems_are_reworded_not_copied(seed_text):
    text = squash(seed_text).lower()
    copied = [i.id for i in ItemBank.load(BANK) if squash(i.stem).lower().rstrip(" .") in text]
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
    for item in bank:
        assert item.explanation.endswith(".") and item.explanation.count(". ") == 0, item.id
        assert 40 <= len(item.explanation) <= 300, item.id
        assert not any(o.lower() in item.explanation.lower() for o in item.options.values()), item.id


def test_explanations_are_not_copied_from_the_module(seed_text):
    text = squash(seed_text).lower()
    for item in ItemBank.load(BANK):
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
    close = [(p.id, i.id) for p in bank.practice.values() for i in bank
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


def test_answer_sheet_rejects_practice_items(released, tmp_path):
    """A practice item can never become a graded answer: import-answers does not know it."""
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
