"""safeguarding.py and config/safeguarding.yml on one small hand-built force.

as_of 2021-03-15, max_victim_age 17 (a child now: born on or after 2003-03-16).

Crimes (all recorded the day after they were committed, so all before as_of):

    C1 2019-05-01 20B  sexual   offenders O1 (dob 1980-01-01, 39), O2 (2004-06-01, 14)  victim V1 (2002-06-01, 16)
    C2 2020-01-10 19D  sexual   offender  O3 (1985-01-01, 35)          victims V2 (2008-01-01, 12), V3 (2003-01-01, 17)
    C3 2020-02-01 --   sexual by its title only: O4 (1999-02-01, 21)     victim  V3 (17)
    C4 2018-01-01 21   sexual   offenders O5 (1960-01-01, 58), O6 (2001-01-01, 17)  victims V4 (2010-01-01, 8),
                                and O3 (32: an adult victim, so not in the full table)
    C5 2017-03-01 88A  sexual   offender  O1 (37)                        victims V1 (14), V5 (2001-01-01, 16)
    C6 2016-05-01 17B  sexual   no identified offender                   victim  O2 (11)
    T1 2015-06-01 49   theft    offender  X1 (1990-01-01)                victim  O4 (16)
    T2 2016-01-01 26   bigamy   offender  O1                             victim  O5 (56)

Final-table links (pairs of (offender, crime) sharing a victim): (O1,C1)-(O2,C1) and (O1,C5)-(O2,C1) through
V1, (O3,C2)-(O4,C3) through V3, (O5,C4)-(O6,C4) through V4.

Network (stage 05): G0001 = O1, O2 (band low); G0002 = O3, O4, S1 (high; S1 an intelligence associate with no
crime record); G0003 = O5, O6 (medium). O2 is the only child now among them.
"""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from helpers import safeguarding as sg
from helpers import store
from helpers.config import ConfigError

AS_OF = "2021-03-15"
RULES = sg.load_rules("config/safeguarding.yml")
CRIME_COLUMNS = ["crime_id", "committed_from", "committed_to", "recorded_date", "ho_offence_code", "offence_title",
                 "offence_type", "mo_text"]
CN_COLUMNS = ["crime_id", "person_id", "role", "dob", "sex", "ethnicity"]

