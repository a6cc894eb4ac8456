"""Split data/raw.csv into train and test sets (example task scaffolded by `mo init`)."""

import csv
import random
from pathlib import Path

import yaml

params = yaml.safe_load(Path("params.yaml").read_text())["prepare"]
rows = list(csv.DictReader(Path("data/raw.csv").open()))
random.Random(params["seed"]).shuffle(rows)
cut = int(len(rows) * (1 - params["test_fraction"]))
out = Path("data/prepared")
out.mkdir(parents=True, exist_ok=True)
for name, part in (("train.csv", rows[:cut]), ("test.csv", rows[cut:])):
    with (out / name).open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(part)
print(f"prepared {cut} training rows and {len(rows) - cut} test rows")
