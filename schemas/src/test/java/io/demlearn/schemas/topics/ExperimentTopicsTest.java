package io.demlearn.schemas.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ExperimentTopicsTest {
  @Test
  void namesFollowTheConvention() {
    ExperimentTopics t = ExperimentTopics.of("fmnist-01");
    assertThat(t.all())
        .extracting(Topic::name)
        .containsExactly(
            "demlearn.fmnist-01.experiments",
            "demlearn.fmnist-01.model-updates",
            "demlearn.fmnist-01.group-models",
            "demlearn.fmnist-01.hierarchy-assignments",
            "demlearn.fmnist-01.metrics",
            "demlearn.fmnist-01.dead-letters",
            "demlearn.fmnist-01.clustering-features");
  }

  @Test
  void compactedTopicsAndLogsKeptForever() {
    ExperimentTopics t =
        new ExperimentTopics("e", 12, Replication.CLUSTER_DEFAULT, 8 * 1024 * 1024);
    assertThat(t.hierarchyAssignments().spec().configs())
        .containsEntry("cleanup.policy", "compact");
    assertThat(t.experiments().spec().configs()).containsEntry("cleanup.policy", "compact");
    assertThat(t.modelUpdates().spec().configs())
        .containsEntry("cleanup.policy", "delete")
        .containsEntry("retention.ms", "-1")
        .containsEntry("retention.bytes", "-1")
        .containsEntry("max.message.bytes", Integer.toString(8 * 1024 * 1024));
    assertThat(t.modelUpdates().spec().partitions()).isEqualTo(12);
    assertThat(t.groupModels().spec().partitions()).isEqualTo(12);
    assertThat(t.metrics().spec().partitions()).isEqualTo(1);
    assertThat(t.hierarchyAssignments().spec().partitions()).isEqualTo(1);
  }

  @Test
  void badExperimentIdsAreRefusedByName() {
    for (String bad :
        new String[] {"", "has space", "dots.not.allowed", "-leading", "x".repeat(201)}) {
      assertThatThrownBy(() -> ExperimentTopics.of(bad))
          .as(bad)
          .hasMessageContaining("experiment id '" + bad + "'");
    }
    assertThatThrownBy(() -> ExperimentTopics.of(null)).hasMessageContaining("experiment id");
  }

  @Test
  void hierarchyKeysSortByVersion() {
    assertThat(ExperimentTopics.hierarchyKey(9)).isEqualTo("0000000009");
    assertThat(ExperimentTopics.hierarchyKey(10).compareTo(ExperimentTopics.hierarchyKey(9)))
        .isPositive();
  }
}
