package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.demlearn.core.testing.CifarFiles;
import io.demlearn.core.testing.IdxFiles;
import io.demlearn.core.testing.LeafFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code demlearn simulate} through the command line, in this JVM. */
class SimulateCommandTest {
  @TempDir Path dir;

  record Result(int exitCode, String out, String err) {}

  static Result run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int rc = Main.execute(args, Map.of());
      return new Result(
          rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void aSyntheticRunWritesMetricsAndSettings() throws Exception {
    Path out = dir.resolve("run");
    Result r =
        run(
            "simulate",
            "--dataset",
            "synthetic",
            "--agents",
            "8",
            "--rounds",
            "3",
            "--out",
            out.toString(),
            "--experiment",
            "t1");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("synthetic data").contains("round   C-SPE").contains("median");
    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertThat(lines).hasSize(3);
    assertThat(lines.get(2))
        .contains("\"round\":2")
        .contains("\"cSpe\":")
        .contains("\"cGen\":")
        .contains("\"global\":")
        .contains("\"gSpe\":[")
        .contains("\"gGen\":[")
        .contains("\"seconds\":");
    String settings = Files.readString(out.resolve("settings.json"));
    assertThat(settings)
        .contains("\"seed\" : 1")
        .contains("\"algorithm\" : \"demlearn-p\"")
        .contains("\"finished\"");
    // the build's version, as --version prints it
    assertThat(settings).contains("\"software\" : \"" + run("--version").out().strip() + "\"");
    assertThat(run("--version").out()).matches("demlearn \\d+\\.\\d+\\.\\d+\\S*\\s*");
    assertThat(out.resolve("metrics.jsonl.partial")).doesNotExist();

    Result again =
        run(
            "simulate",
            "--dataset",
            "synthetic",
            "--agents",
            "8",
            "--rounds",
            "3",
            "--out",
            out.toString());
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err()).contains("already holds results").contains("--overwrite");
  }

  @Test
  void largeRunsEvaluateEveryRthRoundAndTheLastOnASampleOfAgents() throws Exception {
    Path out = dir.resolve("cadence");
    Result r =
        run(
            "simulate",
            "--dataset",
            "synthetic",
            "--agents",
            "10",
            "--rounds",
            "6",
            "--eval-every",
            "4",
            "--eval-agents",
            "3",
            "--cluster-dims",
            "16",
            "--out",
            out.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      lines.add(json.readTree(line));
    }
    assertThat(lines).hasSize(6);
    for (JsonNode line : lines) {
      int round = line.get("round").asInt();
      boolean evaluated = round == 0 || round == 4 || round == 5;
      assertThat(line.get("scoredAgents").asInt())
          .as("round %d", round)
          .isEqualTo(evaluated ? 3 : 0);
      assertThat(line.get("cSpe").isNull()).as("round %d", round).isEqualTo(!evaluated);
      assertThat(line.get("seconds").asDouble()).isPositive();
    }
    assertThat(lines.get(5).get("gSpe")).hasSize(4);
    assertThat(lines.get(3).get("gSpe")).isEmpty();
    String settings = Files.readString(out.resolve("settings.json"));
    assertThat(settings)
        .contains("\"eval-every\" : 4")
        .contains("\"eval-agents\" : 3")
        .contains("\"cluster-dims\" : 16");
    assertThat(r.out()).contains("round 5: C-SPE");
    assertThat(Files.readString(out.resolve("report.html")))
        .contains("Evaluated in 3 of 6 rounds")
        .contains("a seeded sample of 3 of the 10 agents");
  }

  @Test
  void badInputIsNamedAndNothingIsWritten() throws Exception {
    Path out = dir.resolve("out");
    Result missing =
        run(
            "simulate",
            "--dataset",
            "fashion-mnist",
            "--data-dir",
            dir.resolve("nope").toString(),
            "--out",
            out.toString());
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err())
        .contains("data directory " + dir.resolve("nope") + " does not exist")
        .doesNotContain("\tat ");

