package io.demlearn.schemas;

import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.ClusteringSettings;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.ExperimentSpec;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.GroupNode;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.LinkageRow;
import io.demlearn.schemas.avro.ModelKind;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.avro.RoundMetrics;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.specific.SpecificRecord;

/** One filled-in record of every message type, with every optional field set. */
public final class SampleRecords {
  private SampleRecords() {}

  public static float[] randomFloats(int n, long seed) {
    Random random = new Random(seed);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) random.nextGaussian();
    }
    return out;
  }

  public static ExperimentSpec experimentSpec(String experimentId) {
    return ExperimentSpec.newBuilder()
        .setExperimentId(experimentId)
        .setCreatedAtMs(1_764_000_000_000L)
        .setAlgorithm("demlearn-p")
        .setModelKind(ModelKind.MLR)
        .setDataset("fashion-mnist")
        .setPartitionFile("fmnist-50agents-seed1.json")
        .setAgents(50)
        .setRounds(20)
        .setSeed(1)
        .setLearningRate(0.05)
        .setBatchSize(10)
        .setLocalEpochs(2)
        .setMu(0.002)
        .setAlpha(0.7)
        .setLevels(3)
        .setReclusterEvery(1)
        .setAmplify(1.0)
        .setDistanceMetric("euclidean")
        .setLinkage("average")
        .setWeighting("agents")
        .setExtra(Map.of("note", "sample"))
        .build();
  }

  public static ModelUpdate modelUpdate(
      String experimentId, String agentId, int round, float[] params) {
    return ModelUpdate.newBuilder()
        .setExperimentId(experimentId)
        .setRound(round)
        .setHierarchyVersion(3)
        .setAgentId(agentId)
        .setTrainSamples(73)
        .setParameters(ParameterVectors.of(ModelKind.MLR, params))
        .setProducedAtMs(1_764_000_000_123L)
        .build();
  }

  public static GroupModel groupModel(String experimentId) {
    return GroupModel.newBuilder()
        .setExperimentId(experimentId)
        .setRound(4)
        .setHierarchyVersion(3)
        .setGroupId("L1-g2")
        .setLevel(1)
        .setMemberIds(List.of("agent-001", "agent-007"))
        .setExpectedMembers(3)
        .setAgentCount(2)
        .setSampleCount(150)
        .setAmplify(1.15)
        .setParameters(ParameterVectors.of(ModelKind.MLP, randomFloats(100, 2)))
        .setProducedAtMs(1_764_000_000_456L)
        .build();
  }

  public static HierarchyAssignment hierarchyAssignment(String experimentId) {
    return HierarchyAssignment.newBuilder()
        .setExperimentId(experimentId)
        .setVersion(3)
        .setEffectiveFromRound(4)
        .setClusteredAtRound(3)
        .setLevels(3)
        .setAgentIds(List.of("agent-000", "agent-001", "agent-002"))
        .setLinkage(
            List.of(
                LinkageRow.newBuilder().setLeft(0).setRight(2).setDistance(0.5).setSize(2).build(),
                LinkageRow.newBuilder()
                    .setLeft(1)
                    .setRight(3)
                    .setDistance(1.25)
                    .setSize(3)
                    .build()))
        .setGroups(
            List.of(
                GroupNode.newBuilder()
                    .setGroupId("root")
                    .setLevel(4)
                    .setParentId(null)
                    .setChildGroupIds(List.of("L3-0"))
                    .setAgentIds(List.of("agent-001"))
                    .build(),
                GroupNode.newBuilder()
                    .setGroupId("L3-0")
                    .setLevel(3)
                    .setParentId("root")
                    .setChildGroupIds(List.of())
                    .setAgentIds(List.of("agent-000", "agent-002"))
                    .build()))
        .setSettings(
            ClusteringSettings.newBuilder()
                .setDistanceMetric("euclidean")
                .setLinkage("average")
                .setLevels(3)
                .setReclusterEvery(1)
                .setFeatures("parameters")
                .build())
        .setCreatedAtMs(1_764_000_000_789L)
        .build();
  }

  public static RoundMetrics roundMetrics(String experimentId) {
    return RoundMetrics.newBuilder()
        .setExperimentId(experimentId)
        .setRound(19)
        .setHierarchyVersion(19)
        .setCSpe(0.914)
        .setCGen(0.634)
        .setGlobal(0.690)
        .setGSpe(List.of(0.9, 0.8, 0.7, 0.69))
        .setGGen(List.of(0.6, 0.65, 0.68, 0.69))
        .setGroupMembers(Map.of("root", 2, "L3-0", 2))
        .setSeconds(0.25)
        .setTimings(Map.of("train", 0.1, "evaluate", 0.12))
        .build();
  }

  public static DeadLetter deadLetter(String experimentId) {
    return DeadLetter.newBuilder()
        .setExperimentId(experimentId)
        .setSourceTopic("demlearn." + experimentId + ".model-updates")
        .setSourcePartition(2)
        .setSourceOffset(41)
        .setReason(DeadLetterReason.NOT_WIRE_FORMAT)
        .setDetail("first byte is 0x7b")
        .setKey(ByteBuffer.wrap(new byte[] {'a', '1'}))
        .setValue(ByteBuffer.wrap(new byte[] {'{', '}'}))
        .setRecordTimestampMs(1_764_000_000_000L)
        .setDetectedBy("aggregator-streams")
        .setDetectedAtMs(1_764_000_000_001L)
        .build();
  }

  public static ClusteringFeatures clusteringFeatures(String experimentId) {
    float[] values = randomFloats(256, 2);
    ByteBuffer bytes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return ClusteringFeatures.newBuilder()
        .setExperimentId(experimentId)
        .setRound(7)
        .setHierarchyVersion(6)
        .setAgentId("agent-003")
        .setDimension(values.length)
        .setValues(bytes)
        .build();
  }

  /** One sample of every message type. */
  public static List<SpecificRecord> all(String experimentId) {
    return List.of(
        experimentSpec(experimentId),
        modelUpdate(experimentId, "agent-003", 7, randomFloats(7850, 1)),
        groupModel(experimentId),
        hierarchyAssignment(experimentId),
        roundMetrics(experimentId),
        deadLetter(experimentId),
        clusteringFeatures(experimentId));
  }
}
