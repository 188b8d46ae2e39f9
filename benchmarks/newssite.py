"""A synthetic news site for the scaling benchmark: 10 outlets, each one RSS feed listing all its articles.

Everything is generated on request from ``(seed, article number)``, so the site is the same from one run to the next
and adding articles never changes the earlier ones. Article ``i`` belongs to outlet ``i % 10``; every outlet is served
on an address of its own (127.0.0.1 to 127.0.0.10, loopback), so per-host politeness applies per outlet as it would
on the web. Pages are 3–6 KB of article text in several paragraphs, with a nav, a byline, a related-links aside and
a footer around it; about two articles in three state one to three yearly arrival counts of North Korean defectors
("In 2023, 196 North Korean defectors arrived in South Korea"), some of them misreported, so the figure stage and
its findings have work. Sentences are drawn from templates with many slot values, so articles are not near-duplicates.
"""

from __future__ import annotations

import csv
import email.utils
import hashlib
import random
import re
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from pipeline.demo.server import not_modified

OUTLETS = 10
REFERENCE = Path(__file__).resolve().parents[1] / "warehouse" / "reference" / "official_defector_arrivals.csv"
OFFICIAL = {int(r["year"]): int(r["arrivals"]) for r in csv.DictReader(REFERENCE.open(encoding="utf-8"))}
EPOCH = datetime(2025, 1, 1, 6, tzinfo=UTC)  # article i: i * 5 minutes later (100,000 articles: December 2025)
_PAGE = re.compile(r"^/article-(\d+)\.html$")


def _listed(text: str) -> list[str]:
    return text.split("|")


NAMES = _listed(
    "Kim Min-seo|Lee Ji-hoon|Park Soo-jin|Choi Hyun-woo|Jung Da-eun|Kang Tae-yang|Yoon Seo-yeon|"
    "Han Jae-won|Oh Eun-bi|Shin Dong-hyun|Lim Ha-na|Song Woo-jin|Jang Mi-rae|Hwang In-ho"
)
ROLES = _listed(
    "a researcher at the Korea Institute for National Unification|a pastor who runs a shelter in Seoul|"
    "a former border guard|a lawyer who advises new arrivals|an official at the Unification Ministry|"
    "a volunteer teacher in Incheon|a professor of North Korean studies|a caseworker at Hanawon"
)
PLACES = _listed(
    "Yanji|Shenyang|Dandong|Vientiane|Bangkok|Ulaanbaatar|Hyesan|Musan|Chongjin|Sinuiju|Kaesong|Hoeryong|"
    "Hanoi|Phnom Penh"
)
MONTHS = _listed("January|February|March|April|May|June|July|August|September|October|November|December")
THINGS = _listed(
    "smartphones|rice prices|market stalls|border fences|brokers' fees|foreign films|fishing boats|"
    "winter coal|school fees|bus routes|job training|rental deposits"
)
TOPICS = _listed(
    "resettlement|job placement|housing support|schooling|health care|legal aid|language classes|"
    "mental health|family reunions|vocational training"
)
SENTENCES = [
    "{name}, {role}, said the change had been felt most sharply in {place}.",
    "Officials in Seoul said the budget for {topic} would grow by {pct} percent under the new plan.",
    "In {place}, traders told relatives that {thing} had become harder to come by since {month}.",
    "The journey through {place} can take months, and brokers now ask for far more than they did a decade ago.",
    "{name} recalled crossing the river near {place} one night in {month}, carrying little more than a coat.",
    "Aid groups say demand for {topic} has outpaced what local offices can offer.",
    "Several people interviewed for this article asked that only their family names be used.",
    "A survey of {small} recent arrivals found that most had relatives still living in the North.",
    "The government has promised to review {topic} programmes before the end of {month}.",
    "Some of those who settled in the South have since moved on to Britain or Canada, {name} said.",
    "Local councils in the capital region have started their own schemes for {topic}.",
    "Prices for {thing} in {place} rose again this spring, according to people with contacts there.",
    "{name} said the hardest part of the first year was not the work but the loneliness.",
    "Rights groups have asked China to stop sending people caught near {place} back across the border.",
    "At a community centre in Incheon, volunteers run evening classes on {topic} twice a week.",
    "Researchers caution that conditions along the border change quickly and reports are hard to verify.",
    "The ministry said it would publish a fuller breakdown of the figures in {month}.",
    "{name}, {role}, described the new rules as a step in the right direction but not enough.",
    "Many arrivals spend their first weeks learning how to open a bank account and use the subway.",
    "In interviews, younger arrivals spoke of {thing} and foreign television as reasons they began to doubt.",
    "One woman said she had worked for three years in a restaurant in {place} before she could leave.",
    "The number of people held in detention near {place} is not known, officials said.",
    "Employers in Gyeonggi province say they value the workers' persistence, {name} said.",
    "Demand for {topic} tends to peak in {month}, when the school year and leases begin.",
]
SUBJECTS = _listed(
    "Officials in Seoul|Aid workers|Two former soldiers|A church group in Busan|Local councils|"
    "Researchers|Brokers along the border|Teachers at night schools|Relatives in the North|"
    "Younger arrivals|Employers in Gyeonggi|Lawmakers|Doctors at a clinic in Anseong|Volunteers|"
    "Human rights lawyers|Mothers who arrived alone|Students from Hyesan|Shop owners in Incheon"
)
VERBS = _listed(
    "have quietly expanded|questioned the cost of|asked for more money for|described delays in|"
    "have long complained about|said little about|published a review of|praised the changes to|"
    "warned of cuts to|began a study of|spent weeks preparing|struggled with|set up a fund for|"
    "called for an inquiry into|were surprised by|want a say in"
)
TAILS = _listed(
    "this year|since the pandemic|after the election|in the provinces|despite the cold|over the summer|"
    "as rents rose|without much notice|for the third time|in recent months|before the holidays|"
    "as the border tightened|with mixed results|on a shoestring budget"
)
FIGURES = [
    "In {year}, {count} North Korean defectors arrived in South Korea, the Unification Ministry said.",
    "A total of {count} North Korean defectors reached the South in {year}, according to the Unification Ministry.",
    "The Unification Ministry counted {count} defectors from North Korea arriving in {year}.",
    "Some {count} North Koreans defected to the South in {year}, official data show.",
]


