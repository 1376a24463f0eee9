"""Figures and small aggregate tables of the report, in one house style.

Every function takes plain DataFrames (the run's tables, or small hand-built
frames in tests) and returns either a plotnine ``ggplot`` whose ``.data`` holds
the aggregated counts that are drawn, or an aggregate DataFrame. Nothing here
reads files, so the same functions serve notebook 04 (descriptive figures of
the force report, section 9) and notebook 05 (the network's own figures).

Units follow the force report: crimes are distinct ``crime_id``; ages are per
(crime, person); people are distinct ids, one sex and ethnicity each (the
pipeline reconciles them, see ``filtering.reconcile_people``); sex and
ethnicity combinations count crime-offender-victim rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from plotnine import (
    aes,
    coord_flip,
    element_blank,
    element_line,
    element_rect,
    element_text,
    facet_wrap,
    geom_abline,
    geom_col,
    geom_line,
    geom_point,
    geom_step,
    geom_text,
    geom_tile,
    ggplot,
    labs,
    scale_colour_manual,
    scale_fill_gradient,
    scale_fill_manual,
    scale_linetype_manual,
    scale_x_continuous,
    scale_y_continuous,
    theme,
    theme_minimal,
)

from . import labels, people

# Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#999999", "#000000"]
TABLES = ["Full table", "Final table"]
TABLE_COLOURS = {"Full table": "#0072B2", "Final table": "#D55E00"}
UNKNOWN_ETHNICITY = people.UNKNOWN_ETHNICITY  # the one unknown-ethnicity rule and label: people.py
SEX_LABELS = labels.SEX  # the one label map (config/labels.yml)
GROUP_SIZE_BINS = [(2, 2), (3, 3), (4, 4), (5, 5), (6, 10), (11, 20), (21, 50), (51, 150),
                   (151, None)]


@dataclass(frozen=True)
class NothingToShow:
    """What a figure function returns when its data hold nothing to draw (no CSA crime, an empty
    final table, no known sex, ...): the report prints a sentence in its place, never an empty or
    broken figure. `reason` completes "Not drawn: ..."."""
    reason: str

    def sentence(self, caption: str) -> str:
        return f"*{caption}*: not drawn, because {self.reason}."


def nothing_to_show(reason: str) -> NothingToShow:
    """The placeholder for a figure with nothing to show (see `NothingToShow`)."""
    return NothingToShow(reason)


# What a figure function returns: a plot, or the placeholder when there is nothing to draw.
Figure = ggplot | NothingToShow


def theme_report(base_size: float = 10):
    """The one theme of every figure: minimal, light grid, readable strips."""
    return theme_minimal(base_size=base_size) + theme(
        figure_size=(7.5, 3.6),
        panel_grid_minor=element_blank(),
        panel_grid_major=element_line(colour="#e5e5e5", size=0.4),
        strip_text=element_text(weight="bold", size=base_size),
        strip_background=element_rect(fill="#f2f2f2", colour="none"),
        axis_title=element_text(size=base_size),
        legend_position="bottom",
        legend_title=element_blank(),
        plot_background=element_rect(fill="white", colour="none"),
    )


def suppressed_label(n, below: int) -> str:
    """Text for a count drawn on a figure: '<below' for 1..below-1, else '1,234'."""
    n = int(n)
    return f"<{below}" if 0 < n < below else f"{n:,}"


SUPPRESSED_FILL = "#bdbdbd"


def mark_suppressed(counts: pd.DataFrame, below: int, n: str = "n") -> pd.DataFrame:
    """Add `suppressed` (1 <= n < below) and `n_shown`, the bar height drawn: suppressed counts are
    all drawn at the same height (`below`), so a bar never reveals an exact count from 1 to below-1."""
    out = counts.copy()
    v = out[n].astype(float)
    out["suppressed"] = (v > 0) & (v < below)
    out["n_shown"] = np.where(out["suppressed"], float(below), v)
    return out


def _bars(counts: pd.DataFrame, x: str, fill: str | None, width: float, below: int, fill_value=None,
          show_legend=False) -> list:
    """geom_col layers: unsuppressed bars at their height, suppressed ones grey at a fixed height."""
    shown = counts.loc[~counts["suppressed"]]
    small = counts.loc[counts["suppressed"]]
    layers = []
    if fill is not None:
        layers.append(geom_col(shown, aes(x, "n_shown", fill=fill), width=width, show_legend=show_legend))
    else:
        layers.append(geom_col(shown, aes(x, "n_shown"), fill=fill_value, width=width))
    if len(small):
        layers.append(geom_col(small, aes(x, "n_shown"), fill=SUPPRESSED_FILL, width=width))
    return layers


def suppression_note(below: int) -> str:
    return f"Grey bars: counts from 1 to {below - 1}, drawn at one fixed height and labelled <{below}."


def _partial_year(dates: pd.Series) -> tuple[int, str] | None:
    """(year, label) when the data's last year is incomplete, e.g. (2021, '2021 (to 15 Mar)')."""
    d = pd.to_datetime(dates).dropna()
    if not len(d):
        return None
    last = d.max()
    if (last.month, last.day) == (12, 31):
        return None
    return int(last.year), f"{last.year} (to {last.day} {last.strftime('%b')})"


