"""Generated data of CIFAR-10's shape for the side-by-side CNN benchmark (the real CIFAR-10 cannot
be downloaded on these machines): writes, from one seed,

  OUT/bins/data_batch_1..5.bin, test_batch.bin  CIFAR-10's binary format (label byte + 3x32x32
                                                bytes, planes R, G, B), for ours (--data-dir)
  OUT/split.json                                the agents' samples ("train:i" into the five
                                                training batches in order, "t10k:i" into the test
                                                batch), for ours (--partition-file)
  THEIR_DATA/train/cifar_train.json, THEIR_DATA/test/cifar_test.json
                                                the same agents' samples in the authors' format
                                                (x: 3072 values (x/255 - 0.5)/0.5, y: label)

Images: each class has its own colour and a brighter square at a class-dependent place, plus
Gaussian noise (sd 25 grey levels), so that a CNN can learn them. The split follows the authors'
generate_niid_50users.py recipe (3 labels per agent, 10 base samples per label, lognormal(0, 2)
shares, randint(1,10) and randint(10,200) terms, doubled for 20 agents or fewer, 80/20 per label).

Usage: /usr/bin/python3 cifar_like.py OUT THEIR_DATA [AGENTS=20] [PER_CLASS=1200] [SEED=1]
"""
import json, os, sys
import numpy as np

out, their = sys.argv[1], sys.argv[2]
agents = int(sys.argv[3]) if len(sys.argv) > 3 else 20
per_class = int(sys.argv[4]) if len(sys.argv) > 4 else 1200
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
rng = np.random.default_rng(seed)

n = 10 * per_class
labels = np.tile(np.arange(10, dtype=np.uint8), per_class)
rng.shuffle(labels)
yy, xx = np.mgrid[0:32, 0:32]
images = np.empty((n, 3, 32, 32), dtype=np.uint8)
for c in range(10):
    idx = np.nonzero(labels == c)[0]
    sy, sx = 4 + 12 * (c // 5), 2 + 6 * (c % 5)
    square = (yy >= sy) & (yy < sy + 8) & (xx >= sx) & (xx < sx + 6)
    base = np.array([60 + 40 * ((c + ch) % 4) for ch in range(3)], dtype=np.float64)
    mean = base[:, None, None] + 100.0 * square[None, :, :]
    noisy = mean[None] + rng.normal(0, 25, size=(len(idx), 3, 32, 32))
    images[idx] = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)

# five training batches and one test batch, as CIFAR-10 has them (1/6 of the images for testing)
n_test = n // 6
n_train = n - n_test
os.makedirs(f'{out}/bins', exist_ok=True)
records = np.concatenate([labels[:, None], images.reshape(n, -1)], axis=1)
bounds = np.linspace(0, n_train, 6).astype(int)
for b in range(5):
    records[bounds[b]:bounds[b + 1]].tofile(f'{out}/bins/data_batch_{b + 1}.bin')
records[n_train:].tofile(f'{out}/bins/test_batch.bin')
refs = [f'train:{i}' for i in range(n_train)] + [f't10k:{i}' for i in range(n_test)]

# the authors' CIFAR split over train + test, in order
by_label = [np.nonzero(labels == c)[0].tolist() for c in range(10)]
taken = [0] * 10
mine = [[] for _ in range(agents)]
for u in range(agents):
    for j in range(3):
        l = (u + j) % 10
        mine[u] += by_label[l][taken[l]:taken[l] + 10]
        taken[l] += 10
props = rng.lognormal(0, 2.0, (10, agents, 3))
props = np.array([[[len(v) - agents]] for v in by_label]) * props / np.sum(props, (1, 2), keepdims=True)
for u in range(agents):
    for j in range(3):
        l = (u + j) % 10
        k = int(props[l, u, j]) * int(rng.integers(1, 11)) + int(rng.integers(10, 201)) + 200
        if agents <= 20:
            k *= 2
        if taken[l] + k < len(by_label[l]):
            mine[u] += by_label[l][taken[l]:taken[l] + k]
            taken[l] += k

split = {'dataset': 'cifar10', 'description': f'generated data of CIFAR-10 shape, seed {seed}; '
         'the authors\' CIFAR split recipe', 'agents': []}
train = {'users': [], 'user_data': {}, 'num_samples': []}
test = {'users': [], 'user_data': {}, 'num_samples': []}
norm = lambda i: [round(float(v), 5) for v in (images[i].reshape(-1) / 255.0 - 0.5) / 0.5]
for u in range(agents):
    tr, te = [], []
    for l in sorted({int(labels[i]) for i in mine[u]}):
        of_l = [i for i in mine[u] if labels[i] == l]
        rng.shuffle(of_l)
        k = int(np.ceil(0.2 * len(of_l)))
        te += of_l[:k]; tr += of_l[k:]
    rng.shuffle(tr); rng.shuffle(te)
    split['agents'].append({'id': f'agent-{u:03d}', 'labels': [(u + j) % 10 for j in range(3)],
                            'train': [refs[i] for i in tr], 'test': [refs[i] for i in te]})
    uname = f'f_{u:05d}'
    for d, ids in ((train, tr), (test, te)):
        d['users'].append(uname)
        d['user_data'][uname] = {'x': [norm(i) for i in ids], 'y': [float(labels[i]) for i in ids]}
        d['num_samples'].append(len(ids))
with open(f'{out}/split.json', 'w') as f:
    json.dump(split, f)
os.makedirs(f'{their}/train', exist_ok=True); os.makedirs(f'{their}/test', exist_ok=True)
with open(f'{their}/train/cifar_train.json', 'w') as f:
    json.dump(train, f)
with open(f'{their}/test/cifar_test.json', 'w') as f:
    json.dump(test, f)
sizes = [len(a['train']) + len(a['test']) for a in split['agents']]
print(f'{n} images ({n_train} train, {n_test} test), {agents} agents, {sum(sizes)} samples dealt '
      f'({min(sizes)}-{max(sizes)} per agent)')
