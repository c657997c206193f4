package io.demlearn.aggregator;

import io.demlearn.core.aggregate.HierarchicalAggregation;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.sim.ExperimentSettings;
import io.demlearn.core.sim.HierarchyVersion;
import io.demlearn.core.sim.Strategy;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.AgentEvaluation;
import io.demlearn.schemas.avro.AggregationInput;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.convert.ExperimentSpecs;
import io.demlearn.schemas.convert.Hierarchies;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes rounds in order: round r closes when its hierarchy version is known and every agent it
 * names has reported; then every group model of the round is computed bottom-up, in the
 * hierarchy's fixed summation order (so the result does not depend on arrival order), and emitted.
 * An agent reporting twice for a round counts once; updates for rounds already closed are dropped.
 */
final class RoundAggregator implements Processor<String, AggregationInput, String, GroupModel> {
  private static final Logger LOG = LoggerFactory.getLogger(RoundAggregator.class);
  private static final String NEXT_ROUND = "next-round";

  private final String experimentId;
  private final ExperimentSettings settings;
  private final Strategy strategy;
  private ProcessorContext<String, GroupModel> context;
  private KeyValueStore<String, ModelUpdate> pending;
  private KeyValueStore<String, HierarchyAssignment> hierarchyStore;
  private KeyValueStore<String, Integer> progress;
  private final TreeMap<Integer, HierarchyVersion> versions = new TreeMap<>();
  private final Map<Integer, List<String>> agentIdsByEffectiveRound = new HashMap<>();
  private int nextRound;

  RoundAggregator(String experimentId, ExperimentSettings settings) {
    this.experimentId = experimentId;
    this.settings = settings;
    this.strategy = settings.strategy();
  }

  static String pendingKey(int round, String agentId) {
    return String.format("%010d/%s", round, agentId);
  }

  @Override
  public void init(ProcessorContext<String, GroupModel> context) {
    this.context = context;
    this.pending = context.getStateStore(AggregatorTopology.PENDING_STORE);
    this.hierarchyStore = context.getStateStore(AggregatorTopology.HIERARCHY_STORE);
    this.progress = context.getStateStore(AggregatorTopology.PROGRESS_STORE);
    Integer next = progress.get(NEXT_ROUND);
    nextRound = next == null ? 0 : next;
    try (KeyValueIterator<String, HierarchyAssignment> it = hierarchyStore.all()) {
      while (it.hasNext()) {
        remember(it.next().value);
      }
    }
  }

  private void remember(HierarchyAssignment h) {
    HierarchyVersion hv = Hierarchies.fromRecord(h);
    versions.put(hv.effectiveFromRound(), hv);
    agentIdsByEffectiveRound.put(hv.effectiveFromRound(), List.copyOf(h.getAgentIds()));
  }

  @Override
  public void process(Record<String, AggregationInput> record) {
    AggregationInput in = record.value();
    if (in == null) {
      return;
    }
    if (in.getHierarchy() != null) {
      HierarchyAssignment h = in.getHierarchy();
      if (!experimentId.equals(h.getExperimentId())) {
        LOG.warn("hierarchy version {} belongs to experiment {}, not {}: ignored", h.getVersion(), h.getExperimentId(), experimentId);
      } else {
        hierarchyStore.put(String.format("%010d", h.getEffectiveFromRound()), h);
        remember(h);
      }
    }
    if (in.getUpdate() != null) {
      ModelUpdate u = in.getUpdate();
      if (!experimentId.equals(u.getExperimentId())) {
        LOG.warn("update of {} for round {} belongs to experiment {}, not {}: ignored", u.getAgentId(), u.getRound(),
            u.getExperimentId(), experimentId);
      } else if (u.getRound() < nextRound) {
        LOG.debug("update of {} for round {} arrived after the round closed: not averaged", u.getAgentId(), u.getRound());
      } else {
        String key = pendingKey(u.getRound(), u.getAgentId());
        if (pending.get(key) == null) {
          pending.put(key, u);
        }
      }
    }
    closeRounds(record.timestamp());
  }

  private void closeRounds(long timestamp) {
    while (nextRound < settings.rounds()) {
      HierarchyVersion hv = strategy.versionFor(nextRound, versions);
      if (hv == null) {
        return;
      }
      List<String> agentIds = agentIdsByEffectiveRound.get(hv.effectiveFromRound());
      List<ModelUpdate> updates = new ArrayList<>(agentIds.size());
      for (String id : agentIds) {
        ModelUpdate u = pending.get(pendingKey(nextRound, id));
        if (u == null) {
          return; // not every member has reported yet
        }
        updates.add(u);
      }
      emit(nextRound, hv, agentIds, updates, timestamp);
      for (String id : agentIds) {
        pending.delete(pendingKey(nextRound, id));
      }
      nextRound++;
      progress.put(NEXT_ROUND, nextRound);
    }
  }

  private void emit(int round, HierarchyVersion hv, List<String> agentIds, List<ModelUpdate> updates, long timestamp) {
    List<float[]> trained = new ArrayList<>(updates.size());
    int[] samples = new int[updates.size()];
    for (int a = 0; a < updates.size(); a++) {
      trained.add(ParameterVectors.toFloats(updates.get(a).getParameters()));
      samples[a] = updates.get(a).getTrainSamples();
    }
    Map<String, float[]> groups = strategy.aggregate(round, hv, trained, samples);
    double amplify = strategy.amplifyIn(round, hv);
    long now = System.currentTimeMillis();
    Hierarchy tree = hv.tree();
    for (Hierarchy.Group g : tree.topDown()) {
      List<String> members = new ArrayList<>();
      for (HierarchicalAggregation.Member m : HierarchicalAggregation.members(g)) {
        members.add(m.isAgent() ? agentIds.get(m.agent()) : m.group());
      }
      long sampleCount = 0;
      for (int a : g.members()) {
        sampleCount += samples[a];
      }
      Map<String, AgentEvaluation> evaluations = new TreeMap<>();
      for (int a : g.agents()) {
        if (updates.get(a).getEvaluation() != null) {
          evaluations.put(agentIds.get(a), updates.get(a).getEvaluation());
        }
      }
      GroupModel out = GroupModel.newBuilder()
          .setExperimentId(experimentId).setRound(round).setHierarchyVersion(hv.version())
          .setGroupId(g.id()).setLevel(g.level()).setMemberIds(members).setExpectedMembers(members.size())
          .setAgentCount(g.agentCount()).setSampleCount(sampleCount).setAmplify(amplify)
          .setParameters(ParameterVectors.of(ExperimentSpecs.toAvro(settings.model()), groups.get(g.id())))
          .setMemberEvaluations(evaluations)
          .setProducedAtMs(now)
          .build();
      context.forward(new Record<>(g.id(), out, timestamp));
    }
    LOG.debug("round {} closed: {} group models under hierarchy version {}", round, tree.topDown().size(), hv.version());
  }

}
