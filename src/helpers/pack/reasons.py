"""A plain-language reason for every link, from edge_evidence and the stage hand-offs.

One sentence per (pair, source), e.g. "shared victim on 2 crimes: rape of a female child
under 13, 2019-05-01 and 2019-08-01"; "intelligence log 2020-02-03, graded B2, 4 people";
"shared cell 47 days, establishment EST28". Text only: the html module escapes it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from ..frames import isin
from . import columns as C

MAX_ITEMS = 5  # evidence items spelled out per link; the rest are counted


def _date(v: object) -> str:
    return "date unknown" if v is None or pd.isna(v) else pd.Timestamp(v).date().isoformat()


def _more(items: list[str], sep: str = "; ") -> str:
    extra = len(items) - MAX_ITEMS
    return sep.join(items[:MAX_ITEMS]) + (f"{sep}and {extra} more" if extra > 0 else "")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def crime_reason(rows: pd.DataFrame, titles: pd.Series, dates: pd.Series) -> str:
    crimes = sorted({c for ev in rows[C.EVIDENCE["id"]] for c in str(ev).split("~") if c})
    crimes = sorted(crimes, key=lambda c: (_date(dates.get(c)), c))
    kinds = sorted({str(titles.get(c, "offence not in the full table")) for c in crimes})
    ds = [_date(dates.get(c)) for c in crimes]
    n = len(crimes)
    head = f"shared victim on {n} crime{'s' if n != 1 else ''}: {'; '.join(kinds)}"
    if len(ds) > MAX_ITEMS:
        return f"{head}, {ds[0]} to {ds[-1]}"
    return f"{head}, {_and(ds)}"


def intel_reason(rows: pd.DataFrame, grades: pd.Series | None) -> str:
    E = C.EVIDENCE
    items = []
    for log, date, n in sorted(zip(rows[E["id"]], rows[E["date"]], rows[E["n_people"]], strict=True),
                               key=lambda t: (_date(t[1]), str(t[0]))):
        grade = grades.get(log) if grades is not None else None
        g = f"graded {grade}" if grade else "grade not available"
        people = "" if n is None or pd.isna(n) else f", {int(n)} people"
        items.append(f"intelligence log {_date(date)}, {g}{people}")
    return _more(items)


def pins_reason(rows: pd.DataFrame, establishments: pd.Series | None) -> str:
    E = C.EVIDENCE
    items = []
    for ev, date, detail in sorted(zip(rows[E["id"]], rows[E["date"]], rows[E["detail"]], strict=True),
                                   key=lambda t: (_date(t[1]), str(t[0]))):
        m = re.search(r"(\d+)\s*days", str(detail))
        days = f"{m.group(1)} days" if m else str(detail)
        stay = str(ev).split("~")[0]
        est = establishments.get(stay) if establishments is not None else None
        where = f", establishment {est}" if est is not None and not pd.isna(est) else ""
        items.append(f"shared cell {days}{where}, until {_date(date)}")
    return _more(items)


def soc_reason(rows: pd.DataFrame) -> str:
    kinds = sorted({str(d) for d in rows[C.EVIDENCE["detail"]] if str(d)})
    return "existing SOC network link" + (f" ({', '.join(kinds)})" if kinds else "")


def grades(intel: pd.DataFrame | None) -> pd.Series | None:
    """log_id -> 'B2' (source grade + information grade, as the force writes them)."""
    if intel is None:
        return None
    IN = C.INTEL
    g = intel[IN["source_grade"]].fillna("").astype(str) + intel[IN["info_grade"]].fillna("").astype(str)
    return pd.Series(g.where(g != "").to_numpy(), index=intel[IN["log"]].to_numpy())


def establishments(stays: pd.DataFrame | None) -> pd.Series | None:
    if stays is None:
        return None
    return pd.Series(stays[C.STAY["establishment"]].to_numpy(), index=stays[C.STAY["stay"]].to_numpy())


@dataclass(frozen=True)
class Lookups:
    """What the reasons look up: crime titles and dates, log grades, stay establishments (built once a run)."""
    titles: pd.Series
    dates: pd.Series
    grades: pd.Series | None
    establishments: pd.Series | None


def lookups(full: pd.DataFrame, intel: pd.DataFrame | None, stays: pd.DataFrame | None) -> Lookups:
    F = C.FULL
    crimes = full.drop_duplicates(F["crime"]).set_index(F["crime"])
    return Lookups(crimes[F["title"]], crimes[F["date"]], grades(intel), establishments(stays))


def link_reasons(evidence: pd.DataFrame, full: pd.DataFrame, intel: pd.DataFrame | None,
                 stays: pd.DataFrame | None, members: set[str] | None = None,
                 looked_up: Lookups | None = None) -> pd.DataFrame:
    """person_a, person_b, source, reason: one row per linked pair and source (within `members` if given).

    `looked_up` (from `lookups` on the same full, intel and stays) saves rebuilding the lookups when
    the reasons of many groups are written.
    """
    E = C.EVIDENCE
    ev = evidence
    if members is not None:
        ev = ev.loc[isin(ev[E["a"]], members) & isin(ev[E["b"]], members)]
    lk = looked_up or lookups(full, intel, stays)
    out = []
    for (a, b, src), rows in ev.groupby([E["a"], E["b"], E["source"]], sort=True):
        if src == "crime":
            r = crime_reason(rows, lk.titles, lk.dates)
        elif src == "intel":
            r = intel_reason(rows, lk.grades)
        elif src == "pins":
            r = pins_reason(rows, lk.establishments)
        elif src == "soc":
            r = soc_reason(rows)
        else:
            r = f"{src} link ({len(rows)} record{'s' if len(rows) != 1 else ''})"
        out.append((a, b, src, C.SOURCES.get(src, (str(src), ""))[0], r))
    return pd.DataFrame(out, columns=["person_a", "person_b", "source", "link", "reason"])
