package io.demlearn.core.experiment;

import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import io.demlearn.core.data.DataSetKind;
import io.demlearn.core.data.LeafReader;
import io.demlearn.core.model.ModelKind;
import java.nio.file.Path;

/**
 * Settings by name. A setting left unset, or set to null, takes its default (for the chosen
 * algorithm and data set) when {@link #build()} is called.
 */
public final class ExperimentSettingsBuilder {
  Algorithm algorithm;
  ModelKind model;
  String dataset;
  Path dataDir;
  Path partitionFile;
  LeafReader.Selection leafUsers;
  Integer agents;
  Integer rounds;
  Long seed;
  Double learningRate;
  Integer batchSize;
  Integer localEpochs;
  Double mu;
  Double alpha;
  Integer levels;
  Integer reclusterEvery;
  Double amplify;
  Integer amplifyRounds;
  Metric metric;
  Linkage linkage;
  Weighting weighting;
  Integer threads;
  Integer evalEvery;
  Integer evalAgents;
  Integer clusterDims;
  Double sampleFraction;

  ExperimentSettingsBuilder() {}

  /** Holding every setting of {@code s}. */
  ExperimentSettingsBuilder(ExperimentSettings s) {
    algorithm = s.algorithm();
    model = s.model();
    dataset = s.dataset();
    dataDir = s.dataDir();
    partitionFile = s.partitionFile();
    leafUsers = s.datasetKind() == DataSetKind.FEMNIST ? s.leafUsers() : null;
    agents = s.agents();
    rounds = s.rounds();
    seed = s.seed();
    learningRate = s.learningRate();
    batchSize = s.batchSize();
    localEpochs = s.localEpochs();
    mu = s.mu();
    alpha = s.alpha();
    levels = s.levels();
    reclusterEvery = s.reclusterEvery();
    amplify = s.amplify();
    amplifyRounds = s.amplifyRounds();
    metric = s.metric();
    linkage = s.linkage();
    weighting = s.weighting();
    threads = s.threads();
    evalEvery = s.evalEvery();
    evalAgents = s.evalAgents();
    clusterDims = s.clusterDims();
    sampleFraction = s.sampleFraction();
  }

  public ExperimentSettingsBuilder algorithm(Algorithm value) {
    algorithm = value;
    return this;
  }

  public ExperimentSettingsBuilder model(ModelKind value) {
    model = value;
    return this;
  }

  /**
   * fashion-mnist, mnist or synthetic; by default fashion-mnist where its files are, else
   * synthetic.
   */
  public ExperimentSettingsBuilder dataset(String value) {
    dataset = value;
    return this;
  }

  public ExperimentSettingsBuilder dataDir(Path value) {
    dataDir = value;
    return this;
  }

  public ExperimentSettingsBuilder partitionFile(Path value) {
    partitionFile = value;
    return this;
  }

  /** FEMNIST: the first of LEAF's users (default) or a seeded sample. */
  public ExperimentSettingsBuilder leafUsers(LeafReader.Selection value) {
    leafUsers = value;
    return this;
  }

  /** By default 50 (FEMNIST: up to 50 of LEAF's users), or every agent of the partition file. */
  public ExperimentSettingsBuilder agents(Integer value) {
    agents = value;
    return this;
  }

  public ExperimentSettingsBuilder rounds(Integer value) {
    rounds = value;
    return this;
  }

  public ExperimentSettingsBuilder seed(Long value) {
    seed = value;
    return this;
  }

  public ExperimentSettingsBuilder learningRate(Double value) {
    learningRate = value;
    return this;
  }

  public ExperimentSettingsBuilder batchSize(Integer value) {
    batchSize = value;
    return this;
  }

  public ExperimentSettingsBuilder localEpochs(Integer value) {
    localEpochs = value;
    return this;
  }

  /** By default the algorithm's ({@link ExperimentDefaults#mu}). */
  public ExperimentSettingsBuilder mu(Double value) {
    mu = value;
    return this;
  }

  /** By default the data set's ({@link ExperimentDefaults#of}). */
  public ExperimentSettingsBuilder alpha(Double value) {
    alpha = value;
    return this;
  }

  public ExperimentSettingsBuilder levels(Integer value) {
    levels = value;
    return this;
  }

  public ExperimentSettingsBuilder reclusterEvery(Integer value) {
    reclusterEvery = value;
    return this;
  }

  public ExperimentSettingsBuilder amplify(Double value) {
    amplify = value;
    return this;
  }

  public ExperimentSettingsBuilder amplifyRounds(Integer value) {
    amplifyRounds = value;
    return this;
  }

  public ExperimentSettingsBuilder metric(Metric value) {
    metric = value;
    return this;
  }

  public ExperimentSettingsBuilder linkage(Linkage value) {
    linkage = value;
    return this;
  }

  /** By default the algorithm's ({@link ExperimentDefaults#weighting}). */
  public ExperimentSettingsBuilder weighting(Weighting value) {
    weighting = value;
    return this;
  }

  public ExperimentSettingsBuilder threads(Integer value) {
    threads = value;
    return this;
  }

  /** Evaluate in every R-th round (and the last); by default every round. */
  public ExperimentSettingsBuilder evalEvery(Integer value) {
    evalEvery = value;
    return this;
  }

  /** Score the models of a seeded sample of this many agents for C-SPE and C-GEN; 0: all. */
  public ExperimentSettingsBuilder evalAgents(Integer value) {
    evalAgents = value;
    return this;
  }

  /**
   * Cluster a random projection of the parameters to this many dimensions; 0: the full parameters.
   * By default {@link ExperimentDefaults#clusterDims}.
   */
  public ExperimentSettingsBuilder clusterDims(Integer value) {
    clusterDims = value;
    return this;
  }

  /** Train a seeded sample of this fraction of the agents in each round; by default all. */
  public ExperimentSettingsBuilder sampleFraction(Double value) {
    sampleFraction = value;
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
