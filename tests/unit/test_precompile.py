"""scripts/stack.py's precompile step: the bytecode shipped with the functions is used on a read-only code tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scripts import stack

pytestmark = pytest.mark.skipif(sys.version_info[:2] != (3, 13), reason="bytecode is made for the python3.13 runtime")


def unzip_like_lambda(build: Path, target: Path) -> None:
    """Zips and unzips the tree: extraction gives every file a new mtime, as on Lambda."""
    archive = target.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in build.rglob("*"):
            zipped.write(path, path.relative_to(build))
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(target)


def loaded_from(code: Path, module: str) -> str:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(code), "PYTHONDONTWRITEBYTECODE": "1"}
    verbose = subprocess.run(
        [sys.executable, "-v", "-c", f"import {module}"], env=env, capture_output=True, text=True, check=True
    ).stderr
    leaf = module.rsplit(".", 1)[-1]
    return next(line for line in verbose.splitlines() if "code object from" in line and f"{leaf}." in line)


def test_shipped_bytecode_is_used_after_the_zip_round_trip_and_never_stale(tmp_path: Path) -> None:
    build = tmp_path / "build"
    (build / "pkg").mkdir(parents=True)
    (build / "pkg" / "__init__.py").write_text("")
    (build / "pkg" / "handler.py").write_text("ANSWER = 42\n")

    stack.precompile(build)

    code = tmp_path / "code"
    unzip_like_lambda(build, code)
    assert loaded_from(code, "pkg.handler").endswith("handler.cpython-313.pyc'")

    # a changed source is never run from the old bytecode: its hash no longer matches
    (code / "pkg" / "handler.py").write_text("ANSWER = 43\n")
    assert "handler.py" in loaded_from(code, "pkg.handler")
