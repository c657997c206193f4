package io.demlearn.runner;

import static io.demlearn.core.experiment.ExperimentDefaults.ALPHA;
import static io.demlearn.core.experiment.ExperimentDefaults.ALPHA_MNIST;
import static io.demlearn.core.experiment.ExperimentDefaults.AMPLIFY;
import static io.demlearn.core.experiment.ExperimentDefaults.AMPLIFY_ROUNDS;
import static io.demlearn.core.experiment.ExperimentDefaults.BATCH_SIZE;
import static io.demlearn.core.experiment.ExperimentDefaults.LEARNING_RATE;
import static io.demlearn.core.experiment.ExperimentDefaults.LEVELS;
import static io.demlearn.core.experiment.ExperimentDefaults.LOCAL_EPOCHS;
import static io.demlearn.core.experiment.ExperimentDefaults.MU_DEMLEARN_P;
import static io.demlearn.core.experiment.ExperimentDefaults.MU_FEDPROX;
import static io.demlearn.core.experiment.ExperimentDefaults.RECLUSTER_EVERY;
import static io.demlearn.core.experiment.ExperimentDefaults.ROUNDS;
import static io.demlearn.core.experiment.ExperimentDefaults.SEED;

import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import io.demlearn.core.data.DataException;
import io.demlearn.core.data.DataSetKind;
import io.demlearn.core.data.ImagePool;
import io.demlearn.core.data.LeafReader;
import io.demlearn.core.data.PartitionFile;
import io.demlearn.core.experiment.Algorithm;
import io.demlearn.core.experiment.ExperimentData;
import io.demlearn.core.experiment.ExperimentDefaults;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.model.ModelKind;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The experiment options shared by {@code simulate} and {@code run}. An option left out takes its
 * default from {@link ExperimentDefaults} (the authors' defaults, for the chosen algorithm and data
 * set), which the help text shows.
 */
final class ExperimentOptions {
  @Option(
      names = "--algorithm",
      paramLabel = "A",
      description =
          "demlearn, demlearn-p, fedavg, fedprox, local or centralised (default: demlearn-p).")
  String algorithm;

  @Option(
      names = "--model",
      paramLabel = "M",
      description = "mlr, mlp or cnn: the authors' CNN for the data set's images (default: mlr).")
  String model;

