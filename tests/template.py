"""Reads template.yaml (CloudFormation short-form tags included) so tests build resources from its own
definitions instead of repeating them."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"


class _Loader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {f"Fn::{suffix}" if suffix not in ("Ref", "Condition") else suffix: value}


_Loader.add_multi_constructor("!", _tag)


@cache
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=_Loader)


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template()["Resources"].items() if res["Type"] == kind}


def create_table_args(logical_id: str, table_name: str) -> dict[str, Any]:
    """boto3 ``create_table`` arguments for a table of the template."""
    props = dict(resources("AWS::DynamoDB::Table")[logical_id]["Properties"])
    args: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    for indexes in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if indexes in props:
            args[indexes] = props[indexes]
    if "StreamSpecification" in props:
        args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return args


def bus_name() -> str:
    """The event bus's name as deployed with the default ``Stage`` (the contract's ``buynest``)."""
    name = template()["Resources"]["EventBus"]["Properties"]["Name"]
    if name == {"Ref": "Stage"}:
        return str(template()["Parameters"]["Stage"]["Default"])
    return str(name)
