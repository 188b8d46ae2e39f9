import json

import pandas as pd
import pytest

from pipeline.checks.findings import Reference, against_reference, annotate, within_article

REFERENCE = Reference.from_rows(
    [
        ("defection", "arrivals", None, 2022, 67, "final", "confirmed"),
        ("defection", "arrivals", None, 2023, 196, "final", "confirmed"),
        ("defection", "arrivals", None, 2023, 190, "preliminary", "confirmed"),
        ("defection", "arrivals", None, 2024, 236, "final", "confirmed"),
        ("defection", "arrivals", "women", 2024, 210, "final", "confirmed"),
        ("defection", "arrivals", None, 2009, 2914, "final", "confirmed"),
        ("defection", "cumulative", None, 2023, 34078, "final", "sourced"),
    ]
)


def fig(no: int, value: float | None, year: int, **other: object) -> dict[str, object]:
    row: dict[str, object] = {
        "article_url": "https://news.example/a", "figure_no": no, "kind": "count", "value": value, "low": None,
        "high": None, "hedge": "exact", "metric": "arrivals", "sense": None, "subgroup": None, "year": year,
        "period": None, "topic": "defection",
    }  # fmt: skip
    row.update(other)
    return row


SEED = [
    fig(1, 800, 2023, hedge="approximate"),
    fig(2, 3, 2023, kind="ratio", hedge="approximate", sense="change"),
    fig(3, 278, 2022),
]


def checks(found: list[dict[str, str]]) -> list[str]:
    return [f["check"] for f in found]


def test_the_seed_ratio_holds_against_its_own_counts_but_its_counts_disagree_with_the_official_series() -> None:
    assert within_article(SEED) == {}  # 800 / 278 = 2.88: "almost three times" holds
    assert against_reference(SEED[0], REFERENCE) == [
        {
            "check": "reference_disagrees",
            "message": "reported about 800 for arrivals 2023; the official figure is 196 (confirmed)",
        }
    ]
    assert checks(against_reference(SEED[2], REFERENCE)) == ["reference_disagrees"]
    assert against_reference(SEED[1], REFERENCE) == []  # 196 / 67 = 2.93: the ratio happens to be right


def test_a_ratio_its_own_counts_do_not_support() -> None:
    rows = [fig(1, 236, 2024), fig(2, 196, 2023), fig(3, 2, 2024, kind="ratio", sense="change")]
    [finding] = within_article(rows)[3]
    assert finding["check"] == "ratio_vs_counts" and "236 / 196 = 1.20" in finding["message"]


def test_a_ratio_between_halves_of_a_year_is_not_a_year_on_year_change() -> None:
    rows = [fig(1, 67, 2022), fig(2, 63, 2021), fig(3, 2, 2022, kind="ratio", sense="change", period="H2")]
    assert within_article(rows) == {}


def test_parts_that_do_not_sum_to_the_total_flag_all_three() -> None:
    rows = [fig(1, 236, 2024), fig(2, 26, 2024, subgroup="men"), fig(3, 216, 2024, subgroup="women")]
    found = within_article(rows)
    assert sorted(found) == [1, 2, 3]
    assert found[1][0]["message"] == "26 men + 216 women = 242, not the total 236"


def test_a_cumulative_total_against_the_previous_total_plus_the_year() -> None:
    consistent = [fig(1, 34078, 2023, metric="cumulative"), fig(2, 33882, 2022, metric="cumulative"), fig(3, 196, 2023)]
    assert within_article(consistent) == {}
    off = [fig(1, 34100, 2023, metric="cumulative"), *consistent[1:]]
    assert checks(within_article(off)[1]) == ["cumulative_chain"]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (fig(1, 190, 2023), ["reference_preliminary"]),  # January's first release, revised to 196
        (fig(1, 190, 2023, hedge="approximate"), []),  # "around 190" is within 10% of 196
        (fig(1, 2900, 2009, hedge="at_least"), []),
        (fig(1, 3000, 2009, hedge="at_least"), ["reference_disagrees"]),
        (fig(1, None, 2023, low=150, high=200), []),
        (fig(1, 200, 2023), ["reference_disagrees"]),  # exact: 2% tolerance, 196 * 1.02 < 200
        (fig(1, 200, 2023, hedge="approximate"), []),
        (fig(1, 216, 2024, subgroup="women"), ["reference_disagrees"]),
        (fig(1, 236, 2024, period="Q1"), []),  # no quarterly reference: nothing to say
    ],
)
def test_against_the_reference_series_with_the_hedge_as_tolerance(row: dict[str, object], expected: list[str]) -> None:
    assert checks(against_reference(row, REFERENCE)) == expected


def test_annotate_keeps_the_frame_order_and_leaves_agreeing_figures_empty() -> None:
    frame = pd.DataFrame([*SEED, fig(4, 196, 2023, article_url="https://news.example/b", figure_no=1)])
    notes = annotate(frame, REFERENCE)
    assert list(notes.index) == list(frame.index)
    assert [json.loads(n)[0]["check"] if n else None for n in notes] == [
        "reference_disagrees",
        None,
        "reference_disagrees",
        None,
    ]
