package io.demlearn.aggregator;

import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.service.ServiceMeters;
import io.demlearn.schemas.avro.AggregationControl;
import io.demlearn.schemas.avro.AggregationInput;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.GroupContribution;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.avro.RoundTally;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The aggregator's intake, with level 1 (see {@link AggregatorTopology}): hierarchy versions
 * checked and sent, each once, to every intake task over the control topic; under a straggler
 * policy, the rounds' decisions sent the same way; and the updates, checked on their own, counted
 * and summed per group by {@link AgentIntake}.
 */
final class IntakeTopology {
  private IntakeTopology() {}

  static void add(StreamsBuilder builder, AggregatorTopology.Config c) {
    AvroSerdes serdes = c.serdes();
    ExperimentTopics topics = c.topics();
    Experiment e = c.experiment();
    var updateSerde = serdes.valueSerde(ModelUpdate.class);
    var controlSerde = serdes.valueSerde(AggregationControl.class);
    var raw = Consumed.with(Serdes.ByteArray(), Serdes.ByteArray());
    AggregatorTopology.store(
        builder,
        AggregatorTopology.INTAKE_HIERARCHIES,
        serdes.valueSerde(HierarchyAssignment.class),
        false);
    AggregatorTopology.store(builder, AggregatorTopology.INTAKE_COUNTED, Serdes.ByteArray(), false);
    AggregatorTopology.store(
        builder,
        AggregatorTopology.INTAKE_PARTIALS,
        serdes.valueSerde(GroupContribution.class),
        true);
    AggregatorTopology.store(builder, AggregatorTopology.INTAKE_ROUNDS, Serdes.Long(), false);
    AggregatorTopology.store(
        builder,
        AggregatorTopology.GATE_HIERARCHIES,
        serdes.valueSerde(HierarchyAssignment.class),
        false);
    Produced<String, AggregationControl> toEveryPartition =
        Produced.with(Serdes.String(), controlSerde)
            .withStreamPartitioner(
                (topic, key, value, n) ->
                    Optional.of(IntStream.range(0, n).boxed().collect(Collectors.toSet())));

    // hierarchy versions: checked, each once, to every intake task
    var hierarchies =
        AggregatorTopology.split(
            builder.stream(topics.hierarchyAssignments().name(), raw.withName("read-hierarchies"))
                .process(
                    () ->
                        new InputCheck<>(
                            e,
                            c.keys(),
                            serdes.valueSerde(HierarchyAssignment.class).deserializer(),
                            true),
                    Named.as("check-hierarchies")),
            c,
            "hierarchy-check-");
    AggregatorTopology.split(
            hierarchies
                .mapValues(v -> (AggregationInput) v, Named.as("as-hierarchy-input"))
                .process(
                    () -> new HierarchyGate(e),
                    Named.as("gate-hierarchies"),
                    AggregatorTopology.GATE_HIERARCHIES),
            c,
            "hierarchy-gate-")
        .mapValues(v -> (AggregationControl) v, Named.as("as-hierarchy-control"))
        .to(topics.aggregationControl().name(), toEveryPartition.withName("send-hierarchies"));
    if (e.closesEarly()) {
      AggregatorTopology.store(
          builder, AggregatorTopology.CLOSER_TALLIES, serdes.valueSerde(RoundTally.class), true);
      builder.stream(
              topics.roundTallies().name(),
              Consumed.with(Serdes.String(), serdes.valueSerde(RoundTally.class))
                  .withName("read-tallies"))
          .process(
              () -> new RoundCloser(e), Named.as("close-rounds"), AggregatorTopology.CLOSER_TALLIES)
          .mapValues(v -> (AggregationControl) v, Named.as("as-close-control"))
          .to(topics.aggregationControl().name(), toEveryPartition.withName("send-closes"));
    }

    // updates, checked, and the control records, into the intake
    KStream<String, SpecificRecord> updates =
        AggregatorTopology.split(
            builder.stream(topics.modelUpdates().name(), raw.withName("read-model-updates"))
                .process(
                    () -> new InputCheck<>(e, c.keys(), updateSerde.deserializer(), false),
                    Named.as("check-updates")),
            c,
            "update-check-");
    KStream<String, SpecificRecord> control =
        builder.stream(
                topics.aggregationControl().name(),
                Consumed.with(Serdes.String(), controlSerde).withName("read-control"))
            .mapValues(v -> (SpecificRecord) v, Named.as("as-control"));
    int partitions = topics.modelUpdates().spec().partitions();
    Map<String, KStream<String, SpecificRecord>> out =
        updates
            .merge(control, Named.as("merge-intake"))
            .process(
                () ->
                    new AgentIntake(
                        e,
                        partitions,
                        topics.modelUpdates().name(),
                        updateSerde.deserializer(),
                        updateSerde.serializer(),
                        c.updateLog(),
                        ServiceMeters.updatesAccepted(c.meters())),
                Named.as("count-updates"),
                AggregatorTopology.INTAKE_HIERARCHIES,
                AggregatorTopology.INTAKE_COUNTED,
                AggregatorTopology.INTAKE_PARTIALS,
                AggregatorTopology.INTAKE_ROUNDS)
            .split(Named.as("intake-"))
            .branch((k, v) -> v instanceof DeadLetter, Branched.as("refused"))
            .branch((k, v) -> v instanceof RoundTally, Branched.as("tallies"))
            .defaultBranch(Branched.as("sums"));
    AggregatorTopology.writeDeadLetters(c, out.get("intake-refused"), "write-refused-updates");
    out.get("intake-tallies")
        .mapValues(v -> (RoundTally) v, Named.as("as-tally"))
        .to(
            topics.roundTallies().name(),
            Produced.with(Serdes.String(), serdes.valueSerde(RoundTally.class))
                .withName("send-tallies"));
    AggregatorTopology.toLevels(c, out.get("intake-sums"), "send-partition-sums");
  }
}
