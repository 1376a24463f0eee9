"""people.py: ages, the child rule, offended-as-child and the unknown codes.

Every expected frame is worked by hand from the rows written out above it (as_of 2021-03-15,
max_victim_age 17: a child is aged 17 or under, i.e. born on or after 2003-03-16).
"""
from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from helpers import people

AS_OF = "2021-03-15"
CN_COLUMNS = ["crime_id", "person_id", "role", "dob", "sex", "ethnicity"]
CRIME_COLUMNS = ["crime_id", "committed_from", "recorded_date"]


def nominals(rows: list[tuple]) -> pd.DataFrame:
    """crime_nominals as the extraction hands them over (dates parsed)."""
    df = pd.DataFrame(rows, columns=CN_COLUMNS)
    return df.assign(dob=pd.to_datetime(df["dob"]))


def crimes(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=CRIME_COLUMNS)
    return df.assign(committed_from=pd.to_datetime(df["committed_from"]),
                     recorded_date=pd.to_datetime(df["recorded_date"]))


def per_person(name: str, values: dict[str, bool]) -> pd.Series:
    return pd.Series(list(values.values()), index=pd.Index(list(values), name="person_id"), name=name)


# --- age_years ------------------------------------------------------------------------------

def test_age_years_adds_a_year_on_the_birthday_not_the_day_before():
    dobs = ["2003-03-14", "2003-03-15", "2003-03-16", "2003-12-31", "2004-01-01"]
    got = pd.DataFrame({"dob": dobs, "age": people.age_years(pd.Series(dobs), pd.Timestamp(AS_OF))})
    # 2021-03-15: the day after, the day of and the day before an 18th birthday; late and early in a year
    expected = pd.DataFrame({"dob": dobs, "age": pd.array([18, 18, 17, 17, 17], dtype="Int64")})
    assert_frame_equal(got, expected)


def test_age_years_leap_day_birthday_counts_from_1_march_in_common_years():
    # dob 2004-02-29; the birthday is not reached on 28 February of a common year
    on = ["2021-02-28", "2021-03-01", "2020-02-28", "2020-02-29", "2024-02-28", "2024-02-29"]
    dob = pd.Series(["2004-02-29"] * len(on))
    got = pd.DataFrame({"on": on, "age": people.age_years(dob, pd.to_datetime(pd.Series(on)))})
    expected = pd.DataFrame({"on": on, "age": pd.array([16, 17, 15, 16, 19, 20], dtype="Int64")})
    assert_frame_equal(got, expected)


def test_age_years_unknown_dob_is_missing_and_dob_after_the_date_is_negative():
    dobs = [None, "2021-03-16", "2022-03-15", "2021-03-15"]
    got = pd.DataFrame({"age": people.age_years(pd.Series(dobs), pd.Timestamp(AS_OF))})
    # born the next day: 0 years minus a birthday not reached = -1; a year later: -1 (years -1, birthday reached)
    expected = pd.DataFrame({"age": pd.array([pd.NA, -1, -1, 0], dtype="Int64")})
    assert_frame_equal(got, expected)


def test_age_years_per_row_dates_follow_the_dob_index():
    dob = pd.Series(["2000-06-01", "2010-06-01"], index=[7, 3])
    on = pd.Series(pd.to_datetime(["2018-05-31", "2020-06-01"]), index=[0, 1])
    got = people.age_years(dob, on)
    expected = pd.Series(pd.array([17, 10], dtype="Int64"), index=[7, 3])
    assert_series_equal(got, expected)


def test_is_child_age_includes_17_and_negative_ages_and_excludes_18_and_unknown():
    ages = pd.Series(pd.array([17, 18, -1, pd.NA, 0], dtype="Int64"))
    got = pd.DataFrame({"child": people.is_child_age(ages, 17)})
    assert_frame_equal(got, pd.DataFrame({"child": [True, False, True, False, True]}))


# --- child_now --------------------------------------------------------------------------------

def test_child_now_any_recorded_dob_counts_records_after_as_of_do_not_and_no_dob_is_not_a_child():
    cn = nominals([
        ("C1", "A", "VICTIM", "2003-03-16", "F", None),     # 17 at as_of (18 tomorrow): child
        ("C1", "B", "OFFENDER", "2003-03-15", "M", None),   # 18 today: adult
        ("C1", "C", "SUSPECT", "1990-01-01", "M", None),    # adult on this record...
        ("C2", "C", "OFFENDER", "2005-01-01", "M", None),   # ...child on this one: protected as a child
        ("C2", "D", "VICTIM", None, "F", None),             # no dob anywhere: not a child by this rule
        ("C2", "E", "VICTIM", "2022-01-01", "F", None),     # dob after as_of: recording error, protected
        ("C3", "F", "VICTIM", "2010-01-01", "F", None),     # a child only on a crime recorded after as_of
        ("C1", "F", "WITNESS", "1980-01-01", "F", None),
        ("C1", None, "VICTIM", "2010-01-01", "F", None),    # no person id: nobody
    ])
    cr = crimes([("C1", "2020-01-01", "2020-01-02"), ("C2", "2020-06-01", "2020-06-01"),
                 ("C3", "2021-03-01", "2021-03-16")])
    got = people.child_now(cn, cr, AS_OF, 17)
    expected = per_person("child_now", {"A": True, "B": False, "C": True, "D": False, "E": True, "F": False})
    assert_series_equal(got, expected)


