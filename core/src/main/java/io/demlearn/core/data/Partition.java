package io.demlearn.core.data;

import io.demlearn.core.data.ImagePool.SampleRef;
import java.util.ArrayList;
import java.util.List;

/**
 * Which samples of an image pool each agent holds: the output of the paper's partitioner or the
 * content of a partition file. {@link #materialise} turns it into normalised data sets.
 */
public record Partition(String dataset, List<AgentPlan> agents) {
  /** One agent's share. */
  public record AgentPlan(
      String id, List<Integer> labels, List<SampleRef> train, List<SampleRef> test) {}

  /** Pixels scaled to [0, 1] become (x - mean) / divisor. */
  public record Normalisation(double mean, double divisor) {
    public static final double EPSILON = 0.001;

    /** The authors' global z-score of MNIST-like data: (x - mean) / (std + 0.001). */
    public static Normalisation zScore(double mean, double std) {
      return new Normalisation(mean, std + EPSILON);
    }

    public float apply(float scaled) {
      return (float) ((scaled - mean) / divisor);
    }
  }

  /** The first {@code n} agents. */
  public Partition firstAgents(int n) {
    if (n > agents.size()) {
      throw new DataException("asked for " + n + " agents but the partition has " + agents.size());
    }
    return new Partition(dataset, List.copyOf(agents.subList(0, n)));
  }

  /** Every agent's normalised train and test data, in agent order. */
  public List<AgentData> materialise(ImagePool pool, Normalisation norm) {
    List<AgentData> out = new ArrayList<>();
    for (AgentPlan a : agents) {
      out.add(
          new AgentData(
              a.id(), a.labels(), dataset(pool, a.train(), norm), dataset(pool, a.test(), norm)));
    }
    return out;
  }

  private static Dataset dataset(ImagePool pool, List<SampleRef> refs, Normalisation norm) {
    int dim = pool.pixelsPerImage();
    float[] x = new float[refs.size() * dim];
    int[] y = new int[refs.size()];
    for (int i = 0; i < refs.size(); i++) {
      pool.pixels(refs.get(i), x, i * dim);
      y[i] = pool.label(refs.get(i));
    }
    for (int i = 0; i < x.length; i++) {
      x[i] = norm.apply(x[i]);
    }
    return new Dataset(x, y, dim);
  }
}
