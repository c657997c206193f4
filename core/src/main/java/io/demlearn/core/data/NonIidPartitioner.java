package io.demlearn.core.data;

import io.demlearn.core.Seeds;
import io.demlearn.core.data.ImagePool.SampleRef;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.ToIntFunction;

/**
 * The non-IID split of the DemLearn paper's experiments (docs/ALGORITHM.md, "The data"). Agent u
 * holds two labels, u and u+1 (mod the number of classes). Per label it gets {@code basePerLabel}
 * samples plus {@code int(scale * share * N_l)}, where N_l is the number of samples of label l in
 * the pool and the shares are lognormal(0, sigma) draws, one per (label, agent, label slot),
 * normalised to sum to 1 over each label's draws; so each agent-label pair gets on average scale *
 * N_l / (2 * agents) extra samples, with a heavy tail. Samples of a label are dealt in pool order,
 * the base samples to every agent first; each agent's samples are then shuffled and split: the
 * first int(trainFraction * n) for training, the rest for testing.
 *
 * @param scale 0.55 for Fashion-MNIST, 0.4 for MNIST
 */
public record NonIidPartitioner(
    int agents,
    int labelsPerAgent,
    int basePerLabel,
    double scale,
    double sigma,
    double trainFraction) {

  public NonIidPartitioner {
    if (agents < 1) {
      throw new IllegalArgumentException("agents must be >= 1, got " + agents);
    }
    if (labelsPerAgent < 1 || basePerLabel < 0 || scale < 0 || sigma < 0) {
      throw new IllegalArgumentException("bad partitioner settings");
    }
    if (!(trainFraction > 0 && trainFraction < 1)) {
      throw new IllegalArgumentException("train fraction must be in (0, 1), got " + trainFraction);
    }
  }

  /**
   * The paper's settings: 2 labels per agent, 10 base samples per label, lognormal(0, 1), 80/20.
   */
  public static NonIidPartitioner paper(int agents, double scale) {
    return new NonIidPartitioner(agents, 2, 10, scale, 1.0, 0.8);
  }

  public Partition partition(
      String dataset,
      List<SampleRef> pool,
      ToIntFunction<SampleRef> label,
      int classes,
      long seed) {
    List<Deque<SampleRef>> byLabel = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      byLabel.add(new ArrayDeque<>());
    }
    for (SampleRef ref : pool) {
      int l = label.applyAsInt(ref);
      if (l < 0 || l >= classes) {
        throw new DataException(
            "sample " + ref + " has label " + l + ", outside 0.." + (classes - 1));
      }
      byLabel.get(l).add(ref);
    }
    int[] available = byLabel.stream().mapToInt(Deque::size).toArray();
    int[][][] counts = counts(agents, available, classes, seed);
    Shortage shortage = shortage(counts, available, classes);
    if (shortage != null) {
      throw new DataException(
          String.format(
              Locale.ROOT,
              "cannot deal the %s data to %d agents: label %d runs out (agent %d needs %d more of"
                  + " it, %d of its %d samples are left); %s",
              dataset,
              agents,
              shortage.label(),
              shortage.agent(),
              shortage.needed(),
              shortage.left(),
              available[shortage.label()],
              mostThatWork(available, classes, seed)));
    }

    List<List<SampleRef>> dealt = new ArrayList<>();
    for (int u = 0; u < agents; u++) {
      dealt.add(new ArrayList<>());
    }
    for (int[][] pass : counts) {
      for (int u = 0; u < agents; u++) {
        for (int j = 0; j < labelsPerAgent; j++) {
          Deque<SampleRef> queue = byLabel.get((u + j) % classes);
          for (int k = 0; k < pass[u][j]; k++) {
            dealt.get(u).add(queue.poll());
          }
        }
      }
    }

    List<Partition.AgentPlan> plans = new ArrayList<>();
    for (int u = 0; u < agents; u++) {
      List<SampleRef> mine = dealt.get(u);
      int[] order = new int[mine.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      Seeds.shuffle(order, Seeds.random(seed, "partition-shuffle", u));
      int nTrain = (int) (trainFraction * order.length);
      List<SampleRef> train = new ArrayList<>();
      List<SampleRef> test = new ArrayList<>();
      for (int i = 0; i < order.length; i++) {
        (i < nTrain ? train : test).add(mine.get(order[i]));
      }
      List<Integer> labels = new ArrayList<>();
      for (int j = 0; j < labelsPerAgent; j++) {
        labels.add((u + j) % classes);
      }
      plans.add(
          new Partition.AgentPlan(
              agentId(u), List.copyOf(labels), List.copyOf(train), List.copyOf(test)));
    }
    return new Partition(dataset, List.copyOf(plans));
  }

  /** Where dealing runs out: the first agent short of a label, in dealing order. */
  private record Shortage(int label, int agent, int needed, int left) {}

  /**
   * How many samples each agent takes of each of its labels, per pass: {@code [pass][agent][slot]}
   * (pass 0: the base samples; pass 1: the lognormal shares of the pool).
   */
  private int[][][] counts(int n, int[] available, int classes, long seed) {
    double[][][] share =
        shares(Seeds.random(seed, "partition-shares", 0), classes, n, labelsPerAgent, sigma);
    int[][][] counts = new int[2][n][labelsPerAgent];
    for (int u = 0; u < n; u++) {
      for (int j = 0; j < labelsPerAgent; j++) {
        int l = (u + j) % classes;
        counts[0][u][j] = basePerLabel;
        counts[1][u][j] = (int) (scale * share[l][u][j] * available[l]);
      }
    }
    return counts;
  }

  /**
   * One lognormal(0, sigma) draw per (label, agent, slot), in that order, normalised to sum to 1
   * over each label's draws: {@code [label][agent][slot]}.
   */
  static double[][][] shares(
      SplittableRandom random, int classes, int agents, int slots, double sigma) {
    double[][][] share = new double[classes][agents][slots];
    for (int l = 0; l < classes; l++) {
      double sum = 0;
      for (int u = 0; u < agents; u++) {
        for (int j = 0; j < slots; j++) {
          share[l][u][j] = Math.exp(sigma * random.nextGaussian());
          sum += share[l][u][j];
        }
      }
      for (int u = 0; u < agents; u++) {
        for (int j = 0; j < slots; j++) {
          share[l][u][j] /= sum;
        }
      }
    }
    return share;
  }

  /** The first shortage when dealing these counts, or null if every agent gets its samples. */
  private Shortage shortage(int[][][] counts, int[] available, int classes) {
    int[] left = available.clone();
    for (int[][] pass : counts) {
      for (int u = 0; u < pass.length; u++) {
        for (int j = 0; j < labelsPerAgent; j++) {
          int l = (u + j) % classes;
          if (left[l] < pass[u][j]) {
            return new Shortage(l, u, pass[u][j], left[l]);
          }
          left[l] -= pass[u][j];
        }
      }
    }
    return null;
  }

  /**
   * The largest agent count below this one whose split can be dealt from the same pool and seed
   * (what the data needs grows with the agents: the base samples alone take {@code basePerLabel}
   * per agent and label), as advice for the message.
   */
  private String mostThatWork(int[] available, int classes, long seed) {
    int lo = 0;
    int hi = agents - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) / 2;
      if (shortage(counts(mid, available, classes, seed), available, classes) == null) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    while (lo > 0 && shortage(counts(lo, available, classes, seed), available, classes) != null) {
      lo--;
    }
    return lo == 0
        ? "no number of agents can be dealt from it"
        : "at most " + lo + " agents can be dealt from it (or use a larger data set)";
  }

  /** The id of agent number {@code u}: {@code agent-007}. */
  public static String agentId(int u) {
    return String.format(Locale.ROOT, "agent-%03d", u);
  }
}