def article(seed: int, i: int) -> dict[str, Any]:
    """Article ``i`` of the site: title, byline, date and paragraphs (the same for the same seed, always)."""
    rng = random.Random(f"{seed}-{i}")
    published = EPOCH + timedelta(minutes=5 * i + rng.randrange(5))
    paragraphs = []
    for _ in range(rng.randint(6, 10)):
        sentences = [_sentence(rng) for _ in range(rng.randint(4, 6))]
        paragraphs.append(" ".join(sentences))
    stated = []
    if rng.random() < 0.67:
        for _ in range(rng.randint(1, 3)):
            year = rng.choice([y for y in OFFICIAL if 2005 <= y < published.year])
            count = (
                OFFICIAL[year] if rng.random() < 0.85 else OFFICIAL[year] + rng.choice([-1, 1]) * rng.randint(40, 400)
            )
            stated.append((year, count))
            at = rng.randrange(len(paragraphs))
            paragraphs[at] = rng.choice(FIGURES).format(year=year, count=f"{count:,}") + " " + paragraphs[at]
    topic = rng.choice(TOPICS)
    # no article number in the title: "(2086)" in a headline reads as a year, and its figures get quarantined
    title = f"{rng.choice(['New', 'Rising', 'Slower', 'Hard', 'Fresh'])} questions over {topic} for defectors"
    return {
        "title": title,
        "author": rng.choice(NAMES),
        "published": published,
        "paragraphs": paragraphs,
        "stated": stated,
    }


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return _fill(rng, rng.choice(SENTENCES))
    thing = rng.choice([*THINGS, *TOPICS])
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {thing} {rng.choice(TAILS)}, {rng.choice(NAMES)} said."


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        name=rng.choice(NAMES),
        role=rng.choice(ROLES),
        place=rng.choice(PLACES),
        month=rng.choice(MONTHS),
        thing=rng.choice(THINGS),
        topic=rng.choice(TOPICS),
        pct=rng.randint(3, 40),
        small=rng.randint(80, 900),
    )


def page(seed: int, i: int, base: str) -> bytes:
    """The HTML page of article ``i`` as outlet ``i % 10`` serves it under ``base``."""
    a, outlet = article(seed, i), f"Outlet {i % OUTLETS}"
    body = "\n".join(f"      <p>{escape(p)}</p>" for p in a["paragraphs"])
    related = "".join(f'<li><a href="{base}/article-{j}.html">Related story {j}</a></li>' for j in range(i % 7, 40, 9))
    # what a real news page carries around its article (menus, most-read, comments, scripts): real pages are
    # 50-300 KB of HTML, and most of trafilatura's time goes to reading past this
    sections = "".join(f'<li><a href="{base}/section-{k}">Section {k}</a></li>' for k in range(200))
    most_read = "".join(
        f'<li><a href="{base}/article-{(i * 31 + k) % 997}.html">Most read story number {k}: a headline of '
        f'several words about the day\'s news</a><span class="time">{k} hours ago</span></li>'
        for k in range(80)
    )
    comments = "".join(
        f'<div class="comment"><span class="user">reader{(i + k) % 89}</span><p>Comment {k}: I read this and '
        f"think the numbers should be checked against what the ministry said last year.</p></div>"
        for k in range(40)
    )
    script = "".join(f"window.ad_slot_{k} = {{id: {k}, size: [300, 250], lazy: true}};" for k in range(400))
    banner = '<div class="cookie-banner">We use cookies to improve your experience. <button>Accept</button></div>'
    boilerplate_top = f"""{banner}
  <header><div class="logo">{outlet}</div><ul class="menu">{sections}</ul></header>
  <script>{script}</script>"""
    boilerplate_bottom = f"""<section class="most-read"><h2>Most read</h2><ol>{most_read}</ol></section>
  <section class="comments"><h2>Comments</h2>{comments}</section>
  <div class="newsletter"><h3>Get our newsletter</h3><form><input type="email"><button>Sign up</button></form></div>"""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{escape(a["title"])} | {outlet}</title>
  <meta property="og:site_name" content="{outlet}">
  <meta name="author" content="{a["author"]}">
  <meta property="article:published_time" content="{a["published"].isoformat()}">
  <link rel="canonical" href="{base}/article-{i}.html">
