"""The statistics charts: pygal SVGs without scripts, over the same query and with the
same access rules as `/stats`; and the drawing functions on their own."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from event_review.central.db.models import Role
from event_review.central.stats import charts
from event_review.central.stats.charts import ChartName
from event_review.central.stats.schemas import GroupFigures, Statistics
from tests.central.stats.day import Day, stats
from tests.factories import Factory

NAMES = [c.value for c in ChartName]


def chart_path(name: str, *, mine: bool = False) -> str:
    return f"/api/v1/{'me/' if mine else ''}stats/charts/{name}.svg"


def assert_plain_svg(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "no-store"
    svg = response.text
    assert svg.startswith("<svg")
    # Nothing that would run, nor anything fetched from elsewhere.
    assert "<script" not in svg
    assert not re.search(r"https?://(?!www\.w3\.org)", svg)
    return svg


@pytest.mark.parametrize("name", NAMES)
async def test_each_chart_is_an_svg_without_scripts_of_the_leads_team(
    client: httpx.AsyncClient, day: Day, name: str
) -> None:
    svg = assert_plain_svg(await stats(client, day.lead, chart_path(name)))

    if name != "reasons":  # per group: the team's people along the axis
        for person in (day.ana, day.ben):
            assert f">{person.username}<" in svg
        assert f">{day.admin.username}<" not in svg


async def test_the_charts_draw_the_figures(client: httpx.AsyncClient, day: Day) -> None:
    reviews = await stats(client, day.lead, chart_path("reviews"))
    median = await stats(client, day.lead, chart_path("median-time"))
    decisions = await stats(client, day.lead, chart_path("decisions"))
    reasons = await stats(client, day.lead, chart_path("reasons"))
    regions = await stats(client, day.admin, chart_path("reviews"), group_by="region", region="eu")

    assert "Reviews and corrections per reviewer" in reviews.text
    assert ">reviews<" in reviews.text
    assert ">corrections<" in reviews.text
    assert "Median time per review" in median.text
    assert ">0:20<" in median.text  # ana's median, as min:s
    assert ">0:30<" in median.text  # ben's
    for decision in ("False trigger", "Confirmed", "Approve", "Reject"):
        assert f">{decision}<" in decisions.text
    assert ">cause: pothole<" in reasons.text
    assert ">cause: duplicate<" in reasons.text
    assert "per region" in regions.text
    assert ">EU<" in regions.text


async def test_a_reviewer_draws_only_their_own(client: httpx.AsyncClient, day: Day) -> None:
    own = await stats(client, day.ben, chart_path("reviews", mine=True))
    grouped = await stats(client, day.ben, chart_path("reviews", mine=True), group_by="team")

    svg = assert_plain_svg(own)
    assert f">{day.ben.username}<" in svg
    assert f">{day.ana.username}<" not in svg
    # The `me` charts have no grouping: a parameter for it changes nothing.
    assert f">{day.ben.username}<" in grouped.text


@pytest.mark.parametrize("name", NAMES)
async def test_reviewers_may_not_draw_anyone_elses(
    client: httpx.AsyncClient, day: Day, name: str
) -> None:
    refused = await stats(client, day.ben, chart_path(name))
    anonymous = await client.get(chart_path(name))
    own_anonymous = await client.get(chart_path(name, mine=True))

    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "role_required")
    assert anonymous.status_code == own_anonymous.status_code == 401


async def test_a_lead_draws_their_team_in_its_regions_only(
    client: httpx.AsyncClient, day: Day, factory: Factory
) -> None:
    other_lead = await factory.reviewer(["us"], Role.LEAD)
    not_theirs = await stats(client, other_lead, chart_path("reviews"), team=day.team)
    outside = await stats(client, day.lead, chart_path("reviews"), region="us")
    figures = await stats(client, day.lead, region="us")
    theirs = await stats(client, other_lead, chart_path("reviews"))

    assert (not_theirs.status_code, not_theirs.json()["error"]["code"]) == (403, "not_your_team")
    assert (outside.status_code, outside.json()["error"]["code"]) == (403, "region_not_in_team")
    assert (figures.status_code, figures.json()["error"]["code"]) == (403, "region_not_in_team")
    svg = assert_plain_svg(theirs)  # nobody of theirs worked: an empty chart, said so
    assert charts.NO_DATA in svg
    assert day.ana.username not in svg


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/stats/charts/pie.svg", {}),
        (chart_path("reviews"), {"group_by": "device"}),
        (chart_path("reviews"), {"since": "yesterday"}),
        (chart_path("reviews"), {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}),
    ],
    ids=["unknown-chart", "unknown-grouping", "not-a-time", "backwards"],
)
async def test_bad_chart_queries_are_422(
    client: httpx.AsyncClient, factory: Factory, path: str, params: dict[str, str]
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    response = await client.get(path, params=params, headers=admin.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


# -- the drawing functions, from figures alone --------------------------------------


def figures(key: str, reviews: int, **more: object) -> GroupFigures:
    base: dict[str, object] = {
        "key": key, "reviews": reviews, "corrections": 0, "skips": 0, "escalations": 0,
        "median_seconds_per_review": None, "timed_reviews": 0, "decisions": {}, "reasons": {},
        "qa_judged": 0, "qa_agreed": 0, "qa_agreement": None,
    }  # fmt: skip
    return GroupFigures.model_validate(base | more)


def of(groups: list[GroupFigures], group_by: str = "reviewer") -> Statistics:
    moment = datetime(2026, 12, 1, tzinfo=UTC)
    return Statistics(since=moment, until=moment, group_by=group_by, groups=groups)


def test_a_chart_of_many_groups_draws_the_busiest_twelve() -> None:
    many = of([figures(f"r{n:02d}", reviews=n) for n in range(20)])

    svg = charts.of_statistics(ChartName.REVIEWS, many)().decode()

    assert "the 12 with most reviews" in svg
    assert ">r19<" in svg
    assert ">r08<" in svg
    assert ">r07<" not in svg
    assert "<script" not in svg


def test_median_time_reads_like_a_stopwatch_and_gaps_stay_gaps() -> None:
    svg = charts.of_statistics(
        ChartName.MEDIAN_TIME,
        of([figures("ana", 1, median_seconds_per_review=75.4), figures("ben", 1)]),
    )().decode()

    assert charts.mm_ss(75.4) == "1:15"
    assert charts.mm_ss(3600) == "60:00"
    assert charts.mm_ss(None) == "—"
    assert ">1:15<" in svg
    assert ">ben<" in svg  # labelled, with no bar


def test_reasons_are_summed_over_the_groups_and_regions_upper_cased() -> None:
    stats_ = of(
        [
            figures("eu", 2, reasons={"cause:pothole": 2, "cause:glare": 1}),
            figures("us", 1, reasons={"cause:pothole": 1}),
        ],
        group_by="region",
    )

    reasons = charts.of_statistics(ChartName.REASONS, stats_)().decode()
    reviews = charts.of_statistics(ChartName.REVIEWS, stats_)().decode()

    assert ">cause: pothole<" in reasons
    # Bottom to top: glare once, pothole three times (twice in the EU, once in the US).
    assert re.findall(r'<desc class="value">(\d+)</desc>', reasons) == ["1", "3"]
    assert ">EU<" in reviews
    assert ">US<" in reviews


def test_nothing_to_draw_says_so() -> None:
    for name in ChartName:
        svg = charts.of_statistics(name, of([]))().decode()
        assert charts.NO_DATA in svg, name
