"""The report batch: papermill runs each notebook once, for both audiences, under a lock.

``reports.yaml`` (at the repository root) says which notebooks run on which data::

    batch: demo                       # written to outputs/<batch>/
    defaults:                         # parameters every run gets unless it overrides them
      dataset: data/processed/demo
      min_group_size: 5               # a whole number, at least 3
    scan_terms: []                    # optional: names that must never appear in a partner report
    runs:
      - notebook: notebooks/00_data_quality.ipynb
      - notebook: notebooks/01_overview.ipynb
        name: 01_overview             # optional; default = notebook stem; used in file names
        parameters: {}
      - notebook: notebooks/findings.ipynb
        name: findings-for
        for_each: organisation        # one report per organisation in the dataset's learners

A run with ``for_each: <parameter>`` is fanned out over the distinct values of that column
of the dataset's learners (read when the batch is loaded): one run per value, named
``<name>-<value as a file name>``, with the parameter set to the value. The index lists
these per organisation, and each one's partner version may name its own organisation and
no other.

Each run is executed once, with ``audience="both"`` (the notebook makes every output for
each audience, see :mod:`engagement.display`), and written to ``outputs/<batch>/``:

- ``<name>.ipynb``: the executed notebook (internal: it holds both audiences' outputs);
- ``<name>.researcher.html`` and ``<name>.partner.html``, by :mod:`engagement.publish`; the
  partner page gets its name only after passing the scan, else it is
  ``<name>.partner.withheld.html`` and the run fails;
- ``<name>.partner.pdf``: the partner page that passed, printed on A4 by Debian's chromium
  through Playwright (:class:`PdfPrinter`, one browser for the whole batch); without
  chromium or Playwright the run gets a note instead ("PDF not written: chromium not
  found") and does not fail; ``pdf=False`` (``--no-pdf``) prints nothing;
- ``index.html``: where to start, every report with what it answers, its parameters,
  provenance, run time and status.

Fail closed: ``min_group_size`` must be a whole number of at least 3 in every run (checked
before anything runs); a raw-name scan that cannot run (the dataset's raw exports not
found) fails the run unless the batch is run with ``raw_scan=False`` (``--no-raw-scan``),
which the index shows; a lock file keeps a second batch out of the folder; the pages of an
earlier batch are removed when a batch starts, so no page outlives its run.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd
import yaml

from engagement import privacy, publish
from engagement.publish import dataset_file
from engagement.schema import TEMP_FILE, InputError, _ordinary_mode, atomic_write

_TOP_KEYS = ("batch", "defaults", "runs", "scan_terms")
_RUN_KEYS = ("notebook", "name", "parameters", "optional", "for_each")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Parameters holding paths: resolved against the repository root, passed on absolute.
_PATH_NAMES = ("dataset",)
_PATH_SUFFIXES = ("_path", "_dir", "_file", "_folder")
_ERROR_MARKER_TAG = "papermill-error-cell-tag"
LOCK_NAME = ".batch.lock"
# What a batch writes in its folder (removed when the next batch starts).
_REPORT_FILE = re.compile(r"^[A-Za-z0-9][^/]*\.(?:researcher\.html|partner\.html|"
                          r"partner\.withheld\.html|partner\.pdf|ipynb)$")


@dataclass(frozen=True)
class Run:
    """One notebook of a batch, with its parameters (defaults merged, paths absolute)."""

    name: str
    notebook: Path
    parameters: dict
    optional: bool = False  # skipped, not failed, when its dataset is absent
    group: str | None = None  # the organisation a fanned-out report is written for


@dataclass(frozen=True)
class Batch:
    """A validated ``reports.yaml``: see :func:`load_batch`."""

    name: str
    config: Path
    root: Path
    runs: tuple[Run, ...]
    scan_terms: tuple[str, ...] = ()
    defaults: dict = field(default_factory=dict)  # its default parameters (paths absolute)

    def out_dir(self, output_root: str | os.PathLike | None = None) -> Path:
        """The batch's folder: ``<output_root>/<batch>``, by default ``<root>/outputs/<batch>``."""
        base = Path(output_root) if output_root is not None else self.root / "outputs"
        return base / self.name


