"""Split the raw data into train and test sets."""

from pathlib import Path

import pandas as pd
import yaml
from sklearn.model_selection import train_test_split

params = yaml.safe_load(Path("params.yaml").read_text())["prepare"]
frame = pd.read_csv("data/wine.csv")
train, test = train_test_split(frame, test_size=params["test_size"], random_state=params["seed"],
                               stratify=frame["target"])
Path("data/split").mkdir(parents=True, exist_ok=True)
train.to_csv("data/split/train.csv", index=False)
test.to_csv("data/split/test.csv", index=False)
print(f"train {len(train)} rows, test {len(test)} rows")
