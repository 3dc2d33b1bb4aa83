"""Schedules: sun-relative show windows for the site."""

from schedules.rules import RuleError, Rules, parse_rules

__all__ = ["RuleError", "Rules", "parse_rules"]