CRIMES = [
    ("C1", "2019-05-01", None, "2019-05-02", "20B", "Sexual assault on a female child under 13", "SEXUAL", None),
    ("C2", "2020-01-10", None, "2020-01-11", "19D", "Rape of a female child under 16", "SEXUAL", None),
    ("C3", "2020-02-01", None, "2020-02-02", None, "Meeting a child following sexual grooming", None, None),
    ("C4", "2018-01-01", None, "2018-01-02", "21", "Sexual activity involving a child under 13", "SEXUAL", None),
    ("C5", "2017-03-01", None, "2017-03-02", "88A", "Sexual grooming", "SEXUAL", "met online"),
    ("C6", "2016-05-01", None, "2016-05-02", "17B", "Sexual assault on a male child under 13", "SEXUAL", None),
    ("T1", "2015-06-01", None, "2015-06-02", "49", "Other theft", "ACQUISITIVE", None),
    ("T2", "2016-01-01", None, "2016-01-02", "26", "Bigamy", "OTHER", None),
]
NOMINALS = [
    ("C1", "O1", "OFFENDER", "1980-01-01", "M", "IC1 - White North European"),
    ("C1", "O2", "SUSPECT", "2004-06-01", "M", None),
    ("C1", "V1", "VICTIM", "2002-06-01", "F", None),
    ("C2", "O3", "OFFENDER", "1985-01-01", "M", None),
    ("C2", "V2", "VICTIM", "2008-01-01", "F", None),
    ("C2", "V3", "VICTIM", "2003-01-01", "F", None),
    ("C3", "O4", "DEFENDANT", "1999-02-01", "M", None),
    ("C3", "V3", "VICTIM", "2003-01-01", "F", None),
    ("C4", "O5", "OFFENDER", "1960-01-01", "M", None),
    ("C4", "O6", "PERSON THOUGHT RESPONSIBLE", "2001-01-01", "M", None),
    ("C4", "V4", "VICTIM", "2010-01-01", "F", None),
    ("C4", "O3", "VICTIM", "1985-01-01", "M", None),
    ("C5", "O1", "OFFENDER", "1980-01-01", "M", None),
    ("C5", "V1", "VICTIM", "2002-06-01", "F", None),
    ("C5", "V5", "VICTIM", "2001-01-01", "F", None),
    ("C6", "O2", "VICTIM", "2004-06-01", "M", None),
    ("T1", "X1", "OFFENDER", "1990-01-01", "M", None),
    ("T1", "O4", "VICTIM", "1999-02-01", "M", None),
    ("T2", "O1", "OFFENDER", "1980-01-01", "M", None),
    ("T2", "O5", "VICTIM", "1960-01-01", "F", None),
]
# (crime, offender, victim, offender_age, victim_age, offender_role)
FULL = [
    ("C1", "O1", "V1", 39, 16, "OFFENDER"), ("C1", "O2", "V1", 14, 16, "SUSPECT"),
    ("C2", "O3", "V2", 35, 12, "OFFENDER"), ("C2", "O3", "V3", 35, 17, "OFFENDER"),
    ("C3", "O4", "V3", 21, 17, "DEFENDANT"),
    ("C4", "O5", "V4", 58, 8, "OFFENDER"), ("C4", "O6", "V4", 17, 8, "PERSON THOUGHT RESPONSIBLE"),
    ("C5", "O1", "V1", 37, 14, "OFFENDER"), ("C5", "O1", "V5", 37, 16, "OFFENDER"),
]
FINAL = [
    ("O1", "C1", "O2", "C1", 1, 0.41, "2019-05-01", "2019-05-01", "V1"),
    ("O1", "C5", "O2", "C1", 1, 0.12, "2017-03-01", "2019-05-01", "V1"),
    ("O3", "C2", "O4", "C3", 1, 0.52, "2020-01-10", "2020-02-01", "V3"),
    ("O5", "C4", "O6", "C4", 1, 0.27, "2018-01-01", "2018-01-01", "V4"),
]
# (person, group, is_cse_offender, child_now, dismantle_rank, group_dismantle_rank, harm_cchi)
NODES = [
    ("O1", "G0001", True, False, 3, 1, 5000.0), ("O2", "G0001", True, True, None, None, 900.0),
    ("O3", "G0002", True, False, 1, 1, 4000.0), ("O4", "G0002", True, False, 2, None, 300.0),
    ("O5", "G0003", True, False, None, 1, 800.0), ("O6", "G0003", True, False, None, None, 100.0),
    ("S1", "G0002", False, False, None, None, 0.0),
]
# (group, n_people, priority_score, priority_rank, priority_band)
GROUPS = [("G0001", 2, 0.2, 3, "low"), ("G0002", 3, 0.9, 1, "high"), ("G0003", 2, 0.5, 2, "medium")]


