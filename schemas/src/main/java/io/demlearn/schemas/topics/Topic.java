package io.demlearn.schemas.topics;

import io.demlearn.schemas.serde.AvroSerde;
import io.demlearn.schemas.serde.AvroSerdes;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * One topic of an experiment with its key and value types: keys are strings (what each topic's key
 * means is written in {@link TopicKind}), values are Avro records in the Confluent wire format.
 */
public record Topic<V extends SpecificRecord>(TopicKind kind, TopicSpec spec, Class<V> valueType) {

  public String name() {
    return spec.name();
  }

  public Serde<String> keySerde() {
    return Serdes.String();
  }

  /** A value serde made by {@code serdes} (which holds the registry client). */
  public AvroSerde<V> valueSerde(AvroSerdes serdes) {
    return serdes.valueSerde(valueType);
  }
}
