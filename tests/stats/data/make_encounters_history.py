"""Writes encounters_history.csv: a synthetic Southwest Land Border series, FY2007 to FY2019, in
the Nationwide Encounters layout. Run from this folder: python make_encounters_history.py

Ordinary months follow a fixed formula that keeps them below the special months:
month i (0 = October 2006): apprehensions 30,000 + (7,919 i mod 25,000) (at most 54,999),
inadmissibles 5,000 + (613 i mod 3,500) (at most 8,499). The special months, hand-set:

    2007-02  80,512 apprehensions +  6,020 inadmissibles = 86,532  (the February above 2019's)
    2009-03  68,004 apprehensions +  8,100 inadmissibles = 76,104  (one above February 2019)
    2016-11  ordinary apprehensions + 9,653 inadmissibles          (equal to February 2019's)
    2019-02  66,450 apprehensions +  9,653 inadmissibles = 76,103  (CBP's published totals)
    2019-03 to 2019-09: 90,000 + 1,000 k apprehensions (later months: never compared)

February 2019's apprehensions are split by citizenship: MEXICO 30,112, GUATEMALA 19,047,
HONDURAS 15,021, EL SALVADOR 2,270 (= 66,450). Every other row is MEXICO, Single Adults.
"""

import csv

HEADER = ["Fiscal Year", "Month Grouping", "Month (abbv)", "Component", "Land Border Region",
          "Area of Responsibility", "AOR (Abbv)", "Demographic", "Citizenship",
          "Title of Authority", "Encounter Type", "Encounter Count"]
MONTHS = ["OCT", "NOV", "DEC", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP"]
SPECIAL = {"2007-02": (80512, 6020), "2009-03": (68004, 8100), "2019-02": (66450, 9653)}
FEB_2019 = [("MEXICO", 30112), ("GUATEMALA", 19047), ("HONDURAS", 15021), ("EL SALVADOR", 2270)]


def figures(i: int, month: str) -> tuple[int, int]:
    apprehensions = 30000 + (7919 * i) % 25000
    inadmissibles = 5000 + (613 * i) % 3500
    if month == "2016-11":
        inadmissibles = 9653
    if "2019-03" <= month <= "2019-09":
        apprehensions = 90000 + 1000 * (int(month[5:]) - 3)
    return SPECIAL.get(month, (apprehensions, inadmissibles))


def rows() -> list[list[str]]:
    out, i = [], 0
    for fy in range(2007, 2020):
        for m, abbv in enumerate(MONTHS):
            month = f"{fy - 1 if m < 3 else fy}-{(m + 9) % 12 + 1:02d}"
            apprehended, inadmissible = figures(i, month)
            i += 1
            common = [str(fy), "FYTD" if fy == 2019 else "Prior Year", abbv]
            split = FEB_2019 if month == "2019-02" else [("MEXICO", apprehended)]
            for citizenship, n in split:
                out.append([*common, "U.S. Border Patrol", "Southwest Land Border",
                            "Rio Grande Valley Sector", "RGV", "Single Adults", citizenship,
                            "Title 8", "Apprehensions", f"{n:,}"])
            out.append([*common, "Office of Field Operations", "Southwest Land Border",
                        "Laredo Field Office", "LFO", "Single Adults", "MEXICO", "Title 8",
                        "Inadmissibles", f"{inadmissible:,}"])
    return out


if __name__ == "__main__":
    with open("encounters_history.csv", "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows())