# --- data preparation ---------------------------------------------------------------

def final_rows(full: pd.DataFrame, final: pd.DataFrame) -> pd.DataFrame:
    """Full-table rows whose (offender, crime) appears on either side of a final-table link."""
    pairs = pd.concat([
        final[["offender_a", "crime_a"]].set_axis(["offender_id", "crime_id"], axis=1),
        final[["offender_b", "crime_b"]].set_axis(["offender_id", "crime_id"], axis=1),
    ]).drop_duplicates()
    return full.merge(pairs, on=["offender_id", "crime_id"], how="inner")


def _both(full: pd.DataFrame, final: pd.DataFrame | None) -> pd.DataFrame:
    """Stack the full table and the final-table rows with a `table` label."""
    parts = [full.assign(table="Full table")]
    if final is not None:
        parts.append(final.assign(table="Final table"))
    out = pd.concat(parts, ignore_index=True)
    out["table"] = pd.Categorical(out["table"], categories=TABLES)
    return out


def _ethnicity(s: pd.Series) -> pd.Series:
    """The recorded ethnicity with every unknown value folded into one label (`people.ethnicity_label`)."""
    return people.ethnicity_label(s)


def _people(rows: pd.DataFrame, who: str, value: str) -> pd.DataFrame:
    """One row per (table, person) with that person's value of `who`_`value`."""
    cols = ["table", f"{who}_id", f"{who}_{value}"]
    extra = f"{who}_{value}_conflict"
    if extra in rows.columns:
        cols.append(extra)
    return rows[cols].drop_duplicates(["table", f"{who}_id"])


