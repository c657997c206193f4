package io.demlearn.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.core.testing.CifarFiles;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarPartitionerTest {
  @TempDir Path dir;

  @Test
  void eachAgentHoldsThreeLabelsSplitEightyTwentyByLabelAndNoSampleTwice() {
    ImagePool pool = CifarReader.load(CifarFiles.dataset(dir, 1000, 1000, 3));
    Partition p = new CifarPartitioner(20).partition(pool, 1);
    assertThat(p.agents()).hasSize(20);
    Set<ImagePool.SampleRef> seen = new HashSet<>();
    int larger = 0;
    for (int u = 0; u < 20; u++) {
      Partition.AgentPlan a = p.agents().get(u);
      assertThat(a.id()).isEqualTo(NonIidPartitioner.agentId(u));
      assertThat(a.labels()).containsExactly(u % 10, (u + 1) % 10, (u + 2) % 10);
      for (int l : a.labels()) {
        long train = a.train().stream().filter(r -> pool.label(r) == l).count();
        long test = a.test().stream().filter(r -> pool.label(r) == l).count();
        assertThat(train + test).as("agent %d label %d", u, l).isGreaterThanOrEqualTo(10);
        assertThat(test).isEqualTo((long) Math.ceil(0.2 * (train + test)));
      }
      assertThat(a.train()).allMatch(r -> a.labels().contains(pool.label(r)));
      for (ImagePool.SampleRef r : a.train()) {
        assertThat(seen.add(r)).as("dealt twice: %s", r).isTrue();
      }
      for (ImagePool.SampleRef r : a.test()) {
        assertThat(seen.add(r)).as("dealt twice: %s", r).isTrue();
      }
      larger += a.train().size() + a.test().size() > 30 ? 1 : 0;
    }
    // 6,000 images: the base samples (30 per agent) and some of the larger slots fit
    assertThat(larger).isPositive();
    assertThat(new CifarPartitioner(20).partition(pool, 1)).isEqualTo(p);
    assertThat(new CifarPartitioner(20).partition(pool, 2)).isNotEqualTo(p);
  }

  @Test
  void tooFewImagesForTheBaseSamplesIsRefusedWithTheCount() {
    ImagePool pool = CifarReader.load(CifarFiles.dataset(dir, 40, 40, 3));
    assertThatThrownBy(() -> new CifarPartitioner(40).partition(pool, 1))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("cannot deal the cifar10 data")
        .hasMessageContaining("to 40 agents");
    List<Partition.AgentPlan> few = new CifarPartitioner(2).partition(pool, 1).agents();
    assertThat(few).hasSize(2);
  }
}
