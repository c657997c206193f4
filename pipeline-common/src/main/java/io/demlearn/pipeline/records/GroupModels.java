package io.demlearn.pipeline.records;

import io.demlearn.core.aggregate.HierarchicalAggregation;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.core.strategy.Strategy;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.AgentEvaluation;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.ModelUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A round's group models as records: what the aggregator writes and what {@code demlearn audit}
 * recomputes from the recorded updates to check what was written.
 */
public final class GroupModels {
  private GroupModels() {}

  /**
   * The group models of one round, bottom-up from the updates present, top-down in the hierarchy's
   * order; a group none of whose members reported has none. Members are listed agents first, then
   * groups, each sorted; the root's record says how many group models the round has (the others 0:
   * they are written before that is known).
   *
   * @param agentIds the hierarchy's agents in leaf order
   * @param updates per agent in {@code agentIds}' order, its counted update, or null if absent
   */
  public static List<GroupModel> of(
      Experiment experiment,
      int round,
      HierarchyVersion hv,
      List<String> agentIds,
      List<ModelUpdate> updates,
      long producedAtMs) {
    Strategy strategy = experiment.settings().strategy();
    List<float[]> trained = new ArrayList<>(updates.size());
    int[] samples = new int[updates.size()];
    for (int a = 0; a < updates.size(); a++) {
      ModelUpdate u = updates.get(a);
      trained.add(u == null ? null : ParameterVectors.toFloats(u.getParameters()));
      samples[a] = u == null ? 0 : u.getTrainSamples();
    }
    Map<String, float[]> groups = strategy.aggregate(round, hv, trained, samples);
    double amplify = strategy.amplifyIn(round, hv);
    List<GroupModel> out = new ArrayList<>(groups.size());
    for (Hierarchy.Group g : hv.tree().topDown()) {
      float[] model = groups.get(g.id());
      if (model == null) {
        continue;
      }
      List<HierarchicalAggregation.Member> expected = HierarchicalAggregation.members(g);
      TreeSet<String> agents = new TreeSet<>();
      TreeSet<String> subGroups = new TreeSet<>();
      for (HierarchicalAggregation.Member m : expected) {
        if (m.isAgent() ? updates.get(m.agent()) != null : groups.containsKey(m.group())) {
          (m.isAgent() ? agents : subGroups).add(m.isAgent() ? agentIds.get(m.agent()) : m.group());
        }
      }
      List<String> members = new ArrayList<>(agents);
      members.addAll(subGroups);
      int agentCount = 0;
      long sampleCount = 0;
      for (int a : g.members()) {
        if (updates.get(a) != null) {
          agentCount++;
          sampleCount += samples[a];
        }
      }
      Map<String, AgentEvaluation> evaluations = new TreeMap<>();
      for (int a : g.agents()) {
        if (updates.get(a) != null && updates.get(a).getEvaluation() != null) {
          evaluations.put(agentIds.get(a), updates.get(a).getEvaluation());
        }
      }
      out.add(
          GroupModel.newBuilder()
              .setExperimentId(experiment.id())
              .setRound(round)
              .setHierarchyVersion(hv.version())
              .setGroupId(g.id())
              .setLevel(g.level())
              .setMemberIds(members)
              .setExpectedMembers(expected.size())
              .setAgentCount(agentCount)
              .setSampleCount(sampleCount)
              .setAmplify(amplify)
              .setParameters(
                  ParameterVectors.of(ExperimentSpecs.toAvro(experiment.settings().model()), model))
              .setMemberEvaluations(evaluations)
              .setGroupsInRound(g.isRoot() ? groups.size() : 0)
              .setProducedAtMs(producedAtMs)
              .build());
    }
    return out;
  }
}