def _count(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return df.groupby(by, observed=True).size().reset_index(name="n")


def _who(who: str) -> str:
    if who not in ("victim", "offender"):
        raise ValueError(f"who must be 'victim' or 'offender', got {who!r}")
    return who


# --- section 4 / 9: descriptive figures of the force report ------------------------

def offender_ethnicity_window(full: pd.DataFrame, start, end, suppress_below: int = 5) -> Figure:
    """Figure 1: offenders with a crime in [start, end], by ethnicity (full table)."""
    d = pd.to_datetime(full["crime_date"])
    rows = full.loc[(d >= pd.Timestamp(start)) & (d <= pd.Timestamp(end))]
    people = rows.drop_duplicates("offender_id").assign(ethnicity=lambda x: _ethnicity(x["offender_ethnicity"]))
    counts = _count(people, ["ethnicity"]).sort_values(["n", "ethnicity"], ascending=[True, False])
    if counts.empty:
        return nothing_to_show("no full-table offender had a crime in this period")
    counts["ethnicity"] = pd.Categorical(counts["ethnicity"], categories=list(counts["ethnicity"]))
    counts["share"] = counts["n"] / counts["n"].sum() if len(counts) else []
    counts = mark_suppressed(counts, suppress_below)
    counts["label"] = [f"<{suppress_below}" if sup else f"{p:.1%}"
                       for p, sup in zip(counts["share"], counts["suppressed"], strict=False)]
    return (ggplot(counts, aes("ethnicity", "n_shown"))
            + _bars(counts, "ethnicity", None, 0.7, suppress_below, fill_value=OKABE_ITO[4])
            + geom_text(aes(label="label"), ha="left", nudge_y=0, size=8, format_string=" {}")
            + coord_flip()
            + scale_y_continuous(expand=(0, 0, 0.15, 0))
            + labs(x="", y="Offenders")
            + theme_report())


def crimes_per_year(full: pd.DataFrame, final: pd.DataFrame | None = None, since: int | None = 2010,
                    suppress_below: int = 5, labels: bool = True) -> Figure:
    """Figures 2-3 (since 2010) and 12-13 (since=None): distinct crimes per year of the crime."""
    both = _both(full, final)
    both = both.assign(year=pd.to_datetime(both["crime_date"]).dt.year).drop_duplicates(["table", "crime_id"])
    if since is not None:
        both = both.loc[both["year"] >= since]
    counts = _count(both, ["table", "year"])
    if counts.empty:
        return nothing_to_show("the full table holds no crime" + (f" dated {since} or later" if since else ""))
    counts = mark_suppressed(counts, suppress_below)
    counts["label"] = [suppressed_label(n, suppress_below) for n in counts["n"]]
    partial = _partial_year(full["crime_date"])
    counts["partial"] = counts["year"] == (partial[0] if partial else None)
    p = (ggplot(counts, aes("year", "n_shown", fill="table"))
         + _bars(counts.loc[~counts["partial"]], "year", "table", 0.75, suppress_below))
    if partial and counts["partial"].any():
        # the incomplete last year: the same bar, lighter, and named as such on the axis
        p += geom_col(counts.loc[counts["partial"] & ~counts["suppressed"]], aes("year", "n_shown", fill="table"),
                      width=0.75, alpha=0.4, show_legend=False)
        p += geom_col(counts.loc[counts["partial"] & counts["suppressed"]], aes("year", "n_shown"),
                      fill=SUPPRESSED_FILL, alpha=0.4, width=0.75)
    p = (p + facet_wrap("table", ncol=2 if since is not None else 1, scales="free_y")
         + scale_fill_manual(values=TABLE_COLOURS)
         + scale_y_continuous(expand=(0, 0, 0.12, 0))
         + labs(x="Year of crime" + (f" (lighter bar: {partial[1]}, part of the year)" if partial else ""),
                 y="Crimes")
         + theme_report())
    yrs = sorted(counts["year"].unique())
    if since is not None:
        brk = yrs
    else:
        brk = [y for y in yrs if y % 5 == 0 and not (partial and 0 < partial[0] - y < 3)]
        brk += [partial[0]] if partial and partial[0] in yrs else []
        brk = sorted(set(brk)) or [int(y) for y in yrs]  # a short span: every year it has
    brk = [int(y) for y in brk]
    names = [partial[1].replace(" (", "\n(") if partial and y == partial[0] else str(y) for y in brk]
    p += scale_x_continuous(breaks=brk, labels=names)
    if since is not None:
        p += theme(axis_text_x=element_text(rotation=90, size=7))
        if labels:
            p += geom_text(aes(label="label"), va="bottom", size=6)
    return p


def age_distribution(full: pd.DataFrame, final: pd.DataFrame | None, who: str, suppress_below: int = 5) -> Figure:
    """Figures 4-5: ages at the crime date, one count per (crime, person) with a known age."""
    who = _who(who)
    both = _both(full, final)
    rows = both.dropna(subset=[f"{who}_age"]).drop_duplicates(["table", "crime_id", f"{who}_id"])
    counts = mark_suppressed(_count(rows.assign(age=rows[f"{who}_age"].astype(int)), ["table", "age"]),
                             suppress_below)
    if counts.empty:
        return nothing_to_show(f"no {who} of known age is in the tables")
    return (ggplot(counts, aes("age", "n_shown", fill="table"))
            + _bars(counts, "age", "table", 0.9, suppress_below)
            + facet_wrap("table", ncol=2, scales="free_y")
            + scale_fill_manual(values=TABLE_COLOURS)
            + labs(x=f"Age of {who} at the crime (years)", y=f"Crime-{who} pairs")
            + theme_report())


def age_difference(full: pd.DataFrame, final: pd.DataFrame | None = None, suppress_below: int = 5) -> Figure:
    """Figure 6: offender age minus victim age, per crime-offender-victim row with both known."""
    both = _both(full, final).dropna(subset=["offender_age", "victim_age"])
    both = both.assign(difference=(both["offender_age"] - both["victim_age"]).astype(int))
    counts = mark_suppressed(_count(both, ["table", "difference"]), suppress_below)
    if counts.empty:
        return nothing_to_show("no row of the tables has both ages known")
    return (ggplot(counts, aes("difference", "n_shown", fill="table"))
            + _bars(counts, "difference", "table", 0.9, suppress_below)
            + facet_wrap("table", ncol=2, scales="free_y")
            + scale_fill_manual(values=TABLE_COLOURS)
            + labs(x="Offender age − victim age (years)", y="Crime-offender-victim rows")
            + theme_report())


def sex_distribution(full: pd.DataFrame, final: pd.DataFrame | None, who: str, suppress_below: int = 5) -> Figure:
    """Figures 7-8: people by sex, leaving out unknown sex and people whose records conflict."""
    who = _who(who)
    people = _people(_both(full, final), who, "sex")
    keep = people[f"{who}_sex"].isin(list(SEX_LABELS))
    if f"{who}_sex_conflict" in people.columns:
        keep &= ~people[f"{who}_sex_conflict"].fillna(False).astype(bool)
    people = people.loc[keep].assign(sex=lambda x: x[f"{who}_sex"].map(SEX_LABELS))
    counts = _count(people, ["table", "sex"])
    if counts.empty:
        return nothing_to_show(f"no {who} of known, consistent sex is in the tables")
    counts["share"] = counts["n"] / counts.groupby("table", observed=True)["n"].transform("sum")
    counts = mark_suppressed(counts, suppress_below)
    counts["label"] = [f"<{suppress_below}" if sup else f"{p:.0%}"
                       for p, sup in zip(counts["share"], counts["suppressed"], strict=False)]
    return (ggplot(counts, aes("sex", "n_shown", fill="sex"))
            + _bars(counts, "sex", "sex", 0.6, suppress_below)
            + geom_text(aes(label="label"), va="bottom", size=8)
            + facet_wrap("table", ncol=2, scales="free_y")
            + scale_fill_manual(values={"Female": OKABE_ITO[6], "Male": OKABE_ITO[2]})
            + scale_y_continuous(expand=(0, 0, 0.12, 0))
            + labs(x=f"Sex of {who}", y=f"{who.capitalize()}s")
            + theme_report() + theme(figure_size=(6.5, 3.2)))


def sex_exclusions(full: pd.DataFrame) -> dict[str, int]:
    """People left out of the sex figures (force report 9.1.3): unknown or conflicting sex."""
    out = {}
    for who in ("victim", "offender"):
        people = full.drop_duplicates(f"{who}_id")
        unknown = ~people[f"{who}_sex"].isin(list(SEX_LABELS))
        conflict_col = f"{who}_sex_conflict"
        conflict = (people[conflict_col].fillna(False).astype(bool) if conflict_col in people.columns
                    else pd.Series(False, index=people.index))
        out[f"{who}_unknown"] = int(unknown.sum())
        out[f"{who}_conflict"] = int((conflict & ~unknown).sum())
    return out


def sex_combinations(rows: pd.DataFrame) -> pd.DataFrame:
    """Tables 1-2: crime-offender-victim rows by offender and victim sex, most frequent first."""
    keep = rows["offender_sex"].isin(list(SEX_LABELS)) & rows["victim_sex"].isin(list(SEX_LABELS))
    for who in ("offender", "victim"):
        if f"{who}_sex_conflict" in rows.columns:
            keep &= ~rows[f"{who}_sex_conflict"].fillna(False).astype(bool)
    counts = _count(rows.loc[keep], ["offender_sex", "victim_sex"])
    counts = counts.sort_values(["n", "offender_sex", "victim_sex"], ascending=[False, True, True])
    counts["share"] = (counts["n"] / counts["n"].sum()).round(3) if len(counts) else []
    return counts.rename(columns={"offender_sex": "Sex of offender", "victim_sex": "Sex of victim",
                                  "n": "Frequency", "share": "Share"}).reset_index(drop=True)


def ethnicity_distribution(full: pd.DataFrame, final: pd.DataFrame | None, who: str,
                           suppress_below: int = 5) -> Figure:
    """Figures 9-10: people by ethnicity (unknown and IC9 counted together)."""
    who = _who(who)
    people = _people(_both(full, final), who, "ethnicity")
    people = people.assign(ethnicity=_ethnicity(people[f"{who}_ethnicity"]))
    counts = _count(people, ["table", "ethnicity"])
    if counts.empty:
        return nothing_to_show(f"the tables hold no {who}")
    counts["share"] = counts["n"] / counts.groupby("table", observed=True)["n"].transform("sum")
    counts = mark_suppressed(counts, suppress_below)
    counts["label"] = [f"<{suppress_below}" if sup else f"{p:.1%}"
                       for p, sup in zip(counts["share"], counts["suppressed"], strict=False)]
    order = sorted(counts["ethnicity"].unique(), reverse=True)
    counts["ethnicity"] = pd.Categorical(counts["ethnicity"], categories=order)
    return (ggplot(counts, aes("ethnicity", "n_shown", fill="table"))
            + _bars(counts, "ethnicity", "table", 0.7, suppress_below)
            + geom_text(aes(label="label"), ha="left", size=7, format_string=" {}")
            + coord_flip()
            + facet_wrap("table", ncol=2, scales="free_x")
            + scale_fill_manual(values=TABLE_COLOURS)
            + scale_y_continuous(expand=(0, 0, 0.3, 0))
            + labs(x="", y=f"{who.capitalize()}s")
            + theme_report() + theme(figure_size=(7.5, 3.8)))


def ethnicity_heatmap(rows: pd.DataFrame, suppress_below: int = 5) -> Figure:
    """Figure 11: crime-offender-victim rows by offender and victim ethnicity."""
    d = pd.DataFrame({"offender": _ethnicity(rows["offender_ethnicity"]),
                      "victim": _ethnicity(rows["victim_ethnicity"])})
    counts = _count(d, ["offender", "victim"])
    if counts.empty:
        return nothing_to_show("the full table holds no row")
    counts = mark_suppressed(counts, suppress_below)
    counts["label"] = [suppressed_label(n, suppress_below) for n in counts["n"]]
    # Suppressed cells get no fill value (drawn in one neutral grey): a colour would reveal the count.
    counts["log_n"] = np.where(counts["suppressed"], np.nan, np.log10(counts["n"].astype(float)))
    top = np.nanmax(counts["log_n"]) if counts["log_n"].notna().any() else 0.0
    counts["text_colour"] = np.where(counts["log_n"].fillna(0) > top * 0.6, "white", "black")
    lo = np.log10(suppress_below)
    brk = [b for b in range(int(np.ceil(lo)), int(np.floor(top)) + 1)] or [lo]
    # Limits cover every break (plotnine drops breaks outside them but not their labels): one cell, one
    # value or every cell suppressed still draws a legend.
    low = float(np.nanmin(counts["log_n"])) if counts["log_n"].notna().any() else lo
    limits = (min(low, brk[0]), max(top, brk[-1]))
    limits = limits if limits[1] > limits[0] else (limits[0], limits[0] + 1.0)
    return (ggplot(counts, aes("victim", "offender", fill="log_n"))
            + geom_tile(colour="white")
            + geom_text(aes(label="label", colour="text_colour"), size=7, show_legend=False)
            + scale_colour_manual(values={"white": "white", "black": "black"}, guide=None)
            + scale_fill_gradient(low="#deebf7", high="#08306b", na_value=SUPPRESSED_FILL,
                                  name="Crime–offender–victim rows (log scale)",
                                  breaks=brk, labels=[f"{10 ** b:,.0f}" for b in brk], limits=limits)
            + labs(x="Victim ethnicity", y="Offender ethnicity",
                   caption=f"Grey cells: 1 to {suppress_below - 1} rows (shown as <{suppress_below}).")
            + theme_report() + theme(figure_size=(7.5, 5.5), axis_text_x=element_text(rotation=35, ha="right"),
                                     legend_position="right", legend_title=element_text(size=8),
                                     panel_grid_major=element_blank()))


def prolific_offenders(rows: pd.DataFrame) -> dict:
    """Section 9.1.5, aggregates only: the most crimes any offender has, how many offenders
    have that many, and their sex and ethnicity counts. No identifier leaves this function."""
    per = rows.groupby("offender_id")["crime_id"].nunique()
    if per.empty:
        return {"max_crimes": 0, "n_offenders": 0, "profile": pd.DataFrame(columns=["Sex", "Ethnicity", "Offenders"])}
    top_ids = per.index[per == per.max()]
    people = rows.loc[rows["offender_id"].isin(top_ids)].drop_duplicates("offender_id")
    profile = pd.DataFrame({"Sex": people["offender_sex"].map(SEX_LABELS).fillna("Unknown"),
                            "Ethnicity": _ethnicity(people["offender_ethnicity"])})
    profile = (profile.groupby(["Sex", "Ethnicity"]).size().reset_index(name="Offenders")
               .sort_values(["Offenders", "Sex", "Ethnicity"], ascending=[False, True, True])
               .reset_index(drop=True))
    return {"max_crimes": int(per.max()), "n_offenders": int(len(top_ids)), "profile": profile}


# --- the network's own figures (tables of notebook 05) ------------------------------

def _size_bin(n: int) -> str:
    for lo, hi in GROUP_SIZE_BINS:
        if hi is None and n >= lo:
            return f"{lo}+"
        if hi is not None and lo <= n <= hi:
            return str(lo) if lo == hi else f"{lo}-{hi}"
    return f"<{GROUP_SIZE_BINS[0][0]}"


def group_sizes(groups: pd.DataFrame, size_col: str = "n_people", suppress_below: int = 5) -> ggplot:
    """Groups by number of people (binned), with suppressed count labels."""
    order = [f"<{GROUP_SIZE_BINS[0][0]}"] + [
        (f"{lo}+" if hi is None else (str(lo) if lo == hi else f"{lo}-{hi}")) for lo, hi in GROUP_SIZE_BINS]
    d = pd.DataFrame({"size": [_size_bin(int(n)) for n in groups[size_col]]})
    counts = _count(d, ["size"])
    counts["size"] = pd.Categorical(counts["size"], categories=[o for o in order if o in set(counts["size"])])
    counts = counts.sort_values("size").reset_index(drop=True)
    counts = mark_suppressed(counts, suppress_below)
    counts["label"] = [suppressed_label(n, suppress_below) for n in counts["n"]]
    return (ggplot(counts, aes("size", "n_shown"))
            + _bars(counts, "size", None, 0.7, suppress_below, fill_value=OKABE_ITO[4])
            + geom_text(aes(label="label"), va="bottom", size=8)
            + scale_y_continuous(expand=(0, 0, 0.12, 0))
            + labs(x="People in the group", y="Groups")
            + theme_report() + theme(figure_size=(6.5, 3.2)))


def lorenz_points(values) -> pd.DataFrame:
    """Lorenz curve of harm: units sorted by harm, cumulative share of units vs of harm."""
    v = np.sort(np.asarray(pd.Series(values).fillna(0), dtype=float))
    total = v.sum()
    n = len(v)
    units = np.concatenate([[0.0], np.arange(1, n + 1) / n]) if n else np.array([0.0])
    harm = np.concatenate([[0.0], np.cumsum(v) / total]) if n and total > 0 else np.zeros_like(units)
    return pd.DataFrame({"share_units": units, "share_harm": harm})


def gini(values) -> float:
    """Gini coefficient of harm (0 = spread evenly, 1 = all in one unit); one formula, in harm.py."""
    from .harm import gini as _gini
    return _gini(values)


def top_share(values, top: float = 0.1) -> float:
    """Share of total harm held by the top `top` fraction of units (rounded up to whole units)."""
    v = np.sort(np.asarray(pd.Series(values).fillna(0), dtype=float))[::-1]
    if not len(v) or v.sum() <= 0:
        return 0.0
    k = int(np.ceil(top * len(v)))
    return float(v[:k].sum() / v.sum())


def harm_lorenz(df: pd.DataFrame, value_cols: list[str] | None = None, unit: str = "people") -> ggplot:
    """Harm concentration: one Lorenz curve per harm measure (e.g. harm_cchi, harm_ons)."""
    value_cols = value_cols or [c for c in ("harm_cchi", "harm_ons") if c in df.columns]
    names = labels.HARM_MEASURES
    parts = [lorenz_points(df[c]).assign(measure=names.get(c, c)) for c in value_cols]
    pts = pd.concat(parts, ignore_index=True)
    return (ggplot(pts, aes("share_units", "share_harm", colour="measure", linetype="measure"))
            + geom_abline(intercept=0, slope=1, colour="#999999", linetype="dotted")
            + geom_line(size=0.9)
            + scale_colour_manual(values=[OKABE_ITO[5], OKABE_ITO[4]])
            + scale_linetype_manual(values=["solid", "dashed"])
            + scale_x_continuous(labels=lambda b: [f"{x:.0%}" for x in b])
            + scale_y_continuous(labels=lambda b: [f"{x:.0%}" for x in b])
            + labs(x=f"Share of {unit}, least harmful first", y="Share of total harm")
            + theme_report() + theme(figure_size=(5.5, 4.2)))


def dismantling_curves(df: pd.DataFrame, x: str = "n_removed", y: str = "remaining_share",
                       strategy: str = "strategy", y_label: str = "Share remaining") -> ggplot:
    """Dismantling: what remains (e.g. largest component or harm) as people are removed,
    one line per strategy (the chosen order against baselines such as degree or random)."""
    d = df[[strategy, x, y]].rename(columns={strategy: "strategy", x: "x", y: "y"})
    d = d.sort_values(["strategy", "x"]).reset_index(drop=True)
    strategies = list(dict.fromkeys(d["strategy"]))
    colours = {s: OKABE_ITO[i % len(OKABE_ITO)] for i, s in enumerate(strategies)}
    return (ggplot(d, aes("x", "y", colour="strategy"))
            + geom_step(size=0.9)
            + scale_colour_manual(values=colours)
            + labs(x="People removed", y=y_label)
            + theme_report() + theme(figure_size=(6.5, 4)))


def soc_overlap(df: pd.DataFrame, category: str = "category", count: str = "n",
                suppress_below: int = 5) -> ggplot:
    """Overlap with the SOC network: counts per category (e.g. CSE only / both / SOC only)."""
    d = df[[category, count]].rename(columns={category: "category", count: "n"}).reset_index(drop=True)
    d["category"] = pd.Categorical(d["category"], categories=list(dict.fromkeys(d["category"]))[::-1])
    d = mark_suppressed(d, suppress_below)
    d["label"] = [suppressed_label(n, suppress_below) for n in d["n"]]
    return (ggplot(d, aes("category", "n_shown"))
            + _bars(d, "category", None, 0.6, suppress_below, fill_value=OKABE_ITO[2])
            + geom_text(aes(label="label"), ha="left", size=8, format_string=" {}")
            + coord_flip()
            + scale_y_continuous(expand=(0, 0, 0.15, 0))
            + labs(x="", y="People")
            + theme_report() + theme(figure_size=(6.5, 2.8)))


def stability(df: pd.DataFrame, x: str = "perturbation", y: str = "agreement",
              series: str | None = "measure", y_label: str = "Agreement with the unperturbed run") -> ggplot:
    """Stability of the results under perturbation: points and lines per series."""
    cols = [x, y] + ([series] if series else [])
    d = df[cols].rename(columns={x: "x", y: "y"})
    if series:
        d = d.rename(columns={series: "series"})
    else:
        d["series"] = "all"
    return (ggplot(d, aes("x", "y", colour="series", group="series"))
            + geom_line() + geom_point()
            + scale_colour_manual(values=OKABE_ITO)
            + labs(x=x.replace("_", " ").capitalize(), y=y_label)
            + theme_report() + theme(figure_size=(6.5, 3.6)))


def age_mode(rows: pd.DataFrame, who: str, lo: int | None = None, hi: int | None = None) -> int | None:
    """Most common age (one count per crime and person) within [lo, hi], for the prose on age peaks."""
    pairs = rows.dropna(subset=[f"{who}_age"]).drop_duplicates(["crime_id", f"{who}_id"])
    ages = pairs[f"{who}_age"].astype(int)
    ages = ages[(ages >= (lo if lo is not None else ages.min())) & (ages <= (hi if hi is not None else ages.max()))]
    return int(ages.value_counts().sort_index().idxmax()) if len(ages) else None


# --- stage 04: every view of notebook 04, computed once ---------------------------------------

def pct(part, whole, digits: int = 1) -> str:
    """A percentage for prose ('12.3%'); '–' when the whole is zero (never 'nan%')."""
    return f"{100 * part / whole:.{digits}f}%" if whole else "–"


def _window(df: pd.DataFrame, start, end, col: str = "crime_date") -> pd.DataFrame:
    d = pd.to_datetime(df[col])
    return df.loc[(d >= pd.Timestamp(start)) & (d <= pd.Timestamp(end))]


def _share_of(fig, table: str, level: str, col: str) -> float | None:
    """A share drawn on a figure (None when the figure or the bar is absent)."""
    if isinstance(fig, NothingToShow):
        return None
    d = fig.data.set_index(["table", col])["share"]
    v = d.get((table, level))
    return None if v is None or pd.isna(v) else float(v)


def _share_words(v: float | None, digits: int = 0) -> str:
    return "–" if v is None else f"{v:.{digits}%}"


@dataclass
class Descriptive:
    """Everything notebook 04 shows: figures (a ggplot or NothingToShow each), aggregate tables
    (counts to suppress on display), facts, and the prose with its numbers already suppressed."""
    figures: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)
    text: dict = field(default_factory=dict)


