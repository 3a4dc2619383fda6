"""The ``latsar`` command line; every command takes ``--course DIR``."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from latsar.course import Course, LatsarError
from latsar.hub.prestart import DEFAULT_CULL_HOURS
from latsar.locale import indonesian

console = Console()
course_option = click.option(
    "--course", "course_dir", default=".", show_default=True,
    type=click.Path(file_okay=False), help="Folder kursus nbgrader (berisi course_data/).",
)
db_option = click.option(
    "--db-url", default=None, metavar="URL",
    help="Gradebook nbgrader (URL SQLAlchemy, mis. postgresql://user:sandi@host/db). Bawaan: "
         "$LATSAR_DB_URL, lalu c.CourseDirectory.db_url di nbgrader_config.py, lalu gradebook.db.",
)
USER_ERRORS = (LatsarError,)  # every expected error; keeps start-up free of nbgrader and pandas


def _course(course_dir: str, db_url: str | None = None) -> Course:
    try:
        return Course.at(course_dir, db_url)
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc)) from None


#: Placeholders click would print from a type's English name (``--course DIRECTORY``), and from
#: an argument's Python name (``[ASSIGNMENTS]...``), in Indonesian.  A parameter's own metavar wins.
TYPE_METAVARS = {"directory": "FOLDER", "file": "BERKAS", "path": "JALUR", "text": "TEKS",
                 "integer": "BILANGAN", "integer range": "BILANGAN", "float": "ANGKA", "float range": "ANGKA"}
ARGUMENT_METAVARS = {"assignments": "[TUGAS]...", "sheet": "LEMBAR"}


def indonesian_placeholders(command: click.Command) -> click.Command:
    """``[OPSI]`` and Indonesian placeholders in a command's usage, help and errors (the words
    around them come from the catalogue, :mod:`latsar.locale`)."""
    command.options_metavar = "[OPSI]"
    for param in command.params:
        if param.metavar is not None or getattr(param, "is_flag", False):
            continue
        if isinstance(param, click.Argument):
            param.metavar = ARGUMENT_METAVARS.get(param.name)
        else:
            param.metavar = TYPE_METAVARS.get(param.type.name)
    return command


class LatsarGroup(click.Group):
    """Turns expected errors into a clear message without a traceback; click's own words (usage,
    options, its errors) and placeholders in Indonesian, like ours."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.subcommand_metavar = "PERINTAH [ARGUMEN]..."
        indonesian_placeholders(self)

    def add_command(self, cmd, name=None):
        super().add_command(indonesian_placeholders(cmd), name)

    def main(self, *args, **kwargs):
        with indonesian():
            return super().main(*args, **kwargs)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=LatsarGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Perangkat kursus nbgrader *Berorientasi Pelayanan* (Latsar CPNS)."""


@main.command()
@course_option
@click.option("--check", is_flag=True, help="Hanya periksa; gagal bila notebook belum sinkron.")
@click.option("--percobaan", "up_to", type=click.IntRange(min=2), default=2, show_default=True,
              help="Tulis evaluasi ulang tiap Materi Pokok sampai percobaan ini (2 = satu kali ulang). "
                   "Dengan tiga varian per soal, percobaan 3 bertemu lagi varian percobaan 1.")
def sync(course_dir: str, check: bool, up_to: int) -> None:
    """Selaraskan notebook sumber dengan bank soal."""
    from latsar.authoring.release import sync as do_sync

    course = _course(course_dir)
    changed = do_sync(course, check_only=check, up_to_attempt=up_to)
    for path in changed:
        console.print(f"{'belum sinkron' if check else 'diperbarui'}: {path.relative_to(course.root)}")
    if check and changed:
        raise click.ClickException("Notebook sumber belum sinkron dengan bank soal; jalankan `latsar sync`.")
    if not changed:
        console.print("Semua notebook sumber sudah sinkron dengan bank soal.")


@main.command("release")
@course_option
@db_option
@click.argument("assignments", nargs=-1)
def release_cmd(course_dir: str, db_url: str | None, assignments: tuple[str, ...]) -> None:
    """Buat versi peserta (nbgrader generate_assignment) dari notebook sumber."""
    from latsar.authoring.release import generate

    course = _course(course_dir, db_url)
    for assignment in generate(course, list(assignments) or None):
        console.print(f"dirilis: release/{assignment}")


@main.command("import-answers")
@course_option
@click.argument("sheet", type=click.Path(exists=True, dir_okay=False))
@click.option("--percobaan", "attempt", type=click.IntRange(min=0), default=1, show_default=True,
              help="Percobaan yang dicatat lembar ini: 0 pra-tes, 1 evaluasi, 2 dan seterusnya evaluasi ulang.")
def import_answers_cmd(course_dir: str, sheet: str, attempt: int) -> None:
    """Ubah lembar jawaban CSV (peserta_id,item_id,pilihan) menjadi kiriman nbgrader.

    item_id menyebut soal yang dijawab (soal modul, misalnya MP1-01, atau variannya, misalnya
    MP1-01-v2); pilihan adalah huruf opsinya menurut urutan di bank soal."""
    from latsar.grading.import_answers import import_answers

    course = _course(course_dir)
    result = import_answers(sheet, course, attempt=attempt)
    console.print(f"{len(result.submissions)} kiriman ditulis ke submitted/ "
                  f"({result.answered} jawaban, {result.blank} kosong)")


@main.command("autograde")
@course_option
@db_option
@click.argument("assignments", nargs=-1)
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Jumlah proses penilai paralel (bawaan: jumlah CPU).")
@click.option("--force", is_flag=True, help="Nilai ulang juga kiriman yang tidak berubah.")
@click.option("--student", "students", multiple=True, metavar="PESERTA_ID",
              help="Hanya kiriman peserta ini (boleh diulang); seperti --student nbgrader.")
@click.option("--cell-timeout", default=30, show_default=True, type=click.IntRange(min=1),
              help="Batas waktu satu sel (detik).")
@click.option("--notebook-timeout", default=600, show_default=True, type=click.IntRange(min=0),
              help="Batas waktu satu notebook (detik, 0 = tanpa batas).")
@click.option("--sandbox", "sandbox_mode", type=click.Choice(["auto", "root", "userns", "rlimits", "none"]),
              default=None, help="Mode sandbox kernel (bawaan: c.Sandbox.mode, auto). auto/root/userns menolak "
              "menilai bila isolasi tidak dapat dibuat; rlimits dan none lebih lemah, hanya bila diminta.")
@click.option("--no-sandbox", is_flag=True, hidden=True, help="Sama dengan --sandbox none.")
@click.option("--cpu-seconds", type=click.IntRange(min=1), default=None,
              help="Batas waktu CPU satu kernel (bawaan: c.Sandbox.cpu_seconds, 60).")
@click.option("--memory-mb", type=click.IntRange(min=256), default=None,
              help="Batas memori satu kernel dalam MiB (bawaan: c.Sandbox.memory_mb, 2048).")
def autograde_cmd(course_dir: str, db_url: str | None, assignments: tuple[str, ...], students: tuple[str, ...],
                  workers: int | None, force: bool, cell_timeout: int, notebook_timeout: int,
                  no_sandbox: bool = False, cpu_seconds: int | None = None, memory_mb: int | None = None,
                  sandbox_mode: str | None = None) -> None:
    """Nilai semua kiriman dengan nbgrader autograde, paralel."""
    from latsar.demo import grade_with_progress
    from latsar.grading.options import grading_config

    course = _course(course_dir, db_url)
    unknown = [a for a in assignments if a not in course.assignments]
    if unknown:
        raise click.ClickException(f"tugas tidak dikenal: {', '.join(unknown)} "
                                   f"(yang ada: {', '.join(course.assignments)})")
    config = grading_config(workers=workers, cell_timeout=cell_timeout, notebook_timeout=notebook_timeout,
                            sandbox=_sandbox_flags("none" if no_sandbox else sandbox_mode, cpu_seconds, memory_mb))
    batch = grade_with_progress(course, console, config, assignments=list(assignments) or None, force=force,
                                students=list(students) or None)
    if batch.failed:
        sys.exit(1)


def _sandbox_flags(mode: str | None, cpu_seconds: int | None, memory_mb: int | None) -> dict | None:
    """Command-line overrides of ``c.Sandbox.*`` (see latsar/grading/sandbox.py)."""
    flags = {"mode": mode} if mode else {}
    if cpu_seconds:
        flags["cpu_seconds"] = cpu_seconds
    if memory_mb:
        flags["memory_mb"] = memory_mb
    return flags or None


@main.command("export")
@course_option
@db_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder tujuan (dibuat bila belum ada).")
def export_cmd(course_dir: str, db_url: str | None, out_dir: str) -> None:
    """Tulis tabel responses, mastery dan reflections (CSV dan Parquet)."""
    from latsar.results.export import export

    course = _course(course_dir, db_url)
    tables = export(course, out_dir)
    for name, table in tables.items():
        console.print(f"{name}: {len(table)} baris → {out_dir}/{name}.csv, {name}.parquet")


@main.command("scores")
@course_option
@db_option
def scores_cmd(course_dir: str, db_url: str | None) -> None:
    """Tampilkan skor dan ketuntasan per Materi Pokok dari gradebook."""
    from latsar.results import scores
    from latsar.demo import mastery_table

    course = _course(course_dir, db_url)
    console.print(mastery_table(scores.mastery(course)))


@main.command()
@course_option
@click.option("--n", "count", default=40, show_default=True, help="Jumlah peserta.")
@click.option("--seed", default=2021, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Lembar jawaban (CSV).")
@click.option("--formulir/--modul", "forms", default=True, show_default=True,
              help="Lembar --out menyebut varian formulir tiap peserta (bawaan), atau soal modul untuk semua "
                   "(ujian kertas dengan formulir modul).")
@click.option("--roster-out", type=click.Path(dir_okay=False), help="Tulis juga daftar peserta (roster) simulasi.")
@click.option("--kiriman", is_flag=True,
              help="Tulis kiriman langsung ke submitted/: berkas jawaban v2 pada formulir (varian dan urutan) "
                   "tiap peserta, seperti hasil klik mereka. Butuh rilis (latsar release).")
def simulate(course_dir: str, count: int, seed: int, out: str | None, forms: bool, roster_out: str | None,
             kiriman: bool) -> None:
    """Tulis lembar jawaban simulasi untuk N peserta (atau, dengan --kiriman, kiriman mereka)."""
    from latsar.simulate import roster, simulate as make, simulate_forms, write_roster, write_sheet, write_submissions

    course = _course(course_dir)
    if kiriman:
        from latsar.course import PRETEST_ASSIGNMENT

        missing = sorted({a for a in [*(i.assignment for i in course.item_bank), PRETEST_ASSIGNMENT]
                          if not course.release_notebook(a).exists()})
        if missing:
            raise click.ClickException(f"rilis {', '.join(missing)} belum dibuat; jalankan `latsar release` dulu")
        from latsar.simulate import first_scores, simulate_retakes

        answers = simulate_forms(course.item_bank, count, seed)
        retakes = simulate_retakes(course.item_bank, first_scores(course.item_bank, answers), seed)
        done = write_submissions(course, {**answers, **retakes})
        console.print(f"{count} peserta → {len(done)} kiriman di {course.submitted} "
                      f"({len(retakes)} evaluasi ulang bagi yang di bawah 80 %)")
        if roster_out:
            ids = list(dict.fromkeys(p for p, _ in done))
            console.print(f"roster → {write_roster(roster(ids, seed), roster_out)}")
        return
    if not out:
        raise click.UsageError("beri --out (lembar jawaban) atau --kiriman")
    rows = make(course.item_bank, count, seed, forms=forms)
    path = write_sheet(rows, out)
    console.print(f"{count} peserta → {path}")
    if roster_out:
        ids = list(dict.fromkeys(r[0] for r in rows))
        console.print(f"roster → {write_roster(roster(ids, seed), roster_out)}")


@main.command("report")
@course_option
@db_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder laporan.")
@click.option("--roster", "roster_file", type=click.Path(exists=True, dir_okay=False),
              help="CSV peserta_id,nama,kelas,instansi (kolom lain ikut disimpan).")
@click.option("--percobaan", "method", type=click.Choice(["best", "first", "last"]), default=None,
              help="Percobaan yang menentukan ketuntasan bila ada evaluasi ulang: best (terbaik), first "
                   "(pertama) atau last (terakhir). Bawaan: c.Mastery.method di nbgrader_config.py (best).")
def report_cmd(course_dir: str, db_url: str | None, out_dir: str, roster_file: str | None,
               method: str | None = None) -> None:
    """Laporan kohort: CSV, Excel dan HTML (ketuntasan, bacaan ulang, analisis soal)."""
    from latsar.results import scores
    from latsar.live.store import read_tables
    from latsar.report.write import read_roster, write_report

    course = _course(course_dir, db_url)
    roster = read_roster(roster_file) if roster_file else None
    review = scores.review(course)
    live = read_tables(course.live_sessions)  # saved live-quiz sessions, if any
    from latsar.results.method import configured_method

    files = write_report(scores.responses(course), course.item_bank, out_dir, roster=roster, review=review,
                         live=live if len(live) else None, method=method or configured_method(course.root))
    _print_report(files, out_dir)
    modes = review.attrs.get("sandbox") or {}
    if modes:
        console.print("mode sandbox penilaian: " + ", ".join(
            f"{'[red]' if m in ('none', 'rlimits') else ''}{m}{'[/]' if m in ('none', 'rlimits') else ''} ({n} kiriman)"
            for m, n in sorted(modes.items())))
    for row in review.itertuples(index=False):
        console.print(f"[yellow]perlu diperiksa[/] {row.peserta_id}/{row.assignment}: {row.alasan}")


def _print_report(files, out_dir) -> None:
    console.print(f"laporan ditulis ke {out_dir}:")
    for path in files.paths:
        console.print(f"  {path}")
    mismatch = files.mismatch
    if mismatch is not None:
        for label, names in (("tidak ada di roster", mismatch.not_in_roster),
                             ("di roster tetapi tanpa jawaban", mismatch.no_responses)):
            if names:
                console.print(f"[yellow]{len(names)} peserta {label}:[/] {', '.join(names)}")


@main.command("live")
@course_option
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option("--address", default="127.0.0.1", show_default=True,
              help="Alamat dengar (0.0.0.0 agar laptop peserta di jaringan kelas dapat terhubung).")
@click.option("--tokens", "token_file", type=click.Path(dir_okay=False),
              help="Berkas token,user,role (bawaan: live_sessions/tokens.csv di folder kursus).")
@click.option("--make-tokens", "roster_file", type=click.Path(exists=True, dir_okay=False),
              help="Buat berkas token dari roster CSV (kolom peserta_id), lalu keluar.")
@click.option("--instructor", "instructors", multiple=True, default=("pengampu",), show_default=True,
              help="Nama pengampu di berkas token (boleh diulang).")
def live_cmd(course_dir: str, port: int, address: str, token_file: str | None, roster_file: str | None,
             instructors: tuple[str, ...]) -> None:
    """Kuis langsung tanpa JupyterHub (satu mesin): layanan dan halaman pengampu."""
    import asyncio
    from pathlib import Path

    from latsar.course.files import read_csv
    from latsar.live.service import PREFIX, TokenFileAuthority, make_token_file, read_token_file, serve

    course = _course(course_dir)
    tokens = Path(token_file) if token_file else course.live_sessions / "tokens.csv"
    url = f"http://{'127.0.0.1' if address == '0.0.0.0' else address}:{port}{PREFIX}"
    if roster_file:
        table = read_csv(roster_file)
        column = table.header.index("peserta_id") if "peserta_id" in table.header else None
        ids = [row[column] for _, row in table.rows] if column is not None else []
        if table.problems or not ids or not all(ids):
            raise click.ClickException(f"{roster_file}: perlu kolom peserta_id yang terisi di setiap baris. "
                                       + " ".join(table.problems))
        make_token_file(tokens, list(instructors), ids)
        console.print(f"{len(ids)} token peserta dan {len(instructors)} token pengampu → {tokens}")
        console.print("Bagikan token setiap peserta secara pribadi; lihat README, bagian kuis langsung.")
        return
    authority = TokenFileAuthority(tokens)
    teacher = next((t for t, (_, role) in read_token_file(tokens).items() if role == "pengampu"), None)
    console.print(f"Kuis langsung berjalan di {url}")
    if teacher:
        console.print(f"Halaman pengampu: {url}?token={teacher}")
    console.print(f"Peserta: LATSAR_LIVE_URL={url} LATSAR_LIVE_TOKEN=<token peserta> jupyter lab")
    console.print("Hentikan dengan Ctrl+C; tidak ada jawaban yang hilang.")
    try:
        asyncio.run(serve(course, authority, port=port, address=address))
    except KeyboardInterrupt:
        pass


@main.command()
@course_option
@click.option("--instructor", "instructors", multiple=True, default=("pengampu",), show_default=True,
              help="Akun pengampu (boleh diulang).")
@click.option("--participants", "count", default=3, show_default=True, type=click.IntRange(min=0),
              help="Jumlah akun peserta peserta01, peserta02, …")
@click.option("--participant", "named", multiple=True, help="Nama akun peserta (boleh diulang; menggantikan --participants).")
@click.option("--port", default=8000, show_default=True, help="Port hub di 127.0.0.1.")
@click.option("--state", "state_dir", type=click.Path(file_okay=False),
              help="Folder status hub dan exchange (bawaan: /srv/latsar-hub sebagai root, "
                   "~/.local/share/latsar-hub selain itu).")
@click.option("--system-users/--single-user", default=None,
              help="Akun sistem sungguhan (bawaan sebagai root) atau satu akun OS untuk semua.")
@click.option("--no-release", is_flag=True, help="Jangan rilis tugas ke exchange saat mulai.")
@click.option("--start-servers", is_flag=True,
              help="Nyalakan server JupyterLab setiap peserta sebelum kelas, agar peserta yang masuk "
                   "bersamaan tidak menunggu (lakukan ini sebelum kelas dimulai).")
@click.option("--cull-idle-hours", default=DEFAULT_CULL_HOURS, show_default=True, type=click.FloatRange(min=0),
              help="Hentikan server yang menganggur selama sekian jam (0: tidak pernah). Harus lebih lama "
                   "dari jeda antara --start-servers dan mulainya kelas.")
def hub(course_dir: str, instructors: tuple[str, ...], count: int, named: tuple[str, ...], port: int,
        state_dir: str | None, system_users: bool | None, no_release: bool, start_servers: bool,
        cull_idle_hours: float) -> None:
    """Jalankan JupyterHub lokal untuk mencoba kursus (pengampu dan peserta)."""
    import signal
    from pathlib import Path

    from latsar.hub import server as hubmod

    course = _course(course_dir)
    participants = list(named) or [f"peserta{i:02d}" for i in range(1, count + 1)]
    plan = hubmod.make_plan(course, list(instructors), participants, port,
                            Path(state_dir) if state_dir else None, system_users)
    plan.cull_idle_hours = cull_idle_hours
    hubmod.check_port_free(plan.port)
    logins = hubmod.prepare(plan)
    if not no_release:
        with console.status("Merilis tugas ke exchange…"):
            released = hubmod.publish(course, plan.exchange)
        console.print(f"dirilis ke exchange: {', '.join(released)}")
    with console.status("Menyalakan JupyterHub…"):
        proc = hubmod.start(plan)
    if start_servers:
        try:
            _start_servers(plan)
        except BaseException:
            hubmod.stop(proc)
            raise
    _print_hub(plan, logins)
    stop_on_signals()
    try:
        proc.wait()
        console.print(f"[red]JupyterHub berhenti (kode {proc.returncode}); lihat {plan.state / 'jupyterhub.log'}[/]")
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("Menghentikan JupyterHub…")
    finally:
        hubmod.stop(proc)
    console.print("JupyterHub berhenti.")


def stop_on_signals() -> None:
    """`kill` and a closed terminal stop the hub as cleanly as Ctrl-C does, unless the hub was
    started to outlive its terminal (``nohup latsar hub &`` ignores SIGHUP: it stays ignored)."""
    import signal

    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signal.signal(signal.SIGHUP, signal.default_int_handler)


def _start_servers(plan) -> None:
    """Every participant's server, with a progress bar; failures are named, the hub keeps running."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from latsar.hub.prestart import read_token, start_servers

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("Menyalakan server peserta", total=len(plan.participants))
        failed = start_servers(plan.url, read_token(plan.state), plan.participants,
                               on_ready=lambda user: progress.advance(task))
    ready = len(plan.participants) - len(failed)
    console.print(f"server peserta siap: {ready}/{len(plan.participants)}")
    for user, why in failed.items():
        console.print(f"[red]server {user} gagal dinyalakan: {why}[/]")
    if failed:
        console.print(f"[red]Peserta di atas menunggu servernya menyala saat masuk; lihat {plan.state / 'jupyterhub.log'}.[/]")
    if plan.cull_idle_hours:
        console.print(f"Server yang menganggur {plan.cull_idle_hours:g} jam dihentikan (--cull-idle-hours); "
                      "peserta yang masuk sesudahnya menunggu servernya menyala lagi.")


