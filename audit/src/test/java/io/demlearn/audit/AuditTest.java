package io.demlearn.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.experiment.Algorithm;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.metrics.AgentScore;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.Features;
import io.demlearn.pipeline.records.GroupModels;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.pipeline.records.ModelUpdates;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelKind;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.avro.PipelinePolicy;
import io.demlearn.schemas.registry.InMemorySchemaRegistry;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The audit fed an experiment's log as records, without Kafka: a faithful log passes, each kind of
 * fault is named.
 */
class AuditTest {
  static final List<String> AGENTS = List.of("agent-000", "agent-001", "agent-002", "agent-003");
  static final int DIM = 7850;

  /** An experiment's topics in memory: each record at its offset (one partition per topic). */
  final class Log {
    final Experiment experiment;
    final ExperimentTopics topics;
    final List<HierarchyAssignment> hierarchies = new ArrayList<>();
    final List<ModelUpdate> updates = new ArrayList<>();
    final List<GroupModel> groupModels = new ArrayList<>();
    final List<DeadLetter> deadLetters = new ArrayList<>();
    final List<Integer> closedRounds = new ArrayList<>();
    final List<ClusteringFeatures> features = new ArrayList<>();

    Log(PipelinePolicy policy) {
      this(policy, 0);
    }

    /** An experiment that clusters a projection to {@code clusterDims} dimensions (0: none). */
    Log(PipelinePolicy policy, int clusterDims) {
      this.experiment =
          new Experiment(
              "audit-test",
              ExperimentSettings.builder()
                  .algorithm(Algorithm.DEMLEARN_P)
                  .dataset("synthetic")
                  .agents(4)
                  .rounds(3)
                  .levels(2)
                  .threads(1)
                  .clusterDims(clusterDims)
                  .build(),
              AGENTS,
              policy);
      this.topics = ExperimentTopics.of(experiment.id());
    }

    /**
     * A round as the pipeline records it: the hierarchy, the updates of the agents present, their
     * group models.
     */
    void round(int round, boolean... absent) {
      round(round, -1, absent);
    }

    /** {@link #round(int, boolean...)} in which agent {@code silent} sends nothing. */
    void round(int round, int silent, boolean... absent) {
      HierarchyVersion hv = version(round);
      hierarchies.add(Hierarchies.toRecord(experiment.id(), hv, AGENTS, experiment.settings(), 0));
      List<ModelUpdate> counted = new ArrayList<>();
      for (int a = 0; a < AGENTS.size(); a++) {
        ModelUpdate u = a == silent ? null : update(a, round);
        if (u != null) {
          updates.add(u);
        }
        counted.add(a < absent.length && absent[a] ? null : u);
      }
      groupModels.addAll(GroupModels.of(experiment, round, hv, AGENTS, counted, 1000L * round));
    }

    ModelUpdate update(int agent, int round) {
      float[] p = new float[DIM];
      Arrays.fill(p, agent + round * 0.5f);
      return ModelUpdates.of(
          experiment,
          AGENTS.get(agent),
          round,
          round - 1,
          10 * (agent + 1),
          p,
          new AgentScore(agent, 10, agent, 100),
          0);
    }

    /** Every update's clustering features, as the workers publish them. */
    void shareFeatures() {
      List<float[]> models = new ArrayList<>();
      updates.forEach(u -> models.add(ParameterVectors.toFloats(u.getParameters())));
      List<float[]> projected = experiment.settings().strategy().clusteringFeatures(models);
      for (int i = 0; i < updates.size(); i++) {
        ModelUpdate u = updates.get(i);
        features.add(
            Features.of(
                experiment.id(),
                u.getAgentId(),
                u.getRound(),
                u.getHierarchyVersion(),
                projected.get(i)));
      }
    }

    int offsetOf(ModelUpdate u) {
      return updates.indexOf(u);
    }

