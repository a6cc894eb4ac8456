"""Score the model on the held-out split."""

import json
import pickle
from pathlib import Path

import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

model = pickle.loads(Path("models/model.pkl").read_bytes())
test = pd.read_csv("data/split/test.csv")
predicted = model.predict(test.drop(columns="target"))
metrics = {
    "accuracy": round(accuracy_score(test["target"], predicted), 4),
    "f1_macro": round(f1_score(test["target"], predicted, average="macro"), 4),
}
Path("metrics").mkdir(exist_ok=True)
Path("metrics/eval.json").write_text(json.dumps(metrics, indent=2))
print(metrics)
