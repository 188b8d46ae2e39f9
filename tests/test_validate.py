from datetime import UTC, datetime

import pandas as pd
import pandera.pandas as pa
import pytest

from pipeline.checks.validate import validate
from schemas._checks import wide
from schemas.figures import CONTEXT_COLUMNS, span_in_text

TEXT = "The ministry said around 800 arrived in 2023, almost three times the 278 of 2022."
AT = datetime(2024, 3, 1, tzinfo=UTC)


def figure(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "article_url": "https://news.example/a", "figure_no": 1, "kind": "count", "value": 800.0, "low": None,
        "high": None, "hedge": "approximate", "metric": "arrivals", "sense": None, "subgroup": None, "year": 2023,
        "period": None, "span_start": 25, "span_end": 28, "span_text": "800", "sentence": TEXT, "topic": "defection",
        "extractor_version": "test", "loaded_at": AT, "section": "body", "repeats_figure_no": None, "run_id": "run-1",
        "article_published_at": pd.Timestamp("2024-02-05", tz="UTC"),
    }  # fmt: skip
    row.update(changes)
    return row


def check(rows: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    for row in rows:  # as frames.figure_rows checks the span where the text is
        row["span_matches_text"] = span_in_text(TEXT, row["span_start"], row["span_end"], row["span_text"])  # type: ignore[arg-type]
    return validate(pd.DataFrame(rows), "figures", run_id="run-1", at=AT)


def test_good_rows_pass_typed_and_without_context_columns() -> None:
    result = check([figure()])
    assert result.failed == 0 and len(result.quarantine) == 0
    assert not set(CONTEXT_COLUMNS) & set(result.valid.columns)
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
    assert not any(column in row["row_json"] for column in CONTEXT_COLUMNS)


def test_a_count_out_of_range_says_the_range_the_check_used() -> None:
    result = check([figure(value=250_000.0)])
    [reason] = result.quarantine.loc[result.quarantine["check_name"] == "count_in_range", "reason"].tolist()
    assert "arrivals counts must be within 0 and 10000 (topic defection, [ranges])" in reason


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
            "attempts": 1, "final": False, "run_id": "run-1"}  # fmt: skip
    rows = [
        {**base, "url": "https://news.example/ok", "body_sha256": "a" * 64, "error": None},
        {**base, "url": "https://news.example/failed", "body_sha256": None, "error": "HTTP 500"},
        {**base, "url": "https://news.example/lost", "body_sha256": None, "error": None},
    ]
    result = validate(pd.DataFrame(rows), "pages", run_id="run-1", at=AT)
    assert result.valid["url"].tolist() == ["https://news.example/ok", "https://news.example/failed"]
    assert result.quarantine["check_name"].tolist() == ["body_or_error"]


def _validation_peak(padding_words: int) -> tuple[int, int]:
    """Peak bytes allocated validating 50 failing figures of one article with that much text between them."""
    import tracemalloc

    from pipeline import figures
    from pipeline.warehouse.frames import ToRead, figure_rows, published_of

    padding = "Officials " + "said " * padding_words + "so. "
    text = "".join(f"Some {25_000 + n:,} North Korean defectors arrived in 2023 alone. {padding}" for n in range(50))
    article = ToRead("https://news.example/long", text, datetime(2024, 2, 1, tzinfo=UTC), "day", None, "defection")
    read = [(article, figures.extract(text, published=published_of(article), topic=article.topic))]
    frame = figure_rows(read, "run-1", AT)
    tracemalloc.start()
    try:
        result = validate(frame, "figures", run_id="run-1", at=AT)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.failed == 50 and set(result.quarantine["check_name"]) == {"count_in_range"}
    return peak, len(text)


def test_validation_memory_grows_with_the_rows_not_with_the_article_text() -> None:
    _validation_peak(10)  # pandera's first validation of a schema builds caches
    short, _ = _validation_peak(10)
    long, length = _validation_peak(4_000)

    # 50 failing rows of a 1 MB article: its text once per row would be 50 MB, and more in pandera's copies
    assert long - short < length, f"{short / 1e6:.1f} MB, then {long / 1e6:.1f} MB with {length / 1e6:.1f} MB of text"


def crashing_schema(crash: object) -> pa.DataFrameSchema:
    """A schema whose wide check raises as ``crash`` says (a MemoryError on a big batch, a bug on one row)."""

    def check(df: pd.DataFrame) -> pd.Series:
        if crash == "memory" and len(df) > 4:
            raise MemoryError
        if crash == "one-row" and (df["n"] == 7).any():
            raise ZeroDivisionError("division by zero")
        return df["n"] >= 0

    return pa.DataFrameSchema(
        {"url": pa.Column(str), "n": pa.Column(int)}, checks=[wide("n_ok", "n", "n is negative", check)]
    )


@pytest.mark.parametrize(("crash", "blamed"), [("memory", []), ("one-row", [7])])
def test_a_check_that_crashes_blames_only_the_rows_it_crashes_on(crash: str, blamed: list[int]) -> None:
    frame = pd.DataFrame({"url": [f"https://news.example/{n}" for n in range(20)], "n": list(range(20))})
    frame.loc[3, "n"] = -1  # one row that really fails

    # a table keyed by its url, checked by the crashing schema instead of its own
    result = validate(frame, "pages", run_id="run-1", at=AT, schema=crashing_schema(crash))

    assert sorted(result.quarantine["row_key"]) == sorted(f"https://news.example/{n}" for n in [3, *blamed])
    assert len(result.valid) == 20 - 1 - len(blamed)
