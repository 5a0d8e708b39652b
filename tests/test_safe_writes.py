"""What the harness writes, it writes only where it means to (issue 24 items 2 and 8).

Item 2: a symbolic link planted in a run folder is never written through; the reproductions are the issue's own,
`isabench run --tasks add --backends isa --n 10 --out R` into a fresh folder R holding only the link.
Item 8: a read-only folder still gets its tables printed by `report` and `plot`, with a word on what could not be
written; a full disk ends `run` with a message, no temporary file left and every record kept.
"""
from __future__ import annotations

import errno
import json
import os

import pytest

from bench import cli, records, run_folder, safe_io

VICTIM = b'{"keep": 1}\nsecond line, no newline at its end'
RUN = ["run", "--tasks", "add", "--backends", "isa", "--n", "10", "--quiet"]


@pytest.fixture
def victim(tmp_path):
    path = tmp_path / "victim"
    path.write_bytes(VICTIM)
    return path


def run_into(out, *extra) -> int:
    return cli.main([*RUN, "--out", str(out), *extra])


@pytest.mark.parametrize("name", [".lock", "records.jsonl", "records.rejected.jsonl"])
def test_a_link_at_a_file_run_appends_to_or_locks_is_refused_and_its_target_untouched(tmp_path, victim, name,
                                                                                     capsys):
    run = tmp_path / "R"
    run.mkdir()
    (run / name).symlink_to(victim)
    assert run_into(run) == 2
    err = capsys.readouterr().err
    assert f"{run / name} is a symbolic link" in err and "never writes through" in err
    assert victim.read_bytes() == VICTIM
    assert sorted(p.name for p in run.iterdir()) == [name]  # refused before any work: nothing else appeared


def test_a_link_at_a_figure_is_replaced_not_written_through(tmp_path, victim, capsys):
    run = tmp_path / "R"
    (run / "plots").mkdir(parents=True)
    (run / "plots" / "accuracy.png").symlink_to(victim)
    assert run_into(run) == 0
    assert victim.read_bytes() == VICTIM
    figure = run / "plots" / "accuracy.png"
    assert not figure.is_symlink() and figure.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("name", ["meta.json", "summary.csv", "breakdown.csv", "report.md", "report.tex"])
def test_a_link_at_a_whole_file_the_run_writes_is_replaced_not_written_through(tmp_path, victim, name):
    run = tmp_path / "R"
    run.mkdir()
    (run / name).symlink_to(victim)
    assert run_into(run, "--no-plots") == 0
    assert victim.read_bytes() == VICTIM
    assert not (run / name).is_symlink() and (run / name).stat().st_size > 0


def test_a_linked_plots_folder_is_refused_before_work_and_by_plot(tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = tmp_path / "R"
    assert run_into(run, "--no-plots") == 0
    (run / "plots").symlink_to(elsewhere)
    assert run_into(run) == 2
    assert f"{run / 'plots'} is a symbolic link" in capsys.readouterr().err
    assert cli.main(["plot", str(run)]) == 1
    captured = capsys.readouterr()
    assert "could not write" in captured.err and "is a symbolic link" in captured.err
    assert list(elsewhere.iterdir()) == []


def test_temporary_files_are_not_predictable_paths(tmp_path, victim):
    """The old writer wrote `.meta.json.<pid>.tmp`: a link planted at that name received the file's text."""
    (tmp_path / f".meta.json.{os.getpid()}.tmp").symlink_to(victim)
    run_folder.write_meta(tmp_path, {})
    assert (tmp_path / "meta.json").read_text() == "{}\n" and victim.read_bytes() == VICTIM


def test_write_atomic_replaces_whole_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "meta.json"
    safe_io.write_atomic(path, "old")
    safe_io.write_atomic(path, "new")
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["meta.json"]
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~safe_io._UMASK)  # not mkstemp's 0600


# --- item 8: read-only and full file systems ---------------------------------------------------------------------
@pytest.fixture
def finished_run(tmp_path):
    run = tmp_path / "R"
    assert run_into(run) == 0
    return run


