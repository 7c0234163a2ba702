"""Failures: a failing notebook, an interrupted batch, a re-run, and raw data never written.

- a failing notebook does not stop the batch, is named in the index (cell and error) and
  makes ``engagement report`` exit non-zero (run as a subprocess);
- a batch interrupted with Ctrl-C (SIGINT) or killed (SIGKILL) while a report is being
  written leaves only complete HTML, and the next run tidies up and writes the full set;
- the same batch run twice on the same processed data gives the same numbers;
- ``data/raw`` is never written to once the demo is made: prepare and report run in a
  Python whose audit hook (``sys.addaudithook``) records every write under the raw folder,
  and the raw files' hashes and times are compared before and after.

The batches here use tiny notebooks written with nbformat, except the re-run and the raw
folder tests, which run the repository's 01_overview and 02_beyond_first_logins.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import suppress
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from engagement import batch as batches
from engagement import schema
from conftest import SMALL, write_batch
from test_batch import write_config, write_notebook

PYTHON = sys.executable  # the venv's python, which runs these tests
KEY = "failures-test-key"


def _env(**extra) -> dict:
    # Prepare needs a key; conftest's autouse fixture does not reach module fixtures.
    return {**os.environ, "ENGAGEMENT_KEY": KEY, **extra}


def _report_command(config: Path, out: Path, *, raw_scan: bool = False) -> list[str]:
    # the tiny notebooks here read no dataset: there are no raw exports to scan for names
    return [PYTHON, "-m", "engagement.cli", "report", str(config), "--out", str(out),
            "--timeout", "300", *([] if raw_scan else ["--no-raw-scan"])]


class _Page(HTMLParser):
    """Records the document-level tags and the text of a page."""

    def __init__(self):
        super().__init__()
        self.starts, self.ends, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag in ("html", "head", "body"):
            self.starts.append(tag)

    def handle_endtag(self, tag):
        if tag in ("html", "head", "body"):
            self.ends.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def assert_complete_page(path: Path, marker: str | None = None) -> None:
    """`path` is a whole page: it parses, opens and closes html/head/body once, ends with
    </html> and (for a report) shows its notebook's last output, `marker`."""
    text = path.read_text(encoding="utf-8")
    assert text.rstrip().endswith("</html>"), f"{path.name} is cut short"
    page = _Page()
    page.feed(text)
    page.close()
    assert sorted(page.starts) == sorted(page.ends) == ["body", "head", "html"], path.name
    if marker is not None:
        assert marker in "".join(page.text), f"{path.name} lacks its last output {marker}"


