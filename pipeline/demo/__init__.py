"""The bundled demo news site: three fictional outlets, their feeds, and a local server for them."""

from pipeline.demo.server import SITE, demo_feeds, serve

__all__ = ["SITE", "demo_feeds", "serve"]