    /**
     * Feeds every record to an audit as a reader decodes it from the log (it drops the parameters
     * of what it keeps).
     */
    Audit audit() {
      Audit audit =
          new Audit(
              experiment,
              (partition, offsets) -> at(updates, offsets),
              (partition, offsets) -> at(groupModels, offsets));
      for (int i = 0; i < groupModels.size(); i++) {
        audit.groupModel(
            decoded(groupModels.get(i), GroupModel.class),
            record(topics.groupModels().name(), i, null));
      }
      for (int i = 0; i < hierarchies.size(); i++) {
        audit.hierarchy(
            decoded(hierarchies.get(i), HierarchyAssignment.class),
            record(topics.hierarchyAssignments().name(), i, null));
      }
      closedRounds.forEach(audit::closedRound);
      for (int i = 0; i < updates.size(); i++) {
        ModelUpdate u = updates.get(i);
        audit.update(
            decoded(u, ModelUpdate.class), record(topics.modelUpdates().name(), i, u.getAgentId()));
      }
      if (experiment.clustersPublishedFeatures()) {
        audit.featuresRecorded();
        for (int i = 0; i < features.size(); i++) {
          ClusteringFeatures f = features.get(i);
          audit.features(
              decoded(f, ClusteringFeatures.class),
              record(topics.clusteringFeatures().name(), i, f.getAgentId()));
        }
      }
      deadLetters.forEach(audit::deadLetter);
      return audit;
    }
  }

  private final String scope = "audit-" + UUID.randomUUID();
  private final AvroSerdes serdes =
      new AvroSerdes(Map.of(SchemaRegistryConfig.URL, "mock://" + scope));

  @AfterEach
  void dropRegistry() {
    serdes.close();
    InMemorySchemaRegistry.dropScope(scope);
  }

  /** A record written to the wire and read back, as a reader of the log gets it. */
  <T extends SpecificRecord> T decoded(T value, Class<T> type) {
    var serde = serdes.valueSerde(type);
    String topic = "audit-test-" + type.getSimpleName();
    return serde.deserializer().deserialize(topic, serde.serializer().serialize(topic, value));
  }

  static <T> Map<Long, T> at(List<T> records, NavigableSet<Long> offsets) {
    Map<Long, T> out = new HashMap<>();
    offsets.forEach(o -> out.put(o, records.get(o.intValue())));
    return out;
  }

  static ConsumerRecord<String, byte[]> record(String topic, int offset, String key) {
    return new ConsumerRecord<>(topic, 0, offset, key, null);
  }

  static HierarchyVersion version(int round) {
    Dendrogram d =
        new Dendrogram(
            4,
            List.of(
                new Dendrogram.Merge(0, 1, 1.0, 2),
                new Dendrogram.Merge(2, 3, 1.5, 2),
                new Dendrogram.Merge(4, 5, 3.0, 4)));
    return new HierarchyVersion(Hierarchy.fromDendrogram(d, 2), d, round, round);
  }

  @Test
  void aFaithfulLogPasses() {
    Log log = new Log(Experiment.defaultPolicy());
    log.round(0);
    log.round(1);
    Audit audit = log.audit();
    assertThat(audit.check()).isNull();
    assertThat(audit.summary().updatesCounted()).isEqualTo(8);
    assertThat(audit.summary().groupModelsRead()).isEqualTo(6);
    assertThat(audit.summary().hierarchyVersions()).isEqualTo(2);
    assertThat(audit.summary().lastRound()).isEqualTo(1);
    assertThat(audit.summary().partialRound()).isEqualTo(-1);
  }

  @Test
  void underAProjectionEveryCountedUpdateNeedsItsOwnClusteringFeatures() {
    Log log = new Log(Experiment.defaultPolicy(), 16);
    assertThat(log.experiment.clustersPublishedFeatures()).isTrue();
    log.round(0);
    log.round(1);
    log.shareFeatures();
    assertThat(log.audit().check()).isNull();

    // features that are not the projection of their update are named, with the update
    ClusteringFeatures forged = log.features.get(5);
    float[] values = Features.values(forged);
    values[3] += 1e-3f;
    log.features.set(5, Features.of(log.experiment.id(), forged.getAgentId(), 1, 0, values));
    Finding f = log.audit().check();
    assertThat(f).isNotNull();
    assertThat(f.where())
        .isEqualTo(log.topics.clusteringFeatures().name() + " partition 0 offset 5");
    assertThat(f.problem())
        .contains("clustering features of agent agent-001 for round 1 are not the projection")
        .contains(log.topics.modelUpdates().name() + " partition 0 offset 5");

    // an update whose features never came could not have been clustered
    log.features.remove(5);
    assertThat(log.audit().check().problem())
        .contains("update of agent agent-001 for round 1 counts, but no clustering features");
  }

