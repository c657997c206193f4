package io.demlearn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.model.ModelKind;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProvenanceTest {
  @Test
  void theMachineAndTheNumericalLibraryAreNamed() {
    Map<String, String> m = Provenance.withNumerics();
    assertThat(m)
        .containsKeys(
            "os.name",
            "os.arch",
            "cpu",
            "cores",
            "java",
            "nd4j.version",
            "nd4j.backend",
            "nd4j.build");
    assertThat(m.get("os.arch")).isEqualTo(System.getProperty("os.arch"));
    assertThat(m.get("nd4j.version")).isEqualTo("1.0.0-M2.1");
    assertThat(m.get("nd4j.backend")).startsWith("CPU");
    assertThat(m.get("nd4j.build")).contains("HAVE_OPENBLAS").doesNotContain("\n");
    assertThat(Provenance.machine()).doesNotContainKey("nd4j.build");
  }

  @Test
  void labelsAreLowerCaseNamesAndAnUnknownOneListsTheChoices() {
    assertThat(Labels.of(ModelKind.CNN)).isEqualTo("cnn");
    assertThat(Labels.parse(Linkage.class, " Ward ", "linkage")).isEqualTo(Linkage.WARD);
    assertThatThrownBy(() -> Labels.parse(ModelKind.class, "rnn", "model"))
        .hasMessage("unknown model 'rnn': use mlr, mlp or cnn");
  }
}