@dataclass
class Failure:
    """Why a run failed: a notebook cell, an exception, a privacy scan or an offline check."""

    audience: str                   # "" for the run itself (execution), else the page's
    stage: str                      # execute, convert, privacy scan, offline check
    message: str
    cell_index: int | None = None   # 0-based index in the notebook as committed
    exec_count: int | None = None
    cell_first_line: str | None = None
    ename: str | None = None
    evalue: str | None = None

    def describe(self) -> str:
        where = ""
        if self.cell_index is not None:
            where = f"cell index {self.cell_index}"
            if self.exec_count is not None:
                where += f" (In [{self.exec_count}])"
            if self.cell_first_line:
                where += f" `{self.cell_first_line}`"
            where += ": "
        return f"{self.audience + ': ' if self.audience else ''}{where}{self.message}"


@dataclass
class RunResult:
    """What happened to one run of a batch (both audiences)."""

    name: str
    notebook: Path
    parameters: dict
    started_at: str = ""
    seconds: float = 0.0
    html: dict[str, Path] = field(default_factory=dict)        # audience -> written HTML
    executed: Path | None = None                               # the executed notebook
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    leaks: list[dict] = field(default_factory=list)            # privacy.scan_html findings
    raw_files: list[dict] = field(default_factory=list)        # from <dataset>/quality.json
    withheld: Path | None = None                               # partner HTML that failed
    pdf: Path | None = None                                    # the partner page as PDF
    skipped: str | None = None                                 # why an optional run did not run
    group: str | None = None                                   # see Run.group

    @property
    def status(self) -> str:
        return "failed" if self.failures else "skipped" if self.skipped else "ok"

    @property
    def ok(self) -> bool:
        return not self.failures


# --- reading reports.yaml -----------------------------------------------------------------

def _node_line(root_node, *path) -> int | None:
    """1-based line of the YAML node at `path` (mapping keys and sequence indices)."""
    node = root_node
    for step in path:
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            found = [v for k, v in node.value if getattr(k, "value", None) == step]
            if not found:
                return None
            node = found[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                return None
            node = node.value[step]
        else:
            return None
    return node.start_mark.line + 1 if node is not None else None


def _is_path_parameter(name: str, value) -> bool:
    return isinstance(value, str) and (
        name in _PATH_NAMES or name.endswith(_PATH_SUFFIXES)
        or value.startswith(("./", "../", "~/")))


def _resolve(value: str, root: Path) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else Path(os.path.normpath(root / path)))


def _declared_parameters(notebook: Path, config: Path, line: int | None) -> dict:
    import papermill

    try:
        return papermill.inspect_notebook(str(notebook))
    except Exception as exc:  # noqa: BLE001 - any failure to read it is a bad notebook
        hint = (" (it has no kernelspec: open it in Jupyter with the python3 kernel and save)"
                if "kernel" in str(exc).lower() else "")
        raise InputError(config, f"cannot read the parameters of notebook {notebook}: "
                                 f"{exc}{hint}", row=line) from None


