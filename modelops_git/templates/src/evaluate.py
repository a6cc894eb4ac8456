"""Score the classifier on the held-out rows (example task scaffolded by `mo init`)."""

import csv
import json
from pathlib import Path

model = json.loads(Path("models/model.json").read_text())
rows = list(csv.DictReader(Path("data/prepared/test.csv").open()))


def predict(row):
    def distance(centroid):
        return sum((float(row[f]) - centroid[f]) ** 2 for f in model["features"])

    return min(model["centroids"], key=lambda label: distance(model["centroids"][label]))


accuracy = sum(predict(r) == r["label"] for r in rows) / len(rows)
Path("metrics").mkdir(exist_ok=True)
Path("metrics/eval.json").write_text(json.dumps({"accuracy": round(accuracy, 4), "rows": len(rows)}, indent=2))
print(f"accuracy {accuracy:.3f} on {len(rows)} rows")
