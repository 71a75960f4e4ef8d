"""template.yaml as data, with CloudFormation's short-form tags in their long form (``!Ref X`` -> ``{"Ref": "X"}``,
``!GetAtt A.B`` -> ``{"Fn::GetAtt": "A.B"}``, ``!Sub s`` -> ``{"Fn::Sub": s}``): the one loader of gen_events,
gen_openapi, bench and the tests (``tests/template.py``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"


class CfnLoader(yaml.SafeLoader):
    """A SafeLoader that knows CloudFormation's tags."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _tag)


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(path.read_text(), Loader=CfnLoader)  # noqa: S506 - a SafeLoader subclass
    return loaded


@cache
def template() -> dict[str, Any]:
    """template.yaml, read once."""
    return load()


def resources(kind: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one type, by logical id."""
    return {name: res for name, res in template()["Resources"].items() if res["Type"] == kind}