def temporary_files(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp"))


# --- 1. a failing notebook ------------------------------------------------------------------

@pytest.mark.slow
def test_cli_report_exits_non_zero_and_its_index_names_the_failing_cell(tmp_path):
    for name in ("first", "last"):
        write_notebook(tmp_path / "notebooks" / f"{name}.ipynb", f"print('END-OF-{name}')")
    write_notebook(tmp_path / "notebooks" / "bad.ipynb", "x = 1",
                   "# divide by the empty count\nx / 0", "print('NEVER-REACHED')")
    config = write_config(tmp_path, {"batch": "f", "runs": [
        {"notebook": f"notebooks/{name}.ipynb"} for name in ("first", "bad", "last")]})
    run = subprocess.run(_report_command(config, tmp_path / "out"), capture_output=True,
                         text=True, env=_env(), timeout=900)
    out = tmp_path / "out" / "f"
    assert run.returncode == 1, run.stderr
    assert run.stdout.strip().splitlines()[-1] == str(out / "index.html")
    assert "FAILED bad: cell index 3" in run.stderr
    # the runs before and after the failing one completed, both audiences
    for name in ("first", "last"):
        for audience in ("researcher", "partner"):
            assert_complete_page(out / f"{name}.{audience}.html", f"END-OF-{name}")
    assert_complete_page(out / "bad.researcher.html")   # the failing run, up to the error
    assert not (out / "bad.partner.html").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert_complete_page(out / "index.html")
    rows = {re.search(r"<strong>([^<]+)</strong>", row).group(1): row
            for row in re.findall(r"<tr\b[^>]*>.*?</tr>", index, flags=re.S) if "<strong>" in row}
    assert list(rows) == ["first", "bad", "last"]
    assert 'class="ok"' in rows["first"] and 'class="ok"' in rows["last"]
    bad = rows["bad"]
    assert 'class="failed"' in bad
    # cells: 0 title, 1 parameters, 2 `x = 1`, 3 the division (papermill's cell not counted)
    assert "cell index 3" in bad and "`# divide by the empty count`" in bad
    assert "ZeroDivisionError: division by zero" in bad
    assert "partner version not written: the run failed" in bad


# --- 2. an interrupted batch ----------------------------------------------------------------

def test_atomic_write_interrupted_before_the_rename_keeps_the_old_page(tmp_path, monkeypatch):
    page = tmp_path / "r.partner.html"
    page.write_text("<html>old, complete</html>")
    seen = []

    def interrupted(src, dst):
        seen.append((Path(src), Path(dst)))
        raise KeyboardInterrupt

    monkeypatch.setattr(schema.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        schema.atomic_write_text(page, "<html>new</html>")
    ((src, dst),) = seen
    assert dst == page and src.parent == tmp_path              # same folder: an atomic rename
    assert src.name.startswith(".r.partner.html.") and src.suffix == ".tmp"
    assert schema.TEMP_FILE.match(src.name)
    assert page.read_text() == "<html>old, complete</html>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.partner.html"]  # temp removed
    monkeypatch.undo()
    assert schema.atomic_write_text(page, "<html>new</html>").read_text() == "<html>new</html>"
    assert oct(page.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_papermill_writes_under_a_temporary_name_removed_on_ctrl_c(tmp_path, monkeypatch):
    import papermill

    written = []

    def execute(notebook, output, **kw):
        Path(output).write_text('{"cells": [')  # papermill saves after every cell
        written.append(Path(output))
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    run = batches.Run(name="a.b", notebook=tmp_path / "a.ipynb", parameters={})
    with pytest.raises(KeyboardInterrupt):
        batches._execute(run, tmp_path, 60, False)
    (output,) = written
    assert output.parent == tmp_path and schema.TEMP_FILE.match(output.name)
    assert output.name.startswith(".a.b.ipynb.") and output.suffix == ".tmp"
    assert list(tmp_path.iterdir()) == []


def test_a_new_batch_clears_temporary_files_and_earlier_pages_only(tmp_path):
    keep = [".hidden", "notes.tmp", ".a.researcher.html", "a.researcher.html.x1.tmp",
            "notes.txt"]
    gone = [".a.researcher.html.k2_9xq0z.tmp", ".a.b.ipynb.0a1b2c3d.tmp",
            ".index.html.zz_12345.tmp", "a.researcher.html", "a.ipynb", "index.html"]
    for name in keep + gone:
        (tmp_path / name).write_text("x")
    removed = batches.clear_folder(tmp_path)
    assert sorted(p.name for p in removed) == sorted(gone)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)


# Run in the `engagement report` subprocess of the SIGKILL case: the researcher page of run
# "slow" is written in two halves with a pause between them, so the batch can be killed while
# the page is half on disk. Says HALF-WRITTEN <temporary file> on stdout when it pauses.
_PAUSE_MID_WRITE = r"""
import builtins, os, re, sys, time
_open = builtins.open

class _Paused:
    def __init__(self, fh, path):
        self.fh, self.path = fh, path
    def write(self, text):
        half = len(text) // 2
        self.fh.write(text[:half])
        self.fh.flush()
        print("HALF-WRITTEN", self.path, flush=True)
        time.sleep(600)
        return self.fh.write(text[half:])
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return self.fh.__exit__(*exc)
    def __getattr__(self, name):
        return getattr(self.fh, name)

def _pausing_open(file, mode="r", *args, **kwargs):
    fh = _open(file, mode, *args, **kwargs)
    if "w" in mode and re.match(r"\.slow\.researcher\.html\..*\.tmp$", os.path.basename(str(file))):
        return _Paused(fh, str(file))
    return fh

builtins.open = _pausing_open
from engagement.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _slow_cell_running(out: Path) -> bool:
    """Whether the batch is inside the sleeping cell of run "slow" (researcher)."""
    for tmp in out.glob(".slow.ipynb.*.tmp"):
        with suppress(OSError, ValueError):
            nb = json.loads(tmp.read_text(encoding="utf-8"))
            return any("time.sleep" in "".join(c["source"]) and
                       c["metadata"].get("papermill", {}).get("status") == "running"
                       for c in nb["cells"])
    return False


def _start(command: list[str], **env) -> subprocess.Popen:
    # A session of its own: signals go to the batch and its kernels, as Ctrl-C in a terminal.
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(**env), start_new_session=True)


def _wait_for(proc: subprocess.Popen, ready, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            raise AssertionError(f"the batch ended ({proc.returncode}) before {what}: "
                                 f"{proc.stderr.read()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _end_group(proc: subprocess.Popen) -> None:
    # Whatever is left of the batch we started (a kernel it did not shut down) goes too.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def assert_only_complete_outputs(out: Path) -> None:
    """Every report and executed notebook under its final name is complete."""
    for page in out.glob("*.html"):
        marker = None if page.name == "index.html" else f"END-OF-{page.name.split('.')[0]}"
        assert_complete_page(page, marker)
    for executed in out.glob("*.ipynb"):
        nb = nbformat.read(executed, as_version=4)   # parses: not cut short
        nbformat.validate(nb)
        name = executed.name.split(".")[0]
        assert f"END-OF-{name}" in json.dumps(nb["cells"][-1].get("outputs", [])), executed.name


@pytest.mark.slow
def test_interrupted_or_killed_batch_leaves_only_complete_reports(tmp_path):
    notebooks = tmp_path / "notebooks"
    for name in ("first", "last"):
        write_notebook(notebooks / f"{name}.ipynb", f"print('END-OF-{name}')")
    write_notebook(notebooks / "slow.ipynb",
                   "import os, time\ntime.sleep(float(os.environ.get('FAILURES_SLEEP', '0')))",
                   "print('END-OF-slow')")
    config = write_config(tmp_path, {"batch": "i", "runs": [
        {"notebook": f"notebooks/{name}.ipynb"} for name in ("first", "slow", "last")]})
    out_root = tmp_path / "out"
    out = out_root / "i"
    command = _report_command(config, out_root)

    # Ctrl-C while run "slow" executes: its notebook is half-done under a temporary name
    proc = _start(command, FAILURES_SLEEP="600")
    try:
        _wait_for(proc, lambda: _slow_cell_running(out), "the slow cell to start")
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        _end_group(proc)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert sorted(p.name for p in out.glob("*.html")) == ["first.partner.html",
                                                          "first.researcher.html"]
    assert not list(out.glob("slow.*"))                # nothing of the interrupted run
    assert_only_complete_outputs(out)
    assert temporary_files(out) == []                  # Ctrl-C cleans up after itself

    # SIGKILL (no clean-up possible) while the researcher page of "slow" is half on disk
    proc = _start([PYTHON, "-c", _PAUSE_MID_WRITE, *command[3:]])
    try:
        _wait_for(proc, lambda: list(out.glob(".slow.researcher.html.*.tmp")),
                  "the slow page to be written")
        line = proc.stdout.readline()                  # blocks until the pause
        assert line.startswith("HALF-WRITTEN"), line
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        _end_group(proc)
    assert proc.returncode == -signal.SIGKILL
    (half,) = out.glob(".slow.researcher.html.*.tmp")
    assert not half.read_text(encoding="utf-8").rstrip().endswith("</html>")  # really cut
    assert sorted(p.name for p in out.glob("*.html")) == ["first.partner.html",
                                                          "first.researcher.html"]
    assert (out / "slow.ipynb").exists()               # executed in full before the page
    assert_only_complete_outputs(out)

    # the same batch again: the leftover temporary file goes, every report is written
    run = subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=900)
    assert run.returncode == 0, run.stderr
    assert temporary_files(out) == []
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert sorted(p.name for p in out.glob("*.html")) == sorted(
        ["index.html"] + [f"{n}.{a}.html" for n in ("first", "slow", "last")
                          for a in ("researcher", "partner")])
    assert_only_complete_outputs(out)
    assert (out / "index.html").read_text(encoding="utf-8").count('class="ok"') == 3


# --- 3 and 4. the whole pipeline with an audit hook on the raw folder -----------------------

# sitecustomize.py on PYTHONPATH: every Python started with RAW_AUDIT_DIR set (the one
# running prepare and report, and the kernels papermill starts) records each write under
# that folder. Native writers (pyarrow, DuckDB) raise no audit events: hence the hashes too.
_AUDIT_HOOK = r'''
import json, os, sys

_RAW = os.environ.get("RAW_AUDIT_DIR")
_LOG = os.environ.get("RAW_AUDIT_LOG")
if _RAW and _LOG:
    _RAW = os.path.realpath(_RAW)
    _WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    # event -> (position of a path argument, position of its dir_fd or None), ...
    _PATHS = {
        "os.rename": ((0, 2), (1, 3)), "os.link": ((0, 2), (1, 3)), "os.symlink": ((1, 2),),
        "os.remove": ((0, 1),), "os.rmdir": ((0, 1),), "os.mkdir": ((0, 2),),
        "os.chmod": ((0, 2),), "os.chown": ((0, 3),), "os.utime": ((0, 3),),
        "os.truncate": ((0, None),), "os.chflags": ((0, None),),
        "os.setxattr": ((0, None),), "os.removexattr": ((0, None),),
        "shutil.copyfile": ((1, None),), "shutil.copymode": ((1, None),),
        "shutil.copystat": ((1, None),), "shutil.copytree": ((1, None),),
        "shutil.move": ((0, None), (1, None)), "shutil.rmtree": ((0, 1),),
        "shutil.chown": ((0, None),), "shutil.make_archive": ((0, None),),
    }
    _log = open(_LOG, "a", buffering=1, encoding="utf-8")   # before the hook: not recorded
    _log.write(json.dumps({"pid": os.getpid(), "event": "start"}) + "\n")
    _busy = []

    def _under(path, dir_fd=None):
        if path is None or isinstance(path, int):
            return None
        try:
            path = os.fsdecode(os.fspath(path))
        except TypeError:
            return None
        if not os.path.isabs(path):
            base = (os.readlink(f"/proc/self/fd/{dir_fd}") if isinstance(dir_fd, int)
                    else os.getcwd())
            path = os.path.join(base, path)
        full = os.path.realpath(path)
        return full if full == _RAW or full.startswith(_RAW + os.sep) else None

    def _hook(event, args):
        if _busy or not (event == "open" or event in _PATHS):
            return
        _busy.append(1)
        try:
            hits = []
            if event == "open":
                path, mode, flags = (tuple(args) + (None, None, None))[:3]
                writing = (any(c in mode for c in "wax+") if isinstance(mode, str)
                           else isinstance(flags, int) and bool(flags & _WRITE_FLAGS))
                if writing:
                    hits.append(_under(path))
            else:
                for at, fd_at in _PATHS[event]:
                    if at < len(args):
                        fd = args[fd_at] if fd_at is not None and fd_at < len(args) else None
                        hits.append(_under(args[at], fd))
            for hit in filter(None, hits):
                _log.write(json.dumps({"pid": os.getpid(), "event": event, "path": hit,
                                       "args": [str(a) for a in args]}) + "\n")
        except Exception as exc:  # a broken hook must show, not hide writes
            _log.write(json.dumps({"pid": os.getpid(), "event": "hook error",
                                   "path": repr(exc)}) + "\n")
        finally:
            _busy.clear()

    sys.addaudithook(_hook)
'''


def _audit_env(hook_dir: Path, raw: Path, log: Path) -> dict:
    path = os.pathsep.join(filter(None, [str(hook_dir), os.environ.get("PYTHONPATH")]))
    return _env(PYTHONPATH=path, RAW_AUDIT_DIR=str(raw), RAW_AUDIT_LOG=str(log))


def _audit_log(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _snapshot(folder: Path) -> dict:
    """Every file and folder under `folder`: MD5 (files), size, modification time (ns)."""
    state = {}
    for path in sorted([folder, *folder.rglob("*")]):
        info = path.lstat()
        md5 = hashlib.md5(path.read_bytes()).hexdigest() if path.is_file() else None
        state[path.relative_to(folder).as_posix()] = (md5, info.st_size, info.st_mtime_ns)
    return state


def _set_writable(folder: Path, writable: bool) -> None:
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode | 0o200 if writable else mode & ~0o222)


def test_the_audit_hook_records_writes_under_the_raw_folder(tmp_path):
    """The detector itself: each kind of write under the watched folder is recorded."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_AUDIT_HOOK)
    raw, elsewhere = tmp_path / "raw", tmp_path / "elsewhere"
    (raw / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    (raw / "a.csv").write_text("a\n")
    (raw / "sub" / "b.csv").write_text("b\n")
    log = tmp_path / "audit.jsonl"
    script = (
        "import os, shutil, pathlib\n"
        "raw, other = pathlib.Path(os.environ['RAW_AUDIT_DIR']), pathlib.Path('elsewhere')\n"
        "open(raw / 'a.csv').read()\n"                        # reads are fine
        "(other / 'ok.txt').write_text('fine')\n"             # writes elsewhere are fine
        "open(raw / 'a.csv', 'a').close()\n"
        "os.chdir(raw); open('new.csv', 'x').close(); os.chdir('..')\n"
        "os.close(os.open(raw / 'c.csv', os.O_WRONLY | os.O_CREAT))\n"
        "os.chmod(raw / 'a.csv', 0o444)\n"
        "os.replace(raw / 'c.csv', raw / 'd.csv')\n"
        "os.remove(raw / 'd.csv')\n"
        "shutil.copyfile(other / 'ok.txt', raw / 'copy.txt')\n"
        "shutil.rmtree(raw / 'sub')\n")
    run = subprocess.run([PYTHON, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                         env=_audit_env(hook, raw, log), timeout=120)
    assert run.returncode == 0, run.stderr
    records = [r for r in _audit_log(log) if r["event"] != "start"]
    events = [(r["event"], Path(r["path"]).name) for r in records]
    assert "hook error" not in {e for e, _ in events}
    for expected in [("open", "a.csv"), ("open", "new.csv"), ("open", "c.csv"),
                     ("os.chmod", "a.csv"), ("os.rename", "c.csv"), ("os.rename", "d.csv"),
                     ("os.remove", "d.csv"), ("shutil.copyfile", "copy.txt"),
                     ("shutil.rmtree", "sub"), ("os.remove", "b.csv"), ("os.rmdir", "sub")]:
        assert expected in events, expected
    assert not [r for r in records if "elsewhere" in r["path"]]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """demo -> prepare -> report, prepare and report in one Python with the audit hook."""
    root = tmp_path_factory.mktemp("pipeline")
    raw = root / "data" / "raw" / "demo"
    processed = root / "data" / "processed"
    demo = subprocess.run(
        [PYTHON, "-m", "engagement.cli", "demo", "--out", str(raw),
         "--seed", str(SMALL["seed"]), "--learners", str(SMALL["n_learners"]),
         "--organisations", str(SMALL["n_organisations"]),
         "--courses", str(SMALL["n_courses"]), "--weeks", str(SMALL["weeks"])],
        capture_output=True, text=True, env=_env(), timeout=600)
    assert demo.returncode == 0, demo.stderr
    before = _snapshot(raw)
    _set_writable(raw, False)  # as a user would; root ignores it, hence the hook
    hook = root / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_AUDIT_HOOK)
    log = root / "audit.jsonl"
    config = write_batch(root, "repro", processed / "demo", {"notebook": "01_overview"},
                         {"notebook": "02_beyond_first_logins"})
    out = root / "out1"
    script = ("import sys\n"
              "from engagement.cli import main\n"
              "cut = sys.argv.index('--then')\n"
              "code = main(sys.argv[1:cut])\n"
              "sys.exit(code or main(sys.argv[cut + 1:]))\n")
    run = subprocess.run(
        [PYTHON, "-c", script, "prepare", "demo", str(raw), "--name", "demo",
         "--processed-root", str(processed), "--then", "report", str(config), "--out", str(out)],
        capture_output=True, text=True, env=_audit_env(hook, raw, log), timeout=1800)
    after = _snapshot(raw)
    _set_writable(raw, True)
    return {"root": root, "raw": raw, "config": config, "out": out / "repro", "run": run,
            "before": before, "after": after, "log": _audit_log(log)}


@pytest.mark.slow
def test_raw_data_is_never_written_after_the_demo(pipeline):
    run = pipeline["run"]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert (pipeline["out"] / "01_overview.partner.html").exists()
    log = pipeline["log"]
    # the hook ran in the prepare/report process and in each of the two kernels (one
    # execution per notebook serves both audiences)
    assert len({r["pid"] for r in log if r["event"] == "start"}) >= 3
    writes = [r for r in log if r["event"] != "start"]
    assert writes == [], writes
    assert pipeline["after"] == pipeline["before"]  # same files, bytes and times
    assert len(pipeline["before"]) > 10


_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:?\d{2}|Z)?")
# pandas' Styler gives each table a random id (T_1a2b3) for its CSS: not a number.
_STYLER_ID = re.compile(r"\bT_[0-9a-f]{5}(?=[_\s\"])")
# The provenance's git commit: the shared checkout may gain a commit between two runs.
_COMMIT = re.compile(r"\b[0-9a-f]{40}\b(?: \(uncommitted changes\))?")


def _pixels(data: str) -> tuple:
    """An image by its pixels: matplotlib's PNG metadata (version text) does not count."""
    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(data))) as image:
        return image.size, image.mode, hashlib.sha256(image.tobytes()).hexdigest()


