#!/usr/bin/env python3
"""Convert the fixed split bench/inputs/fmnist-50agents-seed1.json into the
JSON format read by Dem-AI utils/model_utils.read_data('fmnist'):
  data/fmnist/data/train/fashion_train.json, data/fmnist/data/test/fashion_test.json
  each = {'users': [...], 'user_data': {uname: {'x': [[784 floats]...], 'y': [floats]}}, 'num_samples': [...]}
(same structure/naming as data/fmnist/generate_niid_50users.py: uname 'f_{:05d}', y stored as float labels).
Normalisation: x/255, then (x-mean)/(std+0.001) with mean/std over the 65000-image pool train[5000:]+t10k."""
import gzip, json, os, sys
import numpy as np

SRC = '/usr/share/datasets/fashion-mnist'
SPLIT = sys.argv[2] if len(sys.argv) > 2 else 'bench/inputs/fmnist-50agents-seed1.json'
OUT = sys.argv[1]  # usage: convert_fmnist.py OUT_DIR [SPLIT_FILE]

def idx_images(p):
    with gzip.open(p, 'rb') as f:
        b = f.read()
    assert int.from_bytes(b[0:4], 'big') == 2051
    n, r, c = (int.from_bytes(b[i:i+4], 'big') for i in (4, 8, 12))
    return np.frombuffer(b, dtype=np.uint8, offset=16).reshape(n, r * c)

def idx_labels(p):
    with gzip.open(p, 'rb') as f:
        b = f.read()
    assert int.from_bytes(b[0:4], 'big') == 2049
    n = int.from_bytes(b[4:8], 'big')
    return np.frombuffer(b, dtype=np.uint8, offset=8)[:n]

imgs = {'train': idx_images(f'{SRC}/train-images-idx3-ubyte.gz'), 't10k': idx_images(f'{SRC}/t10k-images-idx3-ubyte.gz')}
labs = {'train': idx_labels(f'{SRC}/train-labels-idx1-ubyte.gz'), 't10k': idx_labels(f'{SRC}/t10k-labels-idx1-ubyte.gz')}
assert imgs['train'].shape == (60000, 784) and imgs['t10k'].shape == (10000, 784)

x01 = {k: v.astype(np.float64) / 255.0 for k, v in imgs.items()}
pool = np.concatenate([x01['train'][5000:], x01['t10k']], axis=0)
assert pool.shape[0] == 65000
mu, sigma = pool.mean(), pool.std()
print('pool mean %.10f std %.10f' % (mu, sigma))
norm = {k: ((v - mu) / (sigma + 0.001)).astype(np.float32) for k, v in x01.items()}

split = json.load(open(SPLIT))
agents = split['agents']
assert len(agents) == 50
train = {'users': [], 'user_data': {}, 'num_samples': []}
test = {'users': [], 'user_data': {}, 'num_samples': []}

def gather(refs):
    xs, ys = [], []
    for r in refs:
        src, i = r.split(':'); i = int(i)
        xs.append([float(v) for v in norm[src][i]])
        ys.append(float(labs[src][i]))
    return xs, ys

mapping = []
for k, a in enumerate(agents):
    uname = 'f_{0:05d}'.format(k)          # sorted(uname) order == file order
    xtr, ytr = gather(a['train']); xte, yte = gather(a['test'])
    assert set(int(y) for y in ytr + yte) <= set(a['labels']), (a['id'], a['labels'])
    for d, xs, ys in ((train, xtr, ytr), (test, xte, yte)):
        d['users'].append(uname); d['user_data'][uname] = {'x': xs, 'y': ys}; d['num_samples'].append(len(xs))
    mapping.append((uname, a['id'], len(xtr), len(xte)))

assert sorted(train['users']) == train['users']
os.makedirs(f'{OUT}/train', exist_ok=True); os.makedirs(f'{OUT}/test', exist_ok=True)
with open(f'{OUT}/train/fashion_train.json', 'w') as f: json.dump(train, f)
with open(f'{OUT}/test/fashion_test.json', 'w') as f: json.dump(test, f)
print('train samples', sum(train['num_samples']), 'test samples', sum(test['num_samples']))
for m in mapping[:3] + mapping[-2:]: print(m)
