package io.demlearn.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.demlearn.core.data.ImagePool.SampleRef;
import io.demlearn.core.testing.IdxFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionTest {
  @TempDir Path dir;

  @Test
  void thePapersSplitHasTheRightLabelsCountsAndShape() {
    ImagePool pool = ImagePool.synthetic(20000, 1000, 10, 3);
    List<SampleRef> dealing = pool.dealingPool(0);
    int agents = 50;
    Partition p =
        NonIidPartitioner.paper(agents, 0.55).partition("synthetic", dealing, pool::label, 10, 7);
    assertThat(p.agents()).hasSize(agents);
    Set<SampleRef> seen = new HashSet<>();
    Map<Integer, Integer> perLabel = new HashMap<>();
    long extra = 0;
    for (int u = 0; u < agents; u++) {
      Partition.AgentPlan a = p.agents().get(u);
      assertThat(a.id()).isEqualTo(String.format("agent-%03d", u));
      assertThat(a.labels()).containsExactly(u % 10, (u + 1) % 10);
      int n = a.train().size() + a.test().size();
      assertThat(a.train()).hasSize((int) (0.8 * n));
      Map<Integer, Integer> counts = new HashMap<>();
      for (SampleRef r : concat(a.train(), a.test())) {
        assertThat(seen.add(r)).as("sample %s dealt twice", r).isTrue();
        counts.merge(pool.label(r), 1, Integer::sum);
      }
      assertThat(counts.keySet()).containsExactlyInAnyOrder(u % 10, (u + 1) % 10);
      for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
        assertThat(e.getValue()).isGreaterThanOrEqualTo(10);
        extra += e.getValue() - 10;
        perLabel.merge(e.getKey(), e.getValue(), Integer::sum);
      }
    }
    // extras: 0.55 * N_l spread over the 100 (agent, slot) shares of each label, of which each
    // label's
    // 10 agents use 10: on average 0.55 * N_l / 10 per label, i.e. 0.055 of the pool in all
    double expected = 0.55 * dealing.size() / 10;
    assertThat((double) extra).isBetween(0.5 * expected, 1.5 * expected);
  }

  @Test
  void theSplitDependsOnlyOnTheSeed() {
    ImagePool pool = ImagePool.synthetic(6000, 1000, 10, 3);
    NonIidPartitioner partitioner = NonIidPartitioner.paper(20, 0.55);
    Partition a = partitioner.partition("s", pool.dealingPool(0), pool::label, 10, 1);
    Partition b = partitioner.partition("s", pool.dealingPool(0), pool::label, 10, 1);
    Partition c = partitioner.partition("s", pool.dealingPool(0), pool::label, 10, 2);
    assertThat(a).isEqualTo(b);
    assertThat(a).isNotEqualTo(c);
  }

  @Test
  void runningOutOfALabelIsNamed() {
    ImagePool pool = ImagePool.synthetic(100, 10, 10, 3);
    assertThatThrownBy(
            () ->
                NonIidPartitioner.paper(50, 0.55)
                    .partition("s", pool.dealingPool(0), pool::label, 10, 1))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("cannot deal the s data to 50 agents: label")
        .hasMessageContaining("runs out")
        .hasMessageContaining("no number of agents can be dealt from it");
  }

  @Test
  void theAdvisedAgentCountWorksAndOneMoreDoesNot() {
    ImagePool pool = ImagePool.synthetic(2000, 10, 10, 3);
    String message =
        catchThrowableOfType(
                () ->
                    NonIidPartitioner.paper(200, 0.55)
                        .partition("s", pool.dealingPool(0), pool::label, 10, 1),
                DataException.class)
            .getMessage();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("at most (\\d+) agents").matcher(message);
    assertThat(m.find()).as(message).isTrue();
    int most = Integer.parseInt(m.group(1));
    assertThat(most).isBetween(1, 199);
    Partition ok =
        NonIidPartitioner.paper(most, 0.55).partition("s", pool.dealingPool(0), pool::label, 10, 1);
    assertThat(ok.agents()).hasSize(most);
    assertThatThrownBy(
            () ->
                NonIidPartitioner.paper(most + 1, 0.55)
                    .partition("s", pool.dealingPool(0), pool::label, 10, 1))
        .isInstanceOf(DataException.class);
  }

  @Test
  void normalisationIsTheGlobalZScore() {
    IdxFiles.dataset(dir, 30, 10, false, 2);
    ImagePool pool = ImagePool.load(dir);
    List<SampleRef> refs = pool.dealingPool(0);
    double[] ms = pool.meanAndStd(refs);
    Partition p =
        new Partition(
            "t",
            List.of(
                new Partition.AgentPlan(
                    "a", List.of(), refs.subList(0, 30), refs.subList(30, 40))));
    List<AgentData> data = p.materialise(pool, Partition.Normalisation.zScore(ms[0], ms[1]));
    double sum = 0;
    double sq = 0;
    float[][] parts = {data.get(0).train().features(), data.get(0).test().features()};
    long n = 0;
    for (float[] f : parts) {
      for (float v : f) {
        sum += v;
        sq += v * v;
        n++;
      }
    }
    assertThat(sum / n).isCloseTo(0, Assertions.within(1e-5));
    assertThat(Math.sqrt(sq / n)).isCloseTo(ms[1] / (ms[1] + 0.001), Assertions.within(1e-4));
  }

  @Test
  void partitionFilesAreReadAndTheirMistakesNamed() throws Exception {
    IdxFiles.dataset(dir, 40, 20, true, 1);
    ImagePool pool = ImagePool.load(dir);
    Path file = dir.resolve("split.json");
    Files.writeString(
        file,
        "{\"dataset\":\"t\",\"agents\":[{\"id\":\"a0\",\"labels\":[0,1],\"train\":[\"train:0\",\"train:1\"],"
            + "\"test\":[\"t10k:3\"]},{\"id\":\"a1\",\"train\":[\"train:2\"],\"test\":[\"t10k:4\"]}]}");
    Partition p = PartitionFile.read(file, pool);
    assertThat(p.agents()).extracting(Partition.AgentPlan::id).containsExactly("a0", "a1");
    assertThat(p.agents().get(0).test()).containsExactly(new SampleRef(ImagePool.Split.T10K, 3));

    Files.writeString(
        file, "{\"agents\":[{\"id\":\"a0\",\"train\":[\"train:40\"],\"test\":[\"t10k:0\"]}]}");
    assertThatThrownBy(() -> PartitionFile.read(file, pool))
        .isInstanceOf(DataException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("agent a0")
        .hasMessageContaining("'train:40' is out of range")
        .hasMessageContaining("40 train images");
    Files.writeString(
        file, "{\"agents\":[{\"id\":\"a0\",\"train\":[\"valid:1\"],\"test\":[\"t10k:0\"]}]}");
    assertThatThrownBy(() -> PartitionFile.read(file, pool))
        .hasMessageContaining("'valid:1' is not train:<index> or t10k:<index>");
    Files.writeString(
        file,
        "{\"agents\":[{\"id\":\"a0\",\"train\":[\"train:1\"],\"test\":[\"t10k:0\"]},"
            + "{\"id\":\"a0\",\"train\":[\"train:2\"],\"test\":[\"t10k:1\"]}]}");
    assertThatThrownBy(() -> PartitionFile.read(file, pool))
        .hasMessageContaining("agent id a0 appears twice");
    Files.writeString(
        file, "{\"agents\":[{\"id\":\"a0\",\"train\":[\"train:1\"],\"test\":[\"train:1\"]}]}");
    assertThatThrownBy(() -> PartitionFile.read(file, pool))
        .hasMessageContaining("'train:1' is dealt twice");
    Files.writeString(file, "{\"agents\":[{\"train\":[\"train:1\"],\"test\":[\"t10k:1\"]}]}");
    assertThatThrownBy(() -> PartitionFile.read(file, pool))
        .hasMessageContaining("agent #0 has no \"id\"");
    Files.writeString(file, "{\"agents\": [");
    assertThatThrownBy(() -> PartitionFile.read(file, pool))
        .hasMessageContaining("is not valid JSON");
    assertThatThrownBy(() -> PartitionFile.read(dir.resolve("none.json"), pool))
        .hasMessageContaining("does not exist");
    Files.writeString(
        file, "{\"agents\":[{\"id\":\"a0\",\"train\":[\"train:1\"],\"test\":[\"t10k:1\"]}]}");
    assertThatThrownBy(() -> PartitionFile.read(file, pool).firstAgents(2))
        .hasMessageContaining("asked for 2 agents but the partition has 1");
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
