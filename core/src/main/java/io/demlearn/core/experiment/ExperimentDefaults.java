package io.demlearn.core.experiment;

import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import io.demlearn.core.data.DataSetKind;
import io.demlearn.core.data.ImagePool;
import io.demlearn.core.model.ModelKind;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Every default of an experiment, in one place: the authors' settings (Setting.py and
 * serverbase_dem.py of their code), per algorithm and per data set where they differ. The command
 * line shows these in its help and {@link ExperimentSettingsBuilder} fills them in.
 */
public final class ExperimentDefaults {
  public static final int AGENTS = 50;
  public static final int ROUNDS = 100;
  public static final long SEED = 1;
  public static final double LEARNING_RATE = 0.05;
  public static final int BATCH_SIZE = 10;
  public static final int LOCAL_EPOCHS = 2;
  public static final int LEVELS = 3;
  public static final int RECLUSTER_EVERY = 1;

  /** Amplify is off unless asked for; the authors' code uses 1.15 in rounds 0-4. */
  public static final double AMPLIFY = 1.0;

  public static final int AMPLIFY_ROUNDS = 5;
  public static final double MU_DEMLEARN_P = 0.002;

  /** The authors' code uses this for FedProx. */
  public static final double MU_FEDPROX = 0.5;

  public static final double ALPHA = 0.7;
  public static final double ALPHA_MNIST = 0.6;
  public static final ModelKind MODEL = ModelKind.MLR;
  public static final Algorithm ALGORITHM = Algorithm.DEMLEARN_P;
  public static final Metric METRIC = Metric.EUCLIDEAN;
  public static final Linkage LINKAGE = Linkage.AVERAGE;

  /** Evaluate every round. */
  public static final int EVAL_EVERY = 1;

  /** Every agent trains in every round. */
  public static final double SAMPLE_FRACTION = 1.0;

  /** Up to this many agents, clustering uses the full parameters (exact distances). */
  public static final int EXACT_CLUSTERING_UP_TO = 2000;

  /**
   * Above {@link #EXACT_CLUSTERING_UP_TO} agents, parameters are projected to this many dimensions.
   */
  public static final int PROJECTION_DIMS = 256;

  private ExperimentDefaults() {}

  /**
   * Dimensions of the random projection that clustering uses: 0 (none: exact distances on the full
   * parameters) up to {@link #EXACT_CLUSTERING_UP_TO} agents, {@link #PROJECTION_DIMS} above.
   */
  public static int clusterDims(int agents) {
    return agents <= EXACT_CLUSTERING_UP_TO ? 0 : PROJECTION_DIMS;
  }

  /**
   * The authors' settings per data set (their Setting.py and serverbase_dem.py): learning rate,
   * top-down mixing weight alpha, DemLearn-P's proximal weight mu, and the rounds Amplify applies
   * to when it is on.
   */
  public record PerDataset(double learningRate, double alpha, double mu, int amplifyRounds) {}

  /** Amplify's rounds for CIFAR-10: their code stops amplifying after round 2 for it. */
  public static final int AMPLIFY_ROUNDS_CIFAR = 3;

  /**
   * The authors' settings for a data set: learning rate 0.05 and mu 0.002 for all of MNIST,
   * Fashion-MNIST, FEMNIST and CIFAR-10; alpha 0.6 for MNIST, 0.7 for the others; Amplify (when on)
   * in rounds 0-4, for CIFAR-10 in rounds 0-2. The synthetic set takes Fashion-MNIST's.
   */
  public static PerDataset of(DataSetKind dataset) {
    return switch (dataset) {
      case MNIST -> new PerDataset(LEARNING_RATE, ALPHA_MNIST, MU_DEMLEARN_P, AMPLIFY_ROUNDS);
      case FASHION_MNIST, SYNTHETIC, FEMNIST ->
          new PerDataset(LEARNING_RATE, ALPHA, MU_DEMLEARN_P, AMPLIFY_ROUNDS);
      case CIFAR10 -> new PerDataset(LEARNING_RATE, ALPHA, MU_DEMLEARN_P, AMPLIFY_ROUNDS_CIFAR);
    };
  }

  /** The proximal weight: DemLearn-P the data set's mu, FedProx 0.5, else none. */
  public static double mu(Algorithm algorithm, DataSetKind dataset) {
    return switch (algorithm) {
      case DEMLEARN_P -> of(dataset).mu();
      case FEDPROX -> MU_FEDPROX;
      default -> 0.0;
    };
  }

  /** How group means weigh their members: FedAvg and FedProx by samples, the others by agents. */
  public static Weighting weighting(Algorithm algorithm) {
    return algorithm == Algorithm.FEDAVG || algorithm == Algorithm.FEDPROX
        ? Weighting.SAMPLES
        : Weighting.AGENTS;
  }

  /**
   * The partitioner's share of each label dealt beyond the base samples: 0.4 for MNIST, 0.55 for
   * the others.
   */
  public static double partitionScale(DataSetKind dataset) {
    return dataset == DataSetKind.MNIST ? 0.4 : 0.55;
  }

  /**
   * The data set when none is named: Fashion-MNIST if its files are given (a data directory or a
   * partition file) or Debian's package {@code dataset-fashion-mnist} is installed, else the
   * synthetic set, which needs nothing installed.
   */
  public static String dataset(Path dataDir, Path partitionFile) {
    if (dataDir != null
        || partitionFile != null
        || Files.isDirectory(ImagePool.DEBIAN_FASHION_MNIST)) {
      return "fashion-mnist";
    }
    return "synthetic";
  }

  /** Worker threads: the number of cores. */
  public static int threads() {
    return Runtime.getRuntime().availableProcessors();
  }
}
