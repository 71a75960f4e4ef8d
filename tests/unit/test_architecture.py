"""The architecture contract (``.importlinter``, checked by lint-imports in ``make lint``) names the services one by
one; these tests keep those lists in step with the packages that exist, so a new service is never left outside it.
(They read the config only: the import graph itself is lint-imports' job.)"""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / "layers" / "buynest" / "python" / "buynest"
SHARED = "core"


def services() -> set[str]:
    return {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file() and p.name != SHARED}


def contracts() -> dict[str, dict[str, str]]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter", encoding="utf-8")
    prefix = "importlinter:contract:"
    return {name.removeprefix(prefix): dict(config[name]) for name in config.sections() if name.startswith(prefix)}


def modules(value: str) -> set[str]:
    return {line.strip() for line in value.splitlines() if line.strip()}


def test_every_service_is_independent_of_the_others() -> None:
    contract = contracts()["services-independent"]
    assert contract["type"] == "independence"
    assert modules(contract["modules"]) == {f"buynest.{s}" for s in services()}


def test_every_services_handlers_may_use_no_other_service() -> None:
    found = contracts()
    for service in services():
        if not (ROOT / "functions" / service).is_dir():
            continue
        contract = found.get(f"functions-{service}")
        assert contract is not None, f".importlinter has no contract for functions/{service}"
        assert (contract["type"], modules(contract["source_modules"])) == ("forbidden", {f"functions.{service}"})
        assert modules(contract["forbidden_modules"]) == {f"buynest.{s}" for s in services() - {service}}


def test_core_may_use_no_service() -> None:
    contract = contracts()["core-knows-no-service"]
    assert modules(contract["source_modules"]) == {f"buynest.{SHARED}"}
    assert modules(contract["forbidden_modules"]) >= {f"buynest.{s}" for s in services()}
