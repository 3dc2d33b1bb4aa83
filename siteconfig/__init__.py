"""Reading the site configuration: one reader and one error for every part."""

from siteconfig.reader import REQUIRED, ConfigError, Table, nearest

__all__ = ["REQUIRED", "ConfigError", "Table", "nearest"]
