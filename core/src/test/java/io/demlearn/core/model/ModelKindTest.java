package io.demlearn.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ModelKindTest {
  @ParameterizedTest
  @EnumSource(ModelKind.class)
  void theDimensionKnownWithoutTheModelIsTheModels(ModelKind kind) {
    assertThat(kind.dimension()).isEqualTo(Model.of(kind).dimension());
  }
}
