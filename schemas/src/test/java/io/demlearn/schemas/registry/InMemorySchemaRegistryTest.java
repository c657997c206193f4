package io.demlearn.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InMemorySchemaRegistryTest {
  private final String scope = "registry-test-" + UUID.randomUUID();
  private final SchemaRegistryClient registry =
      SchemaRegistryConfig.clientFor(Map.of(SchemaRegistryConfig.URL, "mock://" + scope));

  static final Schema V1 =
      SchemaBuilder.record("A").namespace("t").fields().requiredInt("x").endRecord();
  static final Schema V2_WITH_DEFAULT =
      SchemaBuilder.record("A")
          .namespace("t")
          .fields()
          .requiredInt("x")
          .name("y")
          .type()
          .intType()
          .intDefault(0)
          .endRecord();
  static final Schema V2_WITHOUT_DEFAULT =
      SchemaBuilder.record("A")
          .namespace("t")
          .fields()
          .requiredInt("x")
          .requiredInt("y")
          .endRecord();

  @AfterEach
  void drop() {
    InMemorySchemaRegistry.dropScope(scope);
  }

  @Test
  void reRegisteringReturnsTheSameIdAndIdsAreGlobal() {
    int a = registry.register("s-value", V1);
    assertThat(registry.register("s-value", V1)).isEqualTo(a);
    assertThat(registry.register("other-value", V1)).isEqualTo(a);
    assertThat(registry.schemaById(a)).isEqualTo(V1);
    assertThat(registry.lookup("s-value", V1)).isEqualTo(a);
  }

  @Test
  void aCompatibleChangeRegistersAndAnIncompatibleOneIsRefused() {
    registry.register("s-value", V1);
    assertThat(registry.compatibility("s-value")).isEqualTo(CompatibilityLevel.BACKWARD);
    assertThat(registry.isCompatible("s-value", V2_WITHOUT_DEFAULT)).isFalse();
    assertThatThrownBy(() -> registry.register("s-value", V2_WITHOUT_DEFAULT))
        .isInstanceOf(IncompatibleSchemaException.class)
        .hasMessageContaining("s-value")
        .hasMessageContaining("BACKWARD");
    assertThat(registry.isCompatible("s-value", V2_WITH_DEFAULT)).isTrue();
    assertThat(registry.register("s-value", V2_WITH_DEFAULT))
        .isNotEqualTo(registry.lookup("s-value", V1));
  }

  @Test
  void compatibilityNoneAcceptsAnything() {
    registry.register("s-value", V1);
    registry.setCompatibility("s-value", CompatibilityLevel.NONE);
    registry.register("s-value", V2_WITHOUT_DEFAULT);
    assertThat(registry.subjects()).containsExactly("s-value");
  }

  @Test
  void unknownIdsAndSubjectsAreNotFound() {
    assertThatThrownBy(() -> registry.schemaById(999))
        .isInstanceOf(SchemaNotFoundException.class)
        .hasMessageContaining("999");
    assertThatThrownBy(() -> registry.lookup("nope-value", V1))
        .isInstanceOf(SchemaNotFoundException.class);
  }

  @Test
  void badRegistryUrlsAreNamed() {
    assertThatThrownBy(() -> SchemaRegistryConfig.clientFor(Map.of()))
        .hasMessageContaining("schema.registry.url");
    assertThatThrownBy(
            () -> SchemaRegistryConfig.clientFor(Map.of(SchemaRegistryConfig.URL, "ftp://x")))
        .hasMessageContaining("ftp://x");
    assertThatThrownBy(
            () -> SchemaRegistryConfig.clientFor(Map.of(SchemaRegistryConfig.URL, "mock://")))
        .hasMessageContaining("mock://");
  }
}
