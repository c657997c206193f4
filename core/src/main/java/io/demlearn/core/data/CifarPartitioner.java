package io.demlearn.core.data;

import io.demlearn.core.Seeds;
import io.demlearn.core.data.ImagePool.SampleRef;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The non-IID split of the paper's CIFAR-10 experiments (the authors' generate_niid_50users.py),
 * dealt from the training images followed by the test images. Agent u holds three labels, u, u+1
 * and u+2 (mod 10). It first gets 10 samples of each, every agent in turn; then, for each of its
 * label slots, {@code int(share * (N_l - agents)) * a + b + 200} more, where N_l is the number of
 * samples of label l, the shares are lognormal(0, 2) draws normalised to sum to 1 over each label's
 * slots, a is uniform in 1..10 and b uniform in 10..200; twice that with 20 agents or fewer. A slot
 * whose samples the label no longer has is skipped, as in their script. Each agent's samples are
 * then split 80/20, stratified by label (per label, a fifth rounded up is for testing).
 *
 * <p>One difference, on purpose: their script indexes the shares by {@code u // (agents / 10)}, so
 * that blocks of agents share a draw; here each agent has its own draws (the same distribution per
 * agent).
 */
public final class CifarPartitioner {
  static final int LABELS_PER_AGENT = 3;
  static final int BASE_PER_LABEL = 10;
  static final double SIGMA = 2.0;
  static final double TEST_FRACTION = 0.2;

  private final int agents;

  public CifarPartitioner(int agents) {
    if (agents < 1) {
      throw new IllegalArgumentException("agents must be >= 1, got " + agents);
    }
    this.agents = agents;
  }

  public Partition partition(ImagePool pool, long seed) {
    int classes = CifarReader.CLASSES;
    List<Deque<SampleRef>> byLabel = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      byLabel.add(new ArrayDeque<>());
    }
    for (SampleRef ref : pool.dealingPool(0)) {
      byLabel.get(pool.label(ref)).add(ref);
    }
    int[] available = byLabel.stream().mapToInt(Deque::size).toArray();
    List<List<SampleRef>> dealt = new ArrayList<>();
    for (int u = 0; u < agents; u++) {
      dealt.add(new ArrayList<>());
    }
    for (int u = 0; u < agents; u++) {
      for (int j = 0; j < LABELS_PER_AGENT; j++) {
        int l = (u + j) % classes;
        Deque<SampleRef> queue = byLabel.get(l);
        if (queue.size() < BASE_PER_LABEL) {
          throw new DataException(
              String.format(
                  Locale.ROOT,
                  "cannot deal the cifar10 data of %s to %d agents: label %d runs out at agent %d"
                      + " (each agent takes %d samples of each of its 3 labels first; the label has"
                      + " %d); use fewer agents or a larger data set",
                  pool.dir(),
                  agents,
                  l,
                  u,
                  BASE_PER_LABEL,
                  available[l]));
        }
        for (int k = 0; k < BASE_PER_LABEL; k++) {
          dealt.get(u).add(queue.poll());
        }
      }
    }
    double[][][] share =
        NonIidPartitioner.shares(
            Seeds.random(seed, "cifar-shares", 0), classes, agents, LABELS_PER_AGENT, SIGMA);
    SplittableRandom extras = Seeds.random(seed, "cifar-extras", 0);
    for (int u = 0; u < agents; u++) {
      for (int j = 0; j < LABELS_PER_AGENT; j++) {
        int l = (u + j) % classes;
        long n = (long) (share[l][u][j] * (available[l] - agents));
        int b = 10 + extras.nextInt(191);
        int a = 1 + extras.nextInt(10);
        n = n * a + b + 200;
        if (agents <= 20) {
          n *= 2;
        }
        Deque<SampleRef> queue = byLabel.get(l);
        if (n < queue.size()) {
          for (long k = 0; k < n; k++) {
            dealt.get(u).add(queue.poll());
          }
        }
      }
    }
    List<Partition.AgentPlan> plans = new ArrayList<>();
    for (int u = 0; u < agents; u++) {
      plans.add(split(u, dealt.get(u), pool, classes, seed));
    }
    return new Partition("cifar10", List.copyOf(plans));
  }

  /** Agent u's samples in a random order, a fifth of each label (rounded up) for testing. */
  private static Partition.AgentPlan split(
      int u, List<SampleRef> mine, ImagePool pool, int classes, long seed) {
    int[] perLabel = new int[classes];
    for (SampleRef ref : mine) {
      perLabel[pool.label(ref)]++;
    }
    int[] testLeft = new int[classes];
    for (int c = 0; c < classes; c++) {
      testLeft[c] = (int) Math.ceil(TEST_FRACTION * perLabel[c]);
    }
    int[] order = new int[mine.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Seeds.shuffle(order, Seeds.random(seed, "partition-shuffle", u));
    List<SampleRef> train = new ArrayList<>();
    List<SampleRef> test = new ArrayList<>();
    for (int i : order) {
      SampleRef ref = mine.get(i);
      int l = pool.label(ref);
      if (testLeft[l] > 0) {
        testLeft[l]--;
        test.add(ref);
      } else {
        train.add(ref);
      }
    }
    List<Integer> labels = new ArrayList<>();
    for (int j = 0; j < LABELS_PER_AGENT; j++) {
      labels.add((u + j) % classes);
    }
    return new Partition.AgentPlan(
        NonIidPartitioner.agentId(u), List.copyOf(labels), List.copyOf(train), List.copyOf(test));
  }
}