def dated(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return df.assign(**{c: pd.to_datetime(df[c]) for c in cols})


def extraction() -> dict[str, pd.DataFrame]:
    """The extraction hand-off: crimes and crime_nominals with dates parsed."""
    return {"crimes": dated(pd.DataFrame(CRIMES, columns=CRIME_COLUMNS),
                            ["committed_from", "committed_to", "recorded_date"]),
            "crime_nominals": dated(pd.DataFrame(NOMINALS, columns=CN_COLUMNS), ["dob"])}


def full_table() -> pd.DataFrame:
    crimes = extraction()["crimes"].set_index("crime_id")
    f = pd.DataFrame(FULL, columns=["crime_id", "offender_id", "victim_id", "offender_age", "victim_age",
                                    "offender_role"])
    return pd.DataFrame({
        "crime_id": f["crime_id"], "offender_id": f["offender_id"], "victim_id": f["victim_id"],
        "crime_date": f["crime_id"].map(crimes["committed_from"]),
        "ho_offence_code": f["crime_id"].map(crimes["ho_offence_code"]),
        "offence_title": f["crime_id"].map(crimes["offence_title"]),
        "offender_age": f["offender_age"].astype("Int64"), "victim_age": f["victim_age"].astype("Int64"),
        "offender_sex": "M", "victim_sex": "F", "offender_ethnicity": None, "victim_ethnicity": None,
        "matched_rules": "title", "offender_role": f["offender_role"], "victim_dob_after_crime": False,
    })


def final_table() -> pd.DataFrame:
    cols = ["offender_a", "crime_a", "offender_b", "crime_b", "n_shared_victims", "weight", "crime_date_a",
            "crime_date_b", "shared_victims"]
    return dated(pd.DataFrame(FINAL, columns=cols), ["crime_date_a", "crime_date_b"])


def nodes() -> pd.DataFrame:
    n = pd.DataFrame(NODES, columns=["person_id", "group_id", "is_cse_offender", "child_now", "dismantle_rank",
                                     "group_dismantle_rank", "harm_cchi"])
    return n.assign(component_id="K1", in_soc_network=False, centrality=0.1,
                    dismantle_rank=n["dismantle_rank"].astype("Int64"),
                    group_dismantle_rank=n["group_dismantle_rank"].astype("Int64"))


def groups() -> pd.DataFrame:
    return pd.DataFrame(GROUPS, columns=["group_id", "n_people", "priority_score", "priority_rank", "priority_band"])


def flags_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["person_id", "child_now", "offended_as_child", "victim_offender",
                                       "victim_as_child", "offended_while_child"])


EVERYONE = ["O1", "O2", "O3", "O4", "O5", "O6", "S1", "V1", "V2", "V3", "V4", "V5"]
T, F = True, False

# Worked by hand from the module docstring (person: child now, offended as child, victim-offender,
# victim as child, offended while child).
FLAGS = flags_frame([
    ("O1", F, F, F, F, F),   # adult offender; bigamy is not a sexual offence (T2)
    ("O2", T, F, T, T, T),   # 16 now; offender at 14 (C1); victim at 11 of C6 (sexual)
    ("O3", F, F, T, F, F),   # adult victim of C4 (sexual) and offender on C2 (sexual)
    ("O4", F, F, F, T, F),   # theft victim at 16 (T1) and sexual offender at 21: not narrowed-in
    ("O5", F, F, F, F, F),   # bigamy victim (T2) and sexual offender: not a victim-offender
    ("O6", F, T, F, F, T),   # 17 at C4, 20 now
    ("S1", F, F, F, F, F),   # no crime record
    ("V1", F, F, F, T, F), ("V2", T, F, F, T, F), ("V3", F, F, F, T, F), ("V4", T, F, F, T, F),
    ("V5", F, F, F, T, F),
])


# --- config/safeguarding.yml ---------------------------------------------------------------------

def test_shipped_rules_narrow_to_sexual_and_exploitation_codes_without_bigamy():
    assert RULES.all_offences is False
    assert "26" not in RULES.ho_codes            # bigamy (HOCR: miscellaneous crimes against society)
    assert {"19", "20", "21", "22", "88", "71", "72", "106"} <= set(RULES.ho_codes)
    assert RULES.high_priority_bands == ("high",) and RULES.top_of_dismantling_order == 50


@pytest.mark.parametrize("text, says", [
    ("victim_offender: [17]\n", "victim_offender"),
    ("victim_offender: {ho_codes: '19'}\n", "ho_codes"),
    ("victim_offender: {title_words: {stems: [rape]}}\n", "title_words"),
    ("victim_offender: {title_words: {prefix: rape}}\n", "title_words"),
    ("victim_offender: {all_offences: 'false'}\n", "all_offences"),
    ("victim_offender: {}\nhigh_priority_bands: high\n", "high_priority_bands"),
    ("victim_offender: {}\ntop_of_dismantling_order: 0\n", "top_of_dismantling_order"),
    ("- a list\n", "mapping"),
    ("victim_offender: {ho_codes: [19\n", "not valid YAML"),
])
def test_a_bad_edit_of_the_rules_fails_naming_what_to_fix(tmp_path, text, says):
    p = tmp_path / "rules.yml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=says):
        sg.load_rules(p)


