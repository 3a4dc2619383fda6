"""``latsar demo``: the whole pipeline on the simulated cohort of 40 participants.

release → import the sample answer sheet, and simulate each participant's pre-test
(``bab1_pendahuluan``, on their own pre-test form) → parallel autograde → Indonesian
feedback (nbgrader ``generate_feedback``) → export (CSV, Parquet) → scores and
mastery per Materi Pokok (≥ 80 % *tuntas*, else *ulangi*).
"""

from __future__ import annotations

import shutil

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from latsar.authoring import release
from latsar.grading import batch as autograde
from latsar.course import gradebook
from latsar.course.files import read_csv
from latsar.course import MATERI_POKOK_ASSIGNMENT, PRETEST_ASSIGNMENT, Course, LatsarError
from latsar.results.export import export
from latsar.report.indonesian import number
from latsar.grading.import_answers import import_answers
from latsar.course.nbgrader_api import api, check

SAMPLE_COHORT = "sample_cohort.csv"
SAMPLE_ROSTER = "sample_roster.csv"


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("sisa"),
        TimeRemainingColumn(),
        console=console,
    )


def grade_with_progress(course: Course, console: Console, config=None, **options):
    """:func:`latsar.grading.batch.run` with a progress bar (done/total, rate, ETA) and a summary table."""
    with progress_bar(console) as bar:
        task = bar.add_task("Menilai", total=None, rate="")

        def planned(todo: int, skipped: int) -> None:
            bar.update(task, total=todo)
            if skipped:
                console.print(f"    {skipped} kiriman tidak berubah sejak dinilai — dilewati")

        def tick(outcome) -> None:
            if outcome.status == "failed" and outcome.seconds == 0.0:
                return  # refused before grading (unknown assignment): not part of the bar
            done = bar.tasks[task].completed + 1
            elapsed = bar.tasks[task].elapsed or 1e-9
            bar.update(task, advance=1, rate=f"{done / elapsed:.2f}/dtk")

        batch = autograde.run(course, config, on_plan=planned, on_done=tick, **options)
    console.print(summary_table(batch))
    return batch


def summary_table(batch) -> Table:
    from latsar.grading.sandbox import MODE_LABELS

    table = Table(title=f"Ringkasan penilaian ({batch.workers} proses, {batch.seconds:.1f} dtk)")
    table.add_column("Hasil")
    table.add_column("Jumlah", justify="right")
    table.add_column("Keterangan")
    if getattr(batch, "sandbox", ""):
        colour = "red" if batch.sandbox in ("none", "rlimits") else "green"
        table.add_row("mode sandbox", "", f"[{colour}]{MODE_LABELS.get(batch.sandbox, batch.sandbox)}[/]")
    table.add_row("dinilai", str(len(batch.graded)),
                  f"{number(batch.seconds / max(1, len(batch.graded)))} dtk per kiriman" if batch.graded else "")
    table.add_row("perlu diperiksa", str(len(batch.flagged)), "sudah dinilai; lihat alasannya")
    for note in batch.flagged:
        table.add_row("", "", f"[yellow]{note.student}/{note.assignment}[/]: {note.reason}")
    table.add_row("dilewati (tidak berubah)", str(len(batch.skipped)), "pakai --force untuk menilai ulang")
    table.add_row("gagal", str(len(batch.failed)), "")
    for failure in batch.failed:
        table.add_row("", "", f"[red]{failure.student}/{failure.assignment}[/]: {failure.reason}")
    return table


def mastery_table(mastery: pd.DataFrame) -> Table:
    wide = mastery.pivot(index="peserta_id", columns="materi_pokok")
    table = Table(title="Skor dan ketuntasan per Materi Pokok (tuntas ≥ 80 %)")
    table.add_column("Peserta (NIP)")
    mps = sorted(mastery["materi_pokok"].unique())
    for mp in mps:
        table.add_column(f"MP{mp} benar", justify="right")
        table.add_column(f"MP{mp} status")
    for peserta, row in wide.iterrows():
        cells = [str(peserta)]
        for mp in mps:
            benar, maks, tuntas = row[("benar", mp)], row[("maks", mp)], row[("tuntas", mp)]
            if pd.isna(benar):
                cells += ["–", "tidak mengumpulkan"]
            else:
                cells += [f"{benar:.0f}/{maks:.0f}", "[green]tuntas[/]" if tuntas else "[red]ulangi[/]"]
        table.add_row(*cells)
    return table