def refuse_new_files(monkeypatch, code: int):
    """Creating a file fails as on a read-only (EROFS) or full (ENOSPC) file system; reading still works."""
    real_open = os.open

    def failing_open(path, flags, *args, **kwargs):
        if flags & (os.O_CREAT | os.O_WRONLY | os.O_RDWR):
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(os, "open", failing_open)


@pytest.mark.parametrize("command", ["report", "plot"])
def test_a_read_only_folder_still_gets_its_tables_printed(finished_run, monkeypatch, capsys, command):
    before = {p.name: p.stat().st_mtime_ns for p in finished_run.rglob("*")}
    refuse_new_files(monkeypatch, errno.EROFS)
    # io.open (and so matplotlib) go through os.open in CPython only via the C library; make them fail the same way
    monkeypatch.setattr("builtins.open", failing_builtin_open(open, errno.EROFS))
    code = cli.main([command, str(finished_run)])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert "could not write" in captured.err and "Read-only file system" in captured.err
    if command == "report":
        assert "add  5 isa  10 100.0" in captured.out  # the table, printed anyway
    assert {p.name: p.stat().st_mtime_ns for p in finished_run.rglob("*")} == before
    assert not [p for p in finished_run.rglob("*.tmp")]


def failing_builtin_open(real, code: int):
    def fake(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            raise OSError(code, os.strerror(code), str(file))
        return real(file, mode, *args, **kwargs)
    return fake


def test_a_full_disk_while_writing_meta_says_so_keeps_records_and_leaves_no_temporary(tmp_path, monkeypatch,
                                                                                       capsys):
    run = tmp_path / "R"
    real_fsync = os.fsync

    def fsync(fd):
        if os.readlink(f"/proc/self/fd/{fd}").rsplit("/", 1)[-1].startswith(".meta.json."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)
    monkeypatch.setattr(os, "fsync", fsync)
    code = run_into(run)
    err = capsys.readouterr().err
    assert code == 1
    assert f"could not write {run / 'meta.json'}" in err and "No space left on device" in err
    assert "records are kept" in err
    assert len(records.load(run / "records.jsonl").records) == 50  # add: 5 levels x 10
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == [".lock"]
    monkeypatch.undo()
    assert run_into(run) == 0  # the disk has room again: the rerun writes meta.json and redoes nothing
    assert json.loads((run / "meta.json").read_text())["invocations"][-1]["samples_done"] == 0


def test_a_records_file_that_cannot_grow_stops_the_run_with_a_message_and_loses_nothing(tmp_path):
    """A real write failure, from the kernel: RLIMIT_FSIZE makes any file past 20 kB fail with EFBIG, as a full
    disk fails with ENOSPC. The run used to end in a traceback (the buffered file retried the write as it closed)."""
    import subprocess
    import sys

    script = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
              "resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000)); from bench.cli import main; "
              "sys.exit(main(sys.argv[1:]))")
    argv = [*RUN, "--tier", "ref", "--no-plots", "--out", str(tmp_path / "R")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"the run stopped: could not append to {tmp_path / 'R' / 'records.jsonl'}: File too large" in done.stderr
    kept = records.load(tmp_path / "R" / "records.jsonl", warn=False).records
    assert 0 < len(kept) < 50
    assert run_into(tmp_path / "R", "--tier", "ref", "--no-plots") == 0  # room again: the rest, nothing twice
    loaded = records.load(tmp_path / "R" / "records.jsonl")
    assert len(loaded.records) == 50 and not loaded.duplicates and not loaded.bad_lines


def test_the_writers_themselves_refuse_a_link_not_only_the_command(tmp_path, victim):
    """Defence in depth: RecordWriter and the lock open with O_NOFOLLOW, whoever calls them."""
    from bench.lock import locked

    for name in ("records.jsonl", "records.rejected.jsonl", ".lock"):
        folder = tmp_path / name.strip(".")
        folder.mkdir()
        (folder / name).symlink_to(victim)
        with pytest.raises(safe_io.LinkRefused, match="is a symbolic link"):
            if name == ".lock":
                with locked(folder, "test"):
                    pass
            else:
                (folder / "records.jsonl").exists() or (folder / "records.jsonl").write_text("not a record\n")
                records.RecordWriter(folder / "records.jsonl", warn=False)
    assert victim.read_bytes() == VICTIM
