"""Harm weights (CCHI and ONS CSS) and the harm of crimes, people and groups.

Harm is the reason the network is ranked at all, so every weight carries its
edition, status and citation, and a crime whose offence code has no weight is
counted and reported rather than quietly scored zero. The project ships
`data/reference/harm_weights.csv`; a force replaces its rows with the official
files through `load_ons_datatool` / `load_cchi_workbook` and `merge_weights`.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .config import resolve_path

INDICES = ("cchi", "ons_css")
STATUSES = ("official", "secondary", "illustrative")
WEIGHT_COLUMNS = ["index", "edition", "ho_code", "weight", "status", "citation"]
# Short column suffix per index in the harm tables (harm_cchi, harm_ons).
SUFFIX = {"cchi": "cchi", "ons_css": "ons"}
ONS_SHEET = "List of weights"
CCHI_SHEET = "CCHI 2026 values sheet"


class HarmWeightsError(ValueError):
    """The weights file or an official workbook is not in the expected layout."""


def normalise_code(code: object) -> str | None:
    """'019c', ' 19C', 19.0 -> '19C' / '19': the join key between crimes and weights."""
    if code is None or (isinstance(code, float) and math.isnan(code)) or code is pd.NA:
        return None
    s = str(code).strip().upper()
    s = re.sub(r"\.0$", "", s)
    m = re.fullmatch(r"0*(\d+)\s*([A-Z]*)", s)
    if m:
        s = m.group(1) + m.group(2)
    return s or None


# ---------------------------------------------------------------- weights file
def load_weights(path: str | Path) -> pd.DataFrame:
    """Read and check the shipped weights (one row per index and HO code)."""
    p = resolve_path(path)
    df = pd.read_csv(p, dtype={"index": str, "edition": str, "ho_code": str, "status": str, "citation": str})
    missing = [c for c in WEIGHT_COLUMNS if c not in df.columns]
    if missing:
        raise HarmWeightsError(f"{p}: missing column(s) {missing}; expected {WEIGHT_COLUMNS}.")
    df = df[WEIGHT_COLUMNS].copy()
    df["ho_code"] = df["ho_code"].map(normalise_code)
    df["weight"] = pd.to_numeric(df["weight"], errors="coerce")
    checks = {
        "index not in cchi/ons_css": ~df["index"].isin(INDICES),
        "status not official/secondary/illustrative": ~df["status"].isin(STATUSES),
        "weight missing or not > 0": ~(df["weight"] > 0),
        "citation empty": df["citation"].fillna("").str.strip().eq(""),
        "ho_code empty": df["ho_code"].isna(),
        "duplicate (index, ho_code)": df.duplicated(["index", "ho_code"], keep=False),
    }
    for what, bad in checks.items():
        if bad.any():
            row = df.loc[bad].iloc[0].to_dict()
            raise HarmWeightsError(f"{p}: {int(bad.sum())} row(s) with {what}, e.g. {row}. Fix the file.")
    return df.sort_values(["index", "ho_code"], kind="mergesort").reset_index(drop=True)


def merge_weights(base: pd.DataFrame, newer: pd.DataFrame) -> pd.DataFrame:
    """Rows of `newer` (e.g. official) replace `base` rows of the same index and code."""
    key = ["index", "ho_code"]
    kept = base.merge(newer[key], on=key, how="left", indicator=True)
    kept = kept.loc[kept["_merge"] == "left_only", base.columns]
    out = pd.concat([kept, newer[WEIGHT_COLUMNS]], ignore_index=True)
    return out.sort_values(key, kind="mergesort").reset_index(drop=True)


def status_summary(weights: pd.DataFrame) -> pd.DataFrame:
    """How many codes per index carry each status (for the notebook's caveats)."""
    return (weights.groupby(["index", "status"]).size().rename("n_codes").reset_index())


# ---------------------------------------------------------- official loaders
def _read_sheet(path: Path, sheet: str) -> pd.DataFrame:
    """Raw cells of one sheet (xlsx via openpyxl) or of a CSV export of it."""
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path, header=None, dtype=str, keep_default_na=False)
    try:
        return pd.read_excel(path, sheet_name=sheet, header=None, dtype=str)
    except ImportError as exc:  # openpyxl (xlsx) or xlrd (xls) missing
        raise HarmWeightsError(
            f"Cannot read {path.name}: {exc}. Install openpyxl (and save .xls as .xlsx), "
            f"or export sheet '{sheet}' to CSV and pass that file."
        ) from None
    except ValueError as exc:
        raise HarmWeightsError(f"{path.name}: no sheet '{sheet}' ({exc}).") from None


