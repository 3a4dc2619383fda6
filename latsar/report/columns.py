"""The one specification of every report column: CSV name, Indonesian label, number format, meaning.

Why one place: a report column used to be typed in about six places (stats,
labels, Excel formats, a hand-typed HTML header list, the guide sheet, the
docstring).  Now each table of the report is a :class:`Table` listing its
:class:`Column` s, and every output reads it:

- the CSV files (:mod:`latsar.report.write`) put their columns in this order,
  under :attr:`Column.name` (English, raw values, for analysts);
- the workbook (:mod:`latsar.report.excel`) heads each sheet with
  :attr:`Column.label` and formats numbers with :attr:`Column.format`;
- the guide sheet "Petunjuk" lists :attr:`Column.description` of each column;
- the HTML page (:mod:`latsar.report.html`) shows the columns that have
  :attr:`Column.page` set, under that (often shorter) header.

To add a column: compute it in :mod:`latsar.report.stats` (a new column of the
DataFrame) and add one :class:`Column` to the table below.  See
``docs/analytics-columns.md``.

A column the computation returns but this file does not know is still written
(at the end, under its own name), so a forgotten entry never loses data;
``tests/test_report_columns.py`` fails on it instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from latsar.report.stats import DISCRIMINATION_MIN, DISTRACTOR_MIN, FACILITY_MAX, FACILITY_MIN, UPPER_LOWER_PERCENT


@dataclass(frozen=True)
class Column:
    """One column of a report table."""

    name: str  # CSV header and DataFrame column (English)
    label: str  # Indonesian header of the workbook
    format: str | None = None  # Excel number format ("0.00", "0.0%" ...); also the digits on the page
    description: str = ""  # Indonesian, one line in the guide sheet
    page: str | None = None  # header in the HTML table; None = not shown on the page
    number: bool = False  # right-aligned on the page (set for every column with a format)

    def shown(self, header: str | None = None, **changes) -> Column:
        """This column on the HTML page, under ``header`` (default: the label)."""
        return replace(self, page=header or self.label, **changes)

    @property
    def right(self) -> bool:
        return self.number or self.format is not None


@dataclass(frozen=True)
class Table:
    """A report table: its CSV file (``name``.csv, unless ``csv`` is False), sheet and columns in order."""

    name: str
    sheet: str
    columns: tuple[Column, ...]
    csv: bool = True

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def on_page(self) -> list[Column]:
        return [c for c in self.columns if c.page is not None]


# -- columns shared by several tables -------------------------------------------------------

PESERTA_ID = Column("peserta_id", "NIP/ID peserta", description="NIP atau ID peserta (seperti di lembar jawaban).")
NAMA = Column("nama", "Nama", description="Nama peserta dari roster (kosong bila peserta tidak ada di roster).")
KELAS = Column("kelas", "Kelas", description="Kelas peserta dari roster.")
INSTANSI = Column("instansi", "Instansi", description="Instansi peserta dari roster.")
MATERI_POKOK = Column("materi_pokok", "Materi Pokok", description="Nomor Materi Pokok (MP) modul.")
ITEM_ID = Column("item_id", "Kode soal", description="Kode soal di bank soal (mis. MP1-04).")
SECTION_ID = Column("section_id", "Kode bagian", description="Kode bagian modul (mis. MP1.2).")
N = Column("n", "Jumlah peserta (n)", number=True, description="Banyaknya peserta yang dihitung.")
SD = Column("sd", "Simpangan baku", "0.00", "Simpangan baku (deviasi standar).")
NOTE = Column("note", "Catatan", description="Catatan bila statistik tidak dapat dihitung atau kurang andal.")
MASTERY_RATE = Column("mastery_rate", "Tingkat ketuntasan", "0.0%", "Proporsi peserta yang tuntas (≥ 80 % soal MP).")

# -- the tables, in the order of the workbook -------------------------------------------------

MASTERY = Table("mastery", "Ketuntasan", (
    PESERTA_ID.shown(),
    NAMA.shown(),
    KELAS.shown(),
    MATERI_POKOK,
    Column("benar", "Benar", description="Jumlah poin (soal) yang dijawab benar di MP ini.", number=True,
           page="Benar / Maks"),
    Column("maks", "Maks", description="Poin maksimum MP ini.", number=True),
    Column("persen", "Persen (%)", "0.0", "Benar ÷ Maks × 100.").shown(),
    Column("tuntas", "Tuntas", description="tuntas bila Persen ≥ 80 %, selain itu ulangi.", page="Status"),
    Column("near_cut", "Dekat batas 80%", description="ya bila skor berjarak paling jauh 1 SEM dari batas "
                                                      "80 %: keputusan kurang pasti.").shown(),
    Column("attempts", "Jumlah percobaan", number=True,
           description="Banyaknya percobaan (evaluasi dan evaluasi ulang) MP ini; hanya bila ada evaluasi ulang."),
    Column("attempt_used", "Percobaan yang dipakai", number=True,
           description="Percobaan yang menentukan ketuntasan menurut metode penilaian (terbaik, pertama atau "
                       "terakhir); hanya bila ada evaluasi ulang.").shown("Percobaan dipakai"),
))

ATTEMPTS = Table("attempts", "Riwayat percobaan", (
    PESERTA_ID.shown(),
    NAMA.shown(),
    KELAS.shown(),
    MATERI_POKOK.shown(),
    *(Column(f"percobaan_{n}", f"Percobaan {n} (%)", "0.0",
             f"Persen benar pada percobaan ke-{n} (1 = evaluasi, 2 dan seterusnya = evaluasi ulang); kosong bila "
             "tidak ada.").shown() for n in (1, 2, 3)),
    Column("attempt_used", "Percobaan yang dipakai", number=True,
           description="Percobaan yang menentukan ketuntasan menurut metode penilaian.").shown("Dipakai"),
    Column("tuntas", "Tuntas", description="tuntas bila persen percobaan yang dipakai ≥ 80 %.", page="Status"),
))

REMEDIAL = Table("remedial", "Bacaan ulang", (
    PESERTA_ID.shown(),
    NAMA.shown(),
    KELAS.shown(),
    MATERI_POKOK.shown(),
    SECTION_ID,
    Column("section", "Bagian modul yang dibaca ulang",
           description="Judul bagian modul yang memuat soal yang dijawab salah atau dikosongkan.",
           page="Bagian yang dibaca ulang"),
    Column("n_wrong", "Soal salah/kosong", number=True,
           description="Banyaknya soal bagian ini yang dijawab salah atau dikosongkan."),
))

ITEMS = Table("items", "Analisis soal", (
    ITEM_ID.shown(),
    MATERI_POKOK.shown(),
    SECTION_ID,
    N.shown("n"),
    Column("facility", "Tingkat kemudahan", "0.00",
           "Proporsi peserta yang menjawab benar (0–1).").shown(),
    SD,
    Column("discrimination_index", "Indeks daya beda", "0.0",
           "Korelasi skor soal dengan skor sisa tes × 100.").shown(),
    Column("discriminative_efficiency", "Efisiensi daya beda", "0.0",
           "Kovarians skor soal dengan skor sisa tes dibagi kovarians terbesar yang mungkin × 100 (Moodle)."),
    Column("d_upper_lower", "Daya beda atas–bawah (D)", "0.00",
           f"Proporsi benar kelompok atas dikurangi kelompok bawah ({UPPER_LOWER_PERCENT} % peserta skor "
           "tertinggi dan terendah).").shown("D atas–bawah"),
    Column("review", "Perlu ditinjau", description=f"ya bila tingkat kemudahan > {FACILITY_MAX:g} atau "
                                                   f"< {FACILITY_MIN:g}, atau indeks daya beda < "
                                                   f"{DISCRIMINATION_MIN:g}."),
    Column("review_reason", "Alasan ditinjau", description="Sebab soal perlu ditinjau.", page="Alasan"),
    NOTE,
))

DISTRACTORS = Table("distractors", "Pengecoh", (
    Column("item_id", "Kode soal", description="Kode soal di bank soal; bila peserta mendapat varian, kode "
                                               "variannya (mis. MP1-04-v2): huruf pilihan milik varian itu.").shown(),
    Column("option", "Pilihan", description="Pilihan jawaban (a–d, atau kosong = tidak dijawab).").shown(),
    Column("count", "Jumlah pemilih", number=True, description="Banyaknya peserta yang memilih.").shown(),
    Column("proportion", "Proporsi pemilih", "0.0%", "Bagian peserta yang memilih.").shown("Proporsi"),
    Column("is_key", "Kunci", description="ya bila pilihan ini kunci jawaban."),
    Column("rest_correlation", "Korelasi dengan skor sisa", "0.00",
           "Korelasi memilih pilihan ini dengan skor sisa tes.").shown(),
    Column("non_functioning", "Pengecoh tidak berfungsi",
           description=f"ya bila pengecoh dipilih < {DISTRACTOR_MIN:.0%} peserta atau korelasinya dengan skor "
                       "sisa positif."),
))

TEST = Table("test", "Statistik tes", (
    MATERI_POKOK.shown(),
    N.shown(),
    Column("k", "Jumlah soal (k)", number=True, description="Banyaknya soal MP ini."),
    Column("mean", "Rata-rata", "0.00", "Rata-rata jumlah soal benar.").shown("Rata-rata skor"),
    # from the mastery table; shown in the page's summary only (not a column of test.csv)
    Column("maks", "Maks", description="Poin maksimum MP ini.", number=True, page="Maks"),
    Column("median", "Median", "0.0", "Median jumlah soal benar."),
    SD,
    Column("skewness", "Kemencengan", "0.00", "Kemencengan (skewness) sebaran skor."),
    Column("kurtosis", "Keruncingan", "0.00", "Keruncingan (kurtosis berlebih) sebaran skor."),
    Column("alpha", "Alfa Cronbach", "0.00", "Reliabilitas (konsistensi internal) Alfa Cronbach.").shown(),
    Column("kr20", "KR-20", "0.00", "Reliabilitas KR-20 (sama dengan Alfa untuk soal benar/salah)."),
    Column("sem", "SEM", "0.00", "Galat baku pengukuran = simpangan baku × √(1 − alfa), dalam satuan soal.").shown(),
    MASTERY_RATE.shown(),
    NOTE.shown(),
))

VARIANTS = Table("variants", "Varian soal", (
    ITEM_ID.shown("Soal"),
    Column("variant", "Varian", description="Kode varian yang dijawab (kode soal modul = varian modul sendiri, "
                                            "mis. MP1-04-v2 = varian ke-2).").shown(),
    MATERI_POKOK,
    N.shown("n"),
    Column("facility", "Tingkat kemudahan", "0.00", "Proporsi peserta yang menjawab benar (0–1).").shown(),
    Column("facility_siblings", "Kemudahan varian lain", "0.00",
           "Proporsi benar pada varian lain soal yang sama.").shown(),
    Column("discrimination_index", "Indeks daya beda", "0.0",
           "Korelasi skor varian dengan skor sisa tes × 100.").shown(),
    Column("z", "Statistik z", "0.00", "Uji z dua proporsi: varian ini dibanding varian lain soal yang sama."),
    Column("p", "Nilai p", "0.000", "Nilai p dua sisi uji z itu."),
    Column("p_holm", "Nilai p (Holm)", "0.000",
           "Nilai p setelah koreksi Holm atas semua varian (banyak uji sekaligus).").shown(),
    Column("differs", "Tidak setara", description="ya bila nilai p (Holm) < 0,05: varian ini lebih mudah atau "
                                                  "lebih sulit daripada varian lain soal yang sama."),
    NOTE,
))

POSITIONS = Table("positions", "Posisi pilihan", (
    Column("materi_pokok", "Materi Pokok", description="Nomor Materi Pokok; 0 = semua soal.").shown(),
    N.shown("n"),
    *(Column(f"share_{p}", f"Pilihan ke-{p} (%)", "0.0%", f"Bagian jawaban yang memilih pilihan yang tampil di "
                                                         f"urutan ke-{p}.").shown() for p in (1, 2, 3, 4)),
    Column("chi2", "Khi-kuadrat", "0.00", "Statistik khi-kuadrat kecocokan dengan sebaran rata (25 % tiap posisi)."),
    Column("p", "Nilai p", "0.000", "Nilai p uji khi-kuadrat (3 derajat bebas).").shown(),
    Column("biased", "Bias posisi", description="ya bila nilai p < 0,05: peserta cenderung memilih posisi "
                                                "tertentu di layar.").shown(),
))

GROUPS = Table("groups", "Kelompok", (
    Column("group_by", "Dikelompokkan menurut", description="Kolom roster yang dipakai (Kelas atau Instansi).").shown(),
    Column("group", "Kelompok", description="Nilai kolom itu.").shown(),
    MATERI_POKOK.shown(),
    N.shown("n"),
    Column("mean_persen", "Rata-rata persen (%)", "0.0", "Rata-rata Persen peserta kelompok.").shown("Rata-rata persen"),
    MASTERY_RATE.shown(),
    Column("near_cut_count", "Dekat batas 80% (orang)", number=True,
           description="Banyaknya peserta kelompok yang dekat batas 80 %.").shown("Dekat batas 80%"),
    Column("n_absent", "Tidak mengumpulkan", number=True,
           description="Peserta roster kelompok ini yang belum mengirim MP itu.").shown(),
))

MISMATCH = Table("mismatch", "Selisih roster", (
    PESERTA_ID.shown(),
    NAMA.shown(),
    KELAS.shown(),
    INSTANSI.shown(),
    Column("status", "Keterangan", description="Ada jawaban tetapi tidak ada di roster, atau ada di roster "
                                               "tetapi belum ada jawaban.").shown(),
), csv=False)

REVIEW = Table("perlu_diperiksa", "Perlu diperiksa", (
    PESERTA_ID.shown("Peserta"),
    Column("assignment", "Tugas", description="Tugas (assignment) nbgrader.").shown(),
    Column("alasan", "Alasan (perlu diperiksa)", description="Mengapa kiriman ini perlu diperiksa pengampu.")
    .shown("Alasan"),
))

LIVE_SUMMARY = Table("live_summary", "Kuis langsung", (
    Column("session_id", "Sesi", description="Kode sesi kuis langsung.").shown(),
    Column("seq", "Urutan", number=True, description="Urutan soal dalam sesi.").shown(),
    ITEM_ID.shown(),
    Column("kind", "Jenis", description="Jenis: soal latihan atau jajak pendapat."),
    Column("n_answered", "Menjawab", number=True, description="Banyaknya peserta yang menjawab.").shown(),
    Column("n_correct", "Benar", number=True,
           description="Banyaknya jawaban benar (kosong untuk jajak pendapat tanpa kunci).").shown(),
    Column("proportion_correct", "Proporsi benar", "0.0%", "Benar ÷ Menjawab.").shown(),
    Column("median_seconds", "Median waktu menjawab (detik)", "0.0",
           "Median waktu dari soal dibuka sampai peserta menjawab.").shown(),
))

GAIN = Table("gain", "Pra-tes dan gain", (
    PESERTA_ID.shown(),
    NAMA.shown(),
    KELAS.shown(),
    MATERI_POKOK.shown("MP"),
    Column("pre", "Pra-tes (%)", "0.0", "Persen benar di pra-tes (bab1_pendahuluan) pada soal MP ini.").shown(),
    Column("post", "Evaluasi (%)", "0.0", "Persen benar di evaluasi MP ini (percobaan pertama, bukan ujian "
                                          "ulang).").shown(),
    Column("g", "Gain ternormalisasi (g)", "0.00", "(Evaluasi − Pra-tes) ÷ (100 − Pra-tes) (Hake): bagian dari yang "
                                                  "belum diketahui saat pra-tes yang dikuasai saat evaluasi; kosong "
                                                  "bila Pra-tes = 100 %, negatif bila Evaluasi < Pra-tes.").shown("g"),
))

GAIN_COHORT = Table("gain_cohort", "Gain kohort", (
    MATERI_POKOK.shown(),
    N.shown("n"),
    Column("mean_pre", "Rata-rata pra-tes (%)", "0.0", "Rata-rata Pra-tes (%) peserta yang punya kedua skor.").shown(),
    Column("mean_post", "Rata-rata evaluasi (%)", "0.0", "Rata-rata Evaluasi (%) peserta yang punya kedua skor.").shown(),
    Column("mean_g", "Rata-rata g", "0.00", "Rata-rata gain ternormalisasi setiap peserta (Bao).").shown(),
    Column("hake_g", "g kelas (Hake)", "0.00", "(Rata-rata evaluasi − rata-rata pra-tes) ÷ (100 − rata-rata "
                                              "pra-tes): gain rata-rata kelas (Hake).").shown(),
))

#: Every table by name.
TABLES: dict[str, Table] = {t.name: t for t in (MASTERY, ATTEMPTS, REMEDIAL, ITEMS, DISTRACTORS, VARIANTS, POSITIONS,
                                                TEST, GROUPS, MISMATCH, REVIEW, LIVE_SUMMARY, GAIN, GAIN_COHORT)}


def labels() -> dict[str, str]:
    """Indonesian label of every column name (first definition wins)."""
    out: dict[str, str] = {}
    for table in TABLES.values():
        for column in table.columns:
            out.setdefault(column.name, column.label)
    return out


def number_formats() -> dict[str, str]:
    """Excel number format of every column name that has one."""
    out: dict[str, str] = {}
    for table in TABLES.values():
        for column in table.columns:
            if column.format:
                out.setdefault(column.name, column.format)
    return out


#: Kept for callers of the former ``latsar.report.write.LABELS`` / ``NUMBER_FORMATS``.
LABELS = labels()
NUMBER_FORMATS = number_formats()


def ordered(frame, table: Table):
    """``frame`` with its columns in the order of ``table``; unknown columns kept at the end."""
    known = [c for c in table.names if c in frame.columns]
    extra = [c for c in frame.columns if c not in known]
    if known + extra == list(frame.columns):
        return frame
    return frame[known + extra]


def markdown() -> str:
    """Every table and column as Markdown (the reference in ``docs/analytics-columns.md``)."""
    out = []
    for table in TABLES.values():
        where = f"`{table.name}.csv`, sheet *{table.sheet}*" if table.csv else f"sheet *{table.sheet}*"
        out += [f"### {table.sheet} ({where})", "", "| name | label | format | on the page | meaning |",
                "|---|---|---|---|---|"]
        out += [f"| `{c.name}` | {c.label} | {c.format or ''} | {c.page or ''} | {c.description} |"
                for c in table.columns]
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(markdown())
