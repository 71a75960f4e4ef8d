"""Operator function behind ``make admin``: create the user as an admin, or promote the existing one.

Not on the API: only someone who can invoke Lambda functions in the account (an operator) can call it."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.observability import logger
from buynest.users.runtime import user_service
from buynest.users.schemas import MakeAdminRequest


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    req = MakeAdminRequest.model_validate(event)
    user, created = user_service().ensure_admin(req.email, req.password, req.name)
    logger.info("admin ensured", extra={"userId": user.user_id, "newUser": created})
    return {**user.public(), "created": created}
