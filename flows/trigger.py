"""Starting a deployment's run on the operators' server from the CLI (``--server``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from typing import Any

from pydantic import BaseModel, ConfigDict

from flows.runtime import ServerError, healthy


class Triggered(BaseModel):
    """A run started on the server."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    state: str
    url: str


def idempotency_key(deployment: str, parameters: dict[str, Any], now: dt.datetime) -> str:
    """Same deployment, same parameters, same minute → the same run (a double click is one run)."""
    payload = json.dumps(
        [deployment, parameters, now.strftime("%Y-%m-%dT%H:%M")], sort_keys=True, default=str
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def trigger(deployment: str, parameters: dict[str, Any], watch: bool) -> Triggered:
    """Run ``deployment`` on the server in PREFECT_API_URL; wait for the end if ``watch``."""
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        raise ServerError("--server needs PREFECT_API_URL (e.g. http://127.0.0.1:4200/api)")
    if not healthy(api):
        raise ServerError(
            f"the Prefect server at {api} does not answer; start it with `kehoach server`"
        )
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    params = {
        k: (str(v) if hasattr(v, "__fspath__") else v)
        for k, v in parameters.items()
        if v is not None
    }
    run = run_deployment(
        name=deployment,
        parameters=params,
        idempotency_key=idempotency_key(deployment, params, dt.datetime.now(dt.UTC)),
        timeout=None if watch else 0,
    )
    assert isinstance(run, FlowRun)  # sync call: the run, not a coroutine
    state = run.state.type.value if run.state else "UNKNOWN"
    return Triggered(
        id=str(run.id),
        name=run.name,
        state=state,
        url=f"{api.removesuffix('/api')}/runs/flow-run/{run.id}",
    )
