package io.demlearn.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.data.DataSetKind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ModelKindTest {
  @ParameterizedTest
  @EnumSource(ModelKind.class)
  void theDimensionKnownWithoutTheModelIsTheModelsForEveryDataSet(ModelKind kind) {
    for (DataSetKind data : DataSetKind.values()) {
      Architecture a = new Architecture(kind, data.shape());
      assertThat(a.dimension()).as(a.describe()).isEqualTo(Model.of(a).dimension());
    }
  }
}
