"""Notebook 06's stage: change since the last run, exports, and the intelligence pack itself."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .. import changes, exports, labels
from .. import progress as prog
from ..config import resolve_path
from . import columns as C
from . import data, draw, html, reasons

MARKING = "OFFICIAL-SENSITIVE \u2014 restricted to Intelligence"
DEFAULT_SEED = 20210315  # config/params.yml's seed: the drawings' layouts are seeded with it

NOMINAL_LABELS = labels.PACK_COLUMNS  # the one label map (config/labels.yml)


def _round(v: object, k: int) -> object:
    try:
        return round(float(v), k)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return v


def _group_section(g: pd.Series, nom: pd.DataFrame, inp: data.Inputs, seed: int,
                   looked_up: reasons.Lookups | None = None) -> tuple[str, str, str]:
    G = C.GROUP
    gid = str(g[G["group"]])
    mem = data.group_members(nom, gid)
    ids = set(mem["person_id"])
    edges = data.group_edges(inp.edges, ids)
    why = reasons.link_reasons(inp.evidence, inp.full, inp.intel, inp.stays, ids, looked_up)
    img = draw.group_png(mem, edges, seed, title=f"group {gid}")
    facts = [("priority", f"{int(g[G['rank']])} ({g[G['band']]})"), ("people", int(g[G["n_people"]])),
             ("offenders", g.get(G["n_offenders"], "")), ("harm CCHI", g.get(G["harm_cchi"], "")),
             ("harm ONS", g.get(G["harm_ons"], "")), ("members in SOC network", g.get(G["soc"], "")),
             ("last activity", str(g.get(G["last"], ""))[:10])]
    if G["stability"] in g.index:
        facts.append(("stability", _round(g[G["stability"]], 2)))
    n_child = int(mem["child_now"].sum())
    fact_html = "".join(f"<span><b>{html.esc(k)}</b>: {html.esc(v)}</span>" for k, v in facts)
    kids = (f'<p class="note routing">{n_child} child{"ren" if n_child != 1 else ""} in this group (yellow '
            f'squares, "S"): safeguarding referral only, never a target.</p>') if n_child else ""
    members = mem.sort_values(["disruption_order", "person_id"], na_position="last")[
        ["person_id", "current_age", "sex", "cse_offender", "disruption_order", "centrality", "harm_cchi",
         "soc_group", "routing"]]
    inner = (f'<div class="facts">{fact_html}</div>{kids}'
             f'<img class="net" alt="network drawing of group {html.esc(gid)}" src="{img}">'
             f"<h3>Why each link is there ({len(why)} links)</h3>"
             + html.plain_table(why[["person_a", "person_b", "link", "reason"]], NOMINAL_LABELS)
             + "<h3>Members</h3>" + html.plain_table(members, NOMINAL_LABELS))
    return f"group-{gid}", f"Priority {int(g[G['rank']])}: group {gid}", inner


def build(out_dir: str | Path, inp: data.Inputs, nom: pd.DataFrame, as_of: str, top_n: int, marking: str,
          seed: int, change: dict | None = None, say: Callable[[str], None] = print,
          max_nominals: int | None = None) -> tuple[str, dict]:
    """The pack's HTML and a few aggregate facts about it (`max_nominals`: the searchable list's cap,
    config/params.yml's pack_max_nominals; None = everyone)."""
    dis, kids_removed = data.disruption(nom)
    soc = data.soc_overlap(nom)
    sg = data.safeguarding_people(inp, nom)
    top = data.top_groups(inp.groups, top_n)
    manifest_file = resolve_path(out_dir) / "manifest.json"
    run_id = json.loads(manifest_file.read_text()).get("run_id", "") if manifest_file.exists() else ""
    notes = "".join(f"<li>{html.esc(n)}</li>" for n in inp.notes) or "<li>every optional input was present</li>"
    about = (f"<p>Extraction date {html.esc(as_of)}. {len(nom)} people in the network, {len(inp.groups)} groups; "
             f"the {len(top)} highest-priority groups have a page each. Centrality is shown as a band: the share "
             "of the network's people at or above the person's centrality. Routing instructions come from the "
             "safeguarding flags and are not part of any score. Ids are the force's person ids: this file is for "
             f"Intelligence only and must not be shared.</p><p>Inputs missing from this run and how the pack "
             f"handles them:</p><ul>{notes}</ul>" + (f"<p>Run {html.esc(run_id)}.</p>" if run_id else ""))
    shown = nom if max_nominals is None else data.lookup_rows(nom, max_nominals)
    capped = "" if len(shown) == len(nom) else (
        f'<p class="note">This list holds {len(shown):,} of the network\'s {len(nom):,} people, so that '
        f"the page still opens in a browser (parameter pack_max_nominals): they are taken by group priority "
        f"(people in no group last), then by disruption order, then by id, and shown by id. Every one of the "
        f"{len(nom):,} is in exports/i2_entities.csv in this run's output folder.</p>")
    sections = [("about", "About this pack", about),
                ("nominals", "Nominals",
                 capped + "<p>Search any column (e.g. an id); click a heading to sort.</p>"
                 + html.datatable(shown.drop(columns=["child_now", "safeguarding"]), "nominals", NOMINAL_LABELS))]
    dis_note = (f'<p class="note">Adults only, in disruption order. {kids_removed} '
                f'child{"ren" if kids_removed != 1 else ""} in the dismantling order '
                f"{'were' if kids_removed != 1 else 'was'} removed from this list and "
                f"{'are' if kids_removed != 1 else 'is'} on the safeguarding list.</p>")
    sections.append(("disruption", "Disruption list (adults only)",
                     dis_note + html.datatable(dis, "disruption", NOMINAL_LABELS)))
    sections.append(("soc", "CSE and SOC overlap",
                     f"<p>{len(soc)} people are in both the CSE network and the SOC network.</p>"
                     + html.datatable(soc, "soc_overlap", NOMINAL_LABELS)))
    t0 = time.time()
    looked_up = reasons.lookups(inp.full, inp.intel, inp.stays)
    for i, (_, g) in enumerate(top.iterrows(), 1):
        sections.append(_group_section(g, nom, inp, seed, looked_up))
        if i % 5 == 0 or i == len(top):
            say(f"pack: drew {i}/{len(top)} groups ({time.time() - t0:.1f} s)")
    if change is not None:
        cg = change["groups"]
        moved = cg.loc[cg["status"] != "same"]
        sections.append(("changes", "Since the last run",
                         f"<p>Compared with {html.esc(change['compare_with'])}: of the previous top "
                         f"{change['top20_of']} groups, {change['top20_kept']} kept their id.</p>"
                         + html.plain_table(change["summary"])
                         + html.datatable(moved, "changes_groups", NOMINAL_LABELS)
                         + html.datatable(change["people"].loc[change["people"]["status"] != "same"],
                                          "changes_people", NOMINAL_LABELS)))
    else:
        sections.append(("changes", "Since the last run",
                         "<p>No earlier run was given (compare_with is unset), so nothing is compared.</p>"))
    if inp.safeguarding_present:
        sg_html = ("<p>Sorted by id only: this list is kept apart from every ranking and routes people to "
                   "safeguarding, never to tasking.</p>" + html.datatable(sg, "safeguarding", NOMINAL_LABELS))
    else:
        sg_html = (f"<p>The safeguarding stage's tables ({html.esc(C.TABLES['safeguarding_people'])}, "
                   f"{html.esc(C.TABLES['safeguarding_victims'])}) are not in this run, so its lists are not "
                   "shown. Below are only the network's people who are children at the extraction date "
                   f"({html.esc(C.NODE['child_now'])} in {html.esc(C.TABLES['nodes'])}), sorted by id, apart "
                   "from every ranking: each is for a safeguarding referral, never for tasking.</p>"
                   + html.datatable(sg, "safeguarding", NOMINAL_LABELS))
    if inp.safeguarding_victims is not None:
        sg_html += "<h3>Victims for safeguarding</h3>" + html.datatable(inp.safeguarding_victims,
                                                                        "safeguarding_victims", NOMINAL_LABELS)
    sections.append(("safeguarding", "Safeguarding (apart from every ranking)", sg_html))
    page = html.page("Intelligence pack: CSE network", marking, sections)
    facts = {"people": len(nom), "people_in_searchable_list": len(shown), "groups_drawn": len(top),
             "disruption_adults": len(dis),
             "children_removed_from_disruption": kids_removed, "soc_overlap": len(soc),
             "safeguarding": len(sg), "notes": list(inp.notes)}
    return page, facts


