package io.demlearn.pipeline.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import io.demlearn.core.experiment.Algorithm;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.model.ModelKind;
import io.demlearn.schemas.avro.ExperimentSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExperimentSpecsTest {
  static final List<String> AGENTS = List.of("a-0", "a-1", "a-2");

  @Test
  void everySettingSurvivesTheSpecAndTheMachineIsRecorded() {
    ExperimentSettings settings =
        ExperimentSettings.builder()
            .algorithm(Algorithm.FEDPROX)
            .model(ModelKind.MLP)
            .dataset("mnist")
            .dataDir(Path.of("/data/mnist"))
            .agents(3)
            .rounds(7)
            .seed(9L)
            .learningRate(0.01)
            .batchSize(5)
            .localEpochs(3)
            .mu(0.1)
            .alpha(0.4)
            .levels(2)
            .reclusterEvery(3)
            .amplify(1.15)
            .amplifyRounds(2)
            .metric(Metric.COSINE)
            .linkage(Linkage.COMPLETE)
            .weighting(Weighting.AGENTS)
            .threads(2)
            .evalEvery(4)
            .evalAgents(2)
            .clusterDims(16)
            .sampleFraction(0.5)
            .build();
    Experiment e = new Experiment("spec-test", settings, AGENTS, Experiment.policy(5e5, 2000, 0.6));
    ExperimentSpec spec =
        ExperimentSpecs.toSpec(e, 42L, Map.of("os.arch", "amd64", "cpu", "some CPU"));
    assertThat(spec.getProvenance())
        .containsEntry("os.arch", "amd64")
        .containsEntry("cpu", "some CPU");
    assertThat(spec.getCreatedAtMs()).isEqualTo(42L);

    Experiment back = ExperimentSpecs.fromSpec(spec, 2);
    assertThat(back.settings()).isEqualTo(settings);
    assertThat(back.settings().evalEvery()).isEqualTo(4);
    assertThat(back.settings().evalAgents()).isEqualTo(2);
    assertThat(back.settings().clusterDims()).isEqualTo(16);
    assertThat(back.settings().sampleFraction()).isEqualTo(0.5);
    assertThat(back.agentIds()).isEqualTo(AGENTS);
    assertThat(back.policy()).isEqualTo(e.policy());
    assertThat(ExperimentSpecs.fromSpec(spec, 5).settings().threads())
        .as("the reader's own choice")
        .isEqualTo(5);
  }

  @Test
  void aSpecWrittenBeforeTheLargeRunSettingsEvaluatesEverythingClustersExactlyAndTrainsAll() {
    ExperimentSettings settings =
        ExperimentSettings.builder().dataset("synthetic").agents(3).evalEvery(3).build();
    ExperimentSpec spec =
        ExperimentSpecs.toSpec(
            new Experiment("old-spec", settings, AGENTS, Experiment.policy(5e5, 2000, 0.6)),
            1L,
            Map.of());
    Map<String, String> extra = new java.util.HashMap<>(spec.getExtra());
    extra
        .keySet()
        .removeAll(List.of("eval-every", "eval-agents", "cluster-dims", "sample-fraction"));
    spec.setExtra(extra);
    ExperimentSettings back = ExperimentSpecs.fromSpec(spec, 1).settings();
    assertThat(back.evalEvery()).isEqualTo(1);
    assertThat(back.evalAgents()).isZero();
    assertThat(back.clusterDims()).isZero();
    assertThat(back.sampleFraction()).isEqualTo(1.0);
  }

  @Test
  void aSpecThatCannotBeUsedIsRefusedByName() {
    ExperimentSettings settings =
        ExperimentSettings.builder().dataset("synthetic").agents(3).threads(1).build();
    ExperimentSpec spec =
        ExperimentSpecs.toSpec(
            new Experiment("spec-test", settings, AGENTS, Experiment.defaultPolicy()), 0, Map.of());
    spec.setAlgorithm("fedsgd");
    assertThatThrownBy(() -> ExperimentSpecs.fromSpec(spec, 1))
        .hasMessageContaining("unknown algorithm 'fedsgd'");
    spec.setAlgorithm("demlearn-p");
    spec.setAgentIds(List.of());
    assertThatThrownBy(() -> ExperimentSpecs.fromSpec(spec, 1))
        .hasMessageContaining("names no agents");
  }
}
