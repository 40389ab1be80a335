"""Starting a deployment's run on the operators' server from the CLI (``--server``)."""

from __future__ import annotations

import base64
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


def _api_json(url: str, body: dict[str, Any] | None = None) -> Any:
    """GET (or POST ``body`` to) the API, with the basic-auth string a server listening beyond
    127.0.0.1 asks for (``PREFECT_API_AUTH_STRING``)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"content-type": "application/json"})
    auth = os.environ.get("PREFECT_API_AUTH_STRING")
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


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
    try:
        found = _api_json(f"{api}/artifacts/filter", body)
    except (OSError, ValueError):
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


class RunProgress(BaseModel):
    """Where a run is: its state, its progress artifact (per cent) and, once it has ended,
    what it left. For a page that follows a run the operator started."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    state: str
    ended: bool
    percent: float | None = None
    message: str | None = None
    parameters: dict[str, Any] = {}
    summaries: list[Summary] = []


def run_progress(api: str, run_id: str) -> RunProgress | None:
    """The run ``run_id`` on the server at ``api``, None if it has no such run (or does not
    answer). Read over plain HTTP, as :func:`summaries` is."""
    try:
        run = _api_json(f"{api}/flow_runs/{run_id}")
        found = _api_json(
            f"{api}/artifacts/filter",
            {
                "artifacts": {"flow_run_id": {"any_": [run_id]}, "type": {"any_": ["progress"]}},
                "sort": "CREATED_DESC",
                "limit": 1,
            },
        )
    except (OSError, ValueError):
        return None
    state = run.get("state") or {}
    kind = str(state.get("type") or "UNKNOWN")
    ended = kind in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
    percent = None
    if found and isinstance(found[0].get("data"), int | float):
        percent = float(found[0]["data"])
    return RunProgress(
        id=str(run.get("id", run_id)),
        name=str(run.get("name", "")),
        state=kind,
        ended=ended,
        percent=100.0 if kind == "COMPLETED" else percent,
        message=state.get("message") if ended else None,
        parameters=run.get("parameters") or {},
        summaries=summaries(api, run_id) if ended else [],
    )


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