    Path data = IdxFiles.dataset(Files.createDirectories(dir.resolve("data")), 40, 20, true, 1);
    Files.write(data.resolve("t10k-images-idx3-ubyte.gz"), new byte[] {1, 2, 3});
    Result corrupt = run("simulate", "--data-dir", data.toString(), "--out", out.toString());
    assertThat(corrupt.exitCode()).isEqualTo(1);
    assertThat(corrupt.err()).contains("t10k-images-idx3-ubyte.gz");

    Path good = IdxFiles.dataset(Files.createDirectories(dir.resolve("good")), 40, 20, true, 1);
    Path split = dir.resolve("split.json");
    Files.writeString(
        split, "{\"agents\":[{\"id\":\"a0\",\"train\":[\"train:99\"],\"test\":[\"t10k:0\"]}]}");
    Result range =
        run(
            "simulate",
            "--data-dir",
            good.toString(),
            "--partition-file",
            split.toString(),
            "--out",
            out.toString());
    assertThat(range.exitCode()).isEqualTo(1);
    assertThat(range.err()).contains("agent a0").contains("'train:99' is out of range");

    Result ward =
        run(
            "simulate",
            "--dataset",
            "synthetic",
            "--linkage",
            "ward",
            "--metric",
            "cosine",
            "--out",
            out.toString());
    assertThat(ward.exitCode()).isEqualTo(1);
    assertThat(ward.err()).contains("--linkage ward needs --metric euclidean");

    Result bogus =
        run("simulate", "--dataset", "synthetic", "--algorithm", "fedsgd", "--out", out.toString());
    assertThat(bogus.err()).contains("unknown algorithm 'fedsgd'");

    Result nan =
        run(
            "simulate",
            "--dataset",
            "synthetic",
            "--learning-rate",
            "NaN",
            "--out",
            out.toString());
    assertThat(nan.exitCode()).isEqualTo(1);
    assertThat(nan.err()).contains("learning rate");

    Path fifty = dir.resolve("one.json");
    Files.writeString(
        fifty, "{\"agents\":[{\"id\":\"a0\",\"train\":[\"train:1\"],\"test\":[\"t10k:0\"]}]}");
    Result tooMany =
        run(
            "simulate",
            "--data-dir",
            good.toString(),
            "--partition-file",
            fifty.toString(),
            "--agents",
            "3",
            "--out",
            out.toString());
    assertThat(tooMany.exitCode()).isEqualTo(1);
    assertThat(tooMany.err()).contains("--agents 3 but partition file " + fifty + " has 1 agents");