def load_batch(path: str | os.PathLike) -> Batch:
    """Read and check a ``reports.yaml`` before anything runs.

    Relative notebook paths, and parameters that hold paths (``dataset``, names ending in
    ``_path``, ``_dir``, ``_file``, ``_folder``, or values starting with ``./``, ``../``,
    ``~/``), are resolved against the folder holding the file (the repository root).
    Every run's parameters (defaults merged in) are checked against the notebook's
    ``parameters`` cell with ``papermill.inspect_notebook``: an unknown name is an error,
    as is a notebook without an ``audience`` parameter (the batch sets it).

    Parameters
    ----------
    path : str or path
        The YAML file.

    Returns
    -------
    Batch
        name, config (the file), root (its folder), runs (name, notebook, parameters),
        scan_terms.

    Raises
    ------
    InputError
        Naming the file and the line: unreadable YAML, unknown or missing keys, a notebook
        that does not exist or cannot be inspected, duplicate run names, unknown parameters.
    """
    config = Path(path).resolve()
    if not config.is_file():
        raise InputError(config, "no such batch file")
    text = config.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(config, f"not valid YAML: {getattr(exc, 'problem', exc)}",
                         row=mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise InputError(config, "must be a mapping with keys batch, defaults, runs")
    root = config.parent

    def fail(message: str, *where) -> InputError:
        return InputError(config, message, row=_node_line(node, *where))

    unknown = [k for k in data if k not in _TOP_KEYS]
    if unknown:
        raise fail(f"unknown key(s) {', '.join(map(repr, unknown))}; "
                   f"allowed: {', '.join(_TOP_KEYS)}", unknown[0])
    name = data.get("batch")
    if not isinstance(name, str) or not _SAFE_NAME.match(name):
        raise fail("`batch` must be a folder name (letters, digits, _ . -), "
                   f"not {name!r}", "batch")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise fail("`defaults` must be a mapping of parameter names to values", "defaults")
    terms = data.get("scan_terms") or []
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
        raise fail("`scan_terms` must be a list of strings", "scan_terms")
    runs_data = data.get("runs")
    if not isinstance(runs_data, list) or not runs_data:
        raise fail("`runs` must be a non-empty list of {notebook, name, parameters}", "runs")
    if "audience" in defaults:
        raise fail("`audience` is set by the batch (every run is made for researcher and "
                   "partner); remove it from defaults", "defaults", "audience")

    runs, names = [], set()
    for i, item in enumerate(runs_data):
        where = ("runs", i)
        if not isinstance(item, dict):
            raise fail(f"run {i + 1} must be a mapping with a `notebook` key", *where)
        unknown = [k for k in item if k not in _RUN_KEYS]
        if unknown:
            raise fail(f"run {i + 1}: unknown key(s) {', '.join(map(repr, unknown))}; "
                       f"allowed: {', '.join(_RUN_KEYS)}", *where, unknown[0])
        if not isinstance(item.get("notebook"), str):
            raise fail(f"run {i + 1}: `notebook` (a path to an .ipynb) is required", *where)
        notebook = Path(_resolve(item["notebook"], root))
        if not notebook.is_file():
            raise fail(f"run {i + 1}: notebook {item['notebook']!r} not found "
                       f"(looked for {notebook})", *where, "notebook")
        run_name = item.get("name", notebook.stem)
        if not isinstance(run_name, str) or not _SAFE_NAME.match(run_name):
            raise fail(f"run {i + 1}: `name` must be a file name (letters, digits, _ . -), "
                       f"not {run_name!r}", *where, "name")
        if run_name in names:
            raise fail(f"run {i + 1}: name {run_name!r} is used twice; give one a `name`",
                       *where)
        names.add(run_name)
        own = item.get("parameters") or {}
        if not isinstance(own, dict):
            raise fail(f"run {i + 1}: `parameters` must be a mapping", *where, "parameters")
        if "audience" in own:
            raise fail(f"run {i + 1}: `audience` is set by the batch (every run is made for "
                       "researcher and partner); remove it", *where, "parameters")
        params = {str(k): v for k, v in {**defaults, **own}.items()}
        declared = _declared_parameters(notebook, config, _node_line(node, *where))
        unknown = sorted(set(params) - set(declared))
        if unknown:
            raise fail(
                f"run {run_name!r}: notebook {item['notebook']} has no parameter(s) "
                f"{', '.join(map(repr, unknown))}; its parameters cell declares "
                f"{', '.join(sorted(declared)) or 'nothing'}", *where)
        if "audience" not in declared:
            raise fail(f"run {run_name!r}: notebook {item['notebook']} must declare an "
                       "`audience` parameter (its partner version depends on it)", *where)
        if "min_group_size" in params:
            try:
                privacy.check_min_group_size(params["min_group_size"])
            except ValueError as exc:
                where_set = (*where, "parameters") if "min_group_size" in own else (
                    "defaults", "min_group_size")
                raise fail(f"run {run_name!r}: {exc}", *where_set) from None
        params = {k: _resolve(v, root) if _is_path_parameter(k, v) else v
                  for k, v in params.items()}
        optional = item.get("optional", False)
        if not isinstance(optional, bool):
            raise fail(f"run {run_name!r}: `optional` must be true or false", *where, "optional")
        for_each = item.get("for_each")
        if for_each is None:
            runs.append(Run(name=run_name, notebook=notebook, parameters=params,
                            optional=optional))
            continue
        if not isinstance(for_each, str) or for_each not in declared:
            raise fail(f"run {run_name!r}: `for_each` must name a parameter of the notebook "
                       f"(a column of the dataset's learners), not {for_each!r}",
                       *where, "for_each")
        values = _fan_out_values(params, for_each)
        if values is None:
            if not optional:
                raise fail(f"run {run_name!r}: `for_each: {for_each}` needs the run's dataset "
                           "(its learners table) to be prepared first", *where, "for_each")
            # listed once, and skipped like any optional run whose dataset is absent
            runs.append(Run(name=run_name, notebook=notebook, parameters=params, optional=True))
            continue
        for value in values:
            fanned = f"{run_name}-{_slug(value)}"
            if fanned in names:
                raise fail(f"run {run_name!r}: two values of {for_each!r} give the report "
                           f"name {fanned!r}", *where, "for_each")
            names.add(fanned)
            runs.append(Run(name=fanned, notebook=notebook, parameters={**params, for_each: value},
                            optional=optional, group=value))
    return Batch(name=name, config=config, root=root, runs=tuple(runs),
                 scan_terms=tuple(terms),
                 defaults={str(k): _resolve(v, root) if _is_path_parameter(str(k), v) else v
                           for k, v in defaults.items()})


def _slug(value: str) -> str:
    """A file-name form of a value: "St Anne's Hospice" -> "st-annes-hospice"."""
    text = re.sub(r"[^a-z0-9]+", "-", str(value).lower().replace("'", "")).strip("-")
    return text or "blank"


def _fan_out_values(parameters: dict, column: str) -> list[str] | None:
    """The distinct values of `column` in the run's dataset learners (None if not prepared)."""
    learners = dataset_file(parameters, "learners.parquet")
    if learners is None or not learners.exists():
        return None
    values = pd.read_parquet(learners, columns=[column])[column].dropna().astype(str)
    return sorted(values.unique())




# --- the batch folder: lock and leftovers -------------------------------------------------

class BatchLocked(InputError):
    """Another batch is writing the same folder."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def lock(out_dir: Path):
    """Hold ``<out_dir>/.batch.lock`` while a batch writes the folder.

    A second batch on the same folder stops with :class:`BatchLocked` naming the process
    that holds the lock. A lock left by a process that no longer runs (a killed batch) is
    taken over.
    """
    path = out_dir / LOCK_NAME
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = int(path.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                holder = None
            if holder is not None and _pid_alive(holder):
                raise BatchLocked(path, f"another batch (process {holder}) is writing "
                                        f"{out_dir}; wait for it to finish, or write this "
                                        "batch elsewhere (--out)") from None
            with suppress(FileNotFoundError):
                path.unlink()  # stale: its process is gone
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{os.getpid()}\n")
        break
    else:
        raise BatchLocked(path, f"could not take the lock on {out_dir}")
    try:
        yield path
    finally:
        with suppress(FileNotFoundError):
            path.unlink()


def clear_folder(out_dir: Path) -> list[Path]:
    """Remove what an earlier batch wrote (reports, notebooks, the index) and the temporary
    files an interrupted one left; return what was removed."""
    removed = []
    for path in out_dir.iterdir():
        if path.is_file() and (TEMP_FILE.match(path.name) or _REPORT_FILE.search(path.name)
                               or path.name == "index.html"):
            with suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


# --- one run ------------------------------------------------------------------------------

def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


def _failure_from_notebook(nb, audience: str, exc: Exception) -> Failure:
    """Locate the failing cell in an executed notebook, indexed as in the committed one."""
    from papermill.exceptions import PapermillExecutionError

    cells = [c for c in nb.cells if _ERROR_MARKER_TAG not in c.metadata.get("tags", [])]
    index = None
    if isinstance(exc, PapermillExecutionError):
        index = exc.cell_index
    else:  # a timeout or a dead kernel: the cell papermill was running
        for i, cell in enumerate(cells):
            pm = cell.metadata.get("papermill", {})
            if pm.get("status") == "running" or pm.get("exception"):
                index = i
                break
    if isinstance(exc, PapermillExecutionError):
        ename, evalue = exc.ename, exc.evalue
    else:
        lines = str(exc).strip().splitlines()
        ename, evalue = type(exc).__name__, lines[0] if lines else ""
    if index is None or index >= len(cells):
        return Failure(audience, "execute", f"{ename}: {evalue}", ename=ename, evalue=evalue)
    cell = cells[index]
    # The injected-parameters cell is papermill's, not the author's: do not count it.
    injected = sum("injected-parameters" in c.metadata.get("tags", []) for c in cells[:index])
    return Failure(audience, "execute", f"{ename}: {evalue}", cell_index=index - injected,
                   exec_count=cell.get("execution_count"),
                   cell_first_line=_first_line(cell.source), ename=ename, evalue=evalue)


def _execute(run: Run, out_dir: Path, timeout: int, progress: bool):
    """Run the notebook once for both audiences. Returns (executed notebook or None,
    Failure or None)."""
    import papermill

    target = out_dir / f"{run.name}.ipynb"
    # papermill rewrites its output in place after every cell: it writes to a temporary
    # name, renamed once complete, so a killed batch leaves no half notebook as the report.
    tmp = out_dir / f".{target.name}.{os.getpid()}_{time.monotonic_ns()}.tmp"
    bar = ({"desc": run.name, "leave": False, "file": sys.stderr} if progress else False)
    failure = None
    try:
        with warnings.catch_warnings():
            # the temporary name does not end in .ipynb on purpose
            warnings.filterwarnings("ignore", message="The specified file .* does not end in")
            papermill.execute_notebook(
                str(run.notebook), str(tmp), parameters={**run.parameters, "audience": "both"},
                kernel_name="python3", cwd=str(run.notebook.parent),
                execution_timeout=timeout, progress_bar=bar)
    except Exception as exc:  # noqa: BLE001 - one failing notebook must not stop the batch
        failure = exc
    except BaseException:  # Ctrl-C: stop the batch, leave nothing half-written
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    nb = None
    with suppress(Exception):
        if os.path.getsize(tmp):
            nb = nbformat.read(tmp, as_version=4)
    if nb is None:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        if failure is None:
            return None, Failure("", "execute", "papermill wrote no notebook")
        return None, Failure("", "execute", f"{type(failure).__name__}: {failure}",
                             ename=type(failure).__name__, evalue=str(failure))
    _ordinary_mode(tmp)
    os.replace(tmp, target)
    return nb, (_failure_from_notebook(nb, "", failure) if failure is not None else None)


_SCRIPT_KINDS = ("script", "event_handler", "script_url")


def researcher_checks(page: str) -> list[Failure]:
    """What fails a researcher page: anything fetched from the network, or any script (the
    template writes none: one can only come from text of the data that was not escaped)."""
    found = privacy.scan_html(page)
    failures = []
    fetched = [leak for leak in found if leak["kind"].startswith("external_")]
    if fetched:
        failures.append(Failure("researcher", "offline check",
                                "offline check: the page loads from the network "
                                f"({publish.summarise(fetched)})"))
    scripts = [leak for leak in found if leak["kind"] in _SCRIPT_KINDS]
    if scripts:
        failures.append(Failure("researcher", "script check",
                                f"script check: the page runs script ({publish.summarise(scripts)})"))
    return failures


# --- partner pages on paper ----------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright never downloads a browser here
PDF_TIMEOUT_MS = 60_000               # to load and print one page


class PdfUnavailable(RuntimeError):
    """No PDF can be printed in this batch: chromium or Playwright is missing, or chromium
    does not start."""


def find_chromium() -> Path | None:
    """Debian's chromium (``/usr/bin/chromium``), else a ``chromium`` on the PATH."""
    if CHROMIUM.is_file():
        return CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


class PdfPrinter:
    """Prints pages to A4 PDF with Debian's chromium through Playwright (imported lazily).

    One browser serves the whole batch: started at the first page, closed by
    :meth:`close` (or leaving the ``with`` block). It runs in a thread of its own, since
    Playwright's sync API marks its event loop as running in the thread that uses it, where
    papermill runs its own. Each page is loaded from its HTML (``set_content``) in a
    context with JavaScript off and every request blocked (the pages are self-contained),
    and printed with ``page.pdf(format="A4", print_background=True)``.
    """

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._browser = None   # (playwright, browser, context), used in the thread only
        self.unavailable: str | None = None   # why no PDF can be printed, once known

    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        # Ctrl-C reached chromium too (same process group): do not wait on it
        self.close(wait=kind is None or issubclass(kind, Exception))

    def _start(self) -> None:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise PdfUnavailable("chromium not found (Playwright is not installed)") from None
        executable = find_chromium()
        if executable is None:
            raise PdfUnavailable("chromium not found")
        playwright = sync_playwright().start()
        try:
            # chromium refuses to run as root (as CI does) with its sandbox on
            args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
            browser = playwright.chromium.launch(executable_path=str(executable),
                                                 headless=True, args=args)
            context = browser.new_context(java_script_enabled=False)
            context.route("**/*", lambda route: route.abort())
        except Exception as exc:  # noqa: BLE001 - any failure to start means no PDF
            with suppress(Exception):
                playwright.stop()
            lines = str(exc).strip().splitlines()
            raise PdfUnavailable(f"chromium could not start ({type(exc).__name__}: "
                                 f"{lines[0] if lines else ''})") from None
        self._browser = (playwright, browser, context)

    def _print(self, page_html: str) -> bytes:
        if self._browser is None:
            self._start()
        page = self._browser[2].new_page()
        try:
            page.set_content(page_html, wait_until="load", timeout=PDF_TIMEOUT_MS)
            return page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        finally:
            with suppress(Exception):
                page.close()

    def pdf(self, page_html: str) -> bytes:
        """The page printed to PDF. Raises :class:`PdfUnavailable` when no browser can print
        (then every later call does at once), another exception when this page failed."""
        if self.unavailable is not None:
            raise PdfUnavailable(self.unavailable)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf")
        try:
            return self._executor.submit(self._print, page_html).result()
        except PdfUnavailable as exc:
            self.unavailable = str(exc)
            raise

    def write(self, page_html: str, path: Path) -> Path:
        """Print the page and write it to `path` atomically."""
        data = self.pdf(page_html)
        return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))

    def close(self, wait: bool = True) -> None:
        """Close the browser and its thread (if one was started). With ``wait=False`` (on
        Ctrl-C) the thread is left to end: Playwright's driver, and the browser with it,
        exits when this process does."""
        if self._executor is None:
            return
        if not wait:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
            return

        def stop():
            if self._browser is not None:
                playwright, browser, _ = self._browser
                self._browser = None
                with suppress(Exception):
                    browser.close()
                with suppress(Exception):
                    playwright.stop()

        with suppress(Exception):
            self._executor.submit(stop).result()
        self._executor.shutdown(wait=True)
        self._executor = None