  @Option(
      names = "--dataset",
      paramLabel = "D",
      description =
          "fashion-mnist, mnist, synthetic, femnist (LEAF's JSON files) or cifar10 (its binary"
              + " files); auto: fashion-mnist if Debian's package dataset-fashion-mnist is"
              + " installed (or --data-dir / --partition-file is given), else synthetic (default:"
              + " auto).")
  String dataset;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "The data set's files: the IDX files (default: "
              + ImagePool.DEBIAN_FASHION_MNIST_DIR
              + "), LEAF's data folder with train/ and test/ (femnist), or the folder of"
              + " data_batch_1.bin ... test_batch.bin (cifar10).")
  Path dataDir;

  @Option(
      names = "--leaf-users",
      paramLabel = "first|sample",
      description =
          "femnist: the first N of LEAF's users (sorted by name) or a sample drawn with --seed"
              + " (default: first).")
  String leafUsers;

  @Option(
      names = "--partition-file",
      paramLabel = "FILE",
      description =
          "Load the agents' split from this file (e.g. bench/inputs/fmnist-50agents-seed1.json).")
  Path partitionFile;

  @Option(
      names = "--agents",
      paramLabel = "N|all",
      description =
          "Agents (default: "
              + ExperimentDefaults.AGENTS
              + ", or all of the partition file; femnist: up to "
              + ExperimentDefaults.AGENTS
              + " of LEAF's users); all: every user (femnist) or every agent of the partition"
              + " file.",
      converter = AgentCount.class)
  String agents;

  /** Accepts a whole number or {@code all}; anything else is a usage error. */
  static final class AgentCount implements CommandLine.ITypeConverter<String> {
    @Override
    public String convert(String value) {
      String v = value.trim();
      if (v.equalsIgnoreCase("all")) {
        return "all";
      }
      try {
        Integer.parseInt(v);
        return v;
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a number or 'all'");
      }
    }
  }

  @Option(
      names = "--rounds",
      paramLabel = "R",
      description = "Global rounds (default: " + ROUNDS + ").")
  Integer rounds;

  @Option(names = "--seed", paramLabel = "S", description = "Random seed (default: " + SEED + ").")
  Long seed;

  @Option(
      names = "--learning-rate",
      paramLabel = "LR",
      description = "Local SGD step (default: " + LEARNING_RATE + ").")
  Double learningRate;

  @Option(
      names = "--batch-size",
      paramLabel = "B",
      description = "Local batch size (default: " + BATCH_SIZE + ").")
  Integer batchSize;

  @Option(
      names = "--local-epochs",
      paramLabel = "E",
      description = "Local epochs per round (default: " + LOCAL_EPOCHS + ").")
  Integer localEpochs;

  @Option(
      names = "--mu",
      paramLabel = "MU",
      description =
          "Proximal weight (default: demlearn-p "
              + MU_DEMLEARN_P
              + ", fedprox "
              + MU_FEDPROX
              + " as the authors' code, else 0).")
  Double mu;

  @Option(
      names = "--alpha",
      paramLabel = "A",
      description =
          "Top-down mixing weight (default: " + ALPHA + "; " + ALPHA_MNIST + " for mnist).")
  Double alpha;

  @Option(
      names = "--levels",
      paramLabel = "K",
      description = "Group levels below the root (default: " + LEVELS + ").")
  Integer levels;

  @Option(
      names = "--recluster-every",
      paramLabel = "T",
      description = "Rebuild the hierarchy every T rounds (default: " + RECLUSTER_EVERY + ").")
  Integer reclusterEvery;

  @Option(
      names = "--amplify",
      paramLabel = "F",
      description =
          "Multiply averaged models by F in the first --amplify-rounds rounds, at every level (the"
              + " authors' code: 1.15, used for their figures); 1.0 is off (default: "
              + AMPLIFY
              + ").")
  Double amplify;

  @Option(
      names = "--amplify-rounds",
      paramLabel = "N",
      description =
          "Rounds (from 0) in which --amplify applies (default: "
              + AMPLIFY_ROUNDS
              + "; cifar10: "
              + ExperimentDefaults.AMPLIFY_ROUNDS_CIFAR
              + ", as the authors' code).")
  Integer amplifyRounds;

  @Option(
      names = "--metric",
      paramLabel = "M",
      description = "euclidean or cosine (default: euclidean).")
  String metric;

  @Option(
      names = "--linkage",
      paramLabel = "L",
      description = "average, single, complete or ward (default: average).")
  String linkage;

  @Option(
      names = "--weighting",
      paramLabel = "W",
      description =
          "Group means weigh members by agents or samples (default: samples for fedavg/fedprox,"
              + " else agents).")
  String weighting;

  @Option(
      names = "--eval-every",
      paramLabel = "R",
      description =
          "Evaluate every R-th round (0, R, 2R, ...) and the last; other rounds have no metrics"
              + " (default: "
              + ExperimentDefaults.EVAL_EVERY
              + ": every round).")
  Integer evalEvery;

  @Option(
      names = "--eval-agents",
      paramLabel = "N",
      description =
          "Score a seeded sample of N agents' models for C-SPE and C-GEN (the same agents every"
              + " round); group metrics use every group (default: every agent).")
  Integer evalAgents;

  @Option(
      names = "--cluster-dims",
      paramLabel = "D",
      description =
          "Cluster a seeded random projection of the agents' parameters to D dimensions; 0"
              + " clusters the full parameters with exact distances (default: 0 up to "
              + ExperimentDefaults.EXACT_CLUSTERING_UP_TO
              + " agents, else "
              + ExperimentDefaults.PROJECTION_DIMS
              + ").")
  Integer clusterDims;

  @Option(
      names = "--sample-fraction",
      paramLabel = "F",
      description =
          "Train a seeded sample of floor(F x agents) agents in each round, drawn afresh per round;"
              + " the others keep their own model and publish nothing (default: 1, every agent).")
  Double sampleFraction;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Worker threads (default: the number of cores).")
  Integer threads;

  /** The settings these options describe, with the defaults filled in. */
  ExperimentSettings settings() {
    try {
      return ExperimentSettings.builder()
          .algorithm(algorithm == null ? null : Algorithm.parse(algorithm))
          .model(model == null ? null : ModelKind.parse(model))
          .dataset(dataset == null || dataset.equals("auto") ? null : dataset)
          .dataDir(dataDir)
          .partitionFile(partitionFile)
          .agents(agentCount())
          .leafUsers(leafUsers == null ? null : LeafReader.Selection.parse(leafUsers))
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
          .metric(metric == null ? null : Metric.parse(metric))
          .linkage(linkage == null ? null : Linkage.parse(linkage))
          .weighting(weighting == null ? null : Weighting.parse(weighting))
          .threads(threads)
          .evalEvery(evalEvery)
          .evalAgents(evalAgents)
          .clusterDims(clusterDims)
          .sampleFraction(sampleFraction)
          .build();
    } catch (IllegalArgumentException | DataException e) {
      throw new UserException(e.getMessage(), e);
    }
  }

  /**
   * --agents as a number, null when not given; "all" counts the users or the partition's agents.
   */
  private Integer agentCount() {
    if (agents == null) {
      return null;
    }
    if (agents.equals("all")) {
      if (partitionFile != null) {
        return PartitionFile.agentIds(partitionFile).size();
      }
      if (dataset != null && DataSetKind.parse(dataset) == DataSetKind.FEMNIST && dataDir != null) {
        return LeafReader.users(dataDir).size();
      }
      throw new IllegalArgumentException(
          "--agents all takes every user of --dataset femnist (with --data-dir) or every agent of a"
              + " --partition-file; other data sets are dealt to a number of agents: give N");
    }
    return Integer.valueOf(agents);
  }

  /**
   * The agents' data of an experiment, saying first which files it reads (a full LEAF FEMNIST is
   * gigabytes of JSON: about a minute here).
   */
  static ExperimentData.Loaded load(ExperimentSettings settings, Console console) {
    if (settings.dataDir() != null) {
      console.step(
          "reading the " + settings.dataset() + " files in " + settings.dataDir() + " ...");
    }
    return load(settings);
  }

  /** The agents' data of an experiment; a missing or malformed data set is the user's to fix. */
  static ExperimentData.Loaded load(ExperimentSettings settings) {
    try {
      return ExperimentData.load(settings);
    } catch (DataException e) {
      throw new UserException(e.getMessage(), e);
    }
  }
}