def test_missing_rules_file_fails_with_its_name(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        sg.load_rules(tmp_path / "nope.yml")


def test_code_matches_bare_number_takes_any_letter_but_not_a_longer_number():
    codes = pd.Series(["19", "19C", "19c ", "190", "119", "88A", "88B", "106", None, "zz9"])
    got = pd.DataFrame({"code": codes, "hit": sg.code_matches(codes, ("19", "88A", "106"))})
    expected = pd.DataFrame({"code": codes, "hit": [T, T, T, F, F, T, F, T, F, F]})
    assert_frame_equal(got, expected)


def test_sexual_or_exploitation_by_code_or_title_and_every_crime_when_widened():
    crimes = extraction()["crimes"]
    got = pd.DataFrame({"crime_id": crimes["crime_id"], "default": sg.sexual_or_exploitation(crimes, RULES),
                        "widened": sg.sexual_or_exploitation(crimes, dataclasses.replace(RULES, all_offences=True))})
    # C3 has no code: its title ("sexual") counts; T1 theft and T2 bigamy are neither
    expected = pd.DataFrame({"crime_id": crimes["crime_id"], "default": [T, T, T, T, T, T, F, F],
                             "widened": [T] * 8})
    assert_frame_equal(got, expected)


# --- person flags and routing ----------------------------------------------------------------------

def test_person_flags_child_now_offended_as_child_and_narrowed_victim_offender():
    ex = extraction()
    got = sg.person_flags(ex["crime_nominals"], ex["crimes"], EVERYONE, AS_OF, 17, RULES)
    assert_frame_equal(got, FLAGS)


def test_person_flags_victim_offender_widened_by_config_takes_any_offence():
    ex = extraction()
    wide = dataclasses.replace(RULES, all_offences=True)
    got = sg.person_flags(ex["crime_nominals"], ex["crimes"], EVERYONE, AS_OF, 17, wide)
    expected = FLAGS.copy()
    expected.loc[expected["person_id"].isin(["O4", "O5"]), "victim_offender"] = True   # theft / bigamy victims
    assert_frame_equal(got, expected)


def test_person_flags_ignore_crimes_recorded_after_as_of_and_unknown_people_get_false():
    ex = extraction()
    late_c = pd.DataFrame([("L1", "2021-03-10", None, "2021-03-20", "20B", "Sexual assault", None, None)],
                          columns=CRIME_COLUMNS)
    late_n = pd.DataFrame([("L1", "O1", "VICTIM", "2006-01-01", "M", None),
                           ("L1", "O5", "OFFENDER", "2006-01-01", "M", None)], columns=CN_COLUMNS)
    crimes = pd.concat([ex["crimes"], dated(late_c, ["committed_from", "committed_to", "recorded_date"])])
    cn = pd.concat([ex["crime_nominals"], dated(late_n, ["dob"])])
    got = sg.person_flags(cn, crimes, ["O1", "O5", "NOBODY"], AS_OF, 17, RULES)
    expected = flags_frame([("NOBODY", F, F, F, F, F), ("O1", F, F, F, F, F), ("O5", F, F, F, F, F)])
    assert_frame_equal(got, expected)


def test_victim_as_child_counts_a_dob_after_the_crime_as_age_zero_but_offended_as_child_does_not():
    crimes = dated(pd.DataFrame([("K1", "2015-01-01", None, "2015-01-02", "20B", "Sexual assault", None, None)],
                                columns=CRIME_COLUMNS), ["committed_from", "committed_to", "recorded_date"])
    # both dobs fall after the crime (CONTRACT §3: a victim's is age 0 and counted; an offender's is an error)
    cn = dated(pd.DataFrame([("K1", "A", "VICTIM", "2015-06-01", "F", None),
                             ("K1", "B", "OFFENDER", "2015-06-01", "M", None)], columns=CN_COLUMNS), ["dob"])
    got = sg.person_flags(cn, crimes, ["A", "B"], AS_OF, 17, RULES)
    expected = flags_frame([("A", T, F, F, T, F), ("B", T, F, F, F, F)])
    assert_frame_equal(got, expected)


ROUTE_CHILD = "MASH referral: children's social care, as a child at risk (never a target)"
ROUTE_VO = "safeguarding review before any enforcement"
ROUTE_OAC = "offender management, with the childhood offending as context"
R_CHILD = "a child at the extraction date (a recorded dob gives age 17 or under)"
R_OWC = "holds an offender role on a crime committed while a child"
R_VO = "victim of a sexual or exploitation offence and offender on one"
R_VAC = "was a victim while a child"


def test_routing_takes_the_first_category_child_now_then_victim_offender_then_offended_as_child():
    flags = flags_frame([
        ("P9", F, T, T, T, T),   # victim-offender who offended as a child: the victim-offender route
        ("P1", T, F, T, T, T),   # child now and victim-offender: the child route
        ("P5", F, F, F, T, F),   # victim as a child only: in no category, not listed
        ("P3", F, T, F, F, T),   # offended as a child only
        ("P2", T, F, F, F, F),   # child now only
    ])
    got = sg.safeguarding_people(flags, 17)
    expected = pd.DataFrame({
        "person_id": ["P1", "P2", "P3", "P9"],
        "child_now": [T, T, F, F], "offended_as_child": [F, F, T, T], "victim_offender": [T, F, F, T],
        "victim_as_child": [T, F, F, T],
        "routing": [ROUTE_CHILD, ROUTE_CHILD, ROUTE_OAC, ROUTE_VO],
        "reasons": ["; ".join([R_CHILD, R_OWC, R_VO, R_VAC]), R_CHILD, R_OWC, "; ".join([R_OWC, R_VO, R_VAC])],
    })
    assert_frame_equal(got, expected)


# --- child victims ---------------------------------------------------------------------------------

STILL_CHILD = FLAGS.set_index("person_id")["child_now"]
BEHIND = pd.DataFrame({
    "person_id": ["V1", "V2", "V3", "V4", "V5"],
    "n_offenders": [2, 1, 2, 2, 1],
    "n_crimes": [2, 1, 2, 1, 1],
    "groups": ["G0001", "G0002", "G0002", "G0003", "G0001"],
    "in_high_priority_group": [F, T, T, F, F],
    "still_child": [F, T, F, T, F],
    "latest_crime_date": ["2019-05-01", "2020-01-10", "2020-02-01", "2018-01-01", "2017-03-01"],
})
ADULT_ROUTE = "victim care review: now an adult, so shared with partners only with their consent"
CHILD_ROUTE = "MASH referral (a child at risk)"
TWO, HIGH, STILL = ("linked to two or more offenders", "an offender is in a high-priority group",
                    "still a child at the extraction date")
VICTIMS = pd.DataFrame({
    "person_id": ["V1", "V2", "V3", "V4"],
    "n_offenders": [2, 1, 2, 2],
    "n_crimes": [2, 1, 2, 1],
    "groups": ["G0001", "G0002", "G0002", "G0003"],
    "in_high_priority_group": [F, T, T, F],
    "still_child": [F, T, F, T],
    "latest_crime_date": ["2019-05-01", "2020-01-10", "2020-02-01", "2018-01-01"],
    "reasons": [TWO, f"{HIGH}; {STILL}", f"{TWO}; {HIGH}", f"{TWO}; {STILL}"],
    "routing": [ADULT_ROUTE, CHILD_ROUTE, ADULT_ROUTE, CHILD_ROUTE],
})


def test_victims_behind_links_count_offenders_crimes_groups_and_high_priority():
    # V5's only offender O1 is linked through V1 on C5, so V5 is behind a link with one offender;
    # V4's two offenders share one crime (C4)
    got = sg.victims_behind_links(full_table(), final_table(), nodes(), groups(), STILL_CHILD, RULES)
    assert_frame_equal(got, BEHIND)


def test_safeguarding_victims_lists_two_or_more_offenders_high_priority_or_still_child_ordered_by_id():
    # ordered by person id, not by offenders, priority or anything else: V3 (two offenders and a high group)
    # would lead a threat-style order
    got = sg.safeguarding_victims(BEHIND)
    assert_frame_equal(got, VICTIMS)
    assert not set(sg.THREAT_COLUMNS) & set(got.columns)


def test_high_priority_bands_widened_by_config_take_in_medium_groups():
    wide = dataclasses.replace(RULES, high_priority_bands=("high", "medium"))
    got = sg.victims_behind_links(full_table(), final_table(), nodes(), groups(), STILL_CHILD, wide)
    expected = BEHIND.assign(in_high_priority_group=[F, T, T, T, F])   # V4's offenders are in G0003 (medium)
    assert_frame_equal(got, expected)


def test_victims_order_is_by_id_whatever_the_input_order():
    full = full_table().iloc[::-1].reset_index(drop=True)
    final = final_table().iloc[[2, 0, 3, 1]].reset_index(drop=True)
    got = sg.victims_behind_links(full, final, nodes().iloc[::-1], groups().iloc[::-1], STILL_CHILD, RULES)
    assert_frame_equal(got, BEHIND)


def test_no_link_means_no_victim_behind_links():
    empty = final_table().iloc[:0]
    got = sg.victims_behind_links(full_table(), empty, nodes(), groups(), STILL_CHILD, RULES)
    assert got.columns.tolist() == sg.VICTIM_COLUMNS[:7] and len(got) == 0
    assert len(sg.safeguarding_victims(got)) == 0


# --- the stage ------------------------------------------------------------------------------------

PEOPLE = pd.DataFrame({
    "person_id": ["O2", "O3", "O6"],
    "child_now": [T, F, F], "offended_as_child": [F, F, T], "victim_offender": [T, T, F],
    "victim_as_child": [T, F, F],
    "routing": [ROUTE_CHILD, ROUTE_VO, ROUTE_OAC],
    "reasons": ["; ".join([R_CHILD, R_OWC, R_VO, R_VAC]), R_VO, R_OWC],
})
SUMMARY = pd.DataFrame({"measure": [
    "people in the network",
    "children now (at the extraction date) in the network",
    "children now who are full-table CSE offenders",
    "children now in the dismantling set",
    "children now in the top 50 of the dismantling order",
    "children now in a group disruption order",
    "children now in high-priority groups",
    "adults who offended as children",
    "victim-offenders (sexual or exploitation offences)",
    "people routed to safeguarding or offender management",
    "child victims behind final-table links",
    "child victims linked to two or more offenders",
    "child victims of offenders in high-priority groups",
    "child victims still children at the extraction date",
    "child victims listed for referral (two or more offenders, a high-priority group or still a child)",
    "of whom still children: MASH referral",
], "count": [7, 1, 1, 0, 0, 0, 0, 1, 2, 3, 5, 3, 2, 2, 4, 2]})   # victim-offenders: O2 and O3
BANDS = pd.DataFrame({"priority_band": ["high", "medium", "low"], "people": [3, 2, 2],
                      "child_now": [0, 0, 1], "offended_as_child": [0, 1, 0], "victim_offender": [1, 0, 1]})


def test_compute_routes_network_people_and_lists_child_victims():
    st = sg.compute(extraction(), full_table(), final_table(), nodes(), groups(), AS_OF, 17, RULES)
    assert_frame_equal(st.flags, FLAGS.iloc[:7])
    assert_frame_equal(st.people, PEOPLE)
    assert_frame_equal(st.behind, BEHIND)
    assert_frame_equal(st.victims, VICTIMS)
    assert_frame_equal(st.summary, SUMMARY)
    assert_frame_equal(st.bands, BANDS)


def test_summary_counts_children_wherever_people_are_ranked():
    # an upstream bug that ranked the child O2: every place it shows is counted (goal: zero)
    n = nodes()
    n.loc[n["person_id"] == "O2", ["dismantle_rank", "group_dismantle_rank"]] = [4, 2]
    n.loc[n["person_id"] == "O2", "group_id"] = "G0002"
    st = sg.compute(extraction(), full_table(), final_table(), n, groups(), AS_OF, 17, RULES)
    got = st.summary.set_index("measure")["count"]
    assert got["children now in the dismantling set"] == 1
    assert got["children now in the top 50 of the dismantling order"] == 1
    assert got["children now in a group disruption order"] == 1
    assert got["children now in high-priority groups"] == 1


def test_child_now_from_stage_05_wins_and_a_child_now_never_also_counts_as_offended_as_child():
    # stage 05 marked O6 a child now (a record this module does not use); he offended at 17 (C4)
    n = nodes()
    n.loc[n["person_id"] == "O6", "child_now"] = True
    st = sg.compute(extraction(), full_table(), final_table(), n, groups(), AS_OF, 17, RULES)
    o6 = st.people.loc[st.people["person_id"] == "O6"].reset_index(drop=True)
    expected = pd.DataFrame({"person_id": ["O6"], "child_now": [T], "offended_as_child": [F],
                             "victim_offender": [F], "victim_as_child": [F], "routing": [ROUTE_CHILD],
                             "reasons": [f"{R_CHILD}; {R_OWC}"]})
    assert_frame_equal(o6, expected)
    assert st.summary.set_index("measure")["count"]["adults who offended as children"] == 0


def _write_inputs(out, order: slice = slice(None)) -> None:
    ex = extraction()
    store.save_work(out, "extraction", {k: v.iloc[order].reset_index(drop=True) for k, v in ex.items()})
    for name, df in (("full_table", full_table()), ("final_table", final_table()), ("network_nodes", nodes()),
                     ("network_groups", groups())):
        store.write_table(out, name, df.iloc[order].reset_index(drop=True))


WRITTEN = {"safeguarding_people": PEOPLE, "safeguarding_victims": VICTIMS, "safeguarding_summary": SUMMARY,
           "safeguarding_bands": BANDS}


def test_run_stage_writes_its_four_tables_byte_identical_on_a_rerun_and_whatever_the_row_order(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    _write_inputs(a)
    _write_inputs(b, slice(None, None, -1))        # every input table in reverse row order
    sg.run_stage(a, AS_OF, 17)
    first = {f.name: f.read_bytes() for f in (tmp_path / "a" / "tables").glob("safeguarding_*")}
    sg.run_stage(a, AS_OF, 17)
    sg.run_stage(b, AS_OF, 17)
    assert sorted(first) == sorted(f"{n}.{e}" for n in WRITTEN for e in ("csv", "parquet"))
    for name, data in first.items():
        assert (tmp_path / "a" / "tables" / name).read_bytes() == data, name
        assert (tmp_path / "b" / "tables" / name).read_bytes() == data, name
    for name, expected in WRITTEN.items():
        assert_frame_equal(store.read_table(a, name), expected, check_dtype=False)
        assert not set(sg.THREAT_COLUMNS) & set(expected.columns)


def test_run_stage_without_an_earlier_table_says_which_and_what_to_do(tmp_path):
    out = str(tmp_path / "o")
    _write_inputs(out)
    (tmp_path / "o" / "tables" / "network_groups.parquet").unlink()
    with pytest.raises(FileNotFoundError, match="network_groups.*Run the notebooks in order"):
        sg.run_stage(out, AS_OF, 17)


def test_a_victims_groups_are_their_offenders_distinct_groups_sorted_and_empty_when_none():
    rows = pd.DataFrame({"victim_id": ["V2", "V1", "V1", "V1", "V3", "V2", "V1"],
                         "group_id": ["G0010", "G0002", None, "G0010", None, "G0010", "G0002"]})
    expected = pd.Series(["G0002|G0010", "G0010", ""], index=pd.Index(["V1", "V2", "V3"], name="victim_id"),
                         name="group_id")
    pd.testing.assert_series_equal(sg._joined_groups(rows), expected, check_dtype=False, check_index_type=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["V1", "v1", "V10", "V2", "\u00e9", "Z"]),
                          st.one_of(st.none(), st.sampled_from(["G1", "G10", "G2", "g1", "\u00c9", "G|1"]))),
                max_size=25))
def test_a_victims_groups_are_what_a_plain_join_of_their_sorted_distinct_groups_gives(pairs):
    rows = pd.DataFrame(pairs, columns=["victim_id", "group_id"], dtype=object)
    groups: dict[str, set[str]] = {}
    for v, g in pairs:
        groups.setdefault(v, set()).update([g] if g is not None else [])
    expected = {v: "|".join(sorted(gs)) for v, gs in sorted(groups.items())}
    got = sg._joined_groups(rows)
    assert list(got.index) == list(expected) and list(got) == list(expected.values())
