package io.demlearn.core.experiment;

import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import io.demlearn.core.data.DataSetKind;
import io.demlearn.core.data.LeafReader;
import io.demlearn.core.data.PartitionFile;
import io.demlearn.core.metrics.EvaluationPlan;
import io.demlearn.core.model.Architecture;
import io.demlearn.core.model.ModelKind;
import io.demlearn.core.model.TrainingSettings;
import io.demlearn.core.strategy.CentralisedStrategy;
import io.demlearn.core.strategy.ClusteringPolicy;
import io.demlearn.core.strategy.DemLearnStrategy;
import io.demlearn.core.strategy.FedAvgStrategy;
import io.demlearn.core.strategy.LocalStrategy;
import io.demlearn.core.strategy.Strategy;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Every setting of an experiment; with the seed, it determines every number the experiment
 * produces. Made by a {@link ExperimentSettingsBuilder}, which fills in what is not set from {@link
 * ExperimentDefaults} (the authors' defaults, per algorithm and data set) and refuses impossible
 * combinations by name. Immutable; {@link #toBuilder()} makes a changed copy.
 */
public final class ExperimentSettings {
  private final Algorithm algorithm;
  private final ModelKind model;
  private final DataSetKind dataset;
  private final LeafReader.Selection leafUsers;
  private final Architecture architecture;
  private final Path dataDir;
  private final Path partitionFile;
  private final int agents;
  private final int rounds;
  private final long seed;
  private final double learningRate;
  private final int batchSize;
  private final int localEpochs;
  private final double mu;
  private final double alpha;
  private final int levels;
  private final int reclusterEvery;
  private final double amplify;
  private final int amplifyRounds;
  private final Metric metric;
  private final Linkage linkage;
  private final Weighting weighting;
  private final int threads;
  private final int evalEvery;
  private final int evalAgents;
  private final int clusterDims;
  private final double sampleFraction;

  ExperimentSettings(ExperimentSettingsBuilder b) {
    this.algorithm = b.algorithm != null ? b.algorithm : ExperimentDefaults.ALGORITHM;
    this.model = b.model != null ? b.model : ExperimentDefaults.MODEL;
    this.dataDir = b.dataDir;
    this.partitionFile = b.partitionFile;
    this.dataset =
        DataSetKind.parse(
            b.dataset != null ? b.dataset : ExperimentDefaults.dataset(dataDir, partitionFile));
    ExperimentDefaults.PerDataset defaults = ExperimentDefaults.of(dataset);
    require(
        partitionFile == null
            || !(dataset == DataSetKind.SYNTHETIC || dataset == DataSetKind.FEMNIST),
        "--partition-file indexes the samples of IDX or CIFAR-10 files; it cannot go with --dataset"
            + " "
            + dataset.label());
    require(
        dataDir != null || !(dataset == DataSetKind.FEMNIST || dataset == DataSetKind.CIFAR10),
        "--dataset "
            + dataset.label()
            + " needs --data-dir DIR: "
            + (dataset == DataSetKind.FEMNIST
                ? "LEAF's FEMNIST data folder (its train/ and test/ folders of .json files)"
                : "the folder of CIFAR-10's binary version (data_batch_1.bin ... test_batch.bin)"));
    require(
        b.leafUsers == null || dataset == DataSetKind.FEMNIST,
        "--leaf-users picks among LEAF's users: it goes with --dataset femnist only");
    this.leafUsers = b.leafUsers != null ? b.leafUsers : LeafReader.Selection.FIRST;
    this.architecture = new Architecture(model, dataset.shape());
    this.agents =
        b.agents != null
            ? b.agents
            : partitionFile != null
                ? PartitionFile.agentIds(partitionFile).size()
                : dataset == DataSetKind.FEMNIST
                    ? Math.min(ExperimentDefaults.AGENTS, LeafReader.users(dataDir).size())
                    : ExperimentDefaults.AGENTS;
    this.rounds = b.rounds != null ? b.rounds : ExperimentDefaults.ROUNDS;
    this.seed = b.seed != null ? b.seed : ExperimentDefaults.SEED;
    this.learningRate = b.learningRate != null ? b.learningRate : defaults.learningRate();
    this.batchSize = b.batchSize != null ? b.batchSize : ExperimentDefaults.BATCH_SIZE;
    this.localEpochs = b.localEpochs != null ? b.localEpochs : ExperimentDefaults.LOCAL_EPOCHS;
    this.mu = b.mu != null ? b.mu : ExperimentDefaults.mu(algorithm, dataset);
    this.alpha = b.alpha != null ? b.alpha : defaults.alpha();
    this.levels = b.levels != null ? b.levels : ExperimentDefaults.LEVELS;
    this.reclusterEvery =
        b.reclusterEvery != null ? b.reclusterEvery : ExperimentDefaults.RECLUSTER_EVERY;
    this.amplify = b.amplify != null ? b.amplify : ExperimentDefaults.AMPLIFY;
    this.amplifyRounds = b.amplifyRounds != null ? b.amplifyRounds : defaults.amplifyRounds();
    this.metric = b.metric != null ? b.metric : ExperimentDefaults.METRIC;
    this.linkage = b.linkage != null ? b.linkage : ExperimentDefaults.LINKAGE;
    this.weighting = b.weighting != null ? b.weighting : ExperimentDefaults.weighting(algorithm);
    this.threads = b.threads != null ? b.threads : ExperimentDefaults.threads();
    this.evalEvery = b.evalEvery != null ? b.evalEvery : ExperimentDefaults.EVAL_EVERY;
    this.evalAgents = b.evalAgents != null ? b.evalAgents : 0;
    this.clusterDims =
        b.clusterDims != null ? b.clusterDims : ExperimentDefaults.clusterDims(agents);
    this.sampleFraction =
        b.sampleFraction != null ? b.sampleFraction : ExperimentDefaults.SAMPLE_FRACTION;
    check();
  }

  private void check() {
    require(agents >= 1, "--agents must be >= 1, got " + agents);
    require(rounds >= 1, "--rounds must be >= 1, got " + rounds);
    require(levels >= 1, "--levels must be >= 1, got " + levels);
    require(reclusterEvery >= 1, "--recluster-every must be >= 1, got " + reclusterEvery);
    require(alpha >= 0 && alpha <= 1, "--alpha must be in [0, 1], got " + alpha);
    require(amplify > 0 && Double.isFinite(amplify), "--amplify must be positive, got " + amplify);
    require(amplifyRounds >= 0, "--amplify-rounds must be >= 0, got " + amplifyRounds);
    require(threads >= 1, "--threads must be >= 1, got " + threads);
    require(mu >= 0 && Double.isFinite(mu), "--mu must be >= 0, got " + mu);
    require(evalEvery >= 1, "--eval-every must be >= 1, got " + evalEvery);
    require(
        evalAgents >= 0 && evalAgents <= agents,
        "--eval-agents must be between 1 and --agents ("
            + agents
            + "), or 0 for all, got "
            + evalAgents);
    require(clusterDims >= 0, "--cluster-dims must be >= 0 (0: no projection), got " + clusterDims);
    require(
        sampleFraction > 0 && sampleFraction <= 1,
        "--sample-fraction must be in (0, 1], got " + sampleFraction);
    require(
        sampleFraction == 1 || algorithm != Algorithm.CENTRALISED,
        "--sample-fraction samples agents to train; centralised training has one model trained on"
            + " every agent's data");
    require(
        mu == 0 || algorithm.proximal(),
        "--mu "
            + mu
            + " has no effect with --algorithm "
            + algorithm.label()
            + (algorithm == Algorithm.DEMLEARN
                ? " (use demlearn-p for a proximal term)"
                : algorithm == Algorithm.FEDAVG ? " (use fedprox for a proximal term)" : ""));
    ClusteringPolicy.check(metric, linkage);
    training();
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** A builder with nothing set: every setting takes its default. */
  public static ExperimentSettingsBuilder builder() {
    return new ExperimentSettingsBuilder();
  }

  /** A builder holding these settings, to change some of them. */
  public ExperimentSettingsBuilder toBuilder() {
    return new ExperimentSettingsBuilder(this);
  }

  public Algorithm algorithm() {
    return algorithm;
  }

  public ModelKind model() {
    return model;
  }

  /** The data set's name: fashion-mnist, mnist, synthetic, femnist or cifar10. */
  public String dataset() {
    return dataset.label();
  }

  public DataSetKind datasetKind() {
    return dataset;
  }

  /** Which of LEAF's users become agents (FEMNIST). */
  public LeafReader.Selection leafUsers() {
    return leafUsers;
  }

  /** The model kind for this data set's samples. */
  public Architecture architecture() {
    return architecture;
  }

  /** The directory of the data set's files, or null for the default location. */
  public Path dataDir() {
    return dataDir;
  }

  /** A partition file to load the split from, or null to deal it. */
  public Path partitionFile() {
    return partitionFile;
  }

  public int agents() {
    return agents;
  }

  public int rounds() {
    return rounds;
  }

  public long seed() {
    return seed;
  }

  public double learningRate() {
    return learningRate;
  }

  public int batchSize() {
    return batchSize;
  }

  public int localEpochs() {
    return localEpochs;
  }

  public double mu() {
    return mu;
  }

  public double alpha() {
    return alpha;
  }

  public int levels() {
    return levels;
  }

  public int reclusterEvery() {
    return reclusterEvery;
  }

  public double amplify() {
    return amplify;
  }

  /** Rounds (from 0) in which Amplify applies when it is on. */
  public int amplifyRounds() {
    return amplifyRounds;
  }

  public Metric metric() {
    return metric;
  }

  public Linkage linkage() {
    return linkage;
  }

  public Weighting weighting() {
    return weighting;
  }

  /** Worker threads for training and evaluation. */
  public int threads() {
    return threads;
  }

  /** Rounds are evaluated every this many rounds, and the last round always. */
  public int evalEvery() {
    return evalEvery;
  }

  /** Agents whose models are scored for C-SPE and C-GEN (a seeded sample); 0: every agent. */
  public int evalAgents() {
    return evalAgents;
  }

  /** Dimensions of the random projection clustering uses; 0: the full parameters. */
  public int clusterDims() {
    return clusterDims;
  }

  /** The fraction of agents that trains in each round (a seeded sample per round). */
  public double sampleFraction() {
    return sampleFraction;
  }

  /** Which agents train in each round. */
  public Participation participation() {
    return new Participation(agents, rounds, sampleFraction, seed);
  }

  /** How agents are clustered. */
  public ClusteringPolicy clustering() {
    return new ClusteringPolicy(metric, linkage, clusterDims, seed);
  }

  /** Which rounds, and which agents' models, are evaluated. */
  public EvaluationPlan evaluation() {
    return new EvaluationPlan(rounds, evalEvery, agents, evalAgents, seed);
  }

  public TrainingSettings training() {
    return new TrainingSettings(learningRate, batchSize, localEpochs, mu);
  }

  /** The strategy this algorithm runs. */
  public Strategy strategy() {
    return switch (algorithm) {
      case DEMLEARN, DEMLEARN_P ->
          new DemLearnStrategy(
              clustering(), levels, reclusterEvery, alpha, amplify, amplifyRounds, weighting);
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
    m.put("architecture", architecture().describe());
    m.put("dataset", dataset.label());
    if (dataset == DataSetKind.FEMNIST) {
      m.put("leaf-users", leafUsers.label());
    }
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
    m.put("eval-every", evalEvery);
    m.put("eval-agents", evalAgents);
    m.put("cluster-dims", clusterDims);
    m.put("sample-fraction", sampleFraction);
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ExperimentSettings other && describe().equals(other.describe());
  }

  @Override
  public int hashCode() {
    return Objects.hash(describe());
  }

  @Override
  public String toString() {
    return "ExperimentSettings" + describe();
  }
}
