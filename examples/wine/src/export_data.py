"""Write scikit-learn's bundled wine data set to data/wine.csv (the demo's raw data)."""

from pathlib import Path

from sklearn.datasets import load_wine

frame = load_wine(as_frame=True).frame
Path("data").mkdir(exist_ok=True)
frame.to_csv("data/wine.csv", index=False)
print(f"wrote data/wine.csv: {len(frame)} rows")
