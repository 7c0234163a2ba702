"""The report batch: papermill runs the notebooks, nbconvert publishes them, an index lists them.

``reports.yaml`` (at the repository root) says which notebooks run on which data::

    batch: demo                       # written to outputs/<batch>/
    defaults:                         # parameters every run gets unless it overrides them
      dataset: data/processed/demo
      min_group_size: 5
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

Each run is executed twice, once per audience (the notebook's ``audience`` parameter is set
by the batch), and written to ``outputs/<batch>/``:

- ``<name>.<audience>.ipynb``: the executed notebook;
- ``<name>.researcher.html``: with code;
- ``<name>.partner.html``: no code, no parameter cells, no stderr (warnings), no cells
  tagged ``researcher-only``; scanned by :func:`engagement.privacy.scan_html`, and renamed
  ``<name>.partner.withheld.html`` (the run marked failed) if anything identifying is found;
- ``index.html``: every report, its parameters, provenance, run time and status.

The notebooks' opening section uses :func:`coverage_markdown`, :func:`provenance` and
:func:`table_sizes` from here.

Both HTML versions are self-contained and open offline: images are inline and the
``offline`` nbconvert template (``templates/offline``) loads no script, style, font,
MathJax or require.js from the network. Every file is written atomically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import warnings
from contextlib import suppress
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

import nbformat
import pandas as pd
import yaml

from IPython.display import HTML

from engagement import privacy
from engagement.privacy import SuppressedTable, for_audience
from engagement.schema import InputError, file_md5

AUDIENCES = privacy.AUDIENCES
TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_NAME = "offline"
PROVENANCE_PACKAGES = ("pandas", "numpy", "scipy", "seaborn", "papermill", "nbconvert")

_TOP_KEYS = ("batch", "defaults", "runs", "scan_terms")
_RUN_KEYS = ("notebook", "name", "parameters", "optional", "for_each")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Parameters holding paths: resolved against the repository root, passed on absolute.
_PATH_NAMES = ("dataset",)
_PATH_SUFFIXES = ("_path", "_dir", "_file", "_folder")
# Cells a partner never sees.
PARTNER_HIDDEN_TAGS = frozenset({"parameters", "injected-parameters", "researcher-only",
                                 "papermill-error-cell-tag"})
_ERROR_MARKER_TAG = "papermill-error-cell-tag"


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

    def out_dir(self, output_root: str | os.PathLike | None = None) -> Path:
        """The batch's folder: ``<output_root>/<batch>``, by default ``<root>/outputs/<batch>``."""
        base = Path(output_root) if output_root is not None else self.root / "outputs"
        return base / self.name


@dataclass
class Failure:
    """Why a run failed: a notebook cell, an exception, a privacy scan or an offline check."""

    audience: str
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
        return f"{self.audience}: {where}{self.message}"


@dataclass
class RunResult:
    """What happened to one run of a batch (both audiences)."""

    name: str
    notebook: Path
    parameters: dict
    started_at: str = ""
    seconds: float = 0.0
    html: dict[str, Path] = field(default_factory=dict)        # audience -> written HTML
    executed: dict[str, Path] = field(default_factory=dict)    # audience -> executed .ipynb
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    leaks: list[dict] = field(default_factory=list)            # privacy.scan_html findings
    raw_files: list[dict] = field(default_factory=list)        # from <dataset>/quality.json
    withheld: Path | None = None                               # partner HTML that leaked
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
                 scan_terms=tuple(terms))


def _slug(value: str) -> str:
    """A file-name form of a value: "St Anne's Hospice" -> "st-annes-hospice"."""
    text = re.sub(r"[^a-z0-9]+", "-", str(value).lower().replace("'", "")).strip("-")
    return text or "blank"


def _fan_out_values(parameters: dict, column: str) -> list[str] | None:
    """The distinct values of `column` in the run's dataset learners (None if not prepared)."""
    learners = _dataset_file(parameters, "learners.parquet")
    if learners is None or not learners.exists():
        return None
    values = pd.read_parquet(learners, columns=[column])[column].dropna().astype(str)
    return sorted(values.unique())


# --- writing ------------------------------------------------------------------------------

