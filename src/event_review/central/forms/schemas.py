from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from event_review.central.forms.definition import AppliesTo, FormDefinition
from event_review.central.forms.markdown import render
from event_review.central.forms.repository import StoredForm


class FormSummary(BaseModel):
    key: str
    version: int
    title: str
    applies_to: AppliesTo | None = Field(description="Null for the default form.")
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, form: StoredForm) -> FormSummary:
        return cls(
            key=form.key,
            version=form.version,
            title=form.definition.title,
            applies_to=form.definition.applies_to,
            created_at=form.created_at,
            created_by=form.created_by,
        )


class FormOut(FormSummary):
    definition: FormDefinition
    html: dict[str, str] = Field(
        description="The Markdown texts rendered (no raw HTML), by place: `guidelines`, "
        "`decisions.<key>`, `reasons.<list>.<option>`, `fields.<key>`."
    )

    @classmethod
    def of(cls, form: StoredForm) -> FormOut:
        summary = FormSummary.of(form)
        return cls(
            **summary.model_dump(), definition=form.definition, html=rendered(form.definition)
        )


def rendered(definition: FormDefinition) -> dict[str, str]:
    texts = {"guidelines": definition.guidelines}
    texts |= {f"decisions.{d.key}": d.description for d in definition.decisions}
    texts |= {
        f"reasons.{r.key}.{o.key}": o.description for r in definition.reasons for o in r.options
    }
    texts |= {f"fields.{f.key}": f.description for f in definition.fields}
    return {place: render(text) for place, text in texts.items() if text}


class FormPreview(BaseModel):
    definition: FormDefinition
    html: dict[str, str]


class Applied(BaseModel):
    key: str
    version: int
    changed: bool = Field(description="False when the form was already exactly so.")


class AppliedForms(BaseModel):
    forms: list[Applied]
