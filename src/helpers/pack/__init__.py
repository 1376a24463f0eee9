"""The intelligence pack: the analysts' own restricted view of a run (OUT/restricted/intelligence_pack.html).

`columns` holds every table and column name the pack reads, `data` assembles the frames,
`reasons` turns link evidence into plain language, `draw` draws a group's network, `html`
writes the self-contained page, and `stage.run_stage` (called by notebook 06_intelligence_pack) ties them together
with the change-since-last-run tables (`helpers.changes`) and the exports (`helpers.exports`).
Nothing here imports the committee report's rendering code.
"""
from .stage import run_stage

__all__ = ["run_stage"]