def _header_frame(raw: pd.DataFrame, needed: list[str], path: Path) -> pd.DataFrame:
    """Find the row holding all `needed` headers (row 7 in the ONS tool) and use it."""
    for i in range(min(len(raw), 30)):
        cells = [str(c).strip() if c is not None and str(c) != "nan" else "" for c in raw.iloc[i]]
        if all(n in cells for n in needed):
            body = raw.iloc[i + 1:].copy()
            body.columns = cells
            return body.loc[:, [c for c in cells if c]].reset_index(drop=True)
    raise HarmWeightsError(f"{path.name}: no header row with columns {needed} in the first 30 rows.")


def _title_key(title: object) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(title).lower()).strip()


def load_ons_datatool(path: str | Path, edition: str, ho_codes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ONS data tool, sheet 'List of weights' (header on row 7: 'Offence category', 'Weight').

    The sheet names offences, not codes. A category is matched to an HO code
    when it starts with the code (e.g. '19C Rape of ...') or when its title
    equals an HO title of `ho_codes` (ho_code, ho_title) ignoring case and
    punctuation. Returns (weights rows with status 'official', unmatched
    categories) so nothing is dropped silently.
    """
    p = resolve_path(path)
    body = _header_frame(_read_sheet(p, ONS_SHEET), ["Offence category", "Weight"], p)
    body = body.loc[body["Offence category"].fillna("").str.strip().ne("")].copy()
    body["weight"] = pd.to_numeric(body["Weight"], errors="coerce")
    body = body.loc[body["weight"].notna()]
    by_title = {_title_key(t): normalise_code(c)
                for c, t in zip(ho_codes["ho_code"], ho_codes["ho_title"], strict=False)}
    known = {normalise_code(c) for c in ho_codes["ho_code"]}

    def match(cat: str) -> str | None:
        m = re.match(r"\s*(\d+[A-Za-z]?)\b", cat)
        if m and normalise_code(m.group(1)) in known:
            return normalise_code(m.group(1))
        return by_title.get(_title_key(cat))

    body["ho_code"] = body["Offence category"].map(match)
    unmatched = body.loc[body["ho_code"].isna(), ["Offence category", "weight"]].reset_index(drop=True)
    hit = body.loc[body["ho_code"].notna()].drop_duplicates("ho_code", keep="first")
    out = pd.DataFrame({
        "index": "ons_css", "edition": edition, "ho_code": hit["ho_code"], "weight": hit["weight"].astype(float),
        "status": "official",
        "citation": "ONS Crime Severity Score data tool, sheet 'List of weights', category '"
        + hit["Offence category"].str.strip() + "'",
    })
    return out[WEIGHT_COLUMNS].reset_index(drop=True), unmatched


CCHI_COLUMNS = ["ATHENA URN", "FULL_OFFENCE_TITLE", "CCHI Score", "Starting Point", "GROUP", "SUB_GROUP",
                "SUB_SUB_GROUP", "HOME_OFFICE_CLASSIFICATION", "HO_CODE", "HO_SUB_CODE", "HO_SUB_SUB_CODE"]


def cchi_ho_code(ho_code: object, sub_code: object) -> str | None:
    """HO_CODE 19 + HO_SUB_CODE 'C' -> '19C'; a sub code that is already a full code is used as is.

    A numeric or empty sub code leaves the bare HO_CODE, so those rows pool
    under it; HO_SUB_SUB_CODE never splits a code.
    """
    base = normalise_code(ho_code)
    sub = normalise_code(sub_code)
    if base is None:
        return sub
    if sub and re.fullmatch(r"[A-Z]+", sub):
        return base + sub
    if sub and re.fullmatch(r"\d+[A-Z]+", sub) and sub.startswith(base):
        return sub
    return base


def load_cchi_workbook(path: str | Path, edition: str) -> pd.DataFrame:
    """CCHI workbook, sheet 'CCHI 2026 values sheet': one weight per HO code.

    Rule for several rows per code: the weight is the MEDIAN of the rows'
    'CCHI Score' (robust to one unusually severe or lenient title; with an
    even number of rows, the mean of the middle two). The citation records
    how many rows were pooled and their range.
    """
    p = resolve_path(path)
    body = _header_frame(_read_sheet(p, CCHI_SHEET), ["CCHI Score", "HO_CODE", "HO_SUB_CODE"], p)
    body["score"] = pd.to_numeric(body["CCHI Score"], errors="coerce")
    body["ho_code"] = [cchi_ho_code(a, b) for a, b in zip(body["HO_CODE"], body["HO_SUB_CODE"], strict=False)]
    body = body.loc[body["score"].notna() & body["ho_code"].notna()]
    agg = body.groupby("ho_code", sort=True)["score"].agg(["median", "size", "min", "max"]).reset_index()
    out = pd.DataFrame({
        "index": "cchi", "edition": edition, "ho_code": agg["ho_code"], "weight": agg["median"].astype(float),
        "status": "official",
        "citation": [f"Cambridge Crime Harm Index workbook, sheet '{CCHI_SHEET}': median CCHI Score of {n} row(s) "
                     f"(range {lo:g}-{hi:g})" for n, lo, hi in zip(agg["size"], agg["min"], agg["max"], strict=False)],
    })
    return out[WEIGHT_COLUMNS]


# --------------------------------------------------------------------- harm
def crime_harm(full_table: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct full-table crime with its two weights (NaN = no weight)."""
    crimes = (full_table[["crime_id", "ho_offence_code", "crime_date"]]
              .drop_duplicates("crime_id").reset_index(drop=True))
    crimes["ho_code"] = crimes["ho_offence_code"].map(normalise_code)
    for idx in INDICES:
        w = weights.loc[weights["index"] == idx, ["ho_code", "weight", "status"]]
        w = w.rename(columns={"weight": f"harm_{SUFFIX[idx]}", "status": f"status_{SUFFIX[idx]}"})
        crimes = crimes.merge(w, on="ho_code", how="left")
    return crimes.sort_values("crime_id", kind="mergesort").reset_index(drop=True)


def unweighted(crimes: pd.DataFrame) -> pd.DataFrame:
    """Crimes with no weight, per index and recorded code: counted, never dropped."""
    rows = []
    for idx in INDICES:
        miss = crimes.loc[crimes[f"harm_{SUFFIX[idx]}"].isna()]
        for code, n in miss["ho_code"].fillna("(none)").value_counts().sort_index().items():
            rows.append(dict(index=idx, ho_code=code, n_crimes=int(n)))
    return pd.DataFrame(rows, columns=["index", "ho_code", "n_crimes"])


def person_harm(full_table: pd.DataFrame, crimes: pd.DataFrame) -> pd.DataFrame:
    """Per offender: harm summed over their DISTINCT full-table crimes (a crime with
    three victims counts once), with how many of those crimes had no weight."""
    pairs = full_table[["offender_id", "crime_id"]].drop_duplicates()
    m = pairs.merge(crimes, on="crime_id", how="left")
    m["miss_cchi"] = m["harm_cchi"].isna().astype(int)
    m["miss_ons"] = m["harm_ons"].isna().astype(int)
    g = m.groupby("offender_id", sort=True)
    out = pd.DataFrame({
        "n_crimes": g["crime_id"].size(),
        "harm_cchi": g["harm_cchi"].sum(),
        "harm_ons": g["harm_ons"].sum(),
        "n_unweighted_cchi": g["miss_cchi"].sum(),
        "n_unweighted_ons": g["miss_ons"].sum(),
        "last_crime_date": g["crime_date"].max(),
    })
    return out.rename_axis("person_id").reset_index()


def group_harm(full_table: pd.DataFrame, crimes: pd.DataFrame, membership: pd.DataFrame) -> pd.DataFrame:
    """Per group: harm of the distinct crimes of its offenders. A crime two members
    committed together counts once for the group (summing people would count it twice)."""
    pairs = full_table[["offender_id", "crime_id"]].drop_duplicates()
    m = pairs.merge(membership[["person_id", "group_id"]], left_on="offender_id", right_on="person_id")
    m = m[["group_id", "crime_id"]].drop_duplicates().merge(crimes, on="crime_id", how="left")
    g = m.groupby("group_id", sort=True)
    return pd.DataFrame({
        "n_crimes": g["crime_id"].size(),
        "harm_cchi": g["harm_cchi"].sum(),
        "harm_ons": g["harm_ons"].sum(),
        "last_crime_date": g["crime_date"].max(),
    }).reset_index()


def concentration(people: pd.DataFrame, shares: tuple[float, ...] = (0.01, 0.05, 0.10)) -> pd.DataFrame:
    """Share of all offender harm held by the top 1%, 5%, 10% of offenders (ceil of the share)."""
    rows = []
    n = len(people)
    for idx in INDICES:
        col = f"harm_{SUFFIX[idx]}"
        h = np.sort(people[col].fillna(0).to_numpy(float))[::-1]
        total = h.sum()
        for s in shares:
            k = max(1, math.ceil(s * n)) if n else 0
            rows.append(dict(index=idx, top_share=s, n_offenders=k,
                             harm_share=float(h[:k].sum() / total) if total > 0 else float("nan")))
    return pd.DataFrame(rows)


def illustrative_share(crimes: pd.DataFrame) -> dict[str, float]:
    """Share of each index's total harm that comes from illustrative weights."""
    out = {}
    for idx in INDICES:
        s = SUFFIX[idx]
        total = crimes[f"harm_{s}"].sum()
        ill = crimes.loc[crimes[f"status_{s}"] == "illustrative", f"harm_{s}"].sum()
        out[idx] = float(ill / total) if total > 0 else float("nan")
    return out


def gini(values) -> float:
    """Gini coefficient (0 = harm spread evenly over the units, 1 = all of it in one unit)."""
    v = np.sort(np.nan_to_num(np.asarray(values, float)))
    n, total = len(v), v.sum()
    if n == 0 or total <= 0:
        return float("nan")
    return float((2 * np.arange(1, n + 1) - n - 1).dot(v) / (n * total))


def concentration_table(people: pd.DataFrame, groups: pd.DataFrame, shares: tuple[float, ...] = (0.01, 0.10),
                        col: str = "harm_cchi") -> pd.DataFrame:
    """Offender- and group-level concentration of one harm column: top shares and Gini.

    Columns unit, units, top_share, n_units, harm_share, gini (the same Gini on
    every row of a unit). The top s of n units is ceil(s * n) units.
    """
    rows = []
    for unit, df in (("offenders", people), ("groups", groups)):
        h = np.sort(df[col].fillna(0).to_numpy(float))[::-1]
        n, total, gi = len(h), h.sum(), gini(h)
        for s in shares:
            k = max(1, math.ceil(s * n)) if n else 0
            rows.append(dict(unit=unit, units=n, top_share=s, n_units=k,
                             harm_share=float(h[:k].sum() / total) if total > 0 else float("nan"), gini=gi))
    return pd.DataFrame(rows)


def index_agreement(crimes: pd.DataFrame) -> dict[str, float]:
    """How far the two indices agree on the crimes both weigh: Pearson correlation of the
    per-crime harms and the range of the ONS/CCHI ratio (equal min and max = one index
    is a constant multiple of the other, so it adds no independent information) and the
    Spearman rank correlation (1 = the two indices order crimes the same way)."""
    both = crimes.dropna(subset=["harm_cchi", "harm_ons"])
    both = both.loc[both["harm_cchi"] > 0]
    if len(both) < 2:
        return dict(n_crimes=len(both), correlation=float("nan"), rank_correlation=float("nan"),
                    ratio_min=float("nan"), ratio_max=float("nan"))
    r = both["harm_ons"].to_numpy(float) / both["harm_cchi"].to_numpy(float)
    c = both["harm_cchi"].to_numpy(float)
    o = both["harm_ons"].to_numpy(float)
    corr = float(np.corrcoef(c, o)[0, 1]) if c.std() > 0 and o.std() > 0 else float("nan")
    rank = float(pd.Series(c).rank().corr(pd.Series(o).rank())) if c.std() > 0 and o.std() > 0 else float("nan")
    # rounded: the last bits of a correlation depend on how numpy's SIMD sums fall on memory (the small
    # force gave 1.0 in one run and 0.9999999999999998 in another); twelve places is far below any meaning
    return dict(n_crimes=len(both), correlation=round(corr, 12), rank_correlation=round(rank, 12),
                ratio_min=float(r.min()), ratio_max=float(r.max()))
