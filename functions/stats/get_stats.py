"""GET /admin/stats (admin): confirmed and failed orders, revenue, best-selling products."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import require_admin
from buynest.core.http import json_response, make_app
from buynest.core.observability import http_handler
from buynest.stats.runtime import stats_store

app = make_app()


@app.get("/admin/stats")
def get_stats() -> Response[str]:
    require_admin(app)
    return json_response(200, stats_store().read())


handler = http_handler(app)