# A file being written: ".<final name>.<random>.tmp" beside it. The leading dot and the .tmp
# suffix keep it out of "*.html" and "*.ipynb", so it is never mistaken for a report; one
# left by an interrupted batch is removed by the next (see _clear_temporary).
_TEMP_FILE = re.compile(r"^\.[A-Za-z0-9][A-Za-z0-9_.-]*\.(?:html|ipynb)\.[A-Za-z0-9_]+\.tmp$")


def _temp_file(path: Path) -> str:
    """A new empty temporary file beside `path` (same folder, so os.replace is atomic)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return tmp


def _clear_temporary(out_dir: Path) -> list[Path]:
    """Remove the temporary files an interrupted batch left in `out_dir`; return them."""
    removed = []
    for path in out_dir.iterdir():
        if _TEMP_FILE.match(path.name) and path.is_file():
            with suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def _atomic_write_text(path: Path, text: str) -> Path:
    """Write to a temporary file in the same folder, then rename over `path` (os.replace).

    Interrupted at any point, `path` is either absent, the previous file, or the new one in
    full; never part of one.
    """
    tmp = _temp_file(path)
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())  # on disk before the rename makes it the report
        _ordinary_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def _ordinary_mode(path) -> None:
    # mkstemp makes the file private (0600); give it the mode a plain open() would.
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


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


def _execute(run: Run, audience: str, out_dir: Path, timeout: int, progress: bool):
    """Run the notebook for one audience. Returns (executed notebook or None, Failure or None)."""
    import papermill

    target = out_dir / f"{run.name}.{audience}.ipynb"
    # papermill rewrites its output in place after every cell: it writes to a temporary
    # name, renamed once complete, so a killed batch leaves no half notebook as the report.
    tmp = _temp_file(target)
    bar = ({"desc": f"{run.name} ({audience})", "leave": False, "file": sys.stderr}
           if progress else False)
    failure = None
    try:
        with warnings.catch_warnings():
            # the temporary name does not end in .ipynb on purpose
            warnings.filterwarnings("ignore", message="The specified file .* does not end in")
            papermill.execute_notebook(
                str(run.notebook), tmp, parameters={**run.parameters, "audience": audience},
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
            return None, Failure(audience, "execute", "papermill wrote no notebook")
        return None, Failure(audience, "execute", f"{type(failure).__name__}: {failure}",
                             ename=type(failure).__name__, evalue=str(failure))
    _ordinary_mode(tmp)
    os.replace(tmp, target)
    return nb, (_failure_from_notebook(nb, audience, failure) if failure is not None else None)


# Widgets (tqdm.notebook progress bars, ipywidgets) mean nothing in a static page.
_WIDGET_MIMES = ("application/vnd.jupyter.widget-view+json",
                 "application/vnd.jupyter.widget-state+json")
# A warning or log record shown as display data rather than on stderr.
_WARNING_TEXT = re.compile(r"^\s*(?:\S*:\d+: )?[A-Z]\w*Warning: |^(?:WARNING|ERROR|CRITICAL):",
                           re.M)
# One line of a progress bar: redrawn with carriage returns or cursor moves (colours are
# not moves), or tqdm's "40%|####      | 4/10 [00:01<00:02, 3.1it/s]" written once.
_PROGRESS = re.compile(r"\r|\x1b\[[0-9;]*[ABCDEFGJK]|\d+%\|.*\|\s*\d+(?:\.\d+)?[kMG]?/")


def _hidden_output(output) -> bool:
    """Whether a partner never sees `output`: an error, stderr (warnings, logging, progress
    bars), a widget, or display data that is only a warning or a log record."""
    kind = output.get("output_type")
    if kind == "error" or (kind == "stream" and output.get("name") == "stderr"):
        return True
    data = output.get("data", {}) if kind in ("display_data", "execute_result") else {}
    if any(mime in data for mime in _WIDGET_MIMES):
        return True
    plain = data.get("text/plain", "")
    plain = "".join(plain) if isinstance(plain, list) else plain
    if set(data) == {"text/plain"} and _WARNING_TEXT.search(plain):
        return True
    return False


def _without_progress(text: str) -> str:
    """Printed text without the lines of progress bars (the rest as printed)."""
    lines = text.splitlines(keepends=True)
    return "".join(line for line in lines if not _PROGRESS.search(line.rstrip("\n")))


def partner_notebook(nb):
    """A copy of an executed notebook stripped for partners.

    Removes cells tagged ``parameters``, ``injected-parameters``, ``researcher-only`` (and
    papermill's error markers), stderr streams (warnings, logging, tqdm's bars), error
    outputs, widgets (``tqdm.notebook``), display data that is only a Python warning or a
    log record, and progress-bar lines printed to stdout (redrawn with ``\\r`` or written by
    tqdm); a stream left empty goes too. Code input is removed at conversion
    (``exclude_input``).
    """
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # deep copy, the input is kept
    cells = []
    for cell in nb.cells:
        if PARTNER_HIDDEN_TAGS & set(cell.metadata.get("tags", [])):
            continue
        if cell.cell_type == "code":
            outputs = []
            for output in cell.get("outputs", []):
                if _hidden_output(output):
                    continue
                if output.get("output_type") == "stream":
                    text = output.get("text", "")
                    output["text"] = _without_progress(
                        "".join(text) if isinstance(text, list) else text)
                    if not output["text"].strip():
                        continue
                outputs.append(output)
            cell.outputs = outputs
        cells.append(cell)
    nb.cells = cells
    return nb


def _escape_markdown(text: str) -> str:
    """Markdown output with every ``<`` outside code spans escaped.

    Notebooks display library sentences with ``Markdown(...)``; they carry course,
    organisation and campaign names from the data, and Markdown passes HTML through, so a
    name such as ``<script>...`` would run. Code spans are shown literally already.
    """
    parts = re.split(r"(`+)(.*?)\1", text, flags=re.S)
    out = []
    # re.split with two groups: text, ticks, code, text, ticks, code, ..., text
    for i in range(0, len(parts), 3):
        out.append(parts[i].replace("<", "&lt;"))
        if i + 2 < len(parts):
            out.append(parts[i + 1] + parts[i + 2] + parts[i + 1])
    return "".join(out)


def _escaped_outputs(nb):
    """A copy of `nb` whose Markdown outputs cannot carry HTML (see :func:`_escape_markdown`)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else ():
            data = output.get("data", {})
            if "text/markdown" in data:
                text = data["text/markdown"]
                data["text/markdown"] = _escape_markdown(
                    "".join(text) if isinstance(text, list) else text)
    return nb


