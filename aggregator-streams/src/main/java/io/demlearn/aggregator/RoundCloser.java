package io.demlearn.aggregator;

import io.demlearn.pipeline.records.Experiment;
import io.demlearn.schemas.avro.AggregationControl;
import io.demlearn.schemas.avro.RoundTally;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The straggler policy's one decision per round (key: round, so rounds spread over the tasks): from
 * every intake partition's tally it knows how many agents have been counted and since when; once
 * the policy's timeout has passed since the round's first counted update and a quorum of the agents
 * is in, it closes the round, telling every intake task. Each intake task then sends its sums with
 * the agents it has counted: they are the round's members, and updates counted after are late.
 */
final class RoundCloser implements Processor<String, RoundTally, String, SpecificRecord> {
  private static final Logger LOG = LoggerFactory.getLogger(RoundCloser.class);

  private final Experiment experiment;
  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, RoundTally> tallies;

  RoundCloser(Experiment experiment) {
    this.experiment = experiment;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.tallies = context.getStateStore(AggregatorTopology.CLOSER_TALLIES);
    long every = Math.max(10, Math.min(200, experiment.policy().getStragglerTimeoutMs() / 4));
    context.schedule(Duration.ofMillis(every), PunctuationType.WALL_CLOCK_TIME, this::decide);
  }

  @Override
  public void process(Record<String, RoundTally> record) {
    RoundTally t = record.value();
    String key = String.format(Locale.ROOT, "%010d/%05d", t.getRound(), t.getPartition());
    RoundTally known = tallies.get(key);
    if (known == null || known.getCounted() < t.getCounted()) {
      tallies.put(key, t);
    }
  }

  private void decide(long now) {
    int agents = experiment.settings().participation().perRound(); // in every round
    TreeMap<Integer, List<RoundTally>> byRound = new TreeMap<>();
    try (KeyValueIterator<String, RoundTally> it = tallies.all()) {
      it.forEachRemaining(
          kv -> byRound.computeIfAbsent(kv.value.getRound(), r -> new ArrayList<>()).add(kv.value));
    }
    byRound.forEach(
        (round, ts) -> {
          int counted = ts.stream().mapToInt(RoundTally::getCounted).sum();
          long first = ts.stream().mapToLong(RoundTally::getFirstCountedAtMs).min().orElse(now);
          boolean timedOut = now - first >= experiment.policy().getStragglerTimeoutMs();
          if (counted < agents && !(timedOut && counted >= experiment.quorumOf(agents))) {
            return; // complete without a decision, or still waiting
          }
          if (counted < agents) {
            LOG.info(
                "round {} closes with {} of {} agents (straggler policy)", round, counted, agents);
            context.forward(
                new Record<>(
                    String.format(Locale.ROOT, "close/%010d", round),
                    AggregationControl.newBuilder()
                        .setClosedRound(round)
                        .setDecidedAtMs(now)
                        .build(),
                    now));
            context.commit(); // the intake reads it once committed
          }
          ts.forEach(
              t ->
                  tallies.delete(
                      String.format(Locale.ROOT, "%010d/%05d", t.getRound(), t.getPartition())));
        });
  }
}
