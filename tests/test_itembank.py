"""The item bank: module keys, evidence in the module text, own wording, validation."""

import re

import pytest
import yaml

from latsar.itembank import LETTERS, ItemBank, ItemBankError

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
    ],
)
def test_validation_names_item_and_field(raw, mutate, message):
    mutate(raw)
    with pytest.raises(ItemBankError) as err:
        ItemBank.from_dict(raw, BANK)
    assert message in str(err.value)


def test_key_is_not_in_item_repr():
    item = ItemBank.load(BANK)["MP1-01"]
    assert "key" not in repr(item)
    assert set(item.options) == set(LETTERS)
