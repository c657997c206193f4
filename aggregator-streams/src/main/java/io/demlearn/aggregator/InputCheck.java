package io.demlearn.aggregator;

import io.demlearn.pipeline.checks.DeadLetters;
import io.demlearn.pipeline.checks.HierarchyChecks;
import io.demlearn.pipeline.checks.UpdateChecks;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.signing.SignatureCheck;
import io.demlearn.schemas.avro.AggregationInput;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.avro.SourceRecord;
import io.demlearn.schemas.serde.AvroDeserializer;
import io.demlearn.schemas.serde.PayloadException;
import java.nio.charset.StandardCharsets;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * The aggregator's first step, record by record and without state: decodes a raw model update or
 * hierarchy version and checks it on its own ({@link UpdateChecks#check}, {@link
 * HierarchyChecks#check}). A good one goes on as an {@link AggregationInput} that remembers where
 * it came from; any other becomes a {@link DeadLetter} holding the original bytes, its reason and
 * its source topic, partition and offset. In a signed experiment ({@link Experiment#signed()}) a
 * record must also carry its owner's signature ({@link SignatureCheck}; the keys from {@code
 * agent-keys}, read by each task), else it is refused as {@code BAD_SIGNATURE}.
 */
final class InputCheck<T extends SpecificRecord>
    implements Processor<byte[], byte[], String, SpecificRecord> {

  private final Experiment experiment;
  private final AvroDeserializer<T> decoder;
  private final UpdateChecks checks;
  private final boolean compacted;
  private final AggregatorTopology.KeysFactory keysFactory;
  private SignatureCheck.Keys keys;
  private SignatureCheck signatures;
  private ProcessorContext<String, SpecificRecord> context;
  private DeadLetterOut deadLetters;

  /**
   * @param compacted whether the topic is compacted (a record without a value is then a tombstone,
   *     not an error)
   */
  InputCheck(
      Experiment experiment,
      AggregatorTopology.KeysFactory keys,
      AvroDeserializer<T> decoder,
      boolean compacted) {
    this.experiment = experiment;
    this.keysFactory = keys;
    this.compacted = compacted;
    this.decoder = decoder;
    this.checks = new UpdateChecks(experiment);
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.deadLetters = new DeadLetterOut(experiment.id(), context);
    if (experiment.signed()) {
      keys = keysFactory.open(context.appConfigs());
      signatures = new SignatureCheck(keys);
    }
  }

  @Override
  public void close() {
    if (keys != null) {
      keys.close();
    }
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    RecordMetadata meta = context.recordMetadata().orElseThrow();
    SourceRecord source =
        SourceRecord.newBuilder()
            .setTopic(meta.topic())
            .setPartition(meta.partition())
            .setOffset(meta.offset())
            .setTimestampMs(record.timestamp())
            .build();
    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    T value;
    try {
      value = decoder.deserialize(meta.topic(), record.value());
    } catch (PayloadException e) {
      refuse(record, source, DeadLetters.reasonOf(e), e.detail());
      return;
    }
    if (value == null) {
      if (!compacted) {
        refuse(record, source, DeadLetterReason.UNDECODABLE, "a record without a value");
      }
      return; // on a compacted topic, a tombstone
    }
    AggregationInput.Builder in = AggregationInput.newBuilder().setSource(source);
    if (value instanceof ModelUpdate u) {
      UpdateChecks.Refusal refusal = checks.check(key, u);
      if (refusal == null && signatures != null) {
        refusal = signatures.check(u);
      }
      if (refusal != null) {
        refuse(record, source, refusal.reason(), refusal.detail());
        return;
      }
      in.setUpdate(u);
    } else {
      HierarchyAssignment h = (HierarchyAssignment) value;
      UpdateChecks.Refusal refusal = HierarchyChecks.check(experiment, h).refusal();
      if (refusal == null && signatures != null) {
        refusal = signatures.check(h);
      }
      if (refusal != null) {
        refuse(record, source, refusal.reason(), refusal.detail());
        return;
      }
      in.setHierarchy(h);
    }
    context.forward(new Record<>(key, in.build(), record.timestamp()));
  }

  private void refuse(
      Record<byte[], byte[]> record, SourceRecord source, DeadLetterReason reason, String detail) {
    deadLetters.write(source, reason, detail, record.key(), record.value(), record.timestamp());
  }
}