  @Test
  void aChangedParameterIsNamedWithTheRecordAndTheFirstParameterThatDiffers() {
    Log log = new Log(Experiment.defaultPolicy());
    log.round(0);
    log.round(1);
    GroupModel tampered = log.groupModels.get(4);
    float[] p = ParameterVectors.toFloats(tampered.getParameters());
    p[42] += 1e-3f;
    tampered.setParameters(ParameterVectors.of(ModelKind.MLR, p));
    Finding f = log.audit().check();
    assertThat(f).isNotNull();
    assertThat(f.where()).isEqualTo(log.topics.groupModels().name() + " partition 0 offset 4");
    assertThat(f.problem())
        .contains("round 1")
        .contains("parameter 42 is")
        .contains("first of 1 that differ");
  }

  @Test
  void aGroupModelAveragingAnAgentWithoutACountedUpdateIsNamed() {
    Log log = new Log(Experiment.defaultPolicy());
    log.round(0);
    ModelUpdate other = log.updates.get(2);
    other.setExperimentId(
        "another"); // refused by every reader: agent-002 has no counted update of round 0
    Finding f = log.audit().check();
    assertThat(f).isNotNull();
    assertThat(f.problem())
        .contains(
            "names agent agent-002 as a member, but no update of agent-002 for round 0 counts");
  }

  @Test
  void withoutAStragglerPolicyARoundMustAverageEveryAgent() {
    Log log = new Log(Experiment.defaultPolicy());
    log.round(0, false, true);
    assertThat(log.audit().check().problem())
        .contains("averaged 3 of its 4 agents")
        .contains("no straggler policy");
  }

  @Test
  void anUpdateLeftOutOfItsRoundNeedsALateDeadLetter() {
    Log log = new Log(Experiment.policy(1e6, 1000, 0.75));
    log.round(0, false, true);
    log.round(1);
    Finding missing = log.audit().check();
    assertThat(missing).isNotNull();
    assertThat(missing.problem())
        .contains("the update of agent agent-001 for round 0 counts, but no group model");

    log.deadLetters.add(late(log, log.updates.get(1)));
    Audit audit = log.audit();
    assertThat(audit.check()).isNull();
    assertThat(audit.summary().lateUpdates()).isEqualTo(1);
  }

  static DeadLetter late(Log log, ModelUpdate u) {
    return DeadLetter.newBuilder()
        .setExperimentId(log.experiment.id())
        .setSourceTopic(log.topics.modelUpdates().name())
        .setSourcePartition(0)
        .setSourceOffset(log.offsetOf(u))
        .setReason(DeadLetterReason.LATE)
        .setDetail("closed without it")
        .setKey(null)
        .setValue(null)
        .setRecordTimestampMs(0)
        .setDetectedBy("test")
        .setDetectedAtMs(0)
        .build();
  }

  @Test
  void anAgentCatchingUpSkipsOnlyRoundsTheStragglerPolicyClosedWithoutIt() {
    Log log = new Log(Experiment.policy(1e6, 1000, 0.75));
    log.round(0, false, true); // agent 1 late in round 0
    log.deadLetters.add(late(log, log.updates.get(1)));
    log.round(1, 1); // still behind: it sends nothing for round 1
    log.round(2); // it catches up: its update of round 2 is averaged
    log.closedRounds.addAll(List.of(0, 1));
    assertThat(log.audit().check()).isNull();

    log.closedRounds.remove(Integer.valueOf(1));
    assertThat(log.audit().check())
        .as("round 1 was not closed: agent 1's update of round 2 may not skip it")
        .isNotNull();
  }

  @Test
  void aPartlyCommittedNewestRoundIsLeftOutAndARoundWithoutHierarchyIsNamed() {
    Log log = new Log(Experiment.defaultPolicy());
    log.round(0);
    log.round(1);
    log.groupModels.remove(log.groupModels.size() - 1);
    Audit partial = log.audit();
    assertThat(partial.check()).isNull();
    assertThat(partial.summary().partialRound()).isEqualTo(1);

    Log noHierarchy = new Log(Experiment.defaultPolicy());
    noHierarchy.round(0);
    noHierarchy.round(1);
    noHierarchy.round(2);
    noHierarchy.hierarchies.remove(1);
    assertThat(noHierarchy.audit().check().problem())
        .contains("round 1 has no hierarchy version in force");
  }
}
