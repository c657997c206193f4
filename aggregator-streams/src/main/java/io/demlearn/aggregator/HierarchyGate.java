package io.demlearn.aggregator;

import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.checks.HierarchyChecks;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.schemas.avro.AggregationControl;
import io.demlearn.schemas.avro.AggregationInput;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.HierarchyAssignment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Lets through each hierarchy version once, to every intake task: the first version read for a
 * round counts; one that differs from it becomes a {@code CONFLICTING_DUPLICATE} dead letter, the
 * same one read again is dropped. Keeps the versions of the last {@value
 * AggregatorTopology#RETAINED_ROUNDS} rounds they take effect from.
 */
final class HierarchyGate implements Processor<String, AggregationInput, String, SpecificRecord> {
  private final Experiment experiment;
  private ProcessorContext<String, SpecificRecord> context;
  private DeadLetterOut deadLetters;
  private KeyValueStore<String, HierarchyAssignment> accepted;

  HierarchyGate(Experiment experiment) {
    this.experiment = experiment;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.deadLetters = new DeadLetterOut(experiment.id(), context);
    this.accepted = context.getStateStore(AggregatorTopology.GATE_HIERARCHIES);
  }

  @Override
  public void process(Record<String, AggregationInput> record) {
    HierarchyAssignment h = record.value().getHierarchy();
    if (h == null) {
      return;
    }
    String key = String.format(Locale.ROOT, "%010d", h.getEffectiveFromRound());
    HierarchyAssignment first = accepted.get(key);
    HierarchyVersion hv = Hierarchies.fromRecord(h);
    if (first != null) {
      HierarchyVersion known = Hierarchies.fromRecord(first);
      if (HierarchyChecks.conflicts(known, hv)) {
        deadLetters.write(
            record.value().getSource(),
            DeadLetterReason.CONFLICTING_DUPLICATE,
            String.format(
                Locale.ROOT,
                "hierarchy version %d for round %d differs from version %d, read first for"
                    + " that round; the first one counts",
                h.getVersion(),
                h.getEffectiveFromRound(),
                known.version()),
            record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8),
            null,
            record.timestamp());
      }
      return;
    }
    accepted.put(key, h);
    forgetBefore(h.getEffectiveFromRound() - AggregatorTopology.RETAINED_ROUNDS);
    long now = context.currentSystemTimeMs();
    context.forward(
        new Record<>(
            "hierarchy/" + key,
            AggregationControl.newBuilder().setHierarchy(h).setDecidedAtMs(now).build(),
            now));
    context.commit(); // the intake reads it once committed
  }

  private void forgetBefore(int round) {
    List<String> old = new ArrayList<>();
    try (KeyValueIterator<String, HierarchyAssignment> it = accepted.all()) {
      it.forEachRemaining(
          kv -> {
            if (kv.value.getEffectiveFromRound() < round) {
              old.add(kv.key);
            }
          });
    }
    old.forEach(accepted::delete);
  }
}
