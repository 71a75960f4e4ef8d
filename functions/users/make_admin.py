"""Operator function behind ``make admin``: create the user as an admin or promote the existing one, demote an
admin, or revoke a user's tokens (each counts on the user's next request).

Not on the API: only someone who can invoke Lambda functions in the account (an operator) can call it."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.observability import logger
from buynest.users.runtime import user_service
from buynest.users.schemas import MakeAdminRequest


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    req = MakeAdminRequest.model_validate(event)
    service = user_service()
    created = False
    if req.action == "promote":
        user, created = service.ensure_admin(req.email, req.password, req.name)
    elif req.action == "demote":
        user = service.demote(req.email)
    else:
        user = service.revoke_tokens(req.email)
    logger.info("account changed", extra={"userId": user.user_id, "action": req.action, "newUser": created})
    return {**user.public(), "created": created, "action": req.action}
