"""Writes data/timeseries/macrodata.csv: statsmodels' US macroeconomic data, the 12 series only.

Source: the statsmodels wheel (BSD-3-Clause), `statsmodels/datasets/macrodata/macrodata.csv`
(203 quarters, 1959Q1-2009Q3; public domain per statsmodels' `macrodata/data.py`: FRED, Federal
Reserve Bank of St. Louis, and the Bureau of Labor Statistics). Usage: `pip download statsmodels
--no-deps`, unzip the wheel, then
`python3 tools/statsmodels_series.py DIR/statsmodels/datasets/macrodata/macrodata.csv data/timeseries/macrodata.csv`.

The `year` and `quarter` columns are dropped (the rows stay in time order); the values are copied
as they are. Only the standard library is used.
"""

import csv
import sys


def main(source, target):
    with open(source, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    keep = [i for i, name in enumerate(header) if name not in ("year", "quarter")]
    with open(target, "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow([header[i] for i in keep])
        for row in body:
            out.writerow([row[i] for i in keep])
    print(f"{len(body)} rows, {len(keep)} series: {[header[i] for i in keep]}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