def _age_text(full: pd.DataFrame, fin: pd.DataFrame) -> str:
    v_full = age_mode(full.loc[full["victim_age"] > 0], "victim")
    v_fin = age_mode(fin.loc[fin["victim_age"] > 0], "victim")
    o_young, o_old = age_mode(full, "offender", 10, 24), age_mode(full, "offender", 25, None)
    if v_full is None and o_young is None and o_old is None:
        return "No age is known in this run's full table, so there is no age peak to report."
    w = lambda a: "– (none in this range)" if a is None else str(a)  # noqa: E731
    return (f"In this run, victims' ages peak at {w(v_full)} in the full table and at {w(v_fin)} in the final "
            f"table (ages set to 0 left out). Offenders' ages have their most common value at {w(o_young)} "
            f"among those aged 10 to 24 and at {w(o_old)} among those aged 25 and over. For comparison, the "
            "force report found victims' ages peaking around 14 in both tables, and offenders' ages bimodal, "
            "peaking in the mid-teens and again in the mid-thirties.")


def run_stage(out_dir: str, summary_start: str, summary_end: str, min_offender_age: int = 10,
              suppress_below: int = 5) -> Descriptive:
    """Stage 04: read the full and final tables of the run and compute every figure, table and
    sentence notebook 04 shows. Any valid run's tables work, however small or empty."""
    from . import store

    full = store.read_table(out_dir, "full_table")
    final = store.read_table(out_dir, "final_table")
    exclusions = store.read_table(out_dir, "exclusions")
    facts = {"filtering": store.read_facts(out_dir, "filtering_facts"),
             "linking": store.read_facts(out_dir, "linking_facts")}
    return describe(full, final, exclusions, summary_start, summary_end, min_offender_age, suppress_below, facts)


