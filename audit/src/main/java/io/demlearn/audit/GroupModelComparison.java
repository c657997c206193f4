package io.demlearn.audit;

import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.GroupModels;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.avro.ParameterVector;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Recorded group models against those recomputed from the recorded updates: every field but the
 * time each was produced, and the parameters bit for bit. Recorded parameters are kept only as a
 * digest; when the digests differ the record is read again to name the first parameter that
 * differs.
 */
final class GroupModelComparison {
  private final Audit.Refetch<GroupModel> groupModelsAt;
  private final Map<String, byte[]> digests = new HashMap<>();

  GroupModelComparison(Audit.Refetch<GroupModel> groupModelsAt) {
    this.groupModelsAt = groupModelsAt;
  }

  /** Remembers a recorded group model's parameters, as a digest. */
  void remember(Located<GroupModel> at) {
    digests.put(at.where(), digest(at.value().getParameters()));
  }

  /**
   * The first of a round's recorded group models that differs from those recomputed from the
   * round's updates, or null if all follow.
   *
   * @param updates per agent in {@code agentIds}' order, its update the round averaged, or null
   */
  Finding round(
      Experiment experiment,
      int round,
      HierarchyVersion hv,
      List<String> agentIds,
      List<ModelUpdate> updates,
      List<Located<GroupModel>> recorded) {
    Map<String, GroupModel> expected = new HashMap<>();
    for (GroupModel g : GroupModels.of(experiment, round, hv, agentIds, updates, 0L)) {
      expected.put(g.getGroupId(), g);
    }
    Set<String> seen = new HashSet<>();
    for (Located<GroupModel> got : recorded) {
      GroupModel g = got.value();
      GroupModel want = expected.get(g.getGroupId());
      String problem =
          want == null
              ? String.format(
                  Locale.ROOT,
                  "group %s has no members present in round %d under hierarchy version %d",
                  g.getGroupId(),
                  round,
                  hv.version())
              : difference(got, want);
      if (problem != null) {
        return new Finding(got.where(), describe(g) + ": " + problem);
      }
      seen.add(g.getGroupId());
    }
    for (String group : expected.keySet()) {
      if (!seen.contains(group)) {
        return new Finding(
            "round " + round,
            "group " + group + " has no group model although its members reported");
      }
    }
    return null;
  }

  static String describe(GroupModel g) {
    return "group model of round " + g.getRound() + ", group " + g.getGroupId();
  }

  /** The first field in which a recorded group model differs from the recomputed one, or null. */
  String difference(Located<GroupModel> at, GroupModel want) {
    GroupModel got = at.value();
    if (got.getHierarchyVersion() != want.getHierarchyVersion()) {
      return "hierarchy version "
          + got.getHierarchyVersion()
          + ", but round "
          + got.getRound()
          + " is under version "
          + want.getHierarchyVersion();
    }
    if (!got.getMemberIds().equals(want.getMemberIds())) {
      return "members " + got.getMemberIds() + ", recomputed " + want.getMemberIds();
    }
    if (got.getLevel() != want.getLevel()
        || got.getExpectedMembers() != want.getExpectedMembers()
        || got.getAgentCount() != want.getAgentCount()
        || got.getSampleCount() != want.getSampleCount()
        || got.getGroupsInRound() != want.getGroupsInRound()
        || Double.compare(got.getAmplify(), want.getAmplify()) != 0) {
      return String.format(
          Locale.ROOT,
          "level/expected members/agents/samples/groups in round/amplify %d/%d/%d/%d/%d/%s,"
              + " recomputed %d/%d/%d/%d/%d/%s",
          got.getLevel(),
          got.getExpectedMembers(),
          got.getAgentCount(),
          got.getSampleCount(),
          got.getGroupsInRound(),
          got.getAmplify(),
          want.getLevel(),
          want.getExpectedMembers(),
          want.getAgentCount(),
          want.getSampleCount(),
          want.getGroupsInRound(),
          want.getAmplify());
    }
    if (!Objects.equals(got.getMemberEvaluations(), want.getMemberEvaluations())) {
      return "its members' evaluations differ from those their updates carry";
    }
    if (Arrays.equals(digests.get(at.where()), digest(want.getParameters()))) {
      return null;
    }
    GroupModel recorded =
        groupModelsAt.apply(at.partition(), new TreeSet<>(List.of(at.offset()))).get(at.offset());
    if (recorded == null) {
      return "its parameters differ from the recomputed ones, and it cannot be read again to say"
          + " where";
    }
    float[] a = ParameterVectors.toFloats(recorded.getParameters());
    float[] b = ParameterVectors.toFloats(want.getParameters());
    if (a.length != b.length) {
      return a.length + " parameters, recomputed " + b.length;
    }
    for (int k = 0; k < a.length; k++) {
      if (Float.floatToRawIntBits(a[k]) != Float.floatToRawIntBits(b[k])) {
        return "parameter "
            + k
            + " is "
            + a[k]
            + ", recomputed "
            + b[k]
            + " (first of "
            + countDifferent(a, b)
            + " that differ)";
      }
    }
    return "its parameter bytes differ from the recomputed ones";
  }

  /** SHA-256 of a parameter vector: its model kind, dimension and values. */
  static byte[] digest(ParameterVector p) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update((p.getModelKind() + "/" + p.getDimension() + "/").getBytes(StandardCharsets.UTF_8));
      md.update(p.getValues().duplicate());
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static int countDifferent(float[] a, float[] b) {
    int n = 0;
    for (int k = 0; k < a.length; k++) {
      n += Float.floatToRawIntBits(a[k]) != Float.floatToRawIntBits(b[k]) ? 1 : 0;
    }
    return n;
  }
}
