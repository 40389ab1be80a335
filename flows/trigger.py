"""Starting a deployment's run on the operators' server from the CLI (``--server``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import urllib.request
from typing import Any

from pydantic import BaseModel, ConfigDict

from flows.runtime import ServerError, healthy


class Summary(BaseModel):
    """What a finished run left for the operator: one of its markdown or table artifacts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str | None
    type: str  # markdown | table
    description: str | None
    markdown: str = ""
    rows: list[dict[str, Any]] = []


class Triggered(BaseModel):
    """A run started on the server (with ``watch``: ended, its message and its summaries)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    state: str
    url: str
    message: str | None = None
    summaries: list[Summary] = []


def summaries(api: str, run_id: str) -> list[Summary]:
    """The markdown and table artifacts the run left, read from the API, oldest first.

    ``--watch`` prints them: an operator who waited for a run should not have to open the UI
    to learn what it did. Read over plain HTTP: the sync Prefect client of 3.8.8 sends
    ``null`` for the filter's limit and offset, which its server refuses (422).
    """
    body = {
        "artifacts": {"flow_run_id": {"any_": [run_id]}, "type": {"any_": ["markdown", "table"]}},
        "sort": "CREATED_DESC",
        "limit": 50,
    }
    request = urllib.request.Request(
        f"{api}/artifacts/filter", json.dumps(body).encode(), {"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            found = json.loads(response.read())
    except OSError:
        return []  # the run is over and its state printed; the summary is in the UI
    out = []
    for a in reversed(found):
        data = a.get("data")
        if a.get("type") == "markdown":
            out.append(
                Summary(
                    key=a.get("key"),
                    type="markdown",
                    description=a.get("description"),
                    markdown=str(data),
                )
            )
        elif a.get("type") == "table":
            rows = json.loads(data) if isinstance(data, str) else data
            if isinstance(rows, list):
                out.append(
                    Summary(
                        key=a.get("key"),
                        type="table",
                        description=a.get("description"),
                        rows=[r for r in rows if isinstance(r, dict)],
                    )
                )
    return out


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
    ended = watch and run.state is not None and run.state.is_final()
    return Triggered(
        id=str(run.id),
        name=run.name,
        state=state,
        url=f"{api.removesuffix('/api')}/runs/flow-run/{run.id}",
        message=run.state.message if ended and run.state else None,
        summaries=summaries(api, str(run.id)) if ended else [],
    )
