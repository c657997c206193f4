package io.demlearn.schemas.topics;

import io.demlearn.schemas.registry.CompatibilityLevel;
import io.demlearn.schemas.registry.SchemaRegistryClient;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Registers the value schema of every topic of an experiment under {@code <topic>-value}, with
 * BACKWARD compatibility on those subjects (the evolution rule in
 * schemas/src/main/avro/EVOLUTION.md), whatever the registry's default. Registering again returns
 * the same ids.
 */
public final class SchemaSetup {
  private SchemaSetup() {}

  /** Subject to schema id, in topic order. */
  public static Map<String, Integer> registerAll(
      ExperimentTopics topics, SchemaRegistryClient registry) {
    return register(topics.all(), registry);
  }

  /** {@link #registerAll} for some topics. */
  public static Map<String, Integer> register(
      Collection<Topic<? extends SpecificRecord>> topics, SchemaRegistryClient registry) {
    Map<String, Integer> ids = new LinkedHashMap<>();
    for (Topic<? extends SpecificRecord> topic : topics) {
      String subject = topic.name() + "-value";
      registry.setCompatibility(subject, CompatibilityLevel.BACKWARD);
      ids.put(subject, registry.register(subject, SpecificData.get().getSchema(topic.valueType())));
    }
    return ids;
  }
}