DEMO_DIR = "demo"


def sheet_shares(course: Course, sheet) -> dict[str, float]:
    """Each participant's share of items right in an answer sheet (peserta_id, item_id, pilihan)."""
    data = read_csv(sheet)
    who, item, letter = (data.header.index(c) for c in ("peserta_id", "item_id", "pilihan"))
    bank, right, total = course.item_bank, {}, {}
    for _, row in data.rows:
        try:
            key = bank.variant(row[item]).key
        except KeyError:
            continue
        total[row[who]] = total.get(row[who], 0) + 1
        right[row[who]] = right.get(row[who], 0) + (row[letter] == key)
    return {p: right[p] / n for p, n in total.items() if n}


def write_pretests(course: Course, people, seed: int = 2021, shares=None) -> list[tuple[str, str]]:
    """Each participant's pre-test (attempt 0), with less ability than at the evaluations
    (:data:`latsar.simulate.PRETEST_ABILITY_DROP`; ``shares``, their share right in the sheet, gives
    that ability), so the report shows a gain.

    The pre-test form is the derived one (:mod:`latsar.kernel.forms`), which never holds the variant
    of the participant's own evaluation form.  The sample sheet names those forms, so nothing more is
    needed.  A sheet on the module's form (every slot's module item) may name the variant the derived
    pre-test would show; that participant's pre-test then takes their next variant, and the form is
    recorded as an instructor's import records one (:func:`latsar.grading.forms.record_form`)."""
    from latsar.grading.forms import assigned_form, record_form, slot_variants
    from latsar.kernel.forms import form, variant_order
    from latsar.simulate import ability_from_share, simulate_forms, write_submissions

    bank = course.item_bank
    slots = slot_variants(bank, PRETEST_ASSIGNMENT)
    forms = {}
    for peserta in sorted(people):
        evaluated = {slot: variant for assignment in MATERI_POKOK_ASSIGNMENT.values()
                     for slot, (variant, _) in assigned_form(course.root, bank, peserta, assignment).items()}
        derived = form(peserta, PRETEST_ASSIGNMENT, slots, 0)
        mine = {slot: (next(v for v in variant_order(peserta, slot, slots[slot]) if v != evaluated.get(slot)
                            or len(slots[slot]) == 1), order)
                for slot, (_, order) in derived.items()}
        if mine != derived:
            record_form(course.root, peserta, PRETEST_ASSIGNMENT, mine)
        forms[(peserta, PRETEST_ASSIGNMENT)] = mine
    abilities = {p: ability_from_share(v) for p, v in (shares or {}).items()}
    answers = simulate_forms(bank, 0, seed, assignments=[PRETEST_ASSIGNMENT], ids=sorted(people),
                             forms=forms, abilities=abilities)
    return write_submissions(course, answers)


def workspace(course: Course) -> Course:
    """A fresh course folder for the simulated cohort, so a demo never mixes with
    (or trips over) a real cohort's gradebook and submissions."""
    root = course.root / DEMO_DIR
    shutil.rmtree(root, ignore_errors=True)
    demo = course.copy_to(root)
    refuse_foreign_gradebook(demo)
    return demo


def refuse_foreign_gradebook(course: Course) -> None:
    """A gradebook outside the workspace (PostgreSQL) must not receive simulated
    participants next to a real cohort's."""
    url = course.db_url
    if gradebook.sqlite_path(url) is not None or not gradebook.has_tables(url):
        return
    cohort = read_csv(course.course_data / SAMPLE_COHORT)
    column = cohort.header.index("peserta_id")
    simulated = {row[column] for _, row in cohort.rows}
    present = set(gradebook.read_sql(url, "SELECT DISTINCT student_id FROM submitted_assignment")["student_id"])
    if present - simulated:
        raise LatsarError(
            f"gradebook {gradebook.redact(url)} sudah berisi kiriman {len(present - simulated)} peserta "
            "yang bukan peserta simulasi. Demo butuh gradebook sendiri: beri --db-url ke basis data kosong.")