def _print_hub(plan, logins: dict[str, str]) -> None:
    from rich.table import Table

    from latsar.hub.server import GRADER_SERVICE

    table = Table(title="Akun untuk masuk")
    for col in ("peran", "nama pengguna", "kata sandi"):
        table.add_column(col)
    for user, password in logins.items():
        table.add_row("pengampu" if user in plan.instructors else "peserta", user, password)
    console.print(table)
    console.print(f"Hub: {plan.url}/hub/login")
    console.print(f"Formgrader (pengampu): {plan.url}/services/{GRADER_SERVICE}/formgrader")
    console.print(f"Kuis langsung (pengampu): {plan.url}/services/latsar-live/")
    if plan.system_users:
        mode = "akun sistem; folder kursus dan status hub tertutup bagi peserta (diperiksa sebagai peserta)"
    elif plan.run_as:
        mode = (f"coba-coba: semua server berjalan sebagai akun {plan.run_as} (bukan root), kata sandi per akun; "
                "peserta berbagi satu akun OS — bukan untuk kelas sungguhan")
    else:
        mode = ("coba-coba tanpa root: server peserta berjalan sebagai akun Anda dan DAPAT membaca folder kursus "
                "(termasuk kunci) — hanya untuk mencoba sendiri, bukan untuk kelas")
    console.print(f"Mode: {mode}.")
    console.print(f"Log: {plan.state / 'jupyterhub.log'}. Tekan Ctrl-C untuk berhenti.")


@main.command()
@course_option
@db_option
def demo(course_dir: str, db_url: str | None) -> None:
    """Jalankan seluruh alur pada kohort simulasi 40 peserta."""
    from latsar.demo import run

    run(_course(course_dir, db_url), console)


if __name__ == "__main__":
    main()
