"""The developer scripts ship without the tests: none imports ``tests`` (but ``invoke.py``, which builds its sample
events with the tests' builders until the fakes have one home), and template.yaml has one loader
(``scripts/cfn_template.py``) that the generators, bench and the tests share."""

from __future__ import annotations

import ast
from pathlib import Path

from scripts import cfn_template
from tests import template as tests_template

SCRIPTS = Path(__file__).resolve().parent.parent.parent / "scripts"


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_script_imports_the_tests() -> None:
    offenders = {path.name for path in SCRIPTS.glob("*.py") if any(n.split(".")[0] == "tests" for n in imported(path))}
    assert offenders <= {"invoke.py"}, offenders


def test_one_loader_reads_template_yaml() -> None:
    loaders = {
        path.name
        for path in SCRIPTS.glob("*.py")
        if "yaml.SafeLoader" in path.read_text(encoding="utf-8") or "yaml.safe_load" in path.read_text(encoding="utf-8")
    }
    assert loaders <= {"cfn_template.py"}, loaders
    assert tests_template.template is cfn_template.template
    assert cfn_template.template()["Resources"]["EventBus"]["Properties"]["Name"] == {"Ref": "Stage"}
