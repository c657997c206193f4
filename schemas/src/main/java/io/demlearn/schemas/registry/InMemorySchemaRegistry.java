package io.demlearn.schemas.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * A registry held in memory, for unit tests: the registry behind {@code mock://scope} URLs. Every
 * client of the same scope in one JVM sees the same registry (as with Confluent's serializers), so
 * a serializer and a deserializer configured separately share ids. Its rules follow the Confluent
 * registry: ids are global, re-registering a schema returns its id, and the default compatibility
 * is BACKWARD.
 */
public final class InMemorySchemaRegistry implements SchemaRegistryClient {
  private static final Map<String, InMemorySchemaRegistry> SCOPES = new ConcurrentHashMap<>();

  private final String scope;
  private final Map<String, List<Schema>> versionsBySubject = new HashMap<>();
  private final Map<Schema, Integer> idsBySchema = new HashMap<>();
  private final Map<Integer, Schema> schemasById = new HashMap<>();
  private final Map<String, CompatibilityLevel> compatibilityBySubject = new HashMap<>();

  /** The rule of subjects that have none of their own, as Confluent's registry defaults. */
  private static final CompatibilityLevel DEFAULT_COMPATIBILITY = CompatibilityLevel.BACKWARD;

  private int nextId = 1;

  private InMemorySchemaRegistry(String scope) {
    this.scope = scope;
  }

  /** The registry of one scope, created on first use. */
  public static InMemorySchemaRegistry scope(String scope) {
    return SCOPES.computeIfAbsent(scope, InMemorySchemaRegistry::new);
  }

  /** Forgets a scope and everything registered in it. */
  public static void dropScope(String scope) {
    SCOPES.remove(scope);
  }

  @Override
  public synchronized int register(String subject, Schema schema) {
    List<Schema> versions = versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
    if (versions.contains(schema)) {
      return idsBySchema.get(schema);
    }
    if (!compatibleWith(versions, schema, compatibility(subject))) {
      throw new IncompatibleSchemaException(
          "schema refused as incompatible by the registry: subject "
              + subject
              + " requires "
              + compatibility(subject)
              + " compatibility with its earlier versions",
          409,
          409);
    }
    versions.add(schema);
    Integer id = idsBySchema.get(schema);
    if (id == null) {
      id = nextId++;
      idsBySchema.put(schema, id);
      schemasById.put(id, schema);
    }
    return id;
  }

  @Override
  public synchronized int lookup(String subject, Schema schema) {
    List<Schema> versions = versionsBySubject.get(subject);
    if (versions == null || !versions.contains(schema)) {
      throw new SchemaNotFoundException(
          "not found in the registry: schema under subject " + subject + " in " + describe(),
          404,
          40403);
    }
    return idsBySchema.get(schema);
  }

  @Override
  public synchronized Schema schemaById(int id) {
    Schema schema = schemasById.get(id);
    if (schema == null) {
      throw new SchemaNotFoundException(
          "not found in the registry: schema id " + id + " in " + describe(), 404, 40403);
    }
    return schema;
  }

  @Override
  public synchronized boolean isCompatible(String subject, Schema schema) {
    List<Schema> versions = versionsBySubject.getOrDefault(subject, List.of());
    return compatibleWith(versions, schema, compatibility(subject));
  }

  @Override
  public synchronized void setCompatibility(String subject, CompatibilityLevel level) {
    compatibilityBySubject.put(subject, level);
  }

  @Override
  public synchronized CompatibilityLevel compatibility(String subject) {
    return compatibilityBySubject.getOrDefault(subject, DEFAULT_COMPATIBILITY);
  }

  @Override
  public synchronized List<String> subjects() {
    List<String> out = new ArrayList<>(versionsBySubject.keySet());
    out.sort(null);
    return out;
  }

  @Override
  public String describe() {
    return "in-memory schema registry mock://" + scope;
  }

  private static boolean compatibleWith(
      List<Schema> versions, Schema candidate, CompatibilityLevel level) {
    if (versions.isEmpty() || level == CompatibilityLevel.NONE) {
      return true;
    }
    boolean transitive = level.name().endsWith("_TRANSITIVE");
    List<Schema> against = transitive ? versions : List.of(versions.get(versions.size() - 1));
    for (Schema existing : against) {
      boolean backward = canRead(candidate, existing);
      boolean forward = canRead(existing, candidate);
      boolean ok =
          switch (level) {
            case BACKWARD, BACKWARD_TRANSITIVE -> backward;
            case FORWARD, FORWARD_TRANSITIVE -> forward;
            case FULL, FULL_TRANSITIVE -> backward && forward;
            case NONE -> true;
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static boolean canRead(Schema reader, Schema writer) {
    return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getType()
        == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
  }
}
