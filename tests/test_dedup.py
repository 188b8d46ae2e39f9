"""Stories: syndicated copies, rel=canonical and identical bodies share one story id; different reports do not."""

from __future__ import annotations

from conftest import DemoLake

from pipeline import warehouse
from pipeline.extract import dedup
from pipeline.records import Article

WIRE = (
    "SEOUL, Jan. 18 (KNW) -- A total of 196 North Korean defectors arrived in South Korea last year, up from 67 in "
    "2022, the unification ministry said Thursday. Of the 196, 164 were women and 32 were men, according to ministry "
    "data. Women accounted for about 84 percent of the total, a return to the pattern seen before the COVID-19 "
    "pandemic. The annual figure nearly tripled from a year earlier, as North Koreans who had been living in China "
    "were able to travel on to third countries after Beijing eased its pandemic restrictions. The cumulative number "
    "of defectors who have settled in the South reached 34,078 at the end of December."
)
SYNDICATED = (
    "By Korea National Wire. " + WIRE.replace("said Thursday", "said on Thursday") + " Copyright KNW, republished."
)
OTHER_REPORT = (
    "Fewer than two hundred people fled the North for the South last year, official data released on Thursday "
    "showed, although the total nearly tripled compared with 2022. Most were women who had spent years in China "
    "before Beijing reopened its borders, and officials expect the number to keep rising as travel eases further."
)


def article(url: str, text: str, canonical: str | None = None) -> Article:
    return Article(url=url, body_sha256="0" * 64, status="ok", text=text, canonical_url=canonical)


def test_syndicated_copy_is_within_a_few_bits_and_another_report_is_not() -> None:
    wire, copy, other = (dedup.simhash(t) for t in (WIRE, SYNDICATED, OTHER_REPORT))

    assert dedup.distance(wire, copy) <= 6
    assert dedup.distance(wire, other) > 12
    assert dedup.simhash(WIRE) == wire  # stable from one run to the next


def test_a_batch_links_the_syndicated_copy_to_the_wire_story() -> None:
    found = [
        article("https://wire.example/a", WIRE),
        article("https://herald.example/b", SYNDICATED),
        article("https://retire.example/c", OTHER_REPORT),
    ]

    stories = dedup.assign([], found, max_distance=6).set_index("url")["story_id"]

    assert stories["https://wire.example/a"] == stories["https://herald.example/b"]
    assert stories["https://retire.example/c"] != stories["https://wire.example/a"]


def test_a_later_copy_joins_the_story_already_in_the_warehouse() -> None:
    known = [("https://wire.example/a", None, "story-wire", dedup.to_signed(dedup.simhash(WIRE)))]

    stories = dedup.assign(known, [article("https://herald.example/b", SYNDICATED)], max_distance=6)

    assert list(stories["story_id"]) == ["story-wire"]


def test_rel_canonical_links_pages_whatever_their_text() -> None:
    known = [("https://wire.example/a", None, "story-wire", dedup.to_signed(dedup.simhash(WIRE)))]
    found = [
        article("https://amp.wire.example/a", "A shortened AMP page.", canonical="https://wire.example/a?utm_source=x"),
        article(
            "https://m.wire.example/a", "Mobile page naming the same canonical.", canonical="https://wire.example/a"
        ),
    ]

    stories = dedup.assign(known, found, max_distance=6)

    assert set(stories["story_id"]) == {"story-wire"}


def test_short_texts_only_match_exactly() -> None:
    found = [article("https://a.example/1", "Defectors arrive."), article("https://b.example/2", "Defectors leave.")]

    stories = dedup.assign([], found, max_distance=6)

    assert stories["story_id"].nunique() == 2


def test_new_story_ids_are_stable_across_reruns() -> None:
    found = [article("https://wire.example/a", WIRE), article("https://herald.example/b", SYNDICATED)]

    first = dedup.assign([], found, max_distance=6)
    second = dedup.assign([], list(reversed(found)), max_distance=6)

    assert first.equals(second)
    assert set(first["story_id"]) == {dedup.story_id("https://herald.example/b")}  # the first URL in order names it


def test_the_demo_warehouse_links_the_syndicated_wire_story_to_one_story(demo_lake: DemoLake) -> None:
    settings = demo_lake.settings
    with warehouse.connect(settings, read_only=True) as con:
        copies = con.execute(
            """SELECT regexp_extract(url, '/(wire|herald|retire)/', 1), story_id FROM articles
               WHERE story_id = (SELECT story_id FROM articles WHERE url LIKE '%/wire/news/2024/01/18/%')
               ORDER BY 1"""
        ).fetchall()
        articles, stories = con.execute(
            "SELECT count(*), count(DISTINCT story_id) FROM articles WHERE status = 'ok'"
        ).fetchone()
    assert [outlet for outlet, _ in copies] == ["herald", "retire", "wire"]
    assert stories == articles - 2  # the two copies count once, with the wire story; every other article is its own
