package io.demlearn.pipeline.records;

import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import io.demlearn.core.data.DataSetKind;
import io.demlearn.core.data.LeafReader;
import io.demlearn.core.experiment.Algorithm;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.schemas.avro.ExperimentSpec;
import io.demlearn.schemas.avro.ModelKind;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Experiment settings as the {@code experiments} topic carries them, and back. */
public final class ExperimentSpecs {
  private ExperimentSpecs() {}

  public static ModelKind toAvro(io.demlearn.core.model.ModelKind kind) {
    return ModelKind.valueOf(kind.name());
  }

  public static io.demlearn.core.model.ModelKind fromAvro(ModelKind kind) {
    if (kind == ModelKind.UNKNOWN) {
      throw new IllegalArgumentException(
          "model kind UNKNOWN: the record was written by a newer version");
    }
    return io.demlearn.core.model.ModelKind.valueOf(kind.name());
  }

  /**
   * The spec of an experiment.
   *
   * @param provenance the machine and software creating it ({@code Provenance.withNumerics()})
   */
  public static ExperimentSpec toSpec(
      Experiment e, long createdAtMs, Map<String, String> provenance) {
    ExperimentSettings s = e.settings();
    Map<String, String> extra = new HashMap<>();
    extra.put("amplify-rounds", Integer.toString(s.amplifyRounds()));
    extra.put("eval-every", Integer.toString(s.evalEvery()));
    extra.put("eval-agents", Integer.toString(s.evalAgents()));
    extra.put("cluster-dims", Integer.toString(s.clusterDims()));
    extra.put("sample-fraction", Double.toString(s.sampleFraction()));
    if (s.dataDir() != null) {
      extra.put("data-dir", s.dataDir().toAbsolutePath().toString());
    }
    if (s.datasetKind() == DataSetKind.FEMNIST) {
      extra.put("leaf-users", s.leafUsers().label());
    }
    return ExperimentSpec.newBuilder()
        .setExperimentId(e.id())
        .setCreatedAtMs(createdAtMs)
        .setAlgorithm(s.algorithm().label())
        .setModelKind(toAvro(s.model()))
        .setDataset(s.dataset())
        .setPartitionFile(
            s.partitionFile() == null ? null : s.partitionFile().toAbsolutePath().toString())
        .setAgents(s.agents())
        .setRounds(s.rounds())
        .setSeed(s.seed())
        .setLearningRate(s.learningRate())
        .setBatchSize(s.batchSize())
        .setLocalEpochs(s.localEpochs())
        .setMu(s.mu())
        .setAlpha(s.alpha())
        .setLevels(s.levels())
        .setReclusterEvery(s.reclusterEvery())
        .setAmplify(s.amplify())
        .setDistanceMetric(s.metric().label())
        .setLinkage(s.linkage().label())
        .setWeighting(s.weighting().label())
        .setAgentIds(List.copyOf(e.agentIds()))
        .setPipeline(e.policy())
        .setExtra(extra)
        .setProvenance(Map.copyOf(provenance))
        .build();
  }

  /**
   * The experiment a spec describes; {@code threads} is the reader's own choice.
   *
   * @throws IllegalArgumentException naming what the spec lacks or holds wrongly
   */
  public static Experiment fromSpec(ExperimentSpec spec, int threads) {
    if (spec.getAgentIds().isEmpty()) {
      throw new IllegalArgumentException(
          "the spec of experiment "
              + spec.getExperimentId()
              + " names no agents: it was written by an earlier version of demlearn; run the"
              + " experiment again");
    }
    return new Experiment(
        spec.getExperimentId(), settingsOf(spec, threads), spec.getAgentIds(), spec.getPipeline());
  }

  private static ExperimentSettings settingsOf(ExperimentSpec spec, int threads) {
    Map<String, String> extra = spec.getExtra();
    String dataDir = extra.get("data-dir");
    String amplifyRounds = extra.get("amplify-rounds");
    // specs written before these settings existed: every round and agent evaluated, exact
    // clustering, every agent trains in every round
    String evalEvery = extra.getOrDefault("eval-every", "1");
    String evalAgents = extra.getOrDefault("eval-agents", "0");
    String clusterDims = extra.getOrDefault("cluster-dims", "0");
    String sampleFraction = extra.getOrDefault("sample-fraction", "1");
    return ExperimentSettings.builder()
        .algorithm(Algorithm.parse(spec.getAlgorithm()))
        .model(fromAvro(spec.getModelKind()))
        .dataset(spec.getDataset())
        .dataDir(dataDir == null ? null : Path.of(dataDir))
        .leafUsers(
            extra.containsKey("leaf-users")
                ? LeafReader.Selection.parse(extra.get("leaf-users"))
                : null)
        .partitionFile(spec.getPartitionFile() == null ? null : Path.of(spec.getPartitionFile()))
        .agents(spec.getAgents())
        .rounds(spec.getRounds())
        .seed(spec.getSeed())
        .learningRate(spec.getLearningRate())
        .batchSize(spec.getBatchSize())
        .localEpochs(spec.getLocalEpochs())
        .mu(spec.getMu())
        .alpha(spec.getAlpha())
        .levels(spec.getLevels())
        .reclusterEvery(spec.getReclusterEvery())
        .amplify(spec.getAmplify())
        .amplifyRounds(amplifyRounds == null ? null : Integer.valueOf(amplifyRounds))
        .metric(Metric.parse(spec.getDistanceMetric()))
        .linkage(Linkage.parse(spec.getLinkage()))
        .weighting(Weighting.parse(spec.getWeighting()))
        .threads(threads)
        .evalEvery(Integer.valueOf(evalEvery))
        .evalAgents(Integer.valueOf(evalAgents))
        .clusterDims(Integer.valueOf(clusterDims))
        .sampleFraction(Double.valueOf(sampleFraction))
        .build();
  }
}
