"""template.yaml for the tests (read by ``scripts/cfn_template.py``, the one loader), so they build resources from
its own definitions instead of repeating them."""

from __future__ import annotations

from typing import Any

from scripts.cfn_template import TEMPLATE, resources, template

__all__ = ["TEMPLATE", "bus_name", "create_table_args", "resources", "template"]


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