def test_child_now_without_crimes_uses_every_record_and_sorts_by_person_id():
    cn = nominals([("C3", "F", "VICTIM", "2010-01-01", "F", None),
                   ("C1", "B", "OFFENDER", "1970-01-01", "M", None)])
    got = people.child_now(cn, None, AS_OF, 17)
    assert_series_equal(got, per_person("child_now", {"B": False, "F": True}))


def test_child_now_follows_max_victim_age():
    cn = nominals([("C1", "A", "VICTIM", "2005-03-16", "F", None)])   # 15 at as_of
    assert people.child_now(cn, None, AS_OF, 15).tolist() == [True]
    assert people.child_now(cn, None, AS_OF, 14).tolist() == [False]


# --- offended_as_child --------------------------------------------------------------------------

def test_offended_as_child_is_adults_now_who_held_an_offender_role_while_a_child():
    cr = crimes([
        ("K1", "2010-06-01", "2010-06-02"),
        ("K2", "2019-01-01", "2019-01-05"),
        ("K3", "2008-03-14", "2008-03-20"),
        ("K4", "2021-03-01", "2021-03-20"),   # recorded after as_of: not used
    ])
    cn = nominals([
        ("K1", "P1", "OFFENDER", "1995-01-01", "M", None),    # 15 at K1, 26 now: offended as a child
        ("K2", "P2", "suspect ", "2004-01-01", "M", None),    # 15 at K2 but 17 now: a child now, not this flag
        ("K1", "P3", "VICTIM", "1995-01-01", "F", None),      # a child victim, never an offender
        ("K1", "P4", "DEFENDANT", "2011-01-01", "M", None),   # dob after the crime: an error, flags nothing
        ("K2", "P4", "VICTIM", "1990-01-01", "M", None),      # (and an adult now on this record)
        ("K3", "P5", "OFFENDER", "1990-03-14", "M", None),    # 18 on the day of K3: an adult offender
        ("K3", "P6", "PERSON THOUGHT RESPONSIBLE", "1990-03-15", "M", None),  # 17, a day short of 18
        ("K4", "P7", "OFFENDER", "1990-01-01", "M", None),    # 31 at K4, and K4 is after as_of
        ("K4", "P8", "OFFENDER", "2003-06-01", "M", None),    # a child offender only on an unused crime
        ("K1", "P8", "WITNESS", "1980-01-01", "M", None),
    ])
    got = people.offended_as_child(cn, cr, AS_OF, 17)
    expected = per_person("offended_as_child", {"P1": True, "P2": False, "P3": False, "P4": False,
                                                 "P5": False, "P6": True, "P8": False})
    assert_series_equal(got, expected)


# --- unknown codes --------------------------------------------------------------------------------

def test_sex_unknown_is_u_blank_or_missing_in_any_case():
    sex = pd.Series(["M", "F", "U", "u", " ", None, "f"])
    got = pd.DataFrame({"sex": sex, "unknown": people.sex_unknown(sex)})
    expected = pd.DataFrame({"sex": sex, "unknown": [False, False, True, True, True, True, False]})
    assert_frame_equal(got, expected)


def test_ethnicity_unknown_folds_ic9_not_stated_and_missing_into_one_label():
    eth = pd.Series(["IC1 - White North European", "IC9 - Unknown", "ic9", "Not stated", "NOT KNOWN",
                     "unknown", "Refused", "N/K", "NK", "", None, "IC6 - Arab or North African", "IC90"])
    unknown = [False, True, True, True, True, True, True, True, True, True, True, False, False]
    u = people.UNKNOWN_ETHNICITY
    label = ["IC1 - White North European", u, u, u, u, u, u, u, u, u, u, "IC6 - Arab or North African", "IC90"]
    got = pd.DataFrame({"unknown": people.ethnicity_unknown(eth), "label": people.ethnicity_label(eth)})
    expected = pd.DataFrame({"unknown": unknown, "label": pd.Series(label, dtype="object")})
    assert_frame_equal(got, expected)


@pytest.mark.parametrize("role", ["OFFENDER", "DEFENDANT", "SUSPECT", "PERSON THOUGHT RESPONSIBLE",
                                  "PERSON PROBABLY RESPONSIBLE"])
def test_offender_roles_are_the_contracts_five(role):
    assert role in people.OFFENDER_ROLES and len(people.OFFENDER_ROLES) == 5
    assert "WITNESS" not in people.OFFENDER_ROLES and people.VICTIM_ROLE == "VICTIM"