</head>
<body>
  {boilerplate_top}
  <nav><a href="{base}/">Home</a> <a href="{base}/world">World</a> <a href="{base}/korea">Korea</a></nav>
  <main>
    <article>
      <h1>{escape(a["title"])}</h1>
      <p class="byline">By {a["author"]}, {a["published"]:%B %d, %Y}</p>
{body}
    </article>
    <aside><h2>More on this story</h2><ul>{related}</ul></aside>
  </main>
  {boilerplate_bottom}
  <footer>© {outlet}. All rights reserved. <a href="{base}/privacy">Privacy</a></footer>
</body>
</html>
""".encode()


def feed(seed: int, outlet: int, total: int, base: str) -> bytes:
    """Outlet ``outlet``'s RSS feed: every one of its articles among the first ``total``, newest first."""
    items = []
    for i in range(total - 1, -1, -1):
        if i % OUTLETS != outlet:
            continue
        rng = random.Random(f"{seed}-{i}")
        published = EPOCH + timedelta(minutes=5 * i + rng.randrange(5))
        items.append(
            f"<item><title>Story {i} from outlet {outlet}</title><link>{base}/article-{i}.html</link>"
            f'<guid isPermaLink="false">o{outlet}-{i}</guid>'
            f"<pubDate>{email.utils.format_datetime(published)}</pubDate></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Outlet {outlet}</title>'
        f"<link>{base}/</link><description>News from outlet {outlet}</description>{''.join(items)}</channel></rss>"
    ).encode()


class Site:
    """The site's state: its seed and how many articles it has published so far (``publish`` adds more)."""

    def __init__(self, seed: int, total: int) -> None:
        self.seed, self.total = seed, total
        self.bases: list[str] = []
        self._feeds: dict[tuple[int, int], bytes] = {}
        self.changed_at = int(datetime.now(UTC).timestamp())

    def publish(self, more: int) -> None:
        """Add ``more`` articles (spread over the outlets, listed first in their feeds)."""
        self.total += more
        self.changed_at = int(datetime.now(UTC).timestamp())

    def feed(self, outlet: int) -> bytes:
        """Outlet ``outlet``'s feed as it stands (built once per number of articles published)."""
        key = (outlet, self.total)
        if key not in self._feeds:
            self._feeds[key] = feed(self.seed, outlet, self.total, self.bases[outlet])
        return self._feeds[key]

    def feed_urls(self) -> dict[str, str]:
        """Feed name to URL, one per outlet."""
        return {f"outlet-{k}": f"{base}/rss.xml" for k, base in enumerate(self.bases)}


@contextmanager
def serve(site: Site) -> Iterator[Site]:
    """Serve each outlet of ``site`` on 127.0.0.(k+1) in a daemon thread; stop them on exit."""
    with ExitStack() as stack:
        for outlet in range(OUTLETS):
            server = ThreadingHTTPServer((f"127.0.0.{outlet + 1}", 0), _handler(site, outlet))
            server.daemon_threads = True
            server.request_queue_size = 256
            site.bases.append(f"http://127.0.0.{outlet + 1}:{server.server_address[1]}")
            thread = threading.Thread(target=server.serve_forever, name=f"outlet-{outlet}", daemon=True)
            thread.start()
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
        yield site


def _handler(site: Site, outlet: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body are two writes: with Nagle's algorithm the body waited for the client's delayed ACK of
        # the headers, 40 ms per page on loopback, and the fetch stage measured that instead of the pipeline
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            base = site.bases[outlet]
            match = _PAGE.match(self.path)
            if self.path == "/rss.xml":
                body, kind = site.feed(outlet), "application/rss+xml"
            elif match and int(match.group(1)) < site.total and int(match.group(1)) % OUTLETS == outlet:
                body, kind = page(site.seed, int(match.group(1)), base), "text/html; charset=utf-8"
            else:
                self._send(404, b"not found\n", {"Content-Type": "text/plain"})
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            validators = {"ETag": etag, "Last-Modified": email.utils.formatdate(site.changed_at, usegmt=True)}
            if not_modified(self.headers, etag, site.changed_at):
                self._send(304, b"", validators)
            else:
                self._send(200, body, {"Content-Type": kind, **validators})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