def _write_pdf(printer: PdfPrinter, page: str, path: Path, result: RunResult) -> None:
    """Print a partner page that passed its scan; a note on the run when it cannot be."""
    try:
        result.pdf = printer.write(page, path)
    except PdfUnavailable as exc:
        result.notes.append(f"PDF not written: {exc}")
    except Exception as exc:  # noqa: BLE001 - the HTML is published; the PDF is extra
        lines = str(exc).strip().splitlines()
        result.notes.append(f"PDF not written: {type(exc).__name__}: "
                            f"{lines[0] if lines else ''}")


def _publish(run: Run, nb, result: RunResult, out_dir: Path, scan_terms, raw_scan: bool,
             published: dict, printer: PdfPrinter | None = None) -> None:
    """Write the researcher page, then scan the partner page in memory and write it under
    its shareable name only if it passed; then print that page to PDF (with `printer`)."""
    from engagement.schema import atomic_write_text

    for audience in ("researcher", "partner"):
        try:
            page = publish.to_html(nb, audience=audience, title=run.name)
        except Exception as exc:  # noqa: BLE001 - report it, carry on with the batch
            result.failures.append(Failure(audience, "convert",
                                           f"nbconvert: {type(exc).__name__}: {exc}"))
            continue
        if audience == "researcher":
            result.failures += researcher_checks(page)
            result.html["researcher"] = atomic_write_text(
                out_dir / f"{run.name}.researcher.html", page)
            continue
        scan = publish.scan_partner(page, run.parameters, own=run.group, scan_terms=scan_terms,
                                    raw_scan=raw_scan,
                                    others=published.get(run.parameters.get("dataset"), []))
        written = publish.publish_partner(page, out_dir / f"{run.name}.partner.html", scan)
        if scan.passed:
            result.html["partner"] = written
            published.setdefault(run.parameters.get("dataset"), []).append(page)
            if printer is not None:   # exactly the HTML that passed
                _write_pdf(printer, page, out_dir / f"{run.name}.partner.pdf", result)
            continue
        result.withheld = written
        result.leaks = scan.leaks
        if scan.leaks:
            result.failures.append(Failure(
                "partner", "privacy scan",
                f"privacy scan: {publish.summarise(scan.leaks)} found; the partner HTML was "
                f"withheld as {written.name}"))
        if scan.missing_raw:
            result.failures.append(Failure(
                "partner", "privacy scan",
                f"privacy scan could not run: {len(scan.missing_raw)} raw input file(s) of the "
                "dataset not found (quality.json names them; looked next to data/processed "
                "and in the shared data folder), so names from them could not be scanned "
                f"for; the partner HTML was withheld as {written.name} (run with "
                "--no-raw-scan to publish without that check)"))
    if not raw_scan and "partner" in result.html:
        result.notes.append("partner page NOT scanned for names from the raw exports "
                            "(--no-raw-scan)")


