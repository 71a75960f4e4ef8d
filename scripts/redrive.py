"""`make redrive`: moves the messages of every dead-letter queue of the stack back to the queue they came from
(SQS StartMessageMoveTask) and prints what it moved."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import boto3

LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", Path(__file__).resolve().parent.parent / ".local"))


def main() -> None:
    outputs = json.loads((LOCAL / "outputs.json").read_text())
    sqs = boto3.client("sqs", endpoint_url=outputs["Endpoint"], region_name=outputs["Region"],
                       aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    cfn = boto3.client("cloudformation", endpoint_url=outputs["Endpoint"], region_name=outputs["Region"],
                       aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    queues = [r["PhysicalResourceId"] for r in cfn.describe_stack_resources(StackName="buynest")["StackResources"]
              if r["ResourceType"] == "AWS::SQS::Queue"]  # fmt: skip
    moved = 0
    for url in queues:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "ApproximateNumberOfMessages"])
        arn, count = attrs["Attributes"]["QueueArn"], int(attrs["Attributes"]["ApproximateNumberOfMessages"])
        sources = sqs.list_dead_letter_source_queues(QueueUrl=url).get("queueUrls", [])
        if not sources:
            if count and "DLQ" in arn:
                print(f"{arn.rsplit(':', 1)[1]}: {count} message(s) with no source queue (a stream's failures); "
                      "inspect them, they cannot be moved back to a stream")  # fmt: skip
            continue
        if count == 0:
            continue
        sqs.start_message_move_task(SourceArn=arn)
        moved += count
        print(f"{arn.rsplit(':', 1)[1]}: moving {count} message(s) back to {sources[0].rsplit('/', 1)[1]}")
    print(f"redrive: {moved} message(s) on their way back" if moved else "redrive: every dead-letter queue is empty")
    sys.exit(0)


if __name__ == "__main__":
    main()
