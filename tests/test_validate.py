from datetime import UTC, datetime

import pandas as pd
import pytest

from pipeline.checks.validate import validate

TEXT = "The ministry said around 800 arrived in 2023, almost three times the 278 of 2022."
AT = datetime(2024, 3, 1, tzinfo=UTC)


def figure(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "article_url": "https://news.example/a", "figure_no": 1, "kind": "count", "value": 800.0, "low": None,
        "high": None, "hedge": "approximate", "metric": "arrivals", "sense": None, "subgroup": None, "year": 2023,
        "period": None, "span_start": 25, "span_end": 28, "span_text": "800", "sentence": TEXT, "topic": "defection",
        "extractor_version": "test", "loaded_at": AT, "section": "body", "repeats_figure_no": None, "run_id": "run-1",
        "article_text": TEXT,
        "article_published_at": pd.Timestamp("2024-02-05", tz="UTC"),
    }  # fmt: skip
    row.update(changes)
    return row


def check(rows: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    return validate(pd.DataFrame(rows), "figures", run_id="run-1", at=AT)


def test_good_rows_pass_typed_and_without_context_columns() -> None:
    result = check([figure()])
    assert result.failed == 0 and len(result.quarantine) == 0
    assert "article_text" not in result.valid.columns
    assert str(result.valid["year"].dtype) == "Int32"


@pytest.mark.parametrize(
    ("changes", "check_name", "bad"),
    [
        ({"span_text": "900"}, "span_in_text", "900"),
        ({"year": 2031}, "year_not_after_publication", "2031"),
        ({"value": 250_000.0}, "count_in_range", "250000"),
        ({"hedge": "roughly"}, "isin", "roughly"),
        ({"value": None}, "value_or_range", None),
        ({"year": "next year"}, "coerce_dtype", "next year"),
        ({"kind": "ratio", "sense": None, "value": 3.0}, "sense_matches_kind", None),
    ],
)
def test_a_bad_row_is_quarantined_with_its_check_and_value_and_the_rest_loads(
    changes: dict[str, object], check_name: str, bad: str | None
) -> None:
    good = figure(figure_no=2, span_start=69, span_end=72, span_text="278", value=278.0, hedge="exact", year=2022)
    result = check([figure(**changes), good])
    assert result.valid["value"].tolist() == [278.0]
    assert check_name in set(result.quarantine["check_name"])
    row = result.quarantine[result.quarantine["check_name"] == check_name].iloc[0]
    assert row["run_id"] == "run-1" and row["article_url"] == "https://news.example/a"
    assert row["reason"]
    if bad is not None:
        assert row["bad_value"] == bad
    assert "article_text" not in row["row_json"]


def test_duplicate_natural_keys_are_caught() -> None:
    result = check([figure(), figure(figure_no=2)])
    assert result.failed == 2
    assert set(result.quarantine["check_name"]) == {"multiple_fields_uniqueness"}
    assert "same natural key (article_url, span_start, span_end, kind)" in result.quarantine["reason"].iloc[0]


def test_an_entry_with_a_relative_url_is_quarantined_and_the_rest_load() -> None:
    rows = [
        {
            "url": url,
            "feed": "wire",
            "topic": "defection",
            "guid": url,
            "title": "t",
            "published_at": None,
            "published_precision": None,
            "summary": "",
            "first_seen_at": AT,
            "run_id": "run-1",
        }
        for url in ("https://news.example/a", "/relative/b")
    ]
    result = validate(pd.DataFrame(rows), "entries", run_id="run-1", at=AT)
    assert result.valid["url"].tolist() == ["https://news.example/a"]
    [held] = result.quarantine.to_dict("records")
    assert (held["check_name"], held["bad_value"]) == ("str_matches", "/relative/b")
    assert held["reason"] == "entry URL is not absolute http(s)"


def test_a_page_needs_a_body_or_the_reason_it_has_none() -> None:
    base = {"final_url": None, "fetched_at": AT, "status_code": 200, "content_type": "text/html", "size_bytes": 10,
            "attempts": 1, "run_id": "run-1"}  # fmt: skip
    rows = [
        {**base, "url": "https://news.example/ok", "body_sha256": "a" * 64, "error": None},
        {**base, "url": "https://news.example/failed", "body_sha256": None, "error": "HTTP 500"},
        {**base, "url": "https://news.example/lost", "body_sha256": None, "error": None},
    ]
    result = validate(pd.DataFrame(rows), "pages", run_id="run-1", at=AT)
    assert result.valid["url"].tolist() == ["https://news.example/ok", "https://news.example/failed"]
    assert result.quarantine["check_name"].tolist() == ["body_or_error"]
