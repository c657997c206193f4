package io.demlearn.audit;

import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.signing.SignatureCheck;
import io.demlearn.schemas.avro.AggregationControl;
import io.demlearn.schemas.serde.AvroDeserializer;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.Topic;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableSet;
import org.apache.avro.specific.SpecificRecord;

/** An {@link Audit} of an experiment's log on a Kafka cluster. */
public final class LogAudit {
  private LogAudit() {}

  /**
   * Reads the experiment's topics into an audit, ready for {@link Audit#check()}. Group models are
   * read first: everything a committed group model follows from (its hierarchy, its updates, the
   * dead letters written before it) was committed before it, so it is in the topics read after it,
   * even while the experiment runs (so is the close of a round that an agent catching up skipped to
   * the round after).
   */
  public static Audit read(
      ExperimentLog log, AvroSerdes serdes, Experiment experiment, SignatureCheck keys) {
    var updates = log.topics().modelUpdates().valueSerde(serdes).deserializer();
    var groups = log.topics().groupModels().valueSerde(serdes).deserializer();
    Audit audit =
        new Audit(
            experiment,
            (partition, offsets) ->
                fetch(log, log.topics().modelUpdates(), partition, offsets, updates),
            (partition, offsets) ->
                fetch(log, log.topics().groupModels(), partition, offsets, groups));
    if (experiment.signed()) {
      audit.verifySignatures(keys);
    }
    log.read(log.topics().groupModels(), r -> audit.groupModel(groups.deserializeOrNull(r), r));
    var hierarchies = log.topics().hierarchyAssignments().valueSerde(serdes).deserializer();
    log.read(
        log.topics().hierarchyAssignments(),
        r -> audit.hierarchy(hierarchies.deserializeOrNull(r), r));
    // the straggler policy's closes before the updates: a catch-up update follows its close
    var control = log.topics().aggregationControl().valueSerde(serdes).deserializer();
    log.read(
        log.topics().aggregationControl(),
        r -> {
          AggregationControl c = control.deserializeOrNull(r);
          if (c != null && c.getClosedRound() != null) {
            audit.closedRound(c.getClosedRound());
          }
        });
    log.read(log.topics().modelUpdates(), r -> audit.update(updates.deserializeOrNull(r), r));
    // written after their updates; absent from logs older than the topic
    if (!log.partitions(log.topics().clusteringFeatures()).isEmpty()) {
      audit.featuresRecorded();
      var features = log.topics().clusteringFeatures().valueSerde(serdes).deserializer();
      log.read(
          log.topics().clusteringFeatures(), r -> audit.features(features.deserializeOrNull(r), r));
    }
    var deadLetters = log.topics().deadLetters().valueSerde(serdes).deserializer();
    log.read(log.topics().deadLetters(), r -> audit.deadLetter(deadLetters.deserializeOrNull(r)));
    return audit;
  }

  private static <T extends SpecificRecord> Map<Long, T> fetch(
      ExperimentLog log,
      Topic<?> topic,
      int partition,
      NavigableSet<Long> offsets,
      AvroDeserializer<T> decoder) {
    Map<Long, T> out = new HashMap<>();
    log.readAt(
        topic,
        partition,
        offsets,
        r -> {
          T value = decoder.deserializeOrNull(r);
          if (value != null) {
            out.put(r.offset(), value);
          }
        });
    return out;
  }
}
