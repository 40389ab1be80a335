"""The deployments' forms in the Prefect UI: what each parameter's schema makes the UI draw.

The UI draws ``X | None`` as a choice of types with a "Property is type None" option, a date
as a mm/dd/yyyy picker and a parameter by its name; an operator filling the form must see
Vietnamese titles and plain fields instead, while typed calls keep their Python types.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from flows.form import ALL_LEVELS, LEVEL_CHOICES, Day, LevelChoice, PeriodText, level_choice
from hierarchy.units import Level
from tests.conftest import EXAMPLES


def _schemas() -> dict[str, dict[str, Any]]:
    from flows.deployments import deployments

    return {
        # as `kehoach serve` registers it (the server keeps it as parameter_openapi_schema)
        d.name: d._parameter_openapi_schema.model_dump(exclude_unset=True)
        for d in deployments(EXAMPLES / "ha-noi-145-kh-ubnd.yaml", "hanoi-2024", Path("out"))
    }


def test_every_deployment_parameter_has_a_vietnamese_title_and_a_plain_field() -> None:
    schemas = _schemas()
    assert set(schemas) == {
        *("cascade", "rollup-nd09", "reminders-weekly", "report", "issue-plan", "import-plan")
    }
    for name, schema in schemas.items():
        text = json.dumps(schema, ensure_ascii=False)
        assert '"null"' not in text and "anyOf" not in text, name  # no "Property is type None"
        assert '"format": "date"' not in text, name  # no mm/dd/yyyy picker
        for param, prop in schema["properties"].items():
            assert prop["title"] != param and prop["description"], (name, param)
            assert prop.get("default", "") is not None, (name, param)
            assert prop["type"] in ("string", "integer", "boolean"), (name, param)
    cascade = schemas["cascade"]["properties"]
    assert cascade["to_level"]["enum"] == list(LEVEL_CHOICES)
    assert cascade["to_level"]["default"] == ALL_LEVELS
    assert "Cấp huyện" in cascade["to_level"]["enum"] and "huyen" not in cascade["to_level"]["enum"]
    assert cascade["xac_nhan"] == {**cascade["xac_nhan"], "type": "boolean", "default": False}
    period = schemas["rollup-nd09"]["properties"]["period"]
    assert period["examples"] == ["2024-Q1"] and period["title"] == "Kỳ báo cáo"
    assert schemas["rollup-nd09"]["properties"]["as_of"]["examples"] == ["20/03/2024"]


@pytest.mark.parametrize(
    ("text", "ok"),
    [("2024-Q1", True), ("2024-6m", True), ("", True), ("2024-Q2", False), ("Q1-2024", False)],
)
def test_the_period_pattern_is_the_one_the_roll_up_reads(text: str, ok: bool) -> None:
    import re

    from kehoach.status.periods import Period

    pattern = _schemas()["rollup-nd09"]["properties"]["period"]["pattern"]
    assert bool(re.search(pattern, text)) is ok
    if ok and text:
        Period.parse(text)


def test_form_values_become_the_flows_python_types() -> None:
    day = TypeAdapter(Day)
    assert day.validate_python("20/03/2024") == dt.date(2024, 3, 20)
    assert day.validate_python("2024-03-20") == dt.date(2024, 3, 20)
    assert day.validate_python(dt.date(2024, 3, 20)) == dt.date(2024, 3, 20)  # a typed call
    assert day.validate_python("") is None and day.validate_python(None) is None
    with pytest.raises(ValidationError):
        day.validate_python("30/02/2024")
    level = TypeAdapter(LevelChoice)
    assert level.validate_python("Cấp huyện") is Level.HUYEN
    assert level.validate_python("huyen") is Level.HUYEN  # the CLI, in-process
    assert level.validate_python(ALL_LEVELS) is None and level.validate_python(None) is None
    assert level_choice(Level.XA) == "Cấp xã" and level_choice(None) == ALL_LEVELS
    assert TypeAdapter(PeriodText).validate_python("") is None