    assertThat(out).doesNotExist();
  }

  @Test
  void femnistAndCifarRunOnTheirFilesWithTheAuthorsSettingsWritten() throws Exception {
    Path leaf = LeafFiles.dataset(dir.resolve("leaf"), 6, 2, 1);
    Path out = dir.resolve("femnist");
    Result femnist =
        run(
            "simulate",
            "--dataset",
            "femnist",
            "--data-dir",
            leaf.toString(),
            "--rounds",
            "1",
            "--out",
            out.toString());
    assertThat(femnist.exitCode()).as(femnist.err()).isZero();
    // fewer users than the default 50: all of them
    assertThat(femnist.out()).contains("femnist (LEAF) from " + leaf + ", all 6 users");
    JsonNode settings = new ObjectMapper().readTree(out.resolve("settings.json").toFile());
    assertThat(settings.at("/settings/agents").asInt()).isEqualTo(6);
    assertThat(settings.at("/settings/architecture").asText()).isEqualTo("mlr 784 -> 62");
    assertThat(settings.at("/settings/leaf-users").asText()).isEqualTo("first");
    assertThat(settings.at("/settings/learning-rate").asDouble()).isEqualTo(0.05);
    assertThat(settings.at("/settings/alpha").asDouble()).isEqualTo(0.7);
    assertThat(settings.at("/settings/mu").asDouble()).isEqualTo(0.002);

    Path cifar = CifarFiles.dataset(dir.resolve("cifar"), 60, 100, 1);
    Result c =
        run(
            "simulate",
            "--dataset",
            "cifar10",
            "--data-dir",
            cifar.toString(),
            "--agents",
            "4",
            "--model",
            "mlp",
            "--rounds",
            "1",
            "--out",
            dir.resolve("cifar-out").toString());
    assertThat(c.exitCode()).as(c.err()).isZero();
    assertThat(c.out()).contains("dealt by the paper's CIFAR-10 partitioner");
    assertThat(Files.readString(dir.resolve("cifar-out/settings.json")))
        .contains("\"architecture\" : \"mlp 3072 -> 100 -> 10\"");
  }

  @Test
  void theNewDataSetsBadFilesAndMissingOptionsAreNamed() throws Exception {
    Result noDir = run("simulate", "--dataset", "cifar10", "--out", dir.resolve("o").toString());
    assertThat(noDir.exitCode()).isEqualTo(1);
    assertThat(noDir.err())
        .contains("--dataset cifar10 needs --data-dir DIR")
        .doesNotContain("\tat ");

    Path cifar = CifarFiles.dataset(dir.resolve("cifar"), 10, 10, 1);
    Path batch = cifar.resolve("data_batch_5.bin");
    byte[] bytes = Files.readAllBytes(batch);
    Files.write(batch, Arrays.copyOf(bytes, bytes.length - 1));
    Result cut =
        run(
            "simulate",
            "--dataset",
            "cifar10",
            "--data-dir",
            cifar.toString(),
            "--agents",
            "2",
            "--out",
            dir.resolve("o").toString());
    assertThat(cut.exitCode()).isEqualTo(1);
    assertThat(cut.err()).contains(batch + " is truncated: record 9").doesNotContain("\tat ");
    Path fmnistSplit = dir.resolve("fmnist-split.json");
    Files.writeString(
        fmnistSplit,
        "{\"dataset\":\"fashion-mnist\",\"agents\":[{\"id\":\"a\",\"train\":[\"train:0\"],"
            + "\"test\":[\"t10k:0\"]}]}");
    Result wrongSplit =
        run(
            "simulate",
            "--dataset",
            "cifar10",
            "--data-dir",
            CifarFiles.dataset(dir.resolve("whole"), 10, 10, 1).toString(),
            "--partition-file",
            fmnistSplit.toString(),
            "--agents",
            "1",
            "--out",
            dir.resolve("o").toString());
    assertThat(wrongSplit.exitCode()).isEqualTo(1);
    assertThat(wrongSplit.err())
        .contains("partition file " + fmnistSplit + " splits fashion-mnist, whose images are 28x28")
        .contains("are 3x32x32 images");
    Result forgot =
        run("simulate", "--data-dir", cifar.toString(), "--out", dir.resolve("o").toString());
    assertThat(forgot.exitCode()).isEqualTo(1);
    assertThat(forgot.err())
        .contains("has no train-images-idx3-ubyte")
        .contains("it holds CIFAR-10's binary files: add --dataset cifar10");

    Path leaf = LeafFiles.dataset(dir.resolve("leaf"), 3, 1, 1);
    Result all =
        run(
            "simulate",
            "--dataset",
            "femnist",
            "--data-dir",
            leaf.toString(),
            "--agents",
            "5",
            "--out",
            dir.resolve("o").toString());
    assertThat(all.exitCode()).isEqualTo(1);
    assertThat(all.err()).contains("--agents 5 but the LEAF data has only 3 users");
    Result wrong =
        run(
            "simulate",
            "--dataset",
            "synthetic",
            "--leaf-users",
            "sample",
            "--out",
            dir.resolve("o").toString());
    assertThat(wrong.exitCode()).isEqualTo(1);
    assertThat(wrong.err()).contains("--leaf-users picks among LEAF's users");

    Path small = Files.createDirectories(dir.resolve("small"));
    for (String split : List.of("train", "t10k")) {
      IdxFiles.write(
          small.resolve(split + "-images-idx3-ubyte"),
          IdxFiles.images(20, 20, 20, new byte[20 * 20 * 20]),
          false);
      IdxFiles.write(
          small.resolve(split + "-labels-idx1-ubyte"), IdxFiles.labels(new int[20]), false);
    }
    Result size =
        run(
            "simulate",
            "--dataset",
            "mnist",
            "--data-dir",
            small.toString(),
            "--out",
            dir.resolve("o").toString());
    assertThat(size.exitCode()).isEqualTo(1);
    assertThat(size.err())
        .contains("data directory " + small + " holds 20x20 images but mnist images are 28x28");
    assertThat(dir.resolve("o")).doesNotExist();
  }

  @Test
  void aDivergingRunStopsNamingTheAgent() {
    Path out = dir.resolve("diverged");
    Result r =
        run(
            "simulate",
            "--dataset",
            "synthetic",
            "--agents",
            "4",
            "--rounds",
            "5",
            "--learning-rate",
            "1e30",
            "--out",
            out.toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err())
        .containsPattern("agent agent-00\\d's model holds")
        .contains("--learning-rate")
        .contains("metrics.jsonl.partial");
    assertThat(out.resolve("metrics.jsonl")).doesNotExist();
  }

  @Test
  void theClusterCommandWritesScipysLinkageMatrix() throws Exception {
    Path in = dir.resolve("x.csv");
    Files.writeString(in, "f1,f2\n0,0\n0,1\n10,10\n10,12\n");
    Path z = dir.resolve("z.csv");
    Result r =
        run(
            "cluster",
            "--input",
            in.toString(),
            "--metric",
            "euclidean",
            "--linkage",
            "average",
            "--output",
            z.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(Files.readAllLines(z)).hasSize(3);
    assertThat(Files.readAllLines(z).get(0)).isEqualTo("0,1,1.0,2");
    assertThat(Files.readAllLines(z).get(1)).isEqualTo("2,3,2.0,2");
    assertThat(Files.readAllLines(z).get(2)).startsWith("4,5,");

    Files.writeString(in, "0,0\n0,1,2\n");
    Result ragged = run("cluster", "--input", in.toString(), "--output", z.toString());
    assertThat(ragged.exitCode()).isEqualTo(1);
    assertThat(ragged.err()).contains(in + ": line 2 has 3 values, the first row has 2");
    Files.writeString(in, "0,0\n0,NaN\n");
    assertThat(run("cluster", "--input", in.toString(), "--output", z.toString()).err())
        .contains("line 2, column 2: NaN is not a finite number");
    Files.writeString(in, "0,0\n0,x\n");
    assertThat(run("cluster", "--input", in.toString(), "--output", z.toString()).err())
        .contains("line 2, column 2: 'x' is not a number");
    Files.writeString(in, "1,0\n0,1\n");
    assertThat(
            run(
                    "cluster",
                    "--input",
                    in.toString(),
                    "--linkage",
                    "ward",
                    "--metric",
                    "cosine",
                    "--output",
                    z.toString())
                .err())
        .contains("--linkage ward needs --metric euclidean");
  }

  @Test
  void theProgressBarShowsRoundsPerSecondAndTheTimeLeft() {
    assertThat(SimulateCommand.Progress.bar(25, 100, 2.5, 0.91234, null))
        .isEqualTo(
            "[########......................] 25/100 rounds  2.50 rounds/s  0:30 left"
                + "  C-SPE 0.9123  C-GEN -");
    assertThat(SimulateCommand.Progress.bar(1, 10_000, 0.1, null, null))
        .contains("1/10000 rounds  0.10 rounds/s  27:46:30 left");
    assertThat(SimulateCommand.Progress.bar(5, 100, 0, null, null)).contains("? left");
    assertThat(SimulateCommand.Progress.bar(50, 1000, 40, null, null))
        .contains("40 rounds/s  0:24 left");
  }
}