def run(course: Course, console: Console | None = None) -> pd.DataFrame:
    console = console or Console()
    console.rule("latsar demo — Berorientasi Pelayanan")
    console.print("1/6 Membuat versi peserta (nbgrader generate_assignment) …")
    done = release.generate(course)
    console.print(f"    {len(done)} tugas dirilis ke {course.release}")
    console.print("    Lihat pelajarannya seperti peserta (JupyterLab berbahasa Indonesia, latihan muncul sendiri): "
                  "jalankan make hub, lalu masuk dengan salah satu akun peserta yang dicetaknya.")
    course = workspace(course)
    release.generate(course)
    console.print(f"    kohort simulasi dinilai di folder terpisah {course.root}")
    sheet = course.course_data / SAMPLE_COHORT
    console.print(f"2/6 Mengimpor lembar jawaban simulasi {sheet.name} …")
    imported = import_answers(sheet, course)
    people = {p for p, _ in imported.submissions}
    console.print(f"    {len(imported.submissions)} kiriman dari {len(people)} peserta "
                  f"({imported.answered} jawaban, {imported.blank} kosong)")
    pretests = write_pretests(course, people, shares=sheet_shares(course, sheet))
    console.print(f"    + {len(pretests)} pra-tes simulasi ({PRETEST_ASSIGNMENT}, sebelum pelajaran)")
    console.print("3/6 Menilai otomatis (nbgrader autograde, paralel) …")
    grade_with_progress(course, console)
    # below 80 % in a Materi Pokok: a retake (bab…_ulang1) on variants not seen before, graded like the rest
    from latsar.results import scores
    from latsar.simulate import simulate_retakes, write_submissions

    first = scores.mastery(course, method="first")
    retakes = simulate_retakes(course.item_bank,
                               {(r.peserta_id, r.materi_pokok): r.persen for r in first.itertuples(index=False)})
    if retakes:
        console.print(f"    {len(retakes)} evaluasi ulang bagi peserta di bawah 80 % (nbgrader autograde) …")
        write_submissions(course, retakes)
        grade_with_progress(course, console)
    console.print("4/6 Membuat umpan balik (nbgrader generate_feedback) …")
    nbapi = api(course)
    graded = sorted({a for _, a in [*imported.submissions, *pretests, *retakes]})
    for assignment in graded:
        check(nbapi.generate_feedback(assignment), f"generate_feedback {assignment}")
    console.print(f"    umpan balik per peserta di {course.feedback}")
    console.print("5/6 Mengekspor tabel (CSV dan Parquet) …")
    tables = export(course, course.root / "export")
    console.print(f"    {len(tables['responses'])} baris respons → {course.root / 'export'}")
    console.print("6/6 Skor dan ketuntasan")
    mastery = tables["mastery"]
    console.print(mastery_table(mastery))
    rate = mastery.groupby("materi_pokok")["tuntas"].mean()
    for mp, value in rate.items():
        console.print(f"Materi Pokok {mp}: {value:.0%} peserta tuntas")
    from latsar.report.write import read_roster, write_report

    roster_file = course.course_data / SAMPLE_ROSTER
    roster = read_roster(roster_file) if roster_file.exists() else None
    from latsar.results.method import configured_method

    files = write_report(tables["responses"], course.item_bank, course.root / "laporan", roster=roster,
                         method=configured_method(course.root))
    console.rule("Laporan kohort")
    console.print(f"Excel: {files.excel}")
    console.print(f"HTML:  {files.html}")
    console.print(f"CSV:   {files.out}")
    if files.csv.get("gain_cohort") is not None:
        gain = pd.read_csv(files.csv["gain_cohort"])
        for row in gain.itertuples():
            console.print(f"Materi Pokok {row.materi_pokok}: pra-tes {row.mean_pre:.0f} % → evaluasi {row.mean_post:.0f} %, "
                          f"rata-rata gain g = {number(row.mean_g)}")
    return mastery
