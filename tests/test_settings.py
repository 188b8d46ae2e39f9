from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.settings import PROJECT_ROOT, Settings, load_feeds


def test_environment_overrides_defaults(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.toml"
    feeds.write_text('[[feeds]]\nname = "a"\nurl = "https://example.org/rss"\ntopic = "defection"\n')
    settings = Settings.from_env(
        {
            "NEWSFIGURES_FEEDS_FILE": str(feeds),
            "NEWSFIGURES_READ_TIMEOUT": "2.5",
            "NEWSFIGURES_MAX_REDIRECTS": "2",
        }
    )
    assert settings.read_timeout == 2.5
    assert settings.max_redirects == 2
    assert [f.name for f in settings.feeds] == ["a"]


def test_a_bad_number_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="NEWSFIGURES_READ_TIMEOUT"):
        Settings.from_env({"NEWSFIGURES_READ_TIMEOUT": "soon"})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[feeds]]\nname = "a"\nurl = "https://x.org/rss"\n', "lacks topic"),
        ('[[feeds]]\nname = "a"\nurl = "file:///etc/passwd"\ntopic = "t"\n', "must be http"),
        ('[[feeds]]\nname = "a"\nurl = "https://x.org/1"\ntopic = "t"\n' * 2, "unique"),
        ("[[feeds]\n", "feeds.toml"),
    ],
)
def test_invalid_feeds_files_are_refused_with_a_reason(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message):
        load_feeds(path)


def test_the_shipped_feeds_file_loads() -> None:
    feeds = load_feeds(PROJECT_ROOT / "feeds.toml")
    assert feeds and all(f.topic == "defection" for f in feeds)


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    names = [f"NEWSFIGURES_{name.upper()}" for name in Settings.__dataclass_fields__ if name != "feeds"]
    assert [n for n in names if n not in readme] == []
