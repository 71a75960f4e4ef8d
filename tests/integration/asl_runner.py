"""A small interpreter of the Amazon States Language subset that ``infra/statemachines/payment.asl.json`` uses, so
its error paths can be run in-process against the real task handlers on moto: Task (a Lambda ARN as the resource,
or ``lambda:invoke`` with ``Parameters``), Pass, Choice (``NumericGreaterThan``, ``StringEquals``, ``Or``),
Succeed, ``Retry`` (first matching retrier; ``MaxAttempts`` 0 never retries; no waiting), ``Catch``,
``ResultSelector`` and ``ResultPath``. An exception's class name is its error name, as the Lambda runtime reports
it. Anything else in a definition raises, so the interpreter cannot silently skip what it does not know."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFINITION = Path(__file__).resolve().parents[2] / "infra" / "statemachines" / "payment.asl.json"
INVOKE = "arn:aws:states:::lambda:invoke"
Task = Callable[[Any], Any]


def definition() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DEFINITION.read_text())
    return loaded


def _get(data: Any, path: str) -> Any:
    assert path.startswith("$"), path
    for part in filter(None, path[1:].split(".")):
        data = data[part]
    return data


def _set(data: Any, path: str | None, value: Any) -> Any:
    if path is None:
        return data
    if path == "$":
        return value
    out = copy.deepcopy(data)
    target = out
    *parents, last = path[2:].split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value
    return out


def _resolve(template: Any, data: Any) -> Any:
    if isinstance(template, dict):
        return {
            (k[:-2] if k.endswith(".$") else k): (_get(data, v) if k.endswith(".$") else _resolve(v, data))
            for k, v in template.items()
        }
    return template


def _matches(names: list[str], error: str) -> bool:
    return "States.ALL" in names or error in names


def _choose(rule: Mapping[str, Any], data: Any) -> bool:
    if "Or" in rule:
        return any(_choose(r, data) for r in rule["Or"])
    value = _get(data, rule["Variable"])
    if "NumericGreaterThan" in rule:
        return isinstance(value, int | float) and value > rule["NumericGreaterThan"]
    if "StringEquals" in rule:
        return bool(value == rule["StringEquals"])
    raise NotImplementedError(rule)


@dataclass
class Execution:
    status: str  # SUCCEEDED | FAILED
    output: Any
    visited: list[str] = field(default_factory=list)
    error: str | None = None


class StateMachine:
    """Runs the definition with ``tasks``: substitution name (``ConfirmOrderFunctionArn``) -> callable."""

    def __init__(self, tasks: Mapping[str, Task], spec: dict[str, Any] | None = None) -> None:
        self._spec = spec or definition()
        self._tasks = tasks

    def _task(self, reference: str) -> Task:
        name = re.fullmatch(r"\$\{(\w+)\}", reference)
        assert name, reference
        return self._tasks[name.group(1)]

    def _invoke(self, state: Mapping[str, Any], data: Any) -> Any:
        if state["Resource"] == INVOKE:
            params = _resolve(state["Parameters"], data)
            return {"Payload": self._task(params["FunctionName"])(params["Payload"])}
        assert "Parameters" not in state
        return self._task(state["Resource"])(copy.deepcopy(data))

    def _run_task(self, state: Mapping[str, Any], data: Any) -> tuple[Any, str | None, str | None]:
        """(data, next state or None at the end, error name when the execution fails here)."""
        retriers = state.get("Retry", [])
        attempts = [0] * len(retriers)
        while True:
            try:
                result = self._invoke(state, data)
            except Exception as exc:  # the task failed: Retry, then Catch, else the execution fails
                error = type(exc).__name__
                retry = next((i for i, r in enumerate(retriers) if _matches(r["ErrorEquals"], error)), None)
                if retry is not None and attempts[retry] < retriers[retry].get("MaxAttempts", 3):
                    attempts[retry] += 1
                    continue
                catch = next((c for c in state.get("Catch", []) if _matches(c["ErrorEquals"], error)), None)
                if catch is None:
                    return data, None, error
                return (
                    _set(data, catch.get("ResultPath", "$"), {"Error": error, "Cause": str(exc)}),
                    catch["Next"],
                    None,
                )
            if "ResultSelector" in state:
                result = _resolve(state["ResultSelector"], result)
            return _set(data, state.get("ResultPath", "$"), result), state.get("Next"), None

    def run(self, data: Any) -> Execution:
        known = {"Type", "Resource", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "Next", "End",
                 "Result", "Choices", "Default", "Comment"}  # fmt: skip
        name: str | None = self._spec["StartAt"]
        visited: list[str] = []
        while name is not None:
            state = self._spec["States"][name]
            unknown = set(state) - known
            if unknown:
                raise NotImplementedError(f"{name}: {unknown}")
            visited.append(name)
            match state["Type"]:
                case "Succeed":
                    name = None
                case "Choice":
                    name = next((r["Next"] for r in state["Choices"] if _choose(r, data)), state.get("Default"))
                case "Pass":
                    data = _set(data, state.get("ResultPath", "$"), state.get("Result", data))
                    name = state.get("Next")
                case "Task":
                    data, name, error = self._run_task(state, data)
                    if error is not None:
                        return Execution("FAILED", data, visited, error)
                case other:
                    raise NotImplementedError(other)
        return Execution("SUCCEEDED", data, visited)