def _run_one(run: Run, out_dir: Path, timeout: int, progress: bool, scan_terms,
             raw_scan: bool, published: dict, printer: PdfPrinter | None = None) -> RunResult:
    result = RunResult(name=run.name, notebook=run.notebook, parameters=dict(run.parameters),
                       group=run.group,
                       started_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                       raw_files=publish.dataset_raw_files(run.parameters))
    start = time.perf_counter()
    nb, failure = _execute(run, out_dir, timeout, progress)
    if failure is not None:
        result.failures.append(failure)
    if nb is not None:
        result.executed = out_dir / f"{run.name}.ipynb"
        if failure is None:
            _publish(run, nb, result, out_dir, scan_terms, raw_scan, published, printer)
        else:
            # a failed run's researcher page shows where it failed; no partner page
            with suppress(Exception):
                from engagement.schema import atomic_write_text

                result.html["researcher"] = atomic_write_text(
                    out_dir / f"{run.name}.researcher.html",
                    publish.to_html(nb, audience="researcher", title=run.name))
            result.notes.append("partner version not written: the run failed")
    result.seconds = time.perf_counter() - start
    return result


def _skip(run: Run) -> RunResult | None:
    """A skipped result for an optional run whose dataset is absent, else None."""
    quality = dataset_file(run.parameters, "quality.json")
    if not run.optional or quality is None or quality.exists():
        return None
    dataset = quality.parent
    return RunResult(name=run.name, notebook=run.notebook, parameters=run.parameters,
                     group=run.group,
                     skipped=f"optional run skipped: its dataset {dataset} has not been "
                             "prepared (see the README)")


