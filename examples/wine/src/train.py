"""Train a random forest on the training split."""

import pickle
from pathlib import Path

import pandas as pd
import yaml
from sklearn.ensemble import RandomForestClassifier

params = yaml.safe_load(Path("params.yaml").read_text())["train"]
train = pd.read_csv("data/split/train.csv")
model = RandomForestClassifier(n_estimators=params["n_estimators"], max_depth=params["max_depth"],
                               random_state=params["seed"])
model.fit(train.drop(columns="target"), train["target"])
Path("models").mkdir(exist_ok=True)
Path("models/model.pkl").write_bytes(pickle.dumps(model))
print(f"trained {params['n_estimators']} trees of depth <= {params['max_depth']}")
