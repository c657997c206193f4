package io.demlearn.core.sim;

import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import io.demlearn.core.model.ModelKind;
import io.demlearn.core.model.TrainingSettings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every setting of an experiment; with the seed, it determines every number the experiment
 * produces. Defaults are the authors' (Setting.py of their code; DESIGN.md section 2). Impossible
 * combinations are refused by name.
 *
 * @param dataset fashion-mnist, mnist or synthetic
 * @param dataDir directory of the IDX files, or null for the default location
 * @param partitionFile a partition file to load the split from, or null to deal it
 * @param agents number of agents
 * @param amplifyRounds rounds (from 0) in which Amplify applies when it is on
 * @param threads worker threads for training and evaluation
 */
public record ExperimentSettings(
    Algorithm algorithm, ModelKind model, String dataset, Path dataDir, Path partitionFile, int agents, int rounds,
    long seed, double learningRate, int batchSize, int localEpochs, double mu, double alpha, int levels,
    int reclusterEvery, double amplify, int amplifyRounds, Metric metric, Linkage linkage, Weighting weighting,
    int threads) {

  public ExperimentSettings {
    require(agents >= 1, "--agents must be >= 1, got " + agents);
    require(rounds >= 1, "--rounds must be >= 1, got " + rounds);
    require(levels >= 1, "--levels must be >= 1, got " + levels);
    require(reclusterEvery >= 1, "--recluster-every must be >= 1, got " + reclusterEvery);
    require(alpha >= 0 && alpha <= 1, "--alpha must be in [0, 1], got " + alpha);
    require(amplify > 0 && Double.isFinite(amplify), "--amplify must be positive, got " + amplify);
    require(amplifyRounds >= 0, "--amplify-rounds must be >= 0, got " + amplifyRounds);
    require(threads >= 1, "--threads must be >= 1, got " + threads);
    require(mu >= 0 && Double.isFinite(mu), "--mu must be >= 0, got " + mu);
    require(mu == 0 || algorithm.proximal(), "--mu " + mu + " has no effect with --algorithm " + algorithm.label()
        + (algorithm == Algorithm.DEMLEARN ? " (use demlearn-p for a proximal term)"
            : algorithm == Algorithm.FEDAVG ? " (use fedprox for a proximal term)" : ""));
    require(!(linkage == Linkage.WARD && metric != Metric.EUCLIDEAN),
        "--linkage ward needs --metric euclidean (got --metric " + metric.label() + ")");
    require(java.util.Set.of("fashion-mnist", "mnist", "synthetic").contains(dataset),
        "unknown --dataset '" + dataset + "': use fashion-mnist, mnist or synthetic");
    require(!(dataset.equals("synthetic") && partitionFile != null),
        "--partition-file indexes IDX files; it cannot go with --dataset synthetic");
    new TrainingSettings(learningRate, batchSize, localEpochs, mu);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** The authors' defaults for {@code algorithm} on Fashion-MNIST with MLR and 50 agents. */
  public static ExperimentSettings defaults(Algorithm algorithm) {
    boolean fed = algorithm == Algorithm.FEDAVG || algorithm == Algorithm.FEDPROX;
    return new ExperimentSettings(algorithm, ModelKind.MLR, "fashion-mnist", null, null, 50, 100, 1, 0.05, 10, 2,
        algorithm.defaultMu(), 0.7, 3, 1, 1.0, 5, Metric.EUCLIDEAN, Linkage.AVERAGE,
        fed ? Weighting.SAMPLES : Weighting.AGENTS, Runtime.getRuntime().availableProcessors());
  }

  public TrainingSettings training() {
    return new TrainingSettings(learningRate, batchSize, localEpochs, mu);
  }

  /** The strategy this algorithm runs. */
  public Strategy strategy() {
    return switch (algorithm) {
      case DEMLEARN, DEMLEARN_P -> new DemLearnStrategy(new ClusteringPolicy(metric, linkage), levels, reclusterEvery,
          alpha, amplify, amplifyRounds, weighting);
      case FEDAVG, FEDPROX -> new FedAvgStrategy(weighting);
      case LOCAL -> new LocalStrategy();
      case CENTRALISED -> new CentralisedStrategy();
    };
  }

  /** Every setting by name (the command line's option names), for provenance. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("algorithm", algorithm.label());
    m.put("model", model.label());
    m.put("dataset", dataset);
    m.put("data-dir", dataDir == null ? null : dataDir.toString());
    m.put("partition-file", partitionFile == null ? null : partitionFile.toString());
    m.put("agents", agents);
    m.put("rounds", rounds);
    m.put("seed", seed);
    m.put("learning-rate", learningRate);
    m.put("batch-size", batchSize);
    m.put("local-epochs", localEpochs);
    m.put("mu", mu);
    m.put("alpha", alpha);
    m.put("levels", levels);
    m.put("recluster-every", reclusterEvery);
    m.put("amplify", amplify);
    m.put("amplify-rounds", amplifyRounds);
    m.put("metric", metric.label());
    m.put("linkage", linkage.label());
    m.put("weighting", weighting.label());
    m.put("threads", threads);
    return m;
  }
}
