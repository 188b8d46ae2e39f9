"""An object-store DATA_PATH: the S3 secret DuckDB gets on attach, built from the settings alone."""

from __future__ import annotations

import duckdb
import pytest

from pipeline import warehouse
from pipeline.errors import ConfigError
from pipeline.settings import Settings

STORE = {
    "NEWSFIGURES_DATA_PATH": "s3://lake/data/",
    "NEWSFIGURES_S3_ENDPOINT": "127.0.0.1:9",
    "NEWSFIGURES_S3_KEY_ID": "key",
    "NEWSFIGURES_S3_SECRET": "it's secret",
    "NEWSFIGURES_S3_URL_STYLE": "path",
    "NEWSFIGURES_S3_USE_SSL": "false",
}


def test_a_local_data_path_loads_no_httpfs() -> None:
    assert warehouse.object_store_statements(Settings(data_path="/tmp/lake/data/")) == []


def test_an_s3_data_path_gets_the_configured_key_and_endpoint_and_nothing_else() -> None:
    settings = Settings.from_env(STORE, feeds=())
    con = duckdb.connect()
    for statement in warehouse.object_store_statements(settings):
        con.execute(statement)
    secret = con.execute("SELECT type, provider, scope, secret_string FROM duckdb_secrets()").fetchall()
    assert [row[:3] for row in secret] == [("s3", "config", ["s3://", "s3n://", "s3a://"])]
    shown = secret[0][3]  # DuckDB redacts the secret itself
    assert "key_id=key" in shown and "endpoint=127.0.0.1:9" in shown and "url_style=path" in shown
    assert "use_ssl=false" in shown and "it's secret" not in shown
    assert "it's secret" not in repr(settings)


def test_an_s3_data_path_without_a_key_is_a_configuration_error() -> None:
    settings = Settings.from_env({**STORE, "NEWSFIGURES_S3_SECRET": ""}, feeds=())
    with pytest.raises(ConfigError, match="NEWSFIGURES_S3_KEY_ID and NEWSFIGURES_S3_SECRET"):
        warehouse.attach_statements(settings)
    with pytest.raises(ConfigError, match="path or vhost"):
        warehouse.object_store_statements(Settings.from_env({**STORE, "NEWSFIGURES_S3_URL_STYLE": "x"}, feeds=()))