def describe(full: pd.DataFrame, final: pd.DataFrame, exclusions: pd.DataFrame, summary_start: str,
             summary_end: str, min_offender_age: int = 10, suppress_below: int = 5,
             facts: dict | None = None) -> Descriptive:
    """The views of stage 04 from the tables themselves (`run_stage` reads them; tests hand-build them).

    The headline counts are the facts stages 02 and 03 wrote (`facts`: filtering / linking); when
    a test gives none, they come from the same two functions (`filtering.headline`, `linking.headline`)."""
    from . import filtering, linking
    below = suppress_below
    fc = lambda n: suppressed_label(n, below)  # noqa: E731
    fin = final_rows(full, final)
    ff = (facts or {}).get("filtering") or filtering.headline(full, exclusions, summary_start, summary_end)
    lf = (facts or {}).get("linking") or linking.headline(final, full, summary_start, summary_end)
    d = Descriptive(facts={"filtering": ff, "linking": lf})
    t = d.text
    t["crimes"] = (
        f"The full table contains {fc(ff['rows'])} crime–offender–victim rows covering "
        f"{fc(ff['offenders'])} offenders, {fc(ff['victims'])} victims and {fc(ff['crimes'])} "
        f"distinct crimes. This is after the removal of {fc(ff['offender_under_min_rows'])} rows where the offender "
        f"was under {min_offender_age}, the age of criminal responsibility (appendix, exclusions). "
        f"{pct(ff['pct_single_offender'], 100 if ff['crimes'] else 0)} of the crimes in this table involve only "
        "one offender.\n\n"
        f"The final table contains {fc(lf['connections'])} one-to-one connections involving "
        f"{fc(lf['offenders'])} of these offenders and {fc(lf['crimes'])} distinct crimes. "
        f"{pct(lf['pct_single_offender'], 100 if lf['crimes'] else 0)} of these crimes involve only one offender; "
        f"the most offenders in any one crime is {fc(lf['max_offenders_per_crime'])}.")
    if not len(full):
        t["crimes"] = ("No crime–offender–victim row reached the full table in this run (see the exclusions "
                       "in the appendix for where the rows fell out), so the final table is empty too and the "
                       "figures of this section have nothing to show.")
    d.figures["per_year"] = crimes_per_year(full, fin, since=2010, suppress_below=below)
    dob_rows = full["victim_dob_after_crime"].fillna(False).astype(bool)
    t["dob_after"] = (
        f"Ages are whole years at the date of the crime. On {fc(int(dob_rows.sum()))} rows of the full table "
        f"({fc(full.loc[dob_rows].drop_duplicates(['crime_id', 'victim_id']).shape[0])} distinct crime–victim "
        "pairs, as a pair can have several offenders) the victim's recorded date of birth falls after the "
        "crime; as the force found these to be genuine CSA crimes with mistyped dates of birth, the victim's "
        "age is set to 0 and the rows are kept.")
    d.figures["victim_age"] = age_distribution(full, fin, "victim", below)
    d.figures["offender_age"] = age_distribution(full, fin, "offender", below)
    t["age_peaks"] = _age_text(full, fin)
    both_known = full.dropna(subset=["offender_age", "victim_age"])
    younger = int((both_known["offender_age"] < both_known["victim_age"]).sum())
    one_year = int((both_known["offender_age"] == both_known["victim_age"] - 1).sum())
    d.figures["age_difference"] = age_difference(full, fin, below)
    t["age_difference"] = (
        f"In {fc(younger)} of the {fc(len(both_known))} full-table rows where both ages are known "
        f"({pct(younger, len(both_known))}) the offender was younger than the victim; in {fc(one_year)} of "
        "them by one year." if len(both_known) else
        "No full-table row has both the offender's and the victim's age known.")
    sx = sex_exclusions(full)
    d.figures["victim_sex"] = sex_distribution(full, fin, "victim", below)
    d.figures["offender_sex"] = sex_distribution(full, fin, "offender", below)
    vf = lambda table: _share_words(_share_of(d.figures["victim_sex"], table, "Female", "sex"))  # noqa: E731
    om = lambda table: _share_words(_share_of(d.figures["offender_sex"], table, "Male", "sex"))  # noqa: E731
    t["sex"] = (
        f"Sex was not known or not recorded for {fc(sx['victim_unknown'])} victims and "
        f"{fc(sx['offender_unknown'])} offenders, and differed between records for {fc(sx['victim_conflict'])} "
        f"victims and {fc(sx['offender_conflict'])} offenders of the full table; these people are left out of "
        "the figures and tables below, as the force did. "
        f"In the full table {vf('Full table')} of victims were female and {om('Full table')} of offenders "
        f"male; in the final table {vf('Final table')} and {om('Final table')} (– where no one of known sex "
        "is in the table).")
    d.tables["sex_full"] = sex_combinations(full)
    d.tables["sex_final"] = sex_combinations(fin)
    d.figures["victim_ethnicity"] = ethnicity_distribution(full, fin, "victim", below)
    d.figures["offender_ethnicity"] = ethnicity_distribution(full, fin, "offender", below)
    unk = lambda table: _share_words(_share_of(d.figures["offender_ethnicity"], table,  # noqa: E731
                                               UNKNOWN_ETHNICITY, "ethnicity"), 1)
    t["ethnicity"] = (
        f"The ethnicity of {unk('Full table')} of offenders in the full table and {unk('Final table')} in the "
        "final table is not known (– where the table holds no offender). Combinations of offender and victim "
        "ethnicity are best shown as a heat map; cells count crime–offender–victim rows of the full table; "
        f"cells with 1 to {below - 1} rows are shown as <{below} in one neutral grey, so that their colour "
        "does not reveal the count.")
    d.figures["ethnicity_heatmap"] = ethnicity_heatmap(full, below)
    top = prolific_offenders(fin)
    d.tables["prolific"] = top["profile"]
    t["prolific"] = (
        f"In the final table, {fc(top['n_offenders'])} offenders were each involved in {top['max_crimes']} "
        "CSA/CSE crimes, the most of any offender. Their sex and ethnicity are below; age is left out because "
        "it varies with the date of each crime." if top["n_offenders"] else
        "The final table holds no offender, so there is no most prolific offender to describe.")
    d.figures["timeline"] = crimes_per_year(full, fin, since=None, suppress_below=below)
    return d