_PNG = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")


def _numbers(path: Path, out: Path) -> list:
    """What a reader of an executed notebook sees, less what legitimately differs by run."""
    def clean(text) -> str:
        text = "".join(text) if isinstance(text, list) else text
        text = _PNG.sub(lambda m: f"<png {_pixels(m.group(1))}>", text)
        text = _TIME.sub("<time>", text.replace(str(out), "<out>"))
        return _COMMIT.sub("<commit>", _STYLER_ID.sub("T_<id>", text))

    nb = nbformat.read(path, as_version=4)
    shown = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else ():
            kind = output["output_type"]
            if kind == "stream":
                shown.append((index, output["name"], clean(output["text"])))
            elif kind == "error":
                shown.append((index, "error", output["ename"], output["evalue"]))
            else:
                for mime, value in sorted(output.get("data", {}).items()):
                    shown.append((index, mime, _pixels(value) if mime == "image/png"
                                  else clean(value) if mime.startswith("text/")
                                  else clean(json.dumps(value, sort_keys=True))))
    return shown


def _first_difference(differing: list) -> str:
    import difflib

    (x, y), n = differing[0], len(differing)
    if isinstance(x[-1], str) and isinstance(y[-1], str):
        lines = difflib.unified_diff(x[-1].splitlines(), y[-1].splitlines(), lineterm="", n=1)
        return f"{n} output(s) differ; first in cell {x[0]} ({x[1]}):\n" + "\n".join(
            list(lines)[:30])
    return f"{n} output(s) differ; first in cell {x[0]}: {x[:3]!r:.300} vs {y[:3]!r:.300}"


@pytest.mark.slow
def test_rerunning_the_batch_reproduces_the_numbers(pipeline):
    assert pipeline["run"].returncode == 0, pipeline["run"].stderr[-3000:]
    out2_root = pipeline["root"] / "out2"
    run = subprocess.run(_report_command(pipeline["config"], out2_root, raw_scan=True),
                         capture_output=True,
                         text=True, env=_env(), timeout=1800)
    assert run.returncode == 0, run.stderr[-3000:]
    first, second = pipeline["out"], out2_root / "repro"
    compared = 0
    for name in ("01_overview", "02_beyond_first_logins"):
        file = f"{name}.ipynb"                 # one execution holds both audiences
        a, b = _numbers(first / file, first), _numbers(second / file, second)
        assert len(a) == len(b) and len(a) > 5, file
        differing = [(x, y) for x, y in zip(a, b) if x != y]
        assert differing == [], f"{file}: {_first_difference(differing)}"
        compared += sum(1 for item in a if item[1] in ("text/markdown", "text/html"))
        assert any("<png " in str(item[2]) for item in a), file   # figures compared too
    assert compared > 10