def to_html(nb, *, audience: str, title: str) -> str:
    """An executed notebook as self-contained offline HTML for `audience`.

    ``researcher``: everything, code included. ``partner``: :func:`partner_notebook`, then
    no code input and no prompts. For both, HTML in Markdown outputs (which show text from
    the data) is escaped; tables from :func:`show` and pandas are escaped when made.
    """
    from nbconvert import HTMLExporter

    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    partner = audience == "partner"
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES)],
        embed_images=True, exclude_input=partner, exclude_input_prompt=partner,
        exclude_output_prompt=partner, exclude_anchor_links=partner)
    shown = _escaped_outputs(partner_notebook(nb) if partner else nb)
    body, _ = exporter.from_notebook_node(shown, resources={"metadata": {"name": title}})
    return body


def _dataset_file(parameters: dict, name: str) -> Path | None:
    """A file of the run's processed dataset (its ``dataset`` parameter), if there is one."""
    dataset = parameters.get("dataset")
    return Path(dataset) / name if isinstance(dataset, str) else None


def _dataset_raw_files(parameters: dict) -> list[dict]:
    quality = _dataset_file(parameters, "quality.json")
    if quality is None:
        return []
    with suppress(OSError, ValueError):
        raw = json.loads(quality.read_text(encoding="utf-8")).get("raw_files", [])
        return [r for r in raw if isinstance(r, dict)]
    return []


def _dataset_names(parameters: dict) -> tuple[str, ...]:
    """Organisation names in the run's dataset: a partner report must show none of them."""
    learners = _dataset_file(parameters, "learners.parquet")
    if learners is None or not learners.exists():
        return ()
    with suppress(OSError, ValueError, KeyError):
        names = pd.read_parquet(learners, columns=["organisation"])["organisation"]
        return tuple(sorted(names.dropna().astype(str).unique()))
    return ()


