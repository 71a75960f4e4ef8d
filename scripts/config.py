"""`make config`: the live settings of the local stack (buynest.core.settings), one line each: name, the value
stored, the default and what it means (a stored value the functions would ignore says why). `make config
SET=name=value` changes one, validated first with the same ``Setting.parse`` the functions use, so a bad value is
refused here instead of being ignored there. Functions see a change within their cache age (30 s), no deploy."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "layers" / "buynest" / "python"))

from buynest.core.settings import SETTINGS, InvalidSetting  # noqa: E402

LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", ROOT / ".local"))


def stored(ssm: Any, path: str) -> dict[str, str]:
    """The settings' stored texts by name (those whose parameter exists), in one ``GetParameters``."""
    names = [path + name for name in SETTINGS]
    found = ssm.get_parameters(Names=names)["Parameters"]
    return {p["Name"].removeprefix(path): p["Value"] for p in found}


def rows(ssm: Any, path: str) -> list[dict[str, Any]]:
    """Every setting: ``{name, value, default, effective, problem, description}``; ``value`` is the stored text
    (None when missing), ``effective`` what the functions use."""
    texts = stored(ssm, path)
    result = []
    for name, spec in sorted(SETTINGS.items()):
        text, problem = texts.get(name), None
        try:
            effective = spec.parse(text) if text is not None else spec.default
        except InvalidSetting as exc:
            effective, problem = spec.default, str(exc)
        if text is None:
            problem = "not set"
        row = {"name": name, "value": text, "default": spec.default, "effective": effective, "problem": problem}
        result.append({**row, "description": spec.description})
    return result


def set_setting(ssm: Any, path: str, name: str, value: object) -> int:
    """Validate ``value`` for the setting ``name`` and store it; returns the value stored. ``InvalidSetting`` for
    an unknown name or a value the functions would not accept (nothing is written then)."""
    spec = SETTINGS.get(name)
    if spec is None:
        raise InvalidSetting(f"no setting {name!r}; the settings are: {', '.join(sorted(SETTINGS))}")
    parsed = spec.parse(value)
    ssm.put_parameter(Name=path + name, Value=str(parsed), Type="String", Overwrite=True)
    return parsed


def render(table: list[dict[str, Any]]) -> str:
    lines = [f"{'name':<31} {'value':>8} {'default':>8}  meaning"]
    for row in table:
        value = "-" if row["value"] is None else str(row["value"])
        note = f"  [ignored: {row['problem']}, the default is used]" if row["problem"] and row["value"] else ""
        lines.append(f"{row['name']:<31} {value:>8} {row['default']:>8}  {row['description']}{note}")
    return "\n".join(lines)


def client_and_path() -> tuple[Any, str]:
    """An SSM client of the local stack and its settings path, from .local/outputs.json (`make up` writes it)."""
    outputs = json.loads((LOCAL / "outputs.json").read_text())
    ssm = boto3.client(
        "ssm",
        endpoint_url=outputs["Endpoint"],
        region_name=outputs["Region"],
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return ssm, outputs["SettingsPath"]


def main() -> int:
    try:
        ssm, path = client_and_path()
    except (OSError, KeyError, ValueError):
        print("no local stack with live settings is deployed (.local/outputs.json): make up", file=sys.stderr)
        return 1
    assignment = os.environ.get("SET", "").strip()
    if assignment:
        name, sep, value = assignment.partition("=")
        if not sep:
            print("SET takes name=value, e.g. make config SET=cart-line-limit=40", file=sys.stderr)
            return 2
        try:
            stored_value = set_setting(ssm, path, name.strip(), value.strip())
        except InvalidSetting as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 2
        print(f"{name.strip()} = {stored_value} (functions use it within 30 s)")
        return 0
    print(render(rows(ssm, path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
