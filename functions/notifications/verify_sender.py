"""CloudFormation custom resource ``Custom::MailSenderIdentity``: asks SES to verify the stack's sender address
(``VerifyEmailIdentity``: on AWS, SES mails a confirmation link to it; LocalStack counts it verified at once).
Declared as a custom resource because LocalStack's CloudFormation has no working ``AWS::SES::EmailIdentity``; on
delete the identity is kept (another stack or the account's other mail may use it). It always answers
CloudFormation (SUCCESS or FAILED with the reason), so a stack never waits on it."""

import json
import urllib.request
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.observability import logger
from buynest.notifications.mailer import verify_sender


def _answer(event: dict[str, Any], status: str, reason: str, physical_id: str) -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:500],
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": {},
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310  (CloudFormation's pre-signed response URL)
        event["ResponseURL"], data=body, method="PUT", headers={"content-type": ""}
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    address = str((event.get("ResourceProperties") or {}).get("EmailAddress") or "")
    physical_id = event.get("PhysicalResourceId") or f"mail-sender:{address}"
    try:
        if event.get("RequestType") in ("Create", "Update"):
            verify_sender(address)
            logger.info("mail sender verification asked", extra={"address": address})
    except Exception as exc:
        logger.exception("mail sender verification failed")
        _answer(event, "FAILED", f"{type(exc).__name__}: {exc}", physical_id)
        return
    _answer(event, "SUCCESS", "ok", physical_id)
