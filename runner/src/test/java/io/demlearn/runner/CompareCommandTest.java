package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code compare} on simulations, and its errors on folders that are not an experiment's. */
class CompareCommandTest {
  @TempDir Path dir;

  private SimulateCommandTest.Result simulate(String name, String algorithm) {
    return SimulateCommandTest.run(
        "simulate",
        "--algorithm",
        algorithm,
        "--agents",
        "6",
        "--rounds",
        "3",
        "--experiment",
        name,
        "--out",
        dir.resolve(name).toString());
  }

  @Test
  void overlaysSimulationsWithASummaryRowEach() throws Exception {
    assertThat(simulate("sim-p", "demlearn-p").exitCode()).isZero();
    assertThat(simulate("sim-fedavg", "fedavg").exitCode()).isZero();
    Path page = dir.resolve("c.html");
    SimulateCommandTest.Result r =
        SimulateCommandTest.run(
            "compare",
            dir.resolve("sim-p").toString(),
            dir.resolve("sim-fedavg").toString(),
            "--out",
            page.toString());
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    String html = Files.readString(page);
    assertThat(html)
        .contains("<td>sim-p (demlearn-p, mlr)</td><td>3</td>")
        .contains("<td>sim-fedavg (fedavg, mlr)</td><td>3</td>")
        .contains("data-name=\"sim-p (demlearn-p, mlr)\"")
        .doesNotContain("Traffic per round"); // a simulation writes no records
  }

  @Test
  void aFolderThatIsNotAnExperimentsIsNamed() throws Exception {
    Files.createDirectories(dir.resolve("empty"));
    assertError("run folder " + dir.resolve("empty") + " has no metrics.jsonl", "empty");
    assertError("run folder " + dir.resolve("absent") + " does not exist", "absent");
  }

  @Test
  void aBadLineIsNamedWithItsFileAndNumber() throws Exception {
    assertThat(simulate("bad", "fedavg").exitCode()).isZero();
    Path metrics = dir.resolve("bad").resolve("metrics.jsonl");
    var lines = Files.readAllLines(metrics);
    Files.write(
        metrics, java.util.List.of(lines.get(0), "{\"round\": 1, \"cSpe\": ", lines.get(2)));
    assertError(metrics + " line 2 is not JSON", "bad");
    Files.write(metrics, java.util.List.of(lines.get(0), lines.get(2)));
    assertError(metrics + " line 2 is round 2, expected round 1", "bad");
  }

  private void assertError(String message, String folder) {
    SimulateCommandTest.Result r =
        SimulateCommandTest.run(
            "compare", dir.resolve(folder).toString(), "--out", dir.resolve("x.html").toString());
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.err()).contains(message).doesNotContain("\tat ");
    assertThat(dir.resolve("x.html")).doesNotExist();
  }
}
