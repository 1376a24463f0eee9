"""People: ages, the child rule and the unknown-code rules, in one place.

Every stage that asks "how old was this person?", "is this person a child?"
or "is this sex / ethnicity unknown?" asks this module, so the answer is the
same everywhere (issue 12: one home for each fact).

Rules
-----
age_years
    Whole years from a dob to a date (birthday not yet reached that year:
    one year less). A dob after the date gives a negative age here; callers
    decide what that means (the full table counts it as age 0 and flags it).
child (``is_child_age``)
    Aged ``max_victim_age`` or under (config/params.yml, 17 by default: under 18).
    There is one definition of a child; the report's glossary, the full
    table's victim rule and safeguarding all use it.
child_now
    A person is a child at ``as_of`` if ANY dob recorded for them on any crime
    gives an age at ``as_of`` of at most ``max_victim_age``. Records disagree
    (CONTRACT §1); when in doubt the person is protected as a child. A dob
    after ``as_of`` is a recording error and also counts as a child (protect
    when in doubt). People with no recorded dob are not children *by this
    rule*: the report states this limitation.
offended_as_child
    An adult now (not ``child_now``) who was a child at the start date of at
    least one crime on which they hold an offender role, by the dob recorded
    on that crime. A dob after the crime is a recording error and flags nothing.
unknown sex
    ``U`` or missing.
unknown ethnicity
    Missing, an ``IC9`` code, or a "not stated / unknown / not recorded"-like text.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .extraction import ROLES
from .frames import isin, per_distinct

OFFENDER_ROLES = frozenset(r for r, kind in ROLES.items() if kind == "offender")
VICTIM_ROLE = "VICTIM"

UNKNOWN_SEX = "U"
UNKNOWN_ETHNICITY = "IC9 - Unknown / not recorded"
_UNKNOWN_ETHNICITY_TEXT = re.compile(r"^\s*(?:ic\s*9\b|not\s+(?:stated|known|recorded|given)|unknown|refused|n/?k\b)",
                                     re.IGNORECASE)

__all__ = ["OFFENDER_ROLES", "VICTIM_ROLE", "UNKNOWN_SEX", "UNKNOWN_ETHNICITY", "age_years", "is_child_age",
           "child_now", "offended_as_child", "sex_unknown", "ethnicity_unknown", "ethnicity_label"]


def age_years(dob: pd.Series, on: pd.Series | pd.Timestamp) -> pd.Series:
    """Whole years from dob to `on`; negative (born after) stays negative here.

    >>> age_years(pd.Series(["2003-03-16", "2003-03-15", None]), pd.Timestamp("2021-03-15")).tolist()
    [17, 18, <NA>]
    """
    d = pd.to_datetime(pd.Series(dob))
    o = pd.to_datetime(on) if isinstance(on, pd.Series) else pd.Series(pd.Timestamp(on), index=d.index)
    o = o.set_axis(d.index) if isinstance(on, pd.Series) else o
    years = o.dt.year - d.dt.year
    before_birthday = (o.dt.month < d.dt.month) | ((o.dt.month == d.dt.month) & (o.dt.day < d.dt.day))
    return (years - before_birthday.astype("Int64")).astype("Int64")


def is_child_age(age: pd.Series, max_victim_age: int) -> pd.Series:
    """True where the age is known and at most `max_victim_age` (negative ages included)."""
    return (pd.Series(age).astype("Float64") <= max_victim_age).fillna(False).astype(bool)


def _known_rows(crime_nominals: pd.DataFrame, crimes: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    cn = crime_nominals.loc[crime_nominals["person_id"].notna()]
    if crimes is not None and "recorded_date" in crimes:
        recorded = crimes.loc[pd.to_datetime(crimes["recorded_date"]) <= as_of, "crime_id"]
        cn = cn.loc[isin(cn["crime_id"], recorded)]
    return cn


def has_role(role: pd.Series, roles: Iterable[str]) -> pd.Series:
    """True where the recorded role, trimmed and upper-cased, is one of `roles` (once per distinct role)."""
    wanted = set(roles)
    return per_distinct(role, lambda u: u.astype(str).str.strip().str.upper().isin(wanted))


def any_by_person(person_id: pd.Series, flag: np.ndarray) -> pd.Series:
    """Per person (index person_id as text, sorted): True when any of their rows is flagged.

    Factorised codes and a bincount, not a groupby on a text index: ~2.5 million
    nominal rows take a fraction of a second instead of seven.
    """
    return any_by_person_columns(person_id, {"flag": flag})["flag"].rename(None)


def any_by_person_columns(person_id: pd.Series, flags: dict[str, np.ndarray]) -> pd.DataFrame:
    """`any_by_person` for several flag columns over the same rows, factorising the ids once.

    The ids are encoded unsorted (Arrow's dictionary encoding) and only the distinct ids are
    sorted (by code point, as Python sorts text), which is several times faster than a sorted
    factorize of every row.
    """
    codes, uniq = pd.factorize(person_id.astype(str).astype("string"))
    ids = pa.array(np.asarray(uniq, dtype=object), type=pa.string())
    order = np.asarray(pc.sort_indices(ids), dtype=np.int64)
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    codes = rank[codes]
    index = pd.Index(np.asarray(ids.take(pa.array(order)).to_pylist(), dtype=object), name="person_id")
    return pd.DataFrame({name: np.bincount(codes, weights=np.asarray(f, bool).astype(float),
                                           minlength=len(index)) > 0 for name, f in flags.items()}, index=index)


def child_now(crime_nominals: pd.DataFrame, crimes: pd.DataFrame | None, as_of: str | pd.Timestamp,
              max_victim_age: int) -> pd.Series:
    """Per person (index person_id, sorted): True when any recorded dob makes them a child at `as_of`.

    Every identified person in `crime_nominals` gets a value (False when no dob is
    recorded). With `crimes`, only records of crimes recorded on or before
    `as_of` count (nothing recorded after the extraction date is used).
    """
    as_of = pd.Timestamp(as_of)
    cn = _known_rows(crime_nominals, crimes, as_of)
    child = is_child_age(age_years(cn["dob"], as_of), max_victim_age)
    return any_by_person(cn["person_id"], child.to_numpy(bool)).rename("child_now")


def offended_as_child(crime_nominals: pd.DataFrame, crimes: pd.DataFrame, as_of: str | pd.Timestamp,
                      max_victim_age: int) -> pd.Series:
    """Per person (index person_id, sorted): adult now and a child at one of their crimes as an offender."""
    as_of = pd.Timestamp(as_of)
    cn = _known_rows(crime_nominals, crimes, as_of)
    cn = cn.merge(crimes[["crime_id", "committed_from"]], on="crime_id", how="left")
    age = age_years(cn["dob"], cn["committed_from"])
    off = has_role(cn["role"], OFFENDER_ROLES).to_numpy()
    hit = off & (age >= 0).fillna(False).to_numpy(bool) & is_child_age(age, max_victim_age).to_numpy()
    was = any_by_person(cn["person_id"], hit)
    now = child_now(crime_nominals, crimes, as_of, max_victim_age).reindex(was.index, fill_value=False)
    return (was & ~now).sort_index().rename("offended_as_child").rename_axis("person_id")


def sex_unknown(sex: pd.Series) -> pd.Series:
    """True for `U` or missing (any case)."""
    s = pd.Series(sex, dtype="object")
    return (s.isna() | s.astype(str).str.strip().str.upper().isin([UNKNOWN_SEX, ""])).astype(bool)


def ethnicity_unknown(ethnicity: pd.Series) -> pd.Series:
    """True for missing, IC9 codes and "not stated"-like text (any case)."""
    s = pd.Series(ethnicity, dtype="object")
    text = s.astype(str)
    return (s.isna() | text.str.strip().eq("") | text.str.contains(_UNKNOWN_ETHNICITY_TEXT)).astype(bool)


def ethnicity_label(ethnicity: pd.Series) -> pd.Series:
    """The recorded ethnicity, with every unknown value folded into one label."""
    s = pd.Series(ethnicity, dtype="object")
    return s.where(~ethnicity_unknown(s), UNKNOWN_ETHNICITY)
