"""Small random-draw tools shared by the generator's steps (dates, choices, recorded-case noise)."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from .profiles import AS_OF, AS_OF_DAY, day
from .vocabulary import HISTORIC_WEIGHT, YEAR_WEIGHTS

Rng = np.random.Generator
MISSING = np.array(None, dtype=object)  # a null for np.where


class IdCounter:
    """Hands out consecutive integer person ids; ``n`` is how many exist so far."""

    def __init__(self) -> None:
        self.n = 0

    def new(self, k: int) -> np.ndarray:
        out = np.arange(self.n, self.n + k, dtype=np.int64)
        self.n += k
        return out


ROWS_PER_CHUNK = 100_000  # rows turned into Python values at a time when writing


class Numbered:
    """Text ids such as ``CR0000123`` or ``P00012345``, made only when written (never all at once).

    ``take(i)`` gives the ids of positions ``i``: ``prefix`` and the zero-padded number, which is
    ``numbers[i]`` when ``numbers`` is given (a shuffle), else ``i`` itself.
    """

    def __init__(self, prefix: str, width: int, n: int, numbers: np.ndarray | None = None) -> None:
        self.prefix, self.width, self.n, self.numbers = prefix, width, n, numbers

    def __len__(self) -> int:
        return self.n

    def take(self, positions: np.ndarray) -> list[str]:
        values = positions if self.numbers is None else self.numbers[positions]
        return [f"{self.prefix}{i:0{self.width}d}" for i in np.asarray(values).tolist()]


def chunked_rows(n: int, *columns: Callable[[slice], list]) -> Iterator[tuple]:
    """Rows 0..n-1 as tuples, ``ROWS_PER_CHUNK`` at a time; each column turns a slice into a list."""
    for start in range(0, n, ROWS_PER_CHUNK):
        part = slice(start, min(start + ROWS_PER_CHUNK, n))
        yield from zip(*(column(part) for column in columns), strict=True)


def pick(rng: Rng, values: Sequence | np.ndarray, weights: Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    """``n`` values drawn with the given (unnormalised) weights, as an object array."""
    p = np.asarray(weights, dtype=float)
    return np.asarray(values, dtype=object)[rng.choice(len(p), size=n, p=p / p.sum())]


def pick_uniform(rng: Rng, values: Sequence, n: int) -> np.ndarray:
    """``n`` values drawn with equal weights."""
    return pick(rng, values, np.ones(len(values)), n)


def _year_weights() -> tuple[np.ndarray, np.ndarray]:
    years = np.arange(1960, 2022)
    weights = np.array([YEAR_WEIGHTS.get(int(y), 0.0) for y in years])
    historic = years < 2005
    growth = np.exp((years[historic] - 2004) / 12.0)
    weights[historic] = HISTORIC_WEIGHT * growth / growth.sum()
    return years, weights / weights.sum()


YEARS, YEAR_P = _year_weights()


def crime_dates(rng: Rng, n: int, years: np.ndarray | None = None, p: np.ndarray | None = None) -> np.ndarray:
    """Crime dates (days since 1970) following the year weights, none after as_of."""
    years = YEARS if years is None else years
    p = YEAR_P if p is None else p
    year = rng.choice(years, size=n, p=p)
    start = (np.asarray(year) - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    length = np.where(year == 2021, AS_OF_DAY - day("2021-01-01") + 1, 365)
    return start + (rng.random(n) * length).astype(np.int64)


def recent_dates(rng: Rng, n: int, first: str = "2005-01-01", last: str = AS_OF) -> np.ndarray:
    """Dates first..last (default 2005..as_of), denser in later years."""
    lo, hi = day(first), day(last)
    u = rng.random(n) ** 0.8
    return lo + (u * (hi - lo + 1)).astype(np.int64)


def pull_back_after_as_of(rng: Rng, days: np.ndarray) -> np.ndarray:
    """Dates after as_of moved to a random day in the two years before it.

    Piling them into the last weeks made early 2021 look 40% busier than 2020.
    """
    late = days > AS_OF_DAY
    days = days.copy()
    days[late] = AS_OF_DAY - rng.integers(0, 730, late.sum())
    return days


def iso(days: np.ndarray, null: np.ndarray | None = None) -> list:
    """ISO date strings of day numbers; None where ``null`` is set."""
    s = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype(str).astype(object)
    if null is not None:
        s[null] = None
    return s.tolist()


def _apply_case(values: np.ndarray, mask: np.ndarray, change: Callable) -> None:
    if mask.any():
        uniq, inverse = np.unique(values[mask].astype(str), return_inverse=True)
        values[mask] = change(uniq).astype(object)[inverse]


def case_variants(rng: Rng, titles: np.ndarray, p_upper: float = 0.15, p_lower: float = 0.15) -> np.ndarray:
    """Titles in mixed case as a force records them (some upper, some lower case)."""
    out = titles.copy()
    u = rng.random(len(titles))
    _apply_case(out, u < p_upper, np.char.upper)
    _apply_case(out, (u >= p_upper) & (u < p_upper + p_lower), np.char.lower)
    return out


def role_case(rng: Rng, roles: np.ndarray) -> np.ndarray:
    """Roles in Title case (25%) or lower case (8%), the rest as given."""
    u = rng.random(len(roles))
    out = roles.copy()
    _apply_case(out, u < 0.25, np.char.title)
    _apply_case(out, (u >= 0.25) & (u < 0.33), np.char.lower)
    return out