def _clear_previous(out_dir: Path, name: str) -> None:
    # A stale report from an earlier batch must not pass for this run's.
    for aud in AUDIENCES:
        for suffix in ("ipynb", "html"):
            with suppress(FileNotFoundError):
                (out_dir / f"{name}.{aud}.{suffix}").unlink()
    with suppress(FileNotFoundError):
        (out_dir / f"{name}.partner.withheld.html").unlink()


def _run_one(run: Run, out_dir: Path, timeout: int, progress: bool) -> RunResult:
    result = RunResult(name=run.name, notebook=run.notebook, parameters=dict(run.parameters),
                       group=run.group,
                       started_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                       raw_files=_dataset_raw_files(run.parameters))
    start = time.perf_counter()
    _clear_previous(out_dir, run.name)
    for audience in AUDIENCES:
        if audience == "partner" and result.failures:
            result.notes.append("partner version not run: the researcher run failed")
            break
        nb, failure = _execute(run, audience, out_dir, timeout, progress)
        if failure is not None:
            result.failures.append(failure)
        if nb is None:
            continue
        result.executed[audience] = out_dir / f"{run.name}.{audience}.ipynb"
        if failure is not None and audience == "partner":
            # A failed partner run is not a partner report; its notebook is kept to debug.
            continue
        try:
            body = to_html(nb, audience=audience, title=run.name)
            path = out_dir / f"{run.name}.{audience}.html"
            result.html[audience] = _atomic_write_text(path, body)
        except Exception as exc:  # noqa: BLE001 - report it, carry on with the batch
            result.failures.append(Failure(audience, "convert",
                                           f"nbconvert: {type(exc).__name__}: {exc}"))
    result.seconds = time.perf_counter() - start
    return result


_SCRIPT_KINDS = ("script", "event_handler", "script_url")


def _summarise(leaks: list[dict]) -> str:
    kinds: dict[str, int] = {}
    for leak in leaks:
        kinds[leak["kind"]] = kinds.get(leak["kind"], 0) + 1
    return ", ".join(f"{n} {k}" for k, n in kinds.items())


def _raw_folders(quality: dict, dataset: Path) -> list[Path]:
    """Where the raw exports of a dataset may be: quality.json records the folder's name only."""
    name = str(quality.get("raw_dir") or "")
    folders = [Path(str(quality["raw_path"]))] if quality.get("raw_path") else []
    if name:
        from engagement.clean import repository_root

        root = repository_root()
        shared = os.environ.get("ENGAGEMENT_SHARED_DATA")
        # data/processed/<name> next to data/raw/<raw_dir>; the checkout's data/raw; the
        # shared data folder the Makefile prepares OULAD and the other public sets from
        folders += [dataset.parent.parent / "raw" / name, root / "data" / "raw" / name,
                    *([Path(shared) / name] if shared else []),
                    root.parent / "shared" / "data" / name]
    return list(dict.fromkeys(f for f in folders if f.is_dir()))


