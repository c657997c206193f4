package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.data.AgentData;
import io.demlearn.core.data.Dataset;
import io.demlearn.core.experiment.ExperimentData;
import io.demlearn.core.experiment.ExperimentSettings;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceHeapsTest {
  private static ExperimentData.Loaded data(int agents, int samplesEach) {
    // every agent shares one data set: the heap estimate counts its bytes per agent all the same
    Dataset d = new Dataset(new float[samplesEach * 784], new int[samplesEach], 784);
    List<AgentData> all = new ArrayList<>();
    for (int a = 0; a < agents; a++) {
      all.add(new AgentData("a" + a, List.of(), d, d));
    }
    return new ExperimentData.Loaded(all, "test");
  }

  @Test
  void smallExperimentsKeepTheFloors() {
    ExperimentSettings s = ExperimentSettings.builder().dataset("synthetic").agents(50).build();
    assertThat(Pipeline.workerHeapMb(s, data(50, 90), 1)).isEqualTo(2048);
    assertThat(Pipeline.clustererHeapMb(s)).isEqualTo(1024);
  }

  @Test
  void tenThousandAgentsGetRoomForTheirDataModelsAndDistances() {
    ExperimentSettings s = ExperimentSettings.builder().dataset("synthetic").agents(10_000).build();
    // 10,000 x 2 x 24 samples x 784 floats = 1,435 MiB of data; 3 x 10,000 x 7,850 floats = 898 MiB
    long one = Pipeline.workerHeapMb(s, data(10_000, 24), 1);
    assertThat(one).isBetween(1435L + 898 + 700, 1435L + 898 + 800);
    // with two workers each hosts half the agents' models but loads all the data
    assertThat(Pipeline.workerHeapMb(s, data(10_000, 24), 2)).isBetween(one - 450, one - 448);
    // 2 x 10,000 x 7,850 floats = 599 MiB; 49,995,000 distances = 381 MiB
    assertThat(Pipeline.clustererHeapMb(s)).isBetween(599L + 381 + 500, 599L + 381 + 520);
  }
}
