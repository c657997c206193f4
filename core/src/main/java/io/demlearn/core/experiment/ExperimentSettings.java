package io.demlearn.core.experiment;

import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import io.demlearn.core.data.PartitionFile;
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
 * produces. Made by a {@link Builder}, which fills in what is not set from {@link
 * ExperimentDefaults} (the authors' defaults, per algorithm and data set) and refuses impossible
 * combinations by name. Immutable; {@link #toBuilder()} makes a changed copy.
 */
public final class ExperimentSettings {
  private final Algorithm algorithm;
  private final ModelKind model;
  private final String dataset;
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

  private ExperimentSettings(Builder b) {
    this.algorithm = b.algorithm != null ? b.algorithm : ExperimentDefaults.ALGORITHM;
    this.model = b.model != null ? b.model : ExperimentDefaults.MODEL;
    this.dataDir = b.dataDir;
    this.partitionFile = b.partitionFile;
    this.dataset =
        b.dataset != null ? b.dataset : ExperimentDefaults.dataset(dataDir, partitionFile);
    require(
        ExperimentDefaults.DATASETS.contains(dataset),
        "unknown --dataset '"
            + dataset
            + "': use "
            + String.join(", ", ExperimentDefaults.DATASETS));
    require(
        !(dataset.equals("synthetic") && partitionFile != null),
        "--partition-file indexes IDX files; it cannot go with --dataset synthetic");
    this.agents =
        b.agents != null
            ? b.agents
            : partitionFile != null
                ? PartitionFile.agentIds(partitionFile).size()
                : ExperimentDefaults.AGENTS;
    this.rounds = b.rounds != null ? b.rounds : ExperimentDefaults.ROUNDS;
    this.seed = b.seed != null ? b.seed : ExperimentDefaults.SEED;
    this.learningRate = b.learningRate != null ? b.learningRate : ExperimentDefaults.LEARNING_RATE;
    this.batchSize = b.batchSize != null ? b.batchSize : ExperimentDefaults.BATCH_SIZE;
    this.localEpochs = b.localEpochs != null ? b.localEpochs : ExperimentDefaults.LOCAL_EPOCHS;
    this.mu = b.mu != null ? b.mu : ExperimentDefaults.mu(algorithm);
    this.alpha = b.alpha != null ? b.alpha : ExperimentDefaults.alpha(dataset);
    this.levels = b.levels != null ? b.levels : ExperimentDefaults.LEVELS;
    this.reclusterEvery =
        b.reclusterEvery != null ? b.reclusterEvery : ExperimentDefaults.RECLUSTER_EVERY;
    this.amplify = b.amplify != null ? b.amplify : ExperimentDefaults.AMPLIFY;
    this.amplifyRounds =
        b.amplifyRounds != null ? b.amplifyRounds : ExperimentDefaults.AMPLIFY_ROUNDS;
    this.metric = b.metric != null ? b.metric : ExperimentDefaults.METRIC;
    this.linkage = b.linkage != null ? b.linkage : ExperimentDefaults.LINKAGE;
    this.weighting = b.weighting != null ? b.weighting : ExperimentDefaults.weighting(algorithm);
    this.threads = b.threads != null ? b.threads : ExperimentDefaults.threads();
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
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these settings, to change some of them. */
  public Builder toBuilder() {
    return new Builder()
        .algorithm(algorithm)
        .model(model)
        .dataset(dataset)
        .dataDir(dataDir)
        .partitionFile(partitionFile)
        .agents(agents)
        .rounds(rounds)
        .seed(seed)
        .learningRate(learningRate)
        .batchSize(batchSize)
        .localEpochs(localEpochs)
        .mu(mu)
        .alpha(alpha)
        .levels(levels)
        .reclusterEvery(reclusterEvery)
        .amplify(amplify)
        .amplifyRounds(amplifyRounds)
        .metric(metric)
        .linkage(linkage)
        .weighting(weighting)
        .threads(threads);
  }

  public Algorithm algorithm() {
    return algorithm;
  }

  public ModelKind model() {
    return model;
  }

  /** fashion-mnist, mnist or synthetic. */
  public String dataset() {
    return dataset;
  }

  /** The directory of the IDX files, or null for the default location. */
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

  public TrainingSettings training() {
    return new TrainingSettings(learningRate, batchSize, localEpochs, mu);
  }

  /** The strategy this algorithm runs. */
  public Strategy strategy() {
    return switch (algorithm) {
      case DEMLEARN, DEMLEARN_P ->
          new DemLearnStrategy(
              new ClusteringPolicy(metric, linkage),
              levels,
              reclusterEvery,
              alpha,
              amplify,
              amplifyRounds,
              weighting);
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

  /**
   * Settings by name. A setting left unset, or set to null, takes its default (for the chosen
   * algorithm and data set) when {@link #build()} is called.
   */
  public static final class Builder {
    private Algorithm algorithm;
    private ModelKind model;
    private String dataset;
    private Path dataDir;
    private Path partitionFile;
    private Integer agents;
    private Integer rounds;
    private Long seed;
    private Double learningRate;
    private Integer batchSize;
    private Integer localEpochs;
    private Double mu;
    private Double alpha;
    private Integer levels;
    private Integer reclusterEvery;
    private Double amplify;
    private Integer amplifyRounds;
    private Metric metric;
    private Linkage linkage;
    private Weighting weighting;
    private Integer threads;

    private Builder() {}

    public Builder algorithm(Algorithm value) {
      algorithm = value;
      return this;
    }

    public Builder model(ModelKind value) {
      model = value;
      return this;
    }

    /**
     * fashion-mnist, mnist or synthetic; by default fashion-mnist where its files are, else
     * synthetic.
     */
    public Builder dataset(String value) {
      dataset = value;
      return this;
    }

    public Builder dataDir(Path value) {
      dataDir = value;
      return this;
    }

    public Builder partitionFile(Path value) {
      partitionFile = value;
      return this;
    }

    /** By default 50, or every agent of the partition file. */
    public Builder agents(Integer value) {
      agents = value;
      return this;
    }

    public Builder rounds(Integer value) {
      rounds = value;
      return this;
    }

    public Builder seed(Long value) {
      seed = value;
      return this;
    }

    public Builder learningRate(Double value) {
      learningRate = value;
      return this;
    }

    public Builder batchSize(Integer value) {
      batchSize = value;
      return this;
    }

    public Builder localEpochs(Integer value) {
      localEpochs = value;
      return this;
    }

    /** By default the algorithm's ({@link ExperimentDefaults#mu}). */
    public Builder mu(Double value) {
      mu = value;
      return this;
    }

    /** By default the data set's ({@link ExperimentDefaults#alpha}). */
    public Builder alpha(Double value) {
      alpha = value;
      return this;
    }

    public Builder levels(Integer value) {
      levels = value;
      return this;
    }

    public Builder reclusterEvery(Integer value) {
      reclusterEvery = value;
      return this;
    }

    public Builder amplify(Double value) {
      amplify = value;
      return this;
    }

    public Builder amplifyRounds(Integer value) {
      amplifyRounds = value;
      return this;
    }

    public Builder metric(Metric value) {
      metric = value;
      return this;
    }

    public Builder linkage(Linkage value) {
      linkage = value;
      return this;
    }

    /** By default the algorithm's ({@link ExperimentDefaults#weighting}). */
    public Builder weighting(Weighting value) {
      weighting = value;
      return this;
    }

    public Builder threads(Integer value) {
      threads = value;
      return this;
    }

    /**
     * The settings, with the defaults filled in.
     *
     * @throws IllegalArgumentException naming the option whose value is impossible
     */
    public ExperimentSettings build() {
      return new ExperimentSettings(this);
    }
  }
}
