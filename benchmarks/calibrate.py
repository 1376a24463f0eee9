"""Print the calibration table (force report's figures vs this run's) for data/README.md.

    .venv/bin/python benchmarks/calibrate.py output      # after `make report`

Every "ours" figure is computed from the pipeline's own output tables.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def final_rows(ft: pd.DataFrame, final: pd.DataFrame) -> pd.DataFrame:
    pairs = pd.concat([final[["offender_a", "crime_a"]].set_axis(["offender_id", "crime_id"], axis=1),
                       final[["offender_b", "crime_b"]].set_axis(["offender_id", "crime_id"], axis=1)])
    return ft.merge(pairs.drop_duplicates(), on=["offender_id", "crime_id"])


def sex_combos(rows: pd.DataFrame) -> str:
    ok = rows[rows["offender_sex"].isin(["M", "F"]) & rows["victim_sex"].isin(["M", "F"])
              & ~rows["victim_sex_conflict"] & ~rows["offender_sex_conflict"]]
    c = ok.groupby(["offender_sex", "victim_sex"]).size()
    return " / ".join(f"{c.get((o, v), 0):,}" for o, v in [("M", "F"), ("M", "M"), ("F", "F"), ("F", "M")])


def main(out: Path) -> None:
    t = {n: pd.read_parquet(out / "tables" / f"{n}.parquet")
         for n in ("full_table", "final_table", "exclusions", "data_quality")}
    ft, final, ex = t["full_table"], t["final_table"], t["exclusions"]
    dq = t["data_quality"].set_index("item")["count"]
    fr = final_rows(ft, final)
    per_crime = ft.groupby("crime_id")["offender_id"].nunique()
    crimes = ft.drop_duplicates("crime_id")
    window = crimes["crime_date"].between("2016-01-01", "2020-12-31").sum()
    fpairs = pd.concat([final[["offender_a", "crime_a"]].set_axis(["o", "c"], axis=1),
                        final[["offender_b", "crime_b"]].set_axis(["o", "c"], axis=1)]).drop_duplicates()
    offs = ft.drop_duplicates("offender_id")
    gap = ft["offender_age"] - ft["victim_age"]
    top = fpairs.groupby("o")["c"].nunique()
    years = crimes["crime_date"].dt.year.value_counts()
    under = int(ex.loc[ex["rule"].str.startswith("offender younger"), "rows_excluded"].sum())
    rows = [
        ("full table rows / offenders / crimes", "77,707 / 55,323 / 69,058",
         f"{len(ft):,} / {ft['offender_id'].nunique():,} / {ft['crime_id'].nunique():,}"),
        ("rows dropped, offender under 10", "2,375", f"{under:,}"),
        ("rows whose victim dob is after the crime", "306", f"{int(ft['victim_dob_after_crime'].sum()):,}"),
        ("full-table crimes with one offender; max offenders", "98 %; 8",
         f"{100 * (per_crime == 1).mean():.1f} %; {per_crime.max()}"),
        ("full-table crimes committed 2016–2020", "30,969", f"{int(window):,}"),
        ("final table connections / offenders / crimes", "28,758 / 20,432 / 19,995",
         f"{len(final):,} / {fpairs['o'].nunique():,} / {fpairs['c'].nunique():,}"),
        ("sex M-F / M-M / F-F / F-M, full table rows", "41,237 / 16,055 / 10,084 / 9,214", sex_combos(ft)),
        ("sex M-F / M-M / F-F / F-M, final-table rows", "14,566 / 4,628 / 4,569 / 3,374", sex_combos(fr)),
        ("victims / offenders with unknown sex", "693 / 371",
         f"{dq['full-table victims with unknown sex']:,} / {dq['full-table offenders with unknown sex']:,}"),
        ("victims whose sex differs between records", "131",
         f"{dq['full-table victims whose sex differs between records']:,}"),
        ("offenders of unknown ethnicity", "nearly 95 %",
         f"{100 * offs['offender_ethnicity'].str.startswith('IC9').mean():.1f} %"),
        ("rows with offender younger than victim (by 1 year)", "just over 2,000 (mostly 1)",
         f"{int((gap < 0).sum()):,} ({int((gap == -1).sum()):,})"),
        ("victim age peak", "14", f"{ft['victim_age'].mode().iloc[0]}"),
        ("offender age peaks", "14–16 and mid-30s",
         f"{ft.loc[ft['offender_age'] < 25, 'offender_age'].mode().iloc[0]} and "
         f"{ft.loc[ft['offender_age'] >= 25, 'offender_age'].mode().iloc[0]}"),
        ("most crimes per offender in the final table (how many offenders)", "17 (11)",
         f"{top.max()} ({int((top == top.max()).sum())})"),
        ("crimes committed in 2011 / 2012 / 2013; 2019 / 2020", "dip in 2012; peak 2019",
         f"{years.get(2011, 0):,} / {years.get(2012, 0):,} / {years.get(2013, 0):,}; "
         f"{years.get(2019, 0):,} / {years.get(2020, 0):,}"),
    ]
    print("| figure | force report (§9) | this pipeline on `wmp` |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "output"))