_RAW_TERMS: dict[tuple, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _raw_terms(parameters: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Names, e-mail addresses and ids of people in the dataset's raw inputs, and the raw
    files that could not be found (by name and MD5). Kept in memory only, once per dataset."""
    quality_file = _dataset_file(parameters, "quality.json")
    if quality_file is None or not quality_file.exists():
        return (), ()
    key = (str(quality_file.resolve()), quality_file.stat().st_mtime_ns)
    if key not in _RAW_TERMS:
        try:
            quality = json.loads(quality_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            quality = {}
        wanted = [r for r in quality.get("raw_files", []) if isinstance(r, dict)]
        folders = _raw_folders(quality, quality_file.parent)
        paths, missing = [], []
        for raw in wanted:
            name, md5 = str(raw.get("file", "")), raw.get("md5")
            match = next((p for folder in folders for p in sorted(folder.rglob(name))
                          if p.is_file() and (md5 is None or file_md5(p) == md5)), None)
            if match is None:
                missing.append(name)
            else:
                paths.append(match)
        terms = privacy.raw_identifying_terms(dict.fromkeys(paths))["term"]
        _RAW_TERMS[key] = (tuple(terms), tuple(missing))
    return _RAW_TERMS[key]


def _scan(result: RunResult, scan_terms) -> None:
    partner = result.html.get("partner")
    if partner is not None:
        # people named in the raw exports (learners, attendees, staff) must appear nowhere
        raw_terms, missing = _raw_terms(result.parameters)
        if missing:
            result.notes.append(
                f"privacy scan: {len(missing)} raw input file(s) of the dataset not found "
                "(quality.json names them; looked next to data/processed and in the shared "
                "data folder), so names from them were not scanned for")
        # a partner's own report may name the partner, and no other organisation
        terms = tuple(t for t in (*scan_terms, *_dataset_names(result.parameters), *raw_terms)
                      if t != result.group)
        leaks = privacy.scan_report(partner, extra_terms=terms)
        if leaks:
            result.leaks = leaks
            withheld = partner.with_name(f"{result.name}.partner.withheld.html")
            os.replace(partner, withheld)
            del result.html["partner"]
            result.withheld = withheld
            result.failures.append(Failure(
                "partner", "privacy scan",
                f"privacy scan: {_summarise(leaks)} found; the partner HTML was withheld "
                f"as {withheld.name}"))
    researcher = result.html.get("researcher")
    if researcher is not None:
        found = privacy.scan_report(researcher)
        fetched = [leak for leak in found if leak["kind"].startswith("external_")]
        if fetched:
            result.failures.append(Failure(
                "researcher", "offline check",
                f"offline check: the page loads from the network ({_summarise(fetched)})"))
        # the template writes no script: one here came from text that was not escaped
        scripts = [leak for leak in found if leak["kind"] in _SCRIPT_KINDS]
        if scripts:
            result.failures.append(Failure(
                "researcher", "script check",
                f"script check: the page runs script ({_summarise(scripts)})"))


def _skip(run: Run) -> RunResult | None:
    """A skipped result for an optional run whose dataset is absent, else None."""
    quality = _dataset_file(run.parameters, "quality.json")
    if not run.optional or quality is None or quality.exists():
        return None
    dataset = quality.parent
    return RunResult(name=run.name, notebook=run.notebook, parameters=run.parameters,
                     group=run.group,
                     skipped=f"optional run skipped: its dataset {dataset} has not been "
                             "prepared (see the README)")


def run_batch(batch: Batch, *, out_dir: str | os.PathLike | None = None, timeout: int = 900,
              progress: bool = True) -> list[RunResult]:
    """Execute every run for both audiences, write the HTML, scan the partner versions.

    One failing notebook does not stop the batch: its result records the failing cell and
    the error, and its executed notebook is still written as researcher HTML. After all
    runs, every partner HTML is scanned (:func:`engagement.privacy.scan_html`, with the
    batch's ``scan_terms``); a finding fails the run and the file is renamed
    ``<name>.partner.withheld.html``. A researcher HTML that would load anything from the
    network also fails its run.

    Every file is written under a temporary name (``.<name>.<random>.tmp``) in the same
    folder and renamed when complete, so an interrupted or killed batch leaves only
    complete reports; the temporary files it may leave are removed when the next batch
    starts.

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

    Returns
    -------
    list of RunResult
        One per run, in batch order: name, notebook, parameters, status ("ok"/"failed"),
        started_at, seconds, html and executed (audience -> path), failures, notes, leaks,
        raw_files, withheld.
    """
    from tqdm import tqdm

    out = batch.out_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _clear_temporary(out)  # left by an interrupted or killed batch
    results = [_skip(run) or _run_one(run, out, timeout, progress)
               for run in tqdm(batch.runs, desc=f"batch {batch.name}", unit="report",
                               disable=not progress, file=sys.stderr)]
    for result in results:
        _scan(result, batch.scan_terms)
    return results


# --- the index page -----------------------------------------------------------------------

def environment(root: str | os.PathLike = ".") -> dict:
    """The software a report was made with: git commit of `root` and package versions.

    Returns
    -------
    dict
        commit (hash, with " (uncommitted changes)" when the work tree differs, or
        "unavailable"), python, packages ({name: version or "not installed"}),
        generated_at (UTC, ISO 8601).
    """
    commit = "unavailable"
    with suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=20)
        if head.returncode == 0 and head.stdout.strip():
            commit = head.stdout.strip()
            dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                    "--untracked-files=no"], capture_output=True, text=True,
                                   timeout=20)
            if dirty.returncode == 0 and dirty.stdout.strip():
                commit += " (uncommitted changes)"
    packages = {}
    for name in PROVENANCE_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "not installed"
    return {"commit": commit, "python": platform.python_version(), "packages": packages,
            "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


# --- helpers for the notebooks' opening section -------------------------------------------

def provenance(ds, *, root: str | os.PathLike = ".") -> pd.DataFrame:
    """A report's provenance as a table: commit, package versions, dataset, raw-file MD5s.

    Parameters
    ----------
    ds : engagement.schema.Dataset
        The processed dataset the report reads.
    root : str or path
        A folder inside the git checkout (a notebook runs in ``notebooks/``).

    Returns
    -------
    DataFrame
        item, value: one row each for the commit, python, every package of
        :data:`PROVENANCE_PACKAGES`, the dataset and when it was prepared, the demo seed
        when recorded, and one row per raw file read (``raw file <source>/<file>``: its MD5).
    """
    env = environment(root)
    quality = getattr(ds, "quality", {}) or {}
    rows = [("commit", env["commit"]), ("python", env["python"])]
    rows += [(name, version) for name, version in env["packages"].items()]
    rows.append(("dataset", str(getattr(ds, "name", ""))))
    if quality.get("written_at"):
        rows.append(("dataset prepared at", str(quality["written_at"])))
    seed = quality.get("seed", quality.get("demo_seed"))
    if seed is not None:
        rows.append(("demo seed", str(seed)))
    for raw in quality.get("raw_files", []):
        rows.append((f"raw file {raw.get('source', '?')}/{raw.get('file', '?')}",
                     f"MD5 {raw.get('md5', '?')}"))
    return pd.DataFrame(rows, columns=["item", "value"])


def _percent(value):
    return f"{value:.0%}" if isinstance(value, float) and value == value else value


def _number(value):
    # whole numbers with thousands separators; others with two decimals
    if isinstance(value, (int, float)) and value == value and abs(value) != float("inf"):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return value


def show(table: pd.DataFrame, *, audience: str, min_size: int = 5, **kwargs) -> HTML:
    """A table as a report shows it: through :func:`privacy.for_audience`, no index, shares
    as percentages, dates as days.

    Parameters
    ----------
    table : DataFrame
        A tidy result table.
    audience : {"researcher", "partner"}
        Partner tables are anonymised and their small cells suppressed.
    min_size : int
        The minimum group size for partner tables.
    **kwargs
        Passed to :func:`privacy.for_audience` (count_columns, organisation_column, ...).

    Returns
    -------
    IPython.display.HTML
        Every text cell and column name HTML-escaped.
    """
    shown = for_audience(table, audience=audience, min_size=min_size, **kwargs)
    if isinstance(shown, SuppressedTable):
        shown = shown.for_display()
    shares = [c for c in shown.columns if re.search(r"(share|rate|survival)", str(c))]
    if shares:  # the interval of a share is a share too
        shares += [c for c in ("ci_low", "ci_high", "naive_ci_low", "naive_ci_high",
                               "cri_low", "cri_high", "posterior_mean") if c in shown.columns]
    days = [c for c in shown.columns if pd.api.types.is_datetime64_any_dtype(shown[c])]
    numbers = [c for c in shown.columns if c not in shares + days
               and pd.api.types.is_numeric_dtype(shown[c])
               and not pd.api.types.is_bool_dtype(shown[c])]
    # Text from the data (course, organisation, post names) is escaped, cells and headers:
    # Styler writes them as they are otherwise, so a name could carry a <script>.
    styler = (shown.style.hide(axis="index")
              .format(escape="html")
              .format(_percent, subset=shares, escape="html")
              .format(lambda v: "" if pd.isna(v) else f"{v:%Y-%m-%d}", subset=days)
              .format(_number, subset=numbers, escape="html")
              .format_index(escape="html", axis="columns")
              .set_table_styles([{"selector": "th, td",
                                  "props": "text-align: left; padding: 2px 8px"}]))
    # the table's id from its content, not at random: a re-run writes the same page
    body = pd.util.hash_pandas_object(shown.astype(str), index=False).to_numpy().tobytes()
    styler.set_uuid(hashlib.sha256(body + str(list(shown.columns)).encode()).hexdigest()[:10])
    return HTML(styler.to_html())


def table_sizes(ds) -> pd.DataFrame:
    """Rows in each contract table of a dataset (absent tables included, as absent).

    Returns
    -------
    DataFrame
        table, present (bool), rows (nullable Int64; missing when the table is absent).
    """
    from engagement.schema import TABLES

    tables = getattr(ds, "tables", {})
    recorded = (getattr(ds, "quality", {}) or {}).get("tables", {})  # no need to read events
    rows = [recorded.get(t, len(tables[t])) if t in tables else None for t in TABLES]
    return pd.DataFrame({"table": list(TABLES), "present": [t in tables for t in TABLES],
                         "rows": pd.array(rows, dtype="Int64")})


def _day(value) -> str:
    return pd.Timestamp(value).strftime("%d %B %Y").lstrip("0")


def coverage_markdown(ds) -> str:
    """One paragraph (Markdown) saying what a report covers: dates, courses, learners.

    Counts of learners and organisations are totals over the dataset, never per person.
    """
    tables = getattr(ds, "tables", {})
    parts = []
    if "courses" in tables and len(tables["courses"]):
        courses = tables["courses"]
        codes = ", ".join(sorted(map(str, courses["course"].unique())))
        parts.append(f"{len(courses)} course(s) ({codes})")
    if "learners" in tables and len(tables["learners"]):
        learners = tables["learners"]
        text = (f"{learners['learner_id'].nunique():,} learner(s) in "
                f"{len(learners):,} enrolment(s)")
        if "organisation" in learners and learners["organisation"].notna().any():
            text += f" from {learners['organisation'].nunique():,} organisation(s)"
        parts.append(text)
    sentence = "This report covers " + (" and ".join(parts) if parts else "the dataset")
    quality = getattr(ds, "quality", {}) or {}
    if quality.get("events_span"):  # recorded by prepare: the events table may be huge
        (first, last), n_events = quality["events_span"], quality["tables"]["events"]
    elif "events" in tables and len(tables["events"]):
        stamps = tables["events"]["timestamp"]
        first, last, n_events = stamps.min(), stamps.max(), len(stamps)
    else:
        n_events = 0
    if n_events:
        sentence += (f", with {n_events:,} recorded event rows from "
                     f"{_day(first)} to {_day(last)} (UTC)")
    sentence += "."
    courses = tables.get("courses")
    if courses is not None and "vle_coverage" in courses:
        # OULAD's click file is partial: say which presentations it covers, and how far
        parts = [f"{r.course} ({r.vle_coverage}, observed to {_day(r.observation_end)})"
                 for r in courses.sort_values("course").itertuples()]
        sentence += (" Click data cover these presentations only: " + "; ".join(parts) +
                     ". Presentations without click data are left out (see the data-quality "
                     "report).")
    name = getattr(ds, "name", None)
    if name:
        sentence += f" Data: the processed dataset `{name}`"
        prepared = (getattr(ds, "quality", {}) or {}).get("written_at")
        sentence += f", prepared {prepared}." if prepared else "."
    return sentence


_INDEX_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em;
       color: #222; max-width: 80em; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: .4em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code { font-size: .9em; }
.ok { color: #1a7f37; font-weight: bold; }
.failed { color: #b42318; font-weight: bold; }
.skipped { color: #8a6d00; font-weight: bold; }
ul { margin: 0; padding-left: 1.2em; }
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _details(summary: str, items_html: str) -> str:
    return f"<details><summary>{_e(summary)}</summary><ul>{items_html}</ul></details>"


def _show_parameter(value, root: Path) -> str:
    if isinstance(value, str) and os.path.isabs(value):
        with suppress(ValueError):
            return str(Path(value).relative_to(root))
    return json.dumps(value, default=str) if not isinstance(value, str) else value


def write_index(results: list[RunResult], batch: Batch,
                out_dir: str | os.PathLike | None = None) -> Path:
    """Write ``index.html``: every report with its links, parameters, provenance and status.

    The page is self-contained (inline CSS, no script) and every value is HTML-escaped.
    Leaks found by the privacy scan are summarised by kind only, never quoted.

    Returns
    -------
    Path
        The index file, ``<out_dir>/<batch>/index.html`` (`out_dir` is the output root, as
        for :func:`run_batch`; default ``<root>/outputs``).
    """
    out = batch.out_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    prov = environment(batch.root)
    n_failed = sum(not r.ok for r in results)
    rows = []
    # community-wide reports first, in batch order; then each partner's reports together
    ordered = [r for r in results if r.group is None] + sorted(
        (r for r in results if r.group is not None), key=lambda r: r.group)
    current = None
    for r in ordered:
        if r.group is not None and r.group != current:
            current = r.group
            rows.append(f'<tr class="partner"><th colspan="7">For {_e(current)}</th></tr>')
        links = []
        for aud in ("partner", "researcher"):
            path = r.html.get(aud)
            if path is not None:
                links.append(f'<a href="{_e(quote(path.name))}">{_e(aud)}</a>')
            else:
                links.append(f"{_e(aud)}: not written")
        params = "".join(f"<li><code>{_e(k)}</code> = <code>{_e(_show_parameter(v, batch.root))}"
                         f"</code></li>" for k, v in r.parameters.items())
        raw = "".join(f"<li><code>{_e(f.get('file', '?'))}</code> ({_e(f.get('source', ''))}) "
                      f"MD5 <code>{_e(f.get('md5', '?'))}</code></li>" for f in r.raw_files)
        problems = "".join(
            f"<li>{_e(f.describe())}</li>" for f in r.failures) + "".join(
            f"<li>{_e(n)}</li>" for n in r.notes + ([r.skipped] if r.skipped else []))
        try:
            notebook = r.notebook.relative_to(batch.root)
        except ValueError:
            notebook = r.notebook
        rows.append(
            "<tr>"
            f"<td><strong>{_e(r.name)}</strong><br><code>{_e(notebook)}</code></td>"
            f'<td class="{_e(r.status)}">{_e(r.status)}</td>'
            f"<td>{'<br>'.join(links)}</td>"
            f"<td><ul>{params}</ul></td>"
            f"<td>{_details(f'{len(r.raw_files)} file(s)', raw) if raw else 'no quality.json raw files'}</td>"
            f"<td>{_e(r.started_at)}<br>{r.seconds:.1f} s</td>"
            f"<td>{'<ul>' + problems + '</ul>' if problems else ''}</td>"
            "</tr>")
    packages = ", ".join(f"{_e(k)} {_e(v)}" for k, v in prov["packages"].items())
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reports: {_e(batch.name)}</title>
<style>{_INDEX_CSS}</style>
</head>
<body>
<h1>Reports: {_e(batch.name)}</h1>
<p>{len(results)} report(s), {n_failed} failed. Each report has a <em>partner</em> version
(no code, no learner identities, no group smaller than the minimum size) and a
<em>researcher</em> version (with code; internal only).</p>
<h2>Provenance</h2>
<ul>
<li>batch file: <code>{_e(batch.config.name)}</code></li>
<li>commit: <code>{_e(prov['commit'])}</code></li>
<li>python {_e(prov['python'])}; {packages}</li>
<li>generated at {_e(prov['generated_at'])}</li>
</ul>
<h2>Reports</h2>
<table>
<thead><tr><th>report</th><th>status</th><th>HTML</th><th>parameters</th>
<th>raw inputs</th><th>run</th><th>problems</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
    return _atomic_write_text(out / "index.html", page)


def main_report(config_path: str | os.PathLike, **kw) -> int:
    """Load, run and index a batch; print the index path. What ``engagement report`` calls.

    Keywords (out_dir, timeout, progress) go to :func:`run_batch`; `out_dir` also to
    :func:`write_index`. A bad batch file raises :class:`engagement.schema.InputError`
    (a ValueError) before anything runs.

    Returns
    -------
    int
        0 when every run succeeded, 1 otherwise.
    """
    batch = load_batch(config_path)
    results = run_batch(batch, **kw)
    index = write_index(results, batch, kw.get("out_dir"))
    print(index)
    for r in results:
        for f in r.failures:
            print(f"FAILED {r.name}: {f.describe()}", file=sys.stderr)
    return 0 if all(r.ok for r in results) else 1
