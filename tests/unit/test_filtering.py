"""Selection rules and the full table, on hand-built frames with hand-worked answers."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers.config import load_search_terms
from helpers.filtering import age_years, group_regex, matches, reconcile_people, rule_flags, select, term_regex

TERMS = load_search_terms("config/search_terms.yml")


def hit(group: str, text: str) -> bool:
    return bool(matches(pd.Series([text]), group_regex(TERMS[group])).iloc[0])


class TestWordMatching:
    @pytest.mark.parametrize("text", ["Sexual assault", "SEX OFFENCE", "indecent exposure"])
    def test_stems_match_at_the_start_of_a_word(self, text):
        assert hit("sex_words", text)

    @pytest.mark.parametrize("text", ["Burglary in Essex", "unisex toilets"])
    def test_stems_do_not_match_inside_a_word(self, text):
        assert not hit("sex_words", text)

    def test_mash_is_a_whole_word_so_smashed_is_not_mash(self):
        assert hit("mo_words", "referred to MASH today")
        assert not hit("mo_words", "offender smashed rear window")

    @pytest.mark.parametrize("text", ["CSE concerns", "cse"])
    def test_acronym_cse_matches_as_a_word(self, text):
        assert hit("mo_words", text)

    def test_acronym_cse_does_not_match_inside_a_word(self):
        assert not hit("mo_words", "csexyz ref")  # would match if 'cse' were a stem

    def test_older_is_a_stem_so_card_holder_is_not_a_match(self):
        assert hit("mo_words", "much older male")
        assert not hit("mo_words", "card holder details used")

    def test_rape_stem_does_not_match_grapes(self):
        assert not hit("mo_words", "stole grapes")
        assert hit("mo_words", "victim was raped")

    @pytest.mark.parametrize("text", ["child under 13", "CHILD UNDER13", "under-13 girl"])
    def test_spacing_variants_of_under13(self, text):
        assert hit("child_words", text)

    def test_u13_matches_whole_word_only(self):
        assert hit("child_words", "Sexual assault U13")
        assert not hit("child_words", "ref U135")

    def test_plus_and_ranges_are_literal(self):
        assert hit("child_words", "incite 13-17 yr olds")
        assert hit("child_words", "female 16+")
        assert hit("child_words", "aged 16 or 17")

    def test_term_regex_of_a_phrase_allows_spacing(self):
        import re
        assert re.search(term_regex("child sexual", False), "childsexual exploitation")


def crimes_frame(rows):
    return pd.DataFrame(rows, columns=["crime_id", "committed_from", "committed_to", "recorded_date",
                                       "ho_offence_code", "offence_title", "offence_type", "mo_text"])


class TestRuleFlags:
    def test_each_rule_and_their_combination_is_recorded(self):
        crimes = crimes_frame([
            ("A", None, None, None, "20B", "sexual assault on female child under 13", "S", "none"),  # title
            ("B", None, None, None, "8N", "assault with injury", "V", "none"),                          # if_code
            ("C", None, None, None, "8N", "assault", "V", "victim groomed online"),                    # mo
            ("D", None, None, None, "20B", "rape of girl", "S", "CSE"),                                # title|mo
            ("E", None, None, None, "20A", "sexual assault on a female 13 or over", "S", "none"),     # no child word
            ("F", None, None, None, "20B", "rape of girl", "S", "victim groomed online"),              # all three
            ("G", None, None, None, "8N", "assault", "V", "CSE"),                                      # if_code|mo
        ])
        codes = pd.DataFrame({"crime_id": ["B", "D", "F", "G"], "if_code": ["cao", "DRG", "CAO", "CSE"]})
        f = rule_flags(crimes, codes, TERMS).set_index("crime_id")["matched_rules"]
        assert f.to_dict() == {"A": "title", "B": "if_code", "C": "mo", "D": "title|mo", "E": "",
                               "F": "title|if_code|mo", "G": "if_code|mo"}


class TestAges:
    def test_whole_years_turn_on_the_birthday(self):
        dob = pd.Series(pd.to_datetime(["2006-03-15", "2006-03-16", "2000-02-29"]))
        on = pd.Series(pd.to_datetime(["2020-03-15", "2020-03-15", "2021-02-28"]))
        assert age_years(dob, on).tolist() == [14, 13, 20]

    def test_born_after_the_crime_is_negative_before_adjustment(self):
        assert age_years(pd.Series(pd.to_datetime(["2021-01-01"])),
                         pd.Series(pd.to_datetime(["2020-06-01"]))).tolist() == [-1]


def tables_for(crimes, nominals, if_codes=()):
    c = crimes_frame(crimes)
    for col in ("committed_from", "recorded_date"):
        c[col] = pd.to_datetime(c[col])
    n = pd.DataFrame(nominals, columns=["crime_id", "person_id", "role", "dob", "sex", "ethnicity"])
    n["dob"] = pd.to_datetime(n["dob"])
    return {"crimes": c, "crime_nominals": n,
            "crime_if_codes": pd.DataFrame(list(if_codes), columns=["crime_id", "if_code"])}


CSA = "sexual assault on female child under 13"


def run(tables, **kw):
    args = dict(as_of="2021-03-15", max_victim_age=17, min_offender_age=10, review_per_rule=2, seed=1)
    args.update(kw)
    return select(tables, TERMS, **args)


def excluded(sel, rule_start):
    ex = sel.exclusions
    return int(ex.loc[ex["rule"].str.startswith(rule_start), "rows_excluded"].sum())


class TestFullTable:
    def test_domestic_abuse_is_excluded_and_counted(self):
        t = tables_for([("C1", "2020-01-01", None, "2020-01-02", "20B", CSA, "DA", ""),
                        ("C2", "2020-01-01", None, "2020-01-02", "20B", CSA, "da", "")],
                       [("C1", "O1", "OFFENDER", "1980-01-01", "M", None),
                        ("C1", "V1", "VICTIM", "2010-01-01", "F", None)])
        t["crimes"]["offence_type"] = t["crimes"]["offence_type"].str.upper()  # extraction upper-cases
        sel = run(t)
        assert sel.full_table.empty
        assert excluded(sel, "domestic abuse") == 2

    def test_victim_age_rules(self):
        # crime 2020-06-01. V17: 17 -> kept; V18: 18 -> out; VNONE: no dob -> out; VBORN: born 2021 -> age 0 kept
        t = tables_for([("C1", "2020-06-01", None, "2020-06-02", "20B", CSA, "SEX", "")],
                       [("C1", "O1", "OFFENDER", "1980-01-01", "M", None),
                        ("C1", "V17", "VICTIM", "2002-07-01", "F", None),
                        ("C1", "V18", "VICTIM", "2002-06-01", "F", None),
                        ("C1", "VNONE", "VICTIM", None, "F", None),
                        ("C1", "VBORN", "VICTIM", "2021-01-01", "F", None)])
        sel = run(t)
        ft = sel.full_table.set_index("victim_id")
        assert sorted(ft.index) == ["V17", "VBORN"]
        assert ft.loc["V17", "victim_age"] == 17
        assert ft.loc["VBORN", "victim_age"] == 0 and bool(ft.loc["VBORN", "victim_dob_after_crime"])
        assert excluded(sel, "victim older than 17") == 1
        assert excluded(sel, "victim age unknown") == 1
        assert sel.quality.set_index("item")["count"].iloc[0] == 1

    def test_offender_under_ten_dropped_unknown_age_kept(self):
        t = tables_for([("C1", "2020-06-01", None, "2020-06-02", "20B", CSA, "SEX", "")],
                       [("C1", "O9", "SUSPECT", "2011-01-01", "M", None),      # 9 -> dropped
                        ("C1", "O10", "suspect", "2010-06-01", "M", None),     # 10 on the day -> kept
                        ("C1", "OX", "PERSON THOUGHT RESPONSIBLE", None, "M", None),
                        ("C1", "V1", "VICTIM", "2008-01-01", "F", None)])
        sel = run(t.copy() | {"crime_nominals": t["crime_nominals"].assign(role=lambda d: d["role"].str.upper())})
        assert sorted(sel.full_table["offender_id"]) == ["O10", "OX"]
        assert excluded(sel, "offender younger than 10") == 1

    def test_witnesses_and_reporting_persons_are_neither_victim_nor_offender(self):
        t = tables_for([("C1", "2020-06-01", None, "2020-06-02", "20B", CSA, "SEX", "")],
                       [("C1", "O1", "OFFENDER", "1980-01-01", "M", None),
                        ("C1", "W1", "WITNESS", "2008-01-01", "F", None),
                        ("C1", "R1", "REPORTING PERSON", "2008-01-01", "F", None),
                        ("C1", "V1", "VICTIM", "2008-01-01", "F", None)])
        sel = run(t)
        assert sel.full_table[["offender_id", "victim_id"]].values.tolist() == [["O1", "V1"]]
        assert excluded(sel, "witness or reporting person") == 2

    def test_duplicate_rows_of_one_combination_count_once(self):
        # O1 recorded twice on C1 (as OFFENDER and as SUSPECT): one (crime, offender, victim) row
        t = tables_for([("C1", "2020-06-01", None, "2020-06-02", "20B", CSA, "SEX", "")],
                       [("C1", "O1", "OFFENDER", "1980-01-01", "M", None),
                        ("C1", "O1", "SUSPECT", "1980-01-01", "M", None),
                        ("C1", "V1", "VICTIM", "2008-01-01", "F", None)])
        sel = run(t)
        assert len(sel.full_table) == 1
        assert excluded(sel, "duplicate (crime, offender, victim)") == 1

    def test_crime_without_an_offender_is_counted(self):
        t = tables_for([("C1", "2020-06-01", None, "2020-06-02", "20B", CSA, "SEX", "")],
                       [("C1", "V1", "VICTIM", "2008-01-01", "F", None)])
        sel = run(t)
        assert sel.full_table.empty
        assert excluded(sel, "no identified victim or no identified offender") == 1

    def test_crime_after_as_of_is_not_used(self):
        t = tables_for([("C1", "2021-03-16", None, "2021-03-16", "20B", CSA, "SEX", "")],
                       [("C1", "O1", "OFFENDER", "1980-01-01", "M", None),
                        ("C1", "V1", "VICTIM", "2008-01-01", "F", None)])
        sel = run(t)
        assert sel.full_table.empty and excluded(sel, "committed or recorded after as_of") == 1

    def test_ledger_balances_at_every_rule(self):
        t = tables_for([("C1", "2020-06-01", None, "2020-06-02", "20B", CSA, "SEX", ""),
                        ("C2", "2020-06-01", None, "2020-06-02", "28E", "burglary", "ACQ", "smashed")],
                       [("C1", "O1", "OFFENDER", "1980-01-01", "M", None),
                        ("C1", "V1", "VICTIM", "1990-01-01", "F", None)])
        ex = run(t).exclusions
        assert (ex["rows_in"] == ex["rows_out"] + ex["rows_excluded"]).all()


class TestPeople:
    def test_most_frequent_sex_wins_and_conflict_is_flagged(self):
        nominals = pd.DataFrame({
            "person_id": ["P", "P", "P", "Q", "Q"], "crime_id": ["1", "2", "3", "1", "2"],
            "sex": ["F", "F", "M", "U", None], "ethnicity": [None, "IC9 - Unknown", "IC4 - Asian", None, None],
        })
        crimes = pd.DataFrame({"crime_id": ["1", "2", "3"],
                               "recorded_date": pd.to_datetime(["2019-01-01", "2019-06-01", "2020-01-01"])})
        people = reconcile_people(nominals, crimes).set_index("person_id")
        assert people.loc["P", "sex"] == "F" and bool(people.loc["P", "sex_conflict"])
        assert people.loc["P", "ethnicity"] == "IC4 - Asian" and not bool(people.loc["P", "ethnicity_conflict"])
        assert people.loc["Q", "sex"] == "U" and people.loc["Q", "ethnicity"] == "IC9 - Unknown"

    def test_tie_goes_to_the_most_recent_record(self):
        nominals = pd.DataFrame({"person_id": ["P", "P"], "crime_id": ["1", "2"], "sex": ["M", "F"],
                                 "ethnicity": [None, None]})
        crimes = pd.DataFrame({"crime_id": ["1", "2"], "recorded_date": pd.to_datetime(["2019-01-01", "2020-01-01"])})
        assert reconcile_people(nominals, crimes).set_index("person_id").loc["P", "sex"] == "F"


def test_rule_counts_give_each_combination_and_its_yield():
    from helpers.filtering import rule_counts
    flags = pd.DataFrame({"crime_id": ["A", "B", "C", "D"], "matched_rules": ["mo", "mo", "title|mo", "mo"]})
    full = pd.DataFrame({"crime_id": ["C", "D"]})
    out = rule_counts(flags, full).set_index("matched_rules")
    assert out.loc["mo"].tolist() == [3, 1]            # A, B, D selected; only D reaches the full table
    assert out.loc["title|mo"].tolist() == [1, 1]
    assert out.index.tolist() == ["mo", "title|mo"]    # most selected first


def test_data_quality_counts_unknown_and_implausible_offender_ages():
    from helpers.filtering import data_quality
    full = pd.DataFrame({"offender_id": ["O1", "O2", "O3"], "victim_id": ["V", "V", "V"],
                         "offender_age": pd.array([None, 95, 30], dtype="Int64"),
                         "victim_dob_after_crime": [False, False, True]})
    people = pd.DataFrame({"person_id": ["O1", "O2", "O3", "V"], "sex": ["M", "U", "M", "F"],
                           "sex_conflict": [False] * 4, "ethnicity": ["IC9 - Unknown"] * 4,
                           "ethnicity_conflict": [False] * 4})
    q = data_quality(full, people).set_index("item")["count"]
    assert q.filter(like="offender age is unknown").iloc[0] == 1
    assert q.filter(like="over 90").iloc[0] == 1
    assert q.filter(like="born after").iloc[0] == 1
    assert q["full-table offenders with unknown sex"] == 1


def test_the_stage_reading_nominals_from_the_hand_off_selects_what_select_on_the_whole_table_does(db_factory,
                                                                                                   tmp_path):
    """run_stage asks the hand-off for the selected crimes' and the full table's people's records only;
    it used to read the whole hand-off and call select on it."""
    from conftest import base_tables, frame
    from helpers import extraction, filtering, store

    t = base_tables()
    t["crime_nominals"] = pd.concat([t["crime_nominals"], frame("crime_nominals", [
        ("C2", "V1", "WITNESS", "2006-03-16", "M", None),  # V1's record on another crime: counts for their sex
        ("C2", "O1", "VICTIM", "1990-01-01", "F", "IC3 - Black")])], ignore_index=True)
    url, out = db_factory(t), tmp_path / "out"
    extraction.run_stage(url, str(out))
    args = (TERMS, "2021-03-15", 17, 10, 25, 0)
    whole = select(store.load_work(out, "extraction", ["crimes", "crime_if_codes", "crime_nominals"]), *args)
    staged = filtering.run_stage(str(out), "config/search_terms.yml", *args[1:], "2015-01-01", "2020-12-31")
    pd.testing.assert_frame_equal(staged.full_table, whole.full_table)
    pd.testing.assert_frame_equal(staged.exclusions, whole.exclusions)
    pd.testing.assert_frame_equal(staged.quality, whole.quality)
    assert store.read_table(out, "full_table")["victim_id"].tolist() == ["V1", "V1"]
