package io.demlearn.aggregator;

import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.ExperimentSpecs;
import io.demlearn.pipeline.service.ServiceMeters;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.GroupContribution;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.GroupState;
import io.demlearn.schemas.avro.ModelKind;
import io.demlearn.schemas.avro.RouteStep;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The aggregator's level stage: one running sum per (round, group), fed by the group's
 * contributions (key {@code round/group}, partitioned, so any number of instances and threads share
 * the groups). When every contribution the group's route names is in, the group's model (the exact
 * mean, times Amplify) is written to {@code group-models} and goes on, with its weight, as one
 * contribution to its parent, on the parent's level; the root's record says how many group models
 * the round has.
 */
final class GroupAggregator
    implements Processor<String, GroupContribution, String, SpecificRecord> {
  private static final Logger LOG = LoggerFactory.getLogger(GroupAggregator.class);

  private final Experiment experiment;
  private final ModelKind kind;
  private final MeterRegistry meters;
  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, GroupState> open;

  GroupAggregator(Experiment experiment, MeterRegistry meters) {
    this.experiment = experiment;
    this.meters = meters;
    this.kind = ExperimentSpecs.toAvro(experiment.settings().model());
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.open = context.getStateStore(AggregatorTopology.LEVEL_GROUPS);
  }

  @Override
  public void process(Record<String, GroupContribution> record) {
    GroupContribution c = record.value();
    GroupState state = open.get(record.key());
    RunningSum sum = new RunningSum(experiment.settings().architecture().dimension(), kind);
    List<String> received = new ArrayList<>();
    if (state != null) {
      if (state.getReceivedFrom().contains(c.getFrom())) {
        LOG.warn(
            "group {} of round {} already has the contribution of {}: counted once",
            c.getRoute().get(0).getGroupId(),
            c.getRound(),
            c.getFrom());
        return;
      }
      sum.restore(state);
      received.addAll(state.getReceivedFrom());
    }
    sum.add(c);
    received.add(c.getFrom());
    RouteStep step = c.getRoute().get(0);
    if (received.size() < step.getExpectedContributions()) {
      open.put(record.key(), sum.state(template(c), received));
      return;
    }
    open.delete(record.key());
    complete(c, sum);
  }

  private static GroupContribution.Builder template(GroupContribution c) {
    return GroupContribution.newBuilder(c).setFrom("combined").setVector(null).setSum(null);
  }

  private void complete(GroupContribution c, RunningSum sum) {
    List<RouteStep> route = c.getRoute();
    RouteStep step = route.get(0);
    boolean root = route.size() == 1;
    float[] model = sum.mean(c.getAmplify());
    long now = context.currentSystemTimeMs();
    if (model != null) {
      GroupModel g =
          GroupModel.newBuilder()
              .setExperimentId(experiment.id())
              .setRound(c.getRound())
              .setHierarchyVersion(c.getHierarchyVersion())
              .setGroupId(step.getGroupId())
              .setLevel(step.getLevel())
              .setMemberIds(sum.memberIds())
              .setExpectedMembers(step.getExpectedMembers())
              .setAgentCount(sum.agentCount())
              .setSampleCount(sum.sampleCount())
              .setAmplify(c.getAmplify())
              .setParameters(ParameterVectors.of(kind, model))
              .setMemberEvaluations(Map.copyOf(sum.evaluations()))
              .setGroupsInRound(root ? sum.groupsBelow() + 1 : 0)
              .setProducedAtMs(now)
              .build();
      context.forward(new Record<>(step.getGroupId(), g, now));
      context.commit(); // agents and the next level go on once it is committed
      ServiceMeters.groupModels(meters, step.getLevel()).increment();
      ServiceMeters.phase(meters, "aggregate", step.getLevel())
          .record(Math.max(0, now - c.getProducedAtMs()), TimeUnit.MILLISECONDS);
    }
    if (root) {
      LOG.debug("round {} aggregated: {} group models", c.getRound(), sum.groupsBelow() + 1);
      return;
    }
    RouteStep parent = route.get(1);
    GroupContribution up =
        GroupContribution.newBuilder()
            .setExperimentId(experiment.id())
            .setRound(c.getRound())
            .setHierarchyVersion(c.getHierarchyVersion())
            .setFrom(step.getGroupId())
            .setRoute(route.subList(1, route.size()))
            .setAmplify(c.getAmplify())
            .setWeight(
                model == null
                    ? 0
                    : AggregationPlan.groupWeight(
                        experiment.settings().weighting(), sum.agentCount(), sum.sampleCount()))
            .setAgentCount(model == null ? 0 : sum.agentCount())
            .setSampleCount(model == null ? 0 : sum.sampleCount())
            .setVector(model == null ? null : ParameterVectors.of(kind, model))
            .setSum(null)
            .setMemberIds(model == null ? List.of() : List.of(step.getGroupId()))
            .setMemberEvaluations(Map.of())
            .setGroupsBelow(sum.groupsBelow() + (model == null ? 0 : 1))
            .setProducedAtMs(now)
            .build();
    context.forward(new Record<>(AgentIntake.roundKey(c.getRound(), parent.getGroupId()), up, now));
  }
}
