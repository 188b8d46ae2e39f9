"""Tables: the figures a page states in a table of years (trafilatura writes tables as Markdown rows).

A table is read only when one of its axes is calendar years: rows that start with a year under a header of column
labels ("| Year | Men | Women | Total |"), or a header of years over rows that start with a label ("| | 2019 | 2020 |").
Each number cell is one figure of its year, with no period; its column (or row) label says the subgroup ("Women") or
the metric ("Cumulative"), and a "%" or a "share" label makes it a share. A cell that is not a plain number ("n/a",
"1,047*") states nothing. Anything else in the text is left to the sentence rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.figures.vocab import Vocabulary
from pipeline.records import Figure

_ROW = re.compile(r"^[ \t]*\|(?P<cells>.*)\|[ \t]*$", re.M)
_RULE = re.compile(r"^[\s|:-]*-{3,}[\s|:-]*$")  # "|---|---|"
_NUMBER = re.compile(r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+(?:\.[0-9]+)?)\s*(?P<pct>%)?")
_YEAR = re.compile(r"(?:19|20)[0-9]{2}")
_SHARE = re.compile(r"%|\b(?:percent|per cent|share|proportion|ratio)\b", re.I)
_TOTAL = re.compile(r"\b(?:cumulative|in total since|running total|all-time)\b", re.I)


@dataclass(frozen=True)
class _Cell:
    text: str
    start: int
    end: int


def _cells(text: str, m: re.Match[str]) -> list[_Cell]:
    """The cells of one row, each with its offsets in ``text`` (surrounding spaces trimmed)."""
    out: list[_Cell] = []
    at = m.start("cells")
    for raw in m.group("cells").split("|"):
        lead = len(raw) - len(raw.lstrip())
        body = raw.strip()
        out.append(_Cell(body, at + lead, at + lead + len(body)))
        at += len(raw) + 1
    return out


def _blocks(text: str) -> list[list[tuple[list[_Cell], str]]]:
    """Runs of consecutive table rows (rule rows dropped), each row with its line's text."""
    blocks: list[list[tuple[list[_Cell], str]]] = []
    last_end = -2
    for m in _ROW.finditer(text):
        line = m.group(0).strip()
        if m.start() > last_end + 1 or not blocks:
            blocks.append([])
        last_end = m.end()
        if not _RULE.fullmatch(line):
            blocks[-1].append((_cells(text, m), line))
    return [b for b in blocks if len(b) >= 2]


def _year(cell: _Cell) -> int | None:
    return int(cell.text) if _YEAR.fullmatch(cell.text) else None


def _about(text: str, block: list[tuple[list[_Cell], str]], vocab: Vocabulary) -> bool:
    """Whether a table is about the topic: its caption (the lines just before it) or its labels say so."""
    start = block[0][0][0].start if block[0][0] else 0
    caption = text[max(0, start - 300) : start]
    labels = " ".join(c.text for cells, _ in block for c in cells[:1]) + " " + block[0][1]
    named = any(w in vocab.subgroups for w in re.findall(r"[a-z]+", labels.lower()))
    return vocab.is_topical(caption + " " + labels) or named


def _figure(cell: _Cell, label: str, year: int, line: str, vocab: Vocabulary, version: str) -> Figure | None:
    number = _NUMBER.fullmatch(cell.text)
    if number is None:
        return None
    value = float(number.group("num").replace(",", ""))
    share = number.group("pct") is not None or _SHARE.search(label) is not None
    words = re.findall(r"[a-z]+", label.lower())
    subgroup = next((vocab.subgroups[w] for w in words if w in vocab.subgroups), None)
    metric = vocab.total_metric if _TOTAL.search(label) else vocab.default_metric
    return Figure(
        kind="percent" if share else "count",
        value=value,
        low=None,
        high=None,
        hedge="exact",
        metric=metric,
        sense="share" if share else None,
        subgroup=subgroup,
        year=year,
        period=None,
        start=cell.start,
        end=cell.end,
        text=cell.text,
        sentence=line,
        extractor_version=version,
        notes=(f"metric, year, period: table ({label or 'no label'!r}, {year})",),
    )


def figures(text: str, vocab: Vocabulary, version: str) -> list[Figure]:
    """The figures of the text's tables of years, in reading order."""
    out: list[Figure] = []
    for block in _blocks(text):
        if not _about(text, block, vocab):
            continue
        header, _ = block[0]
        labels = [c.text for c in header]
        header_years = [_year(c) for c in header]
        rows = block[1:]
        if any(_year(cells[0]) for cells, _ in rows if cells):  # years down the first column
            for cells, line in rows:
                year = _year(cells[0]) if cells else None
                if year is None:
                    continue
                for k, cell in enumerate(cells[1:], 1):
                    fig = _figure(cell, labels[k] if k < len(labels) else "", year, line, vocab, version)
                    if fig is not None:
                        out.append(fig)
        elif sum(y is not None for y in header_years) >= 2:  # years across the header
            for cells, line in rows:
                label = cells[0].text if cells else ""
                for k, cell in enumerate(cells[1:], 1):
                    year = header_years[k] if k < len(header_years) else None
                    fig = _figure(cell, label, year, line, vocab, version) if year is not None else None
                    if fig is not None:
                        out.append(fig)
    return out
