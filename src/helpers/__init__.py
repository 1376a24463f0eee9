"""cse-network: find, link and rank child sexual exploitation networks in police records.

One module per pipeline stage (extraction, filtering, linking, plots, harm,
network) beside synth, config, runner, report and cli.
"""
__version__ = "0.1.0"
