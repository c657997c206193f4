"""Generated data in LEAF's FEMNIST JSON format, of FEMNIST's size per user, for timing the
reader (the real FEMNIST cannot be downloaded on these machines): USERS users spread over FILES
files per folder (LEAF writes 100 users per file), 150-299 training and 20-39 test images each,
784 values per image written as LEAF writes them (x/255 at full precision, 70% of them 1.0, the
white background), random labels 0-61.
Usage: /usr/bin/python3 bench/leaf_like.py OUT [USERS=300] [FILES=3] [SEED=1]
Then, e.g.: ./demlearn simulate --dataset femnist --data-dir OUT --agents all --rounds 1
"""
import json, os, sys
import numpy as np

out = sys.argv[1]
users = int(sys.argv[2]) if len(sys.argv) > 2 else 300
files = int(sys.argv[3]) if len(sys.argv) > 3 else 3
rng = np.random.default_rng(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
for split, lo, hi in (("train", 150, 300), ("test", 20, 40)):
    os.makedirs(f"{out}/{split}", exist_ok=True)
    for f in range(files):
        names = [f"f{u:04d}_{u % 97:02d}" for u in range(f, users, files)]
        data = {"users": names, "num_samples": [], "user_data": {}}
        for name in names:
            n = int(rng.integers(lo, hi))
            x = np.where(rng.random((n, 784)) < 0.7, 1.0, rng.integers(0, 255, (n, 784)) / 255.0)
            data["num_samples"].append(n)
            data["user_data"][name] = {"x": x.tolist(), "y": rng.integers(0, 62, n).tolist()}
        with open(f"{out}/{split}/all_data_{f}_niid_{split}.json", "w") as fh:
            json.dump(data, fh)
