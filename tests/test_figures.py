"""The figure extractor: the seed sentence, wire-copy cases, a pinned quality gate, robustness properties."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest
import trafilatura
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.figures import CONTRACT_FIELDS, EXTRACTOR_VERSION, extract, to_json
from pipeline.figures.evaluate import FIELDS, load, score
from pipeline.records import Published

DEV = Path(__file__).parent / "data" / "figures_dev.jsonl"
DEMO_KEY = Path(__file__).parent / "data" / "demo_expected.jsonl"
SITE = Path(__file__).parents[1] / "pipeline" / "demo" / "site"
SEED_ARTICLE = Path(__file__).resolve().parents[2] / "shared" / "seed" / "seed-article.txt"  # ../shared beside the repo
SEED = (
    "Official South Korean data indicated that the total number of registered defectors from North Korea "
    "was around 800 in 2023 – almost three times the 278 reported in 2022."
)
# Pinned floors: raise them when the extractor improves, never lower them.
F1_FLOOR = 0.995
CORRECT_FLOOR = 0.994
DEMO_F1_FLOOR = 0.99
DEMO_CORRECT_FLOOR = 0.99


def _brief(text: str, published: str | None = None) -> list[tuple[object, ...]]:
    pub = datetime.date.fromisoformat(published) if published else None
    return [
        (f.kind, f.value, f.hedge, f.metric, f.sense, f.subgroup, f.year, f.period)
        for f in extract(text, published=pub)
    ]


def test_seed_sentence_yields_its_three_figures_in_order() -> None:
    figures = extract(SEED)
    assert [(f.kind, f.value, f.hedge, f.metric, f.sense, f.year) for f in figures] == [
        ("count", 800, "approximate", "arrivals", None, 2023),
        ("ratio", 3, "approximate", "arrivals", "change", 2023),
        ("count", 278, "exact", "arrivals", None, 2022),
    ]
    assert figures[1].text in ("almost three times", "three times")
    assert all(f.sentence == SEED and f.extractor_version == EXTRACTOR_VERSION for f in figures)


@pytest.mark.skipif(not SEED_ARTICLE.exists(), reason="seed article not present")
def test_seed_article_holds_no_bogus_figures() -> None:
    figures = extract(SEED_ARTICLE.read_text(encoding="utf-8"))
    values = [(f.kind, f.value, f.year) for f in figures]
    assert ("count", 800, 2023) in values and ("count", 278, 2022) in values
    assert ("ratio", 3, 2023) in values  # "an almost tripling increase" and "almost three times"
    assert all(f.kind == "ratio" or f.value in (800, 278) for f in figures), values  # no "Subheading 1", no years


def test_wire_copy_resolves_last_year_from_the_publication_date() -> None:
    text = (
        "SEOUL, Jan. 18 (Yonhap) -- A total of 196 North Korean defectors arrived in South Korea last year, "
        "up from 67 in 2022, the unification ministry said."
    )
    assert _brief(text, "2024-01-18") == [
        ("count", 196, "exact", "arrivals", None, None, 2023, None),
        ("count", 67, "exact", "arrivals", None, None, 2022, None),
    ]


def test_split_by_sex_in_either_order() -> None:
    first = _brief("Of the 196 defectors, 164 were women and 32 were men.")
    second = _brief("The 196 defectors included 32 men and 164 women.")
    assert {(f[1], f[5]) for f in first} == {(f[1], f[5]) for f in second} == {(196, None), (164, "women"), (32, "men")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "That brought the total number of defectors since 1998 to 34,078.",
            ("count", 34078, "exact", "cumulative"),
        ),
        ("About 190 defectors arrived in 2023.", ("count", 190, "approximate", "arrivals")),
        ("More than 2,900 defectors arrived in 2009.", ("count", 2900, "at_least", "arrivals")),
        ("Fewer than 70 defectors arrived in 2022.", ("count", 70, "at_most", "arrivals")),
        ("The number of defectors rose 18 percent.", ("percent", 18, "exact", "arrivals")),
        ("Two hundred and twenty-four defectors arrived in 2025.", ("count", 224, "exact", "arrivals")),
        ("Last year, two-thousand-914 defectors arrived.", ("count", 2914, "exact", "arrivals")),
        ("Over 1k defectors arrived in 2019.", ("count", 1000, "at_least", "arrivals")),
        ("A couple hundred defectors arrived in 2004.", ("count", 200, "approximate", "arrivals")),
        ("Last year two-hundred-and-36 defectors arrived.", ("count", 236, "exact", "arrivals")),
        ("Defectors say the famine killed up to 3 million people.", ("count", 3_000_000, "at_most", "other")),
        ("Arrivals were revised up to 2,402 in 2010.", ("count", 2402, "exact", "arrivals")),
        ("Defectors: 1,047 arrived in 2019. Read 12,408 times · 37 comments", ("count", 1047, "exact", "arrivals")),
    ],
)
def test_numbers_and_hedges(text: str, expected: tuple[object, ...]) -> None:
    assert [f[:4] for f in _brief(text)] == [expected]


def test_ranges_shares_and_quarters() -> None:
    (between,) = extract("Between 1,100 and 1,500 defectors arrived each year.")
    assert (between.value, between.low, between.high) == (None, 1100, 1500)
    assert _brief("Women accounted for 83.7 percent of defectors in 2023.")[0][4:7] == (
        "share",
        "women",
        2023,
    )
    assert _brief("Eleven defectors arrived in the first quarter of 2022.")[0][6:] == (2022, "Q1")


@pytest.mark.parametrize(
    "text",
    [
        "SEOUL, Feb. 4 (Yonhap) -- The ministry briefed defectors on the plan.",
        "Defections hit the lowest in 18 years, six years ago.",
        "The 24-year-old defector fled in 2019 after the Korean War (1950-1953) memorial closed.",
        "He was the 3rd defector to cross on the 2nd of May.",
        "Subheading 1: Spike in the Defector Rate",
    ],
)
def test_dates_durations_ages_ordinals_and_names_are_not_figures(text: str) -> None:
    assert extract(text) == []


def test_to_json_has_the_contract_fields_in_order_with_whole_numbers_as_ints() -> None:
    row = to_json(extract(SEED)[0])
    assert tuple(row) == CONTRACT_FIELDS
    assert row["value"] == 800 and isinstance(row["value"], int)


def test_development_set_is_large_enough_to_exercise_every_rule() -> None:
    # The dev set was written to exercise the engine and overstated it; quality is gated on real text instead
    # (tests/test_figures_real.py reads ../shared/figures-real). Its sentences stay as unit inputs below.
    assert len(load(str(DEV))) >= 200


def test_offsets_are_valid_on_every_dev_sentence() -> None:
    for item in load(str(DEV)):
        text = str(item["text"])
        for fig in extract(text):
            assert text[fig.start : fig.end] == fig.text
            assert fig.sentence in text


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_never_crashes_and_offsets_hold(text: str) -> None:
    for fig in extract(text):
        assert 0 <= fig.start < fig.end <= len(text)
        assert text[fig.start : fig.end] == fig.text


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "196",
                "1,100",
                " and ",
                " to ",
                "-",
                "percent",
                " times",
                "about ",
                "defectors",
                "two",
                "-thousand-",
                " in 2023",
                ". ",
                ", ",
                "between ",
                "%",
                "k",
                "half of",
            ]
        )
    )
)
def test_number_shaped_noise_keeps_offsets_valid(parts: list[str]) -> None:
    text = "".join(parts)
    for fig in extract(text):
        assert text[fig.start : fig.end] == fig.text


@pytest.mark.parametrize("unit", [SEED + " ", "1,100-" * 5, "two-thousand-" * 5, "a" * 50, "9" * 50, ", " * 20])
def test_long_repetitive_input_is_read_to_the_end(unit: str) -> None:
    # a pattern that backtracks without bound never returns (the suite's timeout fails it); its speed is in
    # benchmarks/figures.py, not asserted here: a busy machine must not fail a test
    text = (unit * (200_000 // len(unit) + 1))[:200_000]
    for fig in extract(text):
        assert text[fig.start : fig.end] == fig.text


# --- the demo site: what analysts see first -------------------------------------------------------------------------


def _demo_items() -> list[dict[str, object]]:
    """Every demo article run through trafilatura, with its labelled figures from the answer key."""
    items = []
    for line in DEMO_KEY.read_text(encoding="utf-8").splitlines():
        key = json.loads(line)
        page = SITE / str(key["page"]).strip("/")
        html = (page / "index.html" if page.is_dir() else page).read_text(encoding="utf-8")
        meta = re.search(r'article:published_time" content="([0-9-]{10})', html)
        assert meta is not None and meta.group(1) == key["published"], key["page"]
        items.append({**key, "text": trafilatura.extract(html) or ""})
    return items


@pytest.fixture(scope="module")
def demo_items() -> list[dict[str, object]]:
    return _demo_items()


def test_demo_key_covers_every_article_page_and_matches_expected_md(demo_items: list[dict[str, object]]) -> None:
    articles = {f"/{p.relative_to(SITE).as_posix()}" for p in SITE.rglob("*.html") if "<article" in p.read_text()}
    keyed = {str(i["page"]) + ("index.html" if str(i["page"]).endswith("/") else "") for i in demo_items}
    assert keyed == articles
    expected_md = (SITE / "EXPECTED.md").read_text(encoding="utf-8")
    rows = [r for r in expected_md.splitlines() if r.startswith("| ") and not r.startswith("| quote")]
    figures = [f for item in demo_items for f in item["figures"]]  # type: ignore[attr-defined]
    assert len(rows) == len(figures)
    for row, fig in zip(rows, figures, strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        value = f"{fig['low']}–{fig['high']}" if fig["value"] is None else str(fig["value"])
        fields = (fig["hedge"], fig["kind"], fig["sense"], fig["metric"], fig["subgroup"], fig["year"], fig["period"])
        assert cells[0] == fig["quote"] and cells[1] == value, row
        assert cells[2:9] == ["—" if v is None else str(v) for v in fields], row


def test_demo_articles_meet_the_answer_key(demo_items: list[dict[str, object]]) -> None:
    result = score(demo_items)
    report = "\n".join(result.misses)
    assert result.f1 >= max(DEMO_F1_FLOOR, 0.95), report
    assert result.correct_share >= DEMO_CORRECT_FLOOR, report


def test_no_false_disagreement_from_accurate_outlets(demo_items: list[dict[str, object]]) -> None:
    """A wire or herald count with a wrong year, subgroup, period or metric shows up as a false 'disagrees'."""
    wrong = []
    for item in demo_items:
        if item["outlet"] not in ("wire", "herald"):
            continue
        gold = [{k: f[k] for k in FIELDS} for f in item["figures"]]  # type: ignore[attr-defined]
        published = datetime.date.fromisoformat(str(item["published"]))
        for fig in extract(str(item["text"]), published=published):
            row = {k: v for k, v in to_json(fig).items() if k in FIELDS}
            if fig.kind == "count" and fig.metric in ("arrivals", "cumulative") and row not in gold:
                wrong.append(f"{item['page']}: {fig.text!r} {row}")
    assert wrong == []


def test_broadcast_copy_reads_spoken_years_and_lone_numbers() -> None:
    text = (
        "Sixty-three. That is how many North Korean defectors arrived in South Korea last year. It is down from "
        "two hundred twenty-nine the year before, and a small fraction of the peak in two thousand nine, when two "
        "thousand nine hundred fourteen defectors arrived."
    )
    assert [(f.value, f.year) for f in extract(text, published=datetime.date(2022, 1, 28))] == [
        (63, 2021),
        (229, 2020),
        (2914, 2009),
    ]


def test_quarters_named_once_then_by_ordinal_and_the_annual_total() -> None:
    text = "Arrivals then rose to 23 in the third quarter and 25 in the fourth, bringing the annual total to 67."
    got = [(f.value, f.year, f.period) for f in extract(text, published=datetime.date(2023, 2, 10))]
    assert got == [(23, 2022, "Q3"), (25, 2022, "Q4"), (67, 2022, None)]


def test_cli_evaluate_prints_field_accuracy_and_misses(tmp_path: Path) -> None:
    labelled = tmp_path / "set.jsonl"
    item = {"text": "About 190 defectors arrived in 2023.", "published": None, "figures": []}
    labelled.write_text(json.dumps(item) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["figures", "--evaluate", str(labelled)])
    assert result.exit_code == 0, result.output
    assert "detection F1" in result.output and "hedge" in result.output
    assert "spurious count 'About 190'" in result.output


def _article(text: str, published: str | None = None) -> list[tuple[object, ...]]:
    pub = Published.parse(published) if published else None
    return [(f.text, f.metric, f.sense, f.year, f.period) for f in extract(text, published=pub)]


def test_a_fraction_of_an_earlier_peak_is_a_change_dated_by_its_own_time_not_the_peaks() -> None:
    text = "Last year only 1,100 defectors reached the South, less than half the peak recorded in 2009."
    assert ("less than half", "arrivals", "change", 2018, None) in _article(text, "2019-03")
    text = "Arrivals fell to about 700, just one-third of the previous record."
    assert _article(text)[1][2] == "change"


def test_before_or_after_a_year_and_a_year_in_an_events_name_date_nothing() -> None:
    text = "Some 40 percent of respondents who fled after 2015 said they had paid a broker."
    assert _article(text, "2022-05-01")[0][3:] == (None, None)
    text = "Weeks before the 2018 PyeongChang Olympics, three soldiers crossed the border."
    assert _article(text, "2018-01-02")[0][1] == "other"


def test_a_year_later_in_the_sentence_beats_the_articles_year() -> None:
    text = (
        "About 1,500 defectors arrived in 2016. "
        "A quarter of defectors at university struggled with English, a 2014 survey found."
    )
    assert _article(text, "2017-02-01")[1][3] == 2014


def test_parts_link_to_the_whole_they_add_up_to_and_the_remaining_to_the_group_before() -> None:
    text = (
        "A total of 120 defectors arrived in the first quarter of this year. That was down from 210 in the same "
        "period a year earlier. The total is made up of 30 men and 90 women."
    )
    assert [f[3:] for f in _article(text, "2024-04-10")[2:]] == [(2024, "Q1"), (2024, "Q1")]
    text = "Twelve defectors arrived here on Monday. The remaining seven were fishermen."
    assert _article(text, "2003-06-03")[1][3] == 2003


def test_a_count_under_a_rulers_era_is_that_eras_arrivals_with_no_year_the_text_does_not_give() -> None:
    text = "Under Kim Jong-il, about 20,000 defectors reached the South, while under Kim Jong-un, some 9,000 did."
    assert [f[1:] for f in _article(text, "2023-05-01")] == [("arrivals", None, None, None)] * 2
    text = "The Chinese government has deported about 60 refugees to the North on April 26, 2024, activists said."
    assert _article(text)[0][3] == 2024  # a government is not an era


def test_one_off_groups_and_lists_of_them_are_not_arrival_statistics() -> None:
    assert _article("In July 2004, 468 refugees were flown in from Vietnam.")[0][1] == "other"
    assert _article("The 13 restaurant workers who arrived in 2016 were questioned.")[0][1] == "other"
    text = "The cases include the deportation of 300 refugees on May 2, 2023, of 60 on June 1, and of 20 in July 2022."
    assert [f[1] for f in _article(text)] == ["other"] * 3


def test_a_whole_told_by_its_relative_clause_and_its_part_by_the_verb_after_it() -> None:
    text = "Data show 31 of the 33,000 defectors who have settled in South Korea returned to the North in 2012-2019."
    assert _article(text, "2020-06-01") == [
        ("31", "other", None, None, "2012-2019"),
        ("33,000", "cumulative", None, 2020, None),
    ]


def test_a_total_with_no_destination_is_not_the_running_total_of_arrivals() -> None:
    text = "Since the end of the Korean War, perhaps 200,000 North Koreans have defected overall."
    assert _article(text, "2015-01-05")[0][1] == "other"


def test_a_small_tally_of_one_year_is_that_years_statistic() -> None:
    text = "That brings the tally to a total of 3 soldier defections in 2019."
    assert _article(text)[0][1:4] == ("arrivals", None, 2019)


def test_an_explicit_anaphor_carries_the_period_and_during_the_fourth_names_the_quarter() -> None:
    text = "Between January and May this year, 400 defectors arrived. The figure marks a 12 percent rise on-year."
    assert _article(text)[1][2:] == ("change", None, "Jan-May")
    text = "There were 20 defectors in the first quarter, 9 during the third quarter and 7 during the fourth."
    assert [f[4] for f in _article(text)] == ["Q1", "Q3", "Q4"]


def test_counted_stretches_of_years_resolve_against_the_year_they_count_from() -> None:
    text = "Arrivals hit the 1,000 mark in 2001 and stayed above the 1,000 level for the next four years till 2005."
    assert _article(text)[1][3:] == (None, "2002-2005")
    text = "Both 2014 and 2015 saw eight defectors return, followed by five more in the following two years."
    assert _article(text, "2019-01-01")[-1][3:] == (None, "2016-2017")
    text = "In 2006 arrivals first exceeded 2000 people, and they stayed around the 2000-2500 mark until 2010."
    assert _article(text)[-1][3:] == (None, "2006-2009")


def test_of_the_total_splits_the_total_and_the_whole_year_is_a_period() -> None:
    text = "A total of 236 defectors arrived last year. Of the total, 200 were women and 36 were men."
    assert [f[1:4] for f in _article(text, "2025-01-15")[1:]] == [("arrivals", None, 2024)] * 2
    text = "Only 12 defectors arrived in the first quarter of 2022. Officials expect fewer than 100 for the whole year."
    assert _article(text)[1][1:5] == ("arrivals", None, 2022, None)


def test_an_increase_of_n_is_a_difference_and_people_living_abroad_are_no_running_total() -> None:
    text = "Arrivals reached 154 in the first nine months. That is an increase of 23 from the same period last year."
    assert _article(text, "2024-10-15")[1][1] == "other"
    assert _article("About 2,000 defectors are now living in Britain.", "2024-03-01")[0][1] == "other"


def test_the_figure_named_again_is_a_change_against_another_years_count() -> None:
    text = "Arrivals rose to 236 last year. The figure was still less than a quarter of the 1,047 who came in 2019."
    assert _article(text, "2025-01-20")[1][1:4] == ("arrivals", "change", 2024)
    text = "Over the past decade, defections have averaged around 1,000 per year."
    assert _article(text, "2024-01-20")[0][3:] == (None, "2014-2023")


def test_a_count_after_from_a_year_earlier_to_is_this_periods_and_its_restated_share_follows_it() -> None:
    text = (
        "Arrivals in the first half of this year fell 15 percent from a year earlier to 84. "
        "Of the 84, women accounted for 74, or 88 percent."
    )
    assert [f[3:] for f in _article(text, "2025-07-10")] == [(2025, "H1")] * 5
    text = "Before 2012, annual arrivals regularly topped 2,000; since then they have stayed below 1,500 annually."
    assert [f[1] for f in _article(text, "2018-03-05")] == ["arrivals", "arrivals"]


def test_a_hedged_bare_half_is_a_share_and_the_subject_names_the_group_of_every_share() -> None:
    text = "The share of men has fallen from nearly half in 2002 to just 15 percent."
    assert [(f[0], f[2], f[3]) for f in _article(text, "2019-01-21")] == [
        ("nearly half", "share", 2002),
        ("15 percent", "share", None),
    ]
    assert {f.subgroup for f in extract(text)} == {"men"}


def test_a_surveys_size_is_a_figure_and_half_of_last_years_pace_is_a_change() -> None:
    text = "The foundation's 2023 survey of 3,000 defectors found most were satisfied."
    assert _article(text)[0][:2] == ("3,000", "other")
    text = "They are among the 43 defectors to reach the South so far this year, fewer than half of last year's pace."
    assert _article(text, "2024-05-10")[1][2:] == ("change", 2024, "Jan-Apr")


def test_a_spelled_count_followed_by_its_verb_is_a_figure() -> None:
    text = "Defections slowed in 2021. In the fourth quarter, just two arrived, and only three crossed the year before."
    assert [f[0] for f in _article(text, "2022-01-15")] == ["two", "three"]


def test_the_statistic_as_subject_a_split_in_apposition_and_half_the_peak_dated_by_its_own_year() -> None:
    text = (
        "In 2016, 1,418 North Koreans defected to the South. The vast majority, 1,121, were women. "
        "Defections by elites rose to at least 15. The 2016 total was half the 2009 peak."
    )
    assert [(f[0], f[1], f[3]) for f in _article(text, "2017-01-10")] == [
        ("1,418", "arrivals", 2016),
        ("1,121", "arrivals", 2016),
        ("at least 15", "arrivals", 2016),
        ("half", "arrivals", 2016),
    ]


def test_a_place_in_an_earlier_clause_and_of_them_names_the_nearest_count() -> None:
    text = (
        "When Park crossed into China in 2015, she was one of roughly 1,275 North Koreans who reached South Korea "
        "that year. Last year, just 236 made the journey, and in the first three months of this year only 38 "
        "arrived. Women accounted for 31 of them."
    )
    got = _article(text, "2025-05-02")
    assert got[0][1:4] == ("arrivals", None, 2015)
    assert got[-1][3:] == (2025, "Q1")


def test_months_across_a_year_end_are_one_span_with_no_year() -> None:
    text = "The report drew on 210 defectors interviewed between November 2022 and October 2023."
    assert _article(text, "2024-03-01")[0][3:] == (None, "Nov 2022-Oct 2023")


def test_the_month_a_yearly_figure_was_told_in_is_no_period() -> None:
    text = "How many defectors reached the South in 1999 is unclear; an official put the number at 140 in October."
    assert _article(text, "2000")[0][3:] == (1999, None)
    assert _article("In October 1999, 14 defectors reached the South.")[0][3:] == (1999, "October")


def test_a_level_reached_is_a_share_a_comparison_is_no_aside_and_may_be_is_the_present() -> None:
    text = "The share of women among defectors has been rising, reaching 83 percent this year."
    assert _article(text, "2016-07-01")[0][2] == "share"
    text = (
        "In 2015, 1,275 defectors arrived. That is only 20 fewer than those who arrived in 2014, yet numbers "
        "were steady in recent years."
    )
    assert _article(text, "2016-01-20")[1][3] == 2015
    assert _article("Up to 200,000 North Koreans may be hiding in China.", "2005-03-01")[0][3] == 2005


def test_a_table_of_years_gives_one_figure_per_cell_with_its_columns_group() -> None:
    html = (
        "<html><body><article><h1>Defectors by year</h1><p>North Korean defectors arriving in South Korea each "
        "year, as the unification ministry counts them, fell steeply once the pandemic closed the borders.</p>"
        "<table><tr><th>Year</th><th>Men</th><th>Women</th><th>Total</th></tr>"
        "<tr><td>2019</td><td>202</td><td>845</td><td>1,047</td></tr>"
        "<tr><td>2020</td><td>72</td><td>157</td><td>n/a</td></tr></table>"
        "<p>Source: the Ministry of Unification; the figures for the latest year are provisional.</p>"
        "</article></body></html>"
    )
    text = trafilatura.extract(html, include_tables=True) or ""
    got = [(f.text, f.metric, f.subgroup, f.year, f.period) for f in extract(text)]
    assert got == [
        ("202", "arrivals", "men", 2019, None),
        ("845", "arrivals", "women", 2019, None),
        ("1,047", "arrivals", None, 2019, None),
        ("72", "arrivals", "men", 2020, None),
        ("157", "arrivals", "women", 2020, None),
    ]
    assert all(text[f.start : f.end] == f.text for f in extract(text))
    weather = "Rainfall by year in Seoul.\n| Year | mm |\n|---|---|\n| 2019 | 1,100 |\n| 2020 | 1,650 |"
    assert extract(weather) == []


def test_a_long_story_that_never_names_the_topic_states_none_of_its_figures() -> None:
    flood = (
        "Heavy rain lashed the coast on Tuesday. Some 3,000 residents fled their homes and 120 families were "
        "resettled in schools, officials said. In 2020, about 1,500 people had to flee similar floods. " * 3
    )
    assert len(flood) > 500 and extract(flood, published=Published.parse("2023-08-01")) == []
    about = "Some 3,000 residents of Seoul were resettled after the floods, 120 of them North Korean defectors."
    assert [f.metric for f in extract(about)] == ["other", "other"]


def test_the_years_total_is_the_whole_year() -> None:
    text = "In the second half of 2023, 97 defectors arrived, bringing the year's total to 196."
    assert [f[3:] for f in _article(text, "2024-01-18")] == [(2023, "H2"), (2023, None)]


def test_changes_by_a_fraction_and_times_those_of_another_year() -> None:
    text = "Arrivals were up by a third in 2023 after they fell by two-thirds in 2020."
    assert [(f[0], f[2]) for f in _article(text)] == [("a third", "change"), ("two-thirds", "change")]
    text = "Arrivals in 2023 were nearly three times those in 2022."
    assert _article(text)[0][:4] == ("nearly three times", "arrivals", "change", 2023)


def test_made_up_is_no_rise() -> None:
    text = "Of the 236 defectors who arrived in 2024, women made up 210, or nearly 90 percent."
    assert _article(text)[-1][:3] == ("nearly 90 percent", "arrivals", "share")


def test_ages_of_a_share_are_no_counts_and_a_place_after_from_is_no_base() -> None:
    text = "Of the 1,047 defectors who arrived in 2019, 9 percent were under 10 and another 5% were 60 or more."
    assert [f[0] for f in _article(text)] == ["1,047", "9 percent", "5%"]
    text = (
        "Of the 1,047 defectors who arrived in 2019, 46 percent came from North Hamgyong and 28 percent from Ryanggang."
    )
    assert [f[2] for f in _article(text)[1:]] == ["share", "share"]
