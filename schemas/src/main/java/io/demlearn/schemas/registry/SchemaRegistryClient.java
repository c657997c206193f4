package io.demlearn.schemas.registry;

import java.util.List;
import org.apache.avro.Schema;

/**
 * A client of a Confluent-compatible schema registry (Confluent Schema Registry, Apicurio's {@code
 * /apis/ccompat/v7}, Karapace, Redpanda), or of an in-memory registry for unit tests.
 *
 * <p>Subjects follow the topic-name strategy: {@code <topic>-key} and {@code <topic>-value}.
 * Implementations cache ids and schemas; they are safe for concurrent use.
 */
public interface SchemaRegistryClient extends AutoCloseable {

  /**
   * Registers {@code schema} under {@code subject}, or returns the id it already has there.
   *
   * @throws IncompatibleSchemaException if the subject's compatibility rule refuses the schema
   * @throws SchemaRegistryException if the registry cannot be reached or answers an error
   */
  int register(String subject, Schema schema);

  /**
   * The id of {@code schema} if it is registered under {@code subject}.
   *
   * @throws SchemaNotFoundException if it is not
   */
  int lookup(String subject, Schema schema);

  /**
   * The schema with this id.
   *
   * @throws SchemaNotFoundException if the registry has no schema with this id
   */
  Schema schemaById(int id);

  /**
   * Whether {@code schema} could be registered under {@code subject} given its compatibility rule.
   */
  boolean isCompatible(String subject, Schema schema);

  /** Sets the compatibility rule of one subject. */
  void setCompatibility(String subject, CompatibilityLevel level);

  /** The compatibility rule of one subject, or the registry's default when it has none. */
  CompatibilityLevel compatibility(String subject);

  /** Every subject the registry holds, sorted. */
  List<String> subjects();

  /** Where this client points (for messages). */
  String describe();

  @Override
  default void close() {}
}
