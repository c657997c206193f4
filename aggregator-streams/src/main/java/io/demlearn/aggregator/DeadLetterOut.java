package io.demlearn.aggregator;

import io.demlearn.pipeline.checks.DeadLetters;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.SourceRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The aggregator's dead letters: one for every input record it refuses or does not average, keyed
 * by the record's source topic, logged (a late update as information, a refusal as a warning).
 */
final class DeadLetterOut {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterOut.class);
  static final String DETECTED_BY = "aggregator";

  private final String experimentId;
  private final ProcessorContext<String, SpecificRecord> context;

  DeadLetterOut(String experimentId, ProcessorContext<String, SpecificRecord> context) {
    this.experimentId = experimentId;
    this.context = context;
  }

  /**
   * @param key the record's key bytes, or null
   * @param value the record's value bytes, or null
   */
  void write(
      SourceRecord source,
      DeadLetterReason reason,
      String detail,
      byte[] key,
      byte[] value,
      long timestamp) {
    DeadLetter d = DeadLetters.of(experimentId, source, reason, detail, key, value, DETECTED_BY);
    if (reason == DeadLetterReason.LATE) {
      LOG.info("late: {}", DeadLetters.describe(d));
    } else {
      LOG.warn("refused: {}", DeadLetters.describe(d));
    }
    context.forward(new Record<>(source.getTopic(), d, timestamp));
  }
}
