package io.demlearn.pipeline.checks;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.experiment.Participation;
import io.demlearn.pipeline.checks.UpdateChecks.Refusal;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.Features;
import io.demlearn.schemas.avro.DeadLetterReason;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class UpdateChecksTest {
  private static Experiment experiment(double sampleFraction) {
    ExperimentSettings s =
        ExperimentSettings.builder()
            .dataset("synthetic")
            .agents(10)
            .rounds(12)
            .sampleFraction(sampleFraction)
            .build();
    List<String> ids = IntStream.range(0, 10).mapToObj(i -> "a-" + i).toList();
    return new Experiment("checks", s, ids, Experiment.defaultPolicy());
  }

  @Test
  void withEveryAgentTrainingRoundsFollowOneAnotherOrCatchUpAfterAClosedRound() {
    UpdateChecks checks = new UpdateChecks(experiment(1.0));
    assertThat(checks.followsOn("a-1", -1, 0, r -> false)).isTrue();
    assertThat(checks.followsOn("a-1", 2, 3, r -> false)).isTrue();
    assertThat(checks.followsOn("a-1", 2, 2, r -> false)).isFalse();
    assertThat(checks.followsOn("a-1", 2, 5, r -> false)).isFalse();
    assertThat(checks.followsOn("a-1", 2, 5, r -> r == 4)).isTrue();
    assertThat(checks.followsOn("a-1", 2, 5, r -> r == 3)).isFalse();
    assertThat(checks.followsOn("nobody", -1, 0, r -> false)).isFalse();
  }

  @Test
  void aSampledAgentReportsItsOwnRoundsOnly() {
    Experiment e = experiment(0.3);
    Participation p = e.settings().participation();
    UpdateChecks checks = new UpdateChecks(e);
    for (int agent = 0; agent < 10; agent++) {
      String id = "a-" + agent;
      int first = p.nextRound(agent, -1);
      int second = p.nextRound(agent, first);
      if (second >= 12) {
        continue;
      }
      assertThat(checks.followsOn(id, -1, first, r -> false)).isTrue();
      assertThat(checks.followsOn(id, first, second, r -> false)).isTrue();
      // a round that does not sample it, and a round of its own that skips one of its rounds
      for (int r = first + 1; r < second; r++) {
        assertThat(checks.followsOn(id, first, r, x -> true)).isFalse();
      }
      int third = p.nextRound(agent, second);
      if (third < 12) {
        assertThat(checks.followsOn(id, first, third, r -> false)).isFalse();
        assertThat(checks.followsOn(id, first, third, r -> r == second)).isTrue();
      }
    }
  }

  @Test
  void clusteringFeaturesAreCheckedLikeTheUpdatesTheyComeFrom() {
    ExperimentSettings s =
        ExperimentSettings.builder()
            .dataset("synthetic")
            .agents(10)
            .rounds(12)
            .clusterDims(4)
            .build();
    List<String> ids = IntStream.range(0, 10).mapToObj(i -> "a-" + i).toList();
    Experiment e = new Experiment("checks", s, ids, Experiment.defaultPolicy());
    assertThat(e.clustersPublishedFeatures()).isTrue();
    assertThat(experiment(1.0).clustersPublishedFeatures()).isFalse();
    UpdateChecks checks = new UpdateChecks(e);
    float[] ok = {1, 2, 3, 4};
    assertThat(checks.check("a-1", Features.of("checks", "a-1", 3, 2, ok))).isNull();
    assertThat(checks.check("a-2", Features.of("checks", "a-1", 3, 2, ok)).reason())
        .isEqualTo(DeadLetterReason.KEY_MISMATCH);
    assertThat(checks.check("a-1", Features.of("other", "a-1", 3, 2, ok)).detail())
        .contains("features of experiment 'other'");
    assertThat(checks.check("a-1", Features.of("checks", "a-1", 12, 2, ok)).reason())
        .isEqualTo(DeadLetterReason.ROUND_OUT_OF_RANGE);
    assertThat(checks.check("x", Features.of("checks", "x", 3, 2, ok)).reason())
        .isEqualTo(DeadLetterReason.UNKNOWN_MEMBER);
    Refusal shorter = checks.check("a-1", Features.of("checks", "a-1", 3, 2, new float[3]));
    assertThat(shorter.reason()).isEqualTo(DeadLetterReason.VECTOR_MISMATCH);
    assertThat(shorter.detail()).contains("projects to 4");
    Refusal nan =
        checks.check("a-1", Features.of("checks", "a-1", 3, 2, new float[] {1, Float.NaN, 3, 4}));
    assertThat(nan.reason()).isEqualTo(DeadLetterReason.NON_FINITE);
    assertThat(nan.detail()).contains("feature 1");
  }
}
