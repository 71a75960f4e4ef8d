"""`make status` (after LocalStack's own health check): the depth of every dead-letter queue of the local stack.

Locally nothing pages anyone (the CloudWatch alarms of template.yaml deploy on AWS only), so this is where a
message that nothing will process shows up: a non-empty dead-letter queue is printed loudly, with what to do."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", Path(__file__).resolve().parent.parent / ".local"))
STACK = os.environ.get("STACK_NAME", "buynest")


@dataclass(frozen=True)
class Depth:
    name: str
    visible: int
    in_flight: int

    @property
    def empty(self) -> bool:
        return self.visible + self.in_flight == 0


def dead_letter_depths(sqs: Any, queues: Mapping[str, str]) -> list[Depth]:
    """The depth of each dead-letter queue among ``queues`` (logical id -> URL): a queue another queue's redrive
    policy names, or whose logical id ends in ``DLQ`` (a stream's or EventBridge's failure destination has no
    source queue)."""
    attrs = {
        name: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        for name, url in queues.items()
    }
    targets = {json.loads(a["RedrivePolicy"])["deadLetterTargetArn"] for a in attrs.values() if "RedrivePolicy" in a}
    return [
        Depth(name, int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"]))
        for name, a in sorted(attrs.items())
        if name.endswith("DLQ") or a["QueueArn"] in targets
    ]


def report(depths: list[Depth]) -> str:
    width = max((len(d.name) for d in depths), default=0)
    lines = [f"Dead-letter queues ({len(depths)}):"]
    for d in depths:
        shown = f"{d.visible}" + (f" (+{d.in_flight} being read)" if d.in_flight else "")
        flag = "" if d.empty else "   <-- NOT EMPTY: messages nothing will process"
        lines.append(f"  {d.name:<{width}}  {shown}{flag}")
    full = [d for d in depths if not d.empty]
    if full:
        count = sum(d.visible + d.in_flight for d in full)
        lines.append(
            f"WARNING: {count} message(s) in {len(full)} dead-letter queue(s) ({', '.join(d.name for d in full)}): "
            "inspect them (make logs), then `make redrive` (EventDeliveryDLQ: re-put the events on the bus)"
        )
    else:
        lines.append("every dead-letter queue is empty")
    return "\n".join(lines)


def main() -> int:
    try:
        outputs = json.loads((LOCAL / "outputs.json").read_text())
    except FileNotFoundError:
        print("the stack is not deployed yet (make up)")
        return 0
    kwargs = {"endpoint_url": outputs["Endpoint"], "region_name": outputs["Region"]}
    kwargs |= {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    try:
        stack = boto3.client("cloudformation", **kwargs).describe_stack_resources(StackName=STACK)["StackResources"]
    except Exception as exc:  # a LocalStack restarted since the deploy has no stack: say so, do not trace back
        print(f"the stack {STACK} is not deployed on {outputs['Endpoint']} ({type(exc).__name__}): make up")
        return 0
    queues = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in stack if r["ResourceType"] == "AWS::SQS::Queue"}
    print(report(dead_letter_depths(boto3.client("sqs", **kwargs), queues)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
