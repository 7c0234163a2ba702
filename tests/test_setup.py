"""The repository's own rules: pins agree, modules import in the designed order, notebooks
are committed clean, the CLI documents every option."""

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import REPO

# DESIGN.md: a module imports only modules before it.
LAYERS = [
    {"schema", "stats", "results"},
    {"sources"},
    {"clean"},
    {"activity"},
    {"retention"},
    {"channels", "blended", "community"},
    {"drivers"},
    {"findings"},
    {"privacy", "plots"},
    {"display"},
    {"publish"},
    {"batch"},
    {"cli"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _pins_from_pyproject() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["test"]
    return dict(d.split("==") for d in deps)


def _pins_from_environment() -> dict[str, str]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    specs = [d for d in env["dependencies"] if isinstance(d, str)]
    specs += [d for d in env["dependencies"] if isinstance(d, dict)][0]["pip"]
    return dict(s.split("==") for s in specs if "==" in s)


def test_environment_yml_has_the_pyproject_pins():
    assert _pins_from_environment() == _pins_from_pyproject()
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python=")]
    assert python == ["python=3.11"]


def test_every_dependency_is_pinned_exactly():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"] + project["optional-dependencies"]["test"]:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][0-9A-Za-z.]*", dep), dep


def _library_modules():
    root = REPO / "src" / "engagement"
    for path in sorted(root.rglob("*.py")):
        if path.parent != root or path.name != "__init__.py":
            yield path, path.relative_to(root).parts[0].removesuffix(".py")


def _imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield from [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


def test_every_module_is_placed_in_the_design_order():
    assert {top for _, top in _library_modules()} <= set(RANK)


def test_the_lowest_layer_imports_nothing_of_the_package_but_itself():
    # schema, stats and results sit below everything: they import no other module of ours
    for name in ("stats", "results"):
        imported = {n.split(".")[1] for n in _imported_modules(REPO / "src" / "engagement" /
                                                               f"{name}.py")
                    if n.startswith("engagement.")}
        assert imported <= {name}, f"{name} imports {imported}"


def test_modules_import_only_earlier_layers():
    bad = []
    for path, top in _library_modules():
        for name in _imported_modules(path):
            parts = name.split(".")
            if parts[0] != "engagement" or len(parts) < 2 or parts[1] not in RANK:
                continue
            if parts[1] != top and RANK[parts[1]] >= RANK[top]:
                bad.append(f"{path.relative_to(REPO)} imports {name}")
    assert not bad, "imports against the designed order:\n" + "\n".join(bad)


NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_clean(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    tags = [t for c in nb["cells"] for t in c.get("metadata", {}).get("tags", [])]
    assert tags.count("parameters") == 1
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, path.name


def test_there_are_notebooks():
    assert {"00_data_quality.ipynb", "01_overview.ipynb"} <= {p.name for p in NOTEBOOKS}


def test_parameters_cells_hold_literals_only():
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
        for node in ast.parse("".join(cell["source"])).body:
            assert isinstance(node, ast.Assign), f"{path.name}: {ast.dump(node)}"
            ast.literal_eval(node.value)


def _help(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "engagement.cli", *args, "--help"],
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("command", ["demo", "prepare", "validate", "report"])
def test_cli_help_describes_every_option(command):
    from engagement.cli import build_parser

    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]
    for action in sub._actions:
        if action.dest != "help":
            assert action.help, f"{command}: option {action.dest} has no help"
    text = _help(command)
    for action in sub._actions:
        for flag in action.option_strings:
            assert flag in text
    assert command in _help()


def test_readme_has_the_two_commands_and_ci_runs_the_test_one():
    readme = (REPO / "README.md").read_text()
    assert "make reports" in readme and "make test" in readme
    assert "make test" in (REPO / ".ci" / "run").read_text()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_parameter_is_documented(path):
    import papermill

    parameters = papermill.inspect_notebook(str(path))
    assert {"dataset", "audience", "min_group_size"} <= set(parameters)
    undocumented = [name for name, p in parameters.items() if not p["help"]]
    assert not undocumented, f"{path.name}: parameters without a comment: {undocumented}"
