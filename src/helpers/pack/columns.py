"""Every table and column the pack reads, in ONE mapping (the integrator adapts names here only).

Keys are the pack's own names; values are the names in today's tables. Optional entries may be
missing from a run: the pack then says so in its "About this pack" section and falls back
explicitly (e.g. `child_now` derived from current age), never silently.
"""
from __future__ import annotations

TABLES = {
    "nodes": "network_nodes", "groups": "network_groups", "edges": "network_edges",
    "evidence": "edge_evidence", "full": "full_table",
    # optional tables (written by other stages; absent in older runs)
    "safeguarding_people": "safeguarding_people", "safeguarding_victims": "safeguarding_victims",
    "safeguarding_list": "safeguarding_list",
}
# Stage hand-offs under OUT/work/<stage>/ (present while the run is in progress).
WORK = {
    "nominals": ("extraction", "crime_nominals"), "intel": ("extraction", "intel_logs"),
    "stays": ("extraction", "pins_cell_stays"), "soc": ("extraction", "soc_nominals"),
}

NODE = {
    "person": "person_id", "group": "group_id", "offender": "is_cse_offender", "in_soc": "in_soc_network",
    "degree": "degree", "centrality": "centrality", "harm_cchi": "harm_cchi", "harm_ons": "harm_ons",
    "dismantle": "dismantle_rank", "group_dismantle": "group_dismantle_rank",
    # optional
    "child_now": "child_now", "child_offender": "flag_child_offender", "victim_offender": "flag_victim_offender",
}
GROUP = {
    "group": "group_id", "n_people": "n_people", "n_offenders": "n_offenders", "harm_cchi": "harm_cchi",
    "harm_ons": "harm_ons", "rank": "priority_rank", "band": "priority_band", "soc": "soc_overlap",
    "last": "last_activity",
    # optional
    "stability": "stability",
}
EDGE = {"a": "person_a", "b": "person_b", "source": "source", "weight": "weight"}
EVIDENCE = {"a": "person_a", "b": "person_b", "source": "source", "id": "evidence_id", "date": "event_date",
            "other_date": "other_date", "n_people": "n_people", "detail": "detail"}
FULL = {"crime": "crime_id", "title": "offence_title", "date": "crime_date", "offender": "offender_id",
        "victim": "victim_id", "offender_sex": "offender_sex"}
NOMINAL = {"crime": "crime_id", "person": "person_id", "dob": "dob", "sex": "sex"}
INTEL = {"log": "log_id", "date": "log_date", "system": "grading_system", "source_grade": "source_grade",
         "info_grade": "information_grade"}
STAY = {"stay": "stay_id", "establishment": "establishment"}
SOC = {"person": "person_id", "group": "soc_group_id"}
SAFEGUARDING = {"person": "person_id", "child_now": "child_now", "offended_as_child": "offended_as_child",
                "victim_offender": "victim_offender", "routing": "routing", "reasons": "reasons"}
SAFEGUARDING_LIST = {"person": "person_id", "reasons": "reasons"}

# Evidence sources (edge_evidence.source values) and how the pack names and colours them.
SOURCES = {
    "crime": ("shared victim", "#c0392b"),
    "intel": ("intelligence log", "#2471a3"),
    "pins": ("shared prison cell", "#7d3c98"),
    "soc": ("existing SOC network", "#d68910"),
}
