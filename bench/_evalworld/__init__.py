"""Evaluation world for cruce's linkage, written from a list of phenomena only (issue 12 #1).

Written without reading cruce's linkage code or its demo generator; its own name frequency
tables (tables.py: Honduras, Guatemala, El Salvador, Mexico, US Hispanic population, surnames
in rank order with Zipf-like skew, given names with hypocorisms, municipalities). Every rate is a
field of `config.WorldConfig`; the defaults (per person, record or name token):

- population: origin HN 0.27, GT 0.27, SV 0.18, MX 0.20, US-born 0.08; 1-4 agencies
  (0.46/0.33/0.15/0.06) along the route north; within-agency duplicates hn 0.06, gt 0.05,
  sv 0.06, mx 0.09, us 0.16; two given names 0.75.
- false-link traps: siblings 0.14 (both surnames, birthplace, one shared given name in either
  place, 1-14 years apart; travel together 0.6); father/son namesakes 0.05 (19-30 years
  apart, same maternal surname 0.35, "Jr" at the US border 0.3); common surnames are common.
- married women: married 0.45 (over 22); CA/MX write "Zelaya de Santos" 0.3; US uses the
  husband's surname 0.55, of which hyphenated "Zelaya-Santos" 0.35.
- US layouts: maternal dropped 0.45, maternal moved into the given names 0.2, collapsed
  "PEREZLOPEZ" 0.1, hyphenated 0.1, second given name as an initial 0.3, accents always dropped;
  Mexico drops the maternal 0.12; CA agencies drop the second given name 0.12.
- spelling: hypocorism 0.07 per record; per token phonetic variant 0.05 (b/v, s/z/c, ll/y, h,
  k/c/qu, j/g, x/j...), OCR confusion 0.025 (e->c, rn->m...), typo 0.02; accents dropped
  0.35 (CA/MX); upper case by agency; hn_police surnames-first 0.8.
- dates (ISO for FtM): missing 0.04, estimated YYYY-01-01 (year +-1 sometimes) 0.06, year only
  0.05, year-month 0.02, day/month swap 0.12 at the US border / 0.03 elsewhere, typo 0.03.
- nationality (ISO2): missing 0.1; Central Americans at mx/us claim MX 0.18 or a neighbour 0.05;
  demonym/ISO3 confusion to a wrong code 0.03.
- identifiers: national id at home 0.85, abroad 0.25 (HN DNI, GT CUI, SV DUI, CURP-like, SSN-like);
  passport held 0.35, recorded at mx/us 0.6; us_border's A-number 0.7; format noise 0.3,
  digit typo 0.02.
- other: alias 0.08, gender missing 0.06 / wrong 0.01, birthPlace CA 0.75 / MX 0.4 / US 0.15
  (country name), address 0.4 (moved 0.3).

Deterministic per seed (one random.Random); another seed is another draw.
"""