def run_batch(batch: Batch, *, out_dir: str | os.PathLike | None = None, timeout: int = 900,
              progress: bool = True, raw_scan: bool = True, pdf: bool = True) -> list[RunResult]:
    """Execute every run once, publish its two pages (the partner page scanned before it is
    named, then printed to PDF) and write the index.

    One failing notebook does not stop the batch: its result records the failing cell and
    the error, and its executed notebook is still written as researcher HTML (no partner
    page). The folder is locked for the whole batch (:func:`lock`), and what an earlier
    batch wrote there is removed first (:func:`clear_folder`), so no page outlives its run.
    Every file is written under a temporary name in the same folder and renamed when
    complete, so an interrupted or killed batch leaves only complete, scanned pages.

    Parameters
    ----------
    batch : Batch
        From :func:`load_batch`.
    out_dir : str or path, optional
        The output root: the batch is written to ``<out_dir>/<batch>/`` (default
        ``<root>/outputs/<batch>/``, root being the folder of the batch file); created if
        needed.
    timeout : int
        Seconds allowed per cell (papermill's ``execution_timeout``).
    progress : bool
        Show progress bars (runs, and cells of the running notebook) on stderr.
    raw_scan : bool
        Scan partner pages for the names, e-mail addresses and ids in the dataset's raw
        exports; when those exports cannot be found the run fails. False (``--no-raw-scan``)
        skips that part of the scan, and the index says so.
    pdf : bool
        Print each partner page that passed its scan to ``<name>.partner.pdf`` (A4, by
        Debian's chromium through Playwright, one browser for the batch). Without chromium
        or Playwright the runs get the note "PDF not written: chromium not found" and do
        not fail. False (``--no-pdf``) prints nothing.

    Returns
    -------
    list of RunResult
        One per run, in batch order.
    """
    from tqdm import tqdm

    out = batch.out_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    published: dict = {}  # dataset -> partner pages that passed, for the differencing check
    with lock(out), (PdfPrinter() if pdf else nullcontext()) as printer:
        clear_folder(out)
        results = [_skip(run) or _run_one(run, out, timeout, progress, batch.scan_terms,
                                          raw_scan, published, printer)
                   for run in tqdm(batch.runs, desc=f"batch {batch.name}", unit="report",
                                   disable=not progress, file=sys.stderr)]
        publish.write_index(results, batch, out_dir, raw_scan=raw_scan)
    return results


def main_report(config_path: str | os.PathLike, *, raw_scan: bool = True, pdf: bool = True,
                **kw) -> int:
    """Load and run a batch; print the index path. What ``engagement report`` calls.

    Keywords (out_dir, timeout, progress) go to :func:`run_batch`, as do `raw_scan`
    (``--no-raw-scan``) and `pdf` (``--no-pdf``). A bad batch file raises
    :class:`engagement.schema.InputError` (a ValueError) before anything runs.

    Returns
    -------
    int
        0 when every run succeeded, 1 otherwise.
    """
    batch = load_batch(config_path)
    results = run_batch(batch, raw_scan=raw_scan, pdf=pdf, **kw)
    print(batch.out_dir(kw.get("out_dir")) / "index.html")
    for r in results:
        for f in r.failures:
            print(f"FAILED {r.name}: {f.describe()}", file=sys.stderr)
    return 0 if all(r.ok for r in results) else 1
