"""The topic vocabulary: which words mean which metric and subgroup, read from a TOML file per topic."""

from __future__ import annotations

import functools
import logging
import re
import tomllib
from dataclasses import dataclass

from pipeline import topics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Vocabulary:
    """Compiled word lists and cue patterns of one topic."""

    name: str
    terms: re.Pattern[str]
    people: frozenset[str]
    not_people: frozenset[str]
    metric_cues: tuple[tuple[str, re.Pattern[str]], ...]  # (metric, pattern) in order of precedence
    subgroups: dict[str, str]  # lower-cased word or phrase -> subgroup
    subgroup_words: str = ""  # the subgroup words as one regular-expression alternation, longest first
    other_base_cues: re.Pattern[str] | None = None  # "of the national average": a percent of something else
    anaphora: re.Pattern[str] | None = None  # "the tally", "the 2023 figure": the topic named again, not by name
    default_metric: str = "count"  # what a count over a period measures unless a cue says otherwise
    total_metric: str = "total"  # the running total
    other_metric: str = "other"  # everything else
    period_max: float = float("inf")  # a count above this is no period's figure: a running total
    total_max: float = float("inf")  # a count above this is no running total: another population
    counted_elsewhere: frozenset[str] = frozenset()  # people nouns the default metric does not count
    elsewhere_cues: re.Pattern[str] | None = None  # "in China": people somewhere the topic does not count
    state_cues: re.Pattern[str] | None = None  # "have defected to the South": a state, the running total
    destination_cues: re.Pattern[str] | None = None  # "in South Korea", "the South": where the running total lives
    abroad_cues: re.Pattern[str] | None = None  # "Russia", "overall": a sentence about people elsewhere or anywhere
    article_terms: re.Pattern[str] | None = None  # "North Korea", "defector": an article about the topic names these

    def names_topic(self, article: str) -> bool:
        """Whether a whole article is about the topic (a stricter test than a sentence's: "fled" or "settle" in a
        story about floods is no story about defectors)."""
        if self.article_terms is not None:
            return self.article_terms.search(article) is not None
        return self.is_topical(article)

    def is_topical(self, sentence: str) -> bool:
        """Whether the sentence mentions the topic at all."""
        if self.terms.search(sentence) is not None:
            return True
        return self.anaphora is not None and self.anaphora.search(sentence) is not None

    def other_base(self, after: str) -> bool:
        """Whether the words after a percent say it is a share or change of something outside the topic."""
        return self.other_base_cues is not None and self.other_base_cues.match(after) is not None

    def elsewhere(self, clause: str) -> bool:
        """Whether the clause places its people where the topic does not count them ("in China")."""
        return self.elsewhere_cues is not None and self.elsewhere_cues.search(clause) is not None

    def state(self, clause: str) -> bool:
        """Whether the clause states a present state that only the running total measures ("is home to")."""
        return self.state_cues is not None and self.state_cues.search(clause) is not None

    def abroad(self, sentence: str) -> bool:
        """Whether the sentence is about people somewhere the running total does not count ("Russia is holding")."""
        return self.abroad_cues is not None and self.abroad_cues.search(sentence) is not None

    def destination(self, sentence: str) -> bool:
        """Whether the sentence places its people where the running total counts them (no cues: anywhere)."""
        return self.destination_cues is None or self.destination_cues.search(sentence) is not None

    def metric(self, stretch: str) -> str | None:
        """The first metric whose cue occurs in the stretch of text, if any."""
        for name, pattern in self.metric_cues:
            if pattern.search(stretch):
                return name
        return None


def _words(words: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})", re.IGNORECASE)


def _cues(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + ")", re.IGNORECASE)


@functools.lru_cache(maxsize=8)
def load(topic: str) -> Vocabulary:
    """Read and compile the vocabulary of a topic (cached; read on first use, not at import)."""
    source = topics.path_of(topic)  # ValueError for a name that is not one
    if source is None:
        raise ValueError(f"no vocabulary for topic {topic!r} (no {topic}.toml in {topics.TOPIC_DIRS})")
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    metrics = data.get("metric", {})
    shape = data.get("metrics", {})
    default, total = shape.get("default", "count"), shape.get("total", "total")
    # The running total's and other's cues are more specific than the period's verbs, so they win.
    order = [m for m in (total, shape.get("other", "other"), default) if m in metrics]
    order += [m for m in metrics if m not in order]
    ranges = data.get("ranges", {})
    subgroups = {word.lower(): name for name, words in data.get("subgroup", {}).items() for word in words}
    vocab = Vocabulary(
        name=data["topic"]["name"],
        terms=_words(data["topic"]["terms"]),
        people=frozenset(w.lower() for w in data["counted"]["people"]),
        not_people=frozenset(w.lower() for w in data["counted"]["not_people"]),
        metric_cues=tuple((m, _cues(metrics[m]["cues"])) for m in order),
        subgroups=subgroups,
        subgroup_words="|".join(re.escape(w) for w in sorted(subgroups, key=len, reverse=True)),
        anaphora=_cues(data["topic"]["anaphora"]) if data["topic"].get("anaphora") else None,
        other_base_cues=_cues(data["topic"]["other_base"]) if data["topic"].get("other_base") else None,
        default_metric=default,
        total_metric=total,
        other_metric=shape.get("other", "other"),
        period_max=float(shape.get("period_max", ranges.get(default, [0, float("inf")])[1])),
        total_max=float(ranges.get(total, [0, float("inf")])[1]),
        counted_elsewhere=frozenset(w.lower() for w in data["counted"].get("elsewhere", [])),
        elsewhere_cues=_cues(shape["elsewhere"]) if shape.get("elsewhere") else None,
        state_cues=_cues(shape["state"]) if shape.get("state") else None,
        destination_cues=_cues(shape["destination"]) if shape.get("destination") else None,
        abroad_cues=_cues(shape["abroad"]) if shape.get("abroad") else None,
        article_terms=_words(data["topic"]["article_terms"]) if data["topic"].get("article_terms") else None,
    )
    log.debug("loaded vocabulary %s: %d people nouns", vocab.name, len(vocab.people))
    return vocab
