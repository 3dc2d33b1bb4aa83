"""The one reader for every table of the site configuration.

Each part (site, paths, show, outputs and fixtures, schedule rules, artwork settings) reads its
tables through `Table`: typed look-ups whose errors name the place (`fixture[2].address`), and
`close()`, which refuses every key nobody asked for, naming the nearest known one. A typo such as
`[show] fsp = 30` is an error, never a silently used default. Pure: dicts in, values or a
`ConfigError` out; the caller adds nothing but the file name it read.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

REQUIRED: Any = object()  # default meaning "the key must be there"


class ConfigError(ValueError):
    """A configuration problem: which file, which key, what is wrong."""

    def __init__(self, key: str, message: str, file: Path | str | None = None) -> None:
        self.key = key
        self.message = message
        self.file = file
        super().__init__(key, message, file)

    def __str__(self) -> str:
        return ": ".join(str(part) for part in (self.file, self.key, self.message) if part)

    def in_file(self, file: Path | str | None) -> ConfigError:
        """The same error, naming `file` unless it already names one (an included file)."""
        return self if self.file or not file else type(self)(self.key, self.message, file)


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known name a typo most likely meant, if any is close enough."""
    matches = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=0.6)
    return matches[0] if matches else None


class Table:
    """One TOML table being read. Every look-up marks its key as known; `close()` refuses the rest.

    `key` is the table's place as a technician reads it ("show", "fixture[2]",
    "schedule.window[1]"), empty for the top level of a file.
    """

    def __init__(self, data: Any, key: str = "", file: Path | str | None = None) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(key, f"must be a table, not {data!r}", file)
        self.data = data
        self.key = key
        self.file = file
        self._known: set[str] = set()

    @classmethod
    def of(cls, data: Table | Mapping[str, Any], key: str, file: Path | str | None = None) -> Table:
        """A Table as is, or a plain dict wrapped (parsers take either)."""
        return data if isinstance(data, Table) else cls(data, key, file)

    # -- places and errors --------------------------------------------------------------------

    def where(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def fail(self, name: str, message: str) -> ConfigError:
        return ConfigError(self.where(name), message, self.file)

    def missing(self, name: str, message: str = "missing") -> ConfigError:
        """A required key is absent; a typo of it (`strat` for start) is named instead."""
        typo = nearest(name, (key for key in self.data if key not in self._known))
        if typo is not None:
            return self.fail(typo, f"unknown key (did you mean {name!r}?)")
        return self.fail(name, message)

    def __contains__(self, name: str) -> bool:
        return name in self.data

    # -- look-ups -----------------------------------------------------------------------------

    def value(self, name: str, default: Any = REQUIRED) -> Any:
        """The raw value, for parsers of their own (times, dates, addresses)."""
        self._known.add(name)
        if name in self.data:
            return self.data[name]
        if default is REQUIRED:
            raise self.missing(name)
        return default

    def text(self, name: str, default: Any = REQUIRED, *, nonempty: bool = False) -> Any:
        value = self.value(name, default)
        if value is None and default is None:
            return None
        if not isinstance(value, str):
            raise self.fail(name, f"must be a string, not {value!r}")
        if nonempty and not value.strip():
            raise self.fail(name, "must not be empty")
        return value

    def number(self, name: str, low: float, high: float, default: Any = REQUIRED) -> Any:
        value = self.value(name, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise self.fail(name, f"must be a number, not {value!r}")
        if not low <= value <= high:
            raise self.fail(name, f"{value:g} is outside {low:g}..{high:g}")
        return float(value)

    def integer(self, name: str, low: int, high: int, default: Any = REQUIRED) -> Any:
        value = self.value(name, default)
        if value is None and default is None:
            return None
        whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not whole:
            raise self.fail(name, f"must be a whole number, not {value!r}")
        if not low <= value <= high:
            raise self.fail(name, f"{value:g} is outside {low}..{high}")
        return int(value)

    def boolean(self, name: str, default: Any = REQUIRED) -> bool:
        value = self.value(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"must be true or false, not {value!r}")
        return value

    def choice(self, name: str, choices: Iterable[str], default: Any = REQUIRED) -> Any:
        options = tuple(choices)
        value = self.value(name, default)
        if value is None and default is None:
            return None
        if value not in options:
            hint = nearest(value, options) if isinstance(value, str) else None
            guess = f" (did you mean {hint!r}?)" if hint else ""
            raise self.fail(name, f"{value!r} is not one of {', '.join(options)}{guess}")
        return value

    def table(self, name: str, *, required: bool = False) -> Table:
        """A sub-table ([show], or `gobo_slots = {...}`); missing = empty unless required."""
        value = self.value(name, REQUIRED if required else {})
        if not isinstance(value, Mapping):
            raise self.fail(name, f"must be a table [{self.where(name)}], not {value!r}")
        return Table(value, self.where(name), self.file)

    def tables(self, name: str) -> list[Table]:
        """An array of tables ([[fixture]]), each named from 1 as a technician counts them."""
        value = self.value(name, [])
        if isinstance(value, Mapping):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.fail(name, f"must be an array of tables [[{self.where(name)}]]")
        return [
            Table(entry, f"{self.where(name)}[{index}]", self.file)
            for index, entry in enumerate(value, start=1)
        ]

    # -- the closing check ------------------------------------------------------------------

    def close(self, also_known: Iterable[str] = ()) -> None:
        """Refuse the first key (in file order) that no look-up asked for."""
        known = self._known | set(also_known)
        for name, value in self.data.items():
            if name in known:
                continue
            what = "table" if _is_table(value) else "key"
            hint = nearest(name, known)
            if hint is None:
                listed = ", ".join(sorted(known)) or "none"
                raise self.fail(name, f"unknown {what} (known here: {listed})")
            shown = f"[{self.where(hint)}]" if what == "table" else repr(hint)
            raise self.fail(name, f"unknown {what} (did you mean {shown}?)")


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)
    )