def run_stage(out_dir: str, as_of: str, pack_top_groups: int = 20, compare_with: str | None = None,
              seed: int = DEFAULT_SEED, pack_marking: str = MARKING, say: Callable[[str], None] | None = print,
              pack_max_nominals: int | None = None) -> dict:
    """Write tables/changes_* (with compare_with), OUT/exports/*, and OUT/restricted/intelligence_pack.html.

    Returns aggregate facts about what was written (counts, sizes, seconds); no identifiers.
    `say=None` (the notebook) sends progress to the runner only (`helpers.progress`).
    `pack_max_nominals` caps the searchable nominal list (None: everyone; the run passes
    config/params.yml's value, ADR 0019).
    """
    if say is None:
        say = prog.say  # the notebook: to the runner only (helpers.progress)
    t0 = time.time()
    if compare_with:
        say("pack: changes since the previous run")
    change = changes.run_stage(out_dir, compare_with, as_of)
    t1 = time.time()
    say("pack: nominal list")
    inp = data.load(out_dir)
    nom = data.nominals(inp, as_of)
    say(f"pack: exports for analysts' tools (GraphML, GEXF, i2; {len(nom):,} people)")
    written = exports.write(out_dir, nom, inp.edges, inp.evidence, inp.intel)
    t2 = time.time()
    say(f"pack: restricted pack page (top {pack_top_groups} groups drawn)")
    page, facts = build(out_dir, inp, nom, as_of, pack_top_groups, pack_marking, seed, change, say,
                        pack_max_nominals)
    dest = resolve_path(out_dir) / "restricted" / "intelligence_pack.html"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(page, encoding="utf-8")
    facts.update(pack_bytes=dest.stat().st_size, seconds_changes=round(t1 - t0, 2),
                 seconds_exports=round(t2 - t1, 2), seconds_pack=round(time.time() - t2, 2),
                 exports={k: Path(v).name for k, v in written.items()})
    if change is not None:
        facts.update(top20_kept=change["top20_kept"], top20_of=change["top20_of"], summary=change["summary"])
    return facts
