package io.demlearn.schemas.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReplicationTest {
  @Test
  void aClusterGetsAtMostThreeReplicasWithOneAllowedDown() {
    assertThat(Replication.forBrokers(1)).isEqualTo(new Replication((short) 1, 1));
    assertThat(Replication.forBrokers(2)).isEqualTo(new Replication((short) 2, 1));
    assertThat(Replication.forBrokers(3)).isEqualTo(new Replication((short) 3, 2));
    assertThat(Replication.forBrokers(7)).isEqualTo(new Replication((short) 3, 2));
  }

  @Test
  void impossibleSettingsAreRefusedNamingThem() {
    assertThatThrownBy(() -> new Replication((short) 0, 1))
        .hasMessageContaining("replication factor must be >= 1");
    assertThatThrownBy(() -> new Replication((short) 2, 0))
        .hasMessageContaining("min.insync.replicas must be >= 1");
    assertThatThrownBy(() -> new Replication((short) 2, 3))
        .hasMessageContaining("min.insync.replicas (3) cannot be above the replication factor (2)");
  }

  @Test
  void aTopicIsWeakerWhenEitherSettingIsBelowTheAsked() {
    Replication asked = new Replication((short) 3, 2);
    assertThat(new TopicAdmin.Replicas(6, 3, 2).weakerThan(asked)).isFalse();
    assertThat(new TopicAdmin.Replicas(6, 3, 3).weakerThan(asked)).isFalse();
    assertThat(new TopicAdmin.Replicas(6, 1, 1).weakerThan(asked)).isTrue();
    assertThat(new TopicAdmin.Replicas(6, 3, 1).weakerThan(asked)).isTrue();
    assertThat(new TopicAdmin.Replicas(6, 1, 1).weakerThan(Replication.CLUSTER_DEFAULT)).isFalse();
  }

  @Test
  void experimentTopicsCarryTheMinimumInSyncAsATopicConfig() {
    ExperimentTopics topics =
        ExperimentTopics.of("e").withReplication(new Replication((short) 3, 2));
    for (Topic<?> t : topics.all()) {
      assertThat(t.spec().replicationFactor()).as(t.spec().name()).isEqualTo((short) 3);
      assertThat(t.spec().configs()).containsEntry("min.insync.replicas", "2");
    }
    assertThat(ExperimentTopics.of("e").modelUpdates().spec().configs())
        .doesNotContainKey("min.insync.replicas");
  }
}
