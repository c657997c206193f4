package io.demlearn.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.demlearn.core.testing.LeafFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeafReaderTest {
  static final ImageShape FEMNIST = DataSetKind.FEMNIST.shape();
  @TempDir Path dir;

  @BeforeEach
  void write() {
    LeafFiles.dataset(dir, 9, 3, 1);
  }

  private Path trainFile(int f) {
    return dir.resolve("train/all_data_" + f + "_niid_train.json");
  }

  @Test
  void usersAreSortedAcrossFilesAndEachGetsItsTrainAndTestData() {
    List<String> users = LeafReader.users(dir);
    assertThat(users).hasSize(9).isSorted().startsWith(LeafFiles.user(0));
    List<AgentData> agents = LeafReader.read(dir, users.subList(0, 4), FEMNIST);
    assertThat(agents).extracting(AgentData::id).containsExactlyElementsOf(users.subList(0, 4));
    // user 0's first training image, as the file has it
    ObjectNode file = LeafFiles.read(trainFile(0));
    ObjectNode data = (ObjectNode) file.get("user_data").get(LeafFiles.user(0));
    ArrayNode x0 = (ArrayNode) data.get("x").get(0);
    AgentData a = agents.get(0);
    assertThat(a.train().size()).isEqualTo(data.get("y").size());
    assertThat(a.train().dim()).isEqualTo(784);
    assertThat(a.train().features()[0]).isEqualTo((float) x0.get(0).asDouble());
    assertThat(a.train().features()[783]).isEqualTo((float) x0.get(783).asDouble());
    assertThat(a.train().labels()[0]).isEqualTo(data.get("y").get(0).asInt());
    assertThat(a.test().size()).isBetween(3, 6);
    assertThat(a.labels()).isSorted().allMatch(l -> l >= 0 && l < 62);
  }

  @Test
  void theFirstNOrASeededSample() {
    List<String> users = LeafReader.users(dir);
    assertThat(LeafReader.choose(users, 3, LeafReader.Selection.FIRST, 1))
        .containsExactlyElementsOf(users.subList(0, 3));
    List<String> sample = LeafReader.choose(users, 4, LeafReader.Selection.SAMPLE, 1);
    assertThat(sample).hasSize(4).isSorted().isSubsetOf(users);
    assertThat(LeafReader.choose(users, 4, LeafReader.Selection.SAMPLE, 1)).isEqualTo(sample);
    assertThat(
            Stream.of(2L, 3L, 4L, 5L)
                .map(s -> LeafReader.choose(users, 4, LeafReader.Selection.SAMPLE, s))
                .distinct()
                .count())
        .isGreaterThan(1);
    assertThatThrownBy(() -> LeafReader.choose(users, 10, LeafReader.Selection.FIRST, 1))
        .hasMessageContaining("--agents 10 but the LEAF data has only 9 users");
  }

  @Test
  void aTruncatedFileIsNamedWithTheLineAndColumnWhereItEnds() throws IOException {
    String text = Files.readString(trainFile(1));
    Files.writeString(trainFile(1), text.substring(0, text.length() / 2));
    assertThatThrownBy(() -> LeafReader.read(dir, LeafReader.users(dir), FEMNIST))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("LEAF file " + trainFile(1) + " is not valid JSON at line 1, column")
        .hasMessageContaining("ends early (truncated?)");
  }

  @Test
  void aLabelOutOfRangeIsNamedWithUserAndPlace() {
    ObjectNode file = LeafFiles.read(trainFile(2));
    String user = file.get("users").get(0).asText();
    ((ArrayNode) file.get("user_data").get(user).get("y")).set(1, 62);
    LeafFiles.write(trainFile(2), file);
    assertThatThrownBy(() -> LeafReader.read(dir, List.of(LeafFiles.user(0)), FEMNIST))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("LEAF file " + trainFile(2) + " at line 1, column")
        .hasMessageContaining("user " + user + ", label 1 is 62, outside 0..61");
  }

  @Test
  void aUserListedWithoutDataIsRefused() {
    ObjectNode file = LeafFiles.read(trainFile(0));
    String user = file.get("users").get(1).asText();
    ((ObjectNode) file.get("user_data")).remove(user);
    LeafFiles.write(trainFile(0), file);
    assertThatThrownBy(() -> LeafReader.read(dir, List.of(user), FEMNIST))
        .isInstanceOf(DataException.class)
        .hasMessageContaining(
            "LEAF file "
                + trainFile(0)
                + " lists user "
                + user
                + " but its user_data has no entry");
  }

  @Test
  void aUserWithoutTestDataIsRefused() throws IOException {
    for (Path f : LeafReader.files(dir, "test")) {
      ObjectNode file = LeafFiles.read(f);
      ArrayNode users = (ArrayNode) file.get("users");
      for (int i = 0; i < users.size(); i++) {
        if (users.get(i).asText().equals(LeafFiles.user(4))) {
          users.remove(i);
          ((ArrayNode) file.get("num_samples")).remove(i);
          ((ObjectNode) file.get("user_data")).remove(LeafFiles.user(4));
          LeafFiles.write(f, file);
        }
      }
    }
    assertThatThrownBy(() -> LeafReader.read(dir, List.of(LeafFiles.user(4)), FEMNIST))
        .hasMessageContaining("has no data for user " + LeafFiles.user(4))
        .hasMessageContaining("must hold the same users");
  }

  @Test
  void anImageOfTheWrongSizeIsNamed() {
    ObjectNode file = LeafFiles.read(trainFile(0));
    String user = file.get("users").get(0).asText();
    ((ArrayNode) file.get("user_data").get(user).get("x").get(2)).remove(0);
    LeafFiles.write(trainFile(0), file);
    assertThatThrownBy(() -> LeafReader.read(dir, List.of(user), FEMNIST))
        .hasMessageContaining("LEAF file " + trainFile(0) + " at line 1")
        .hasMessageContaining("user " + user + ", image 2 has 783 values, expected 784 (28x28)");
  }

  @Test
  void aCountThatDisagreesWithTheDataIsRefused() {
    ObjectNode file = LeafFiles.read(trainFile(0));
    ((ArrayNode) file.get("num_samples")).set(0, 999);
    LeafFiles.write(trainFile(0), file);
    assertThatThrownBy(() -> LeafReader.read(dir, List.of(LeafFiles.user(0)), FEMNIST))
        .hasMessageContaining("num_samples says 999 for user");
  }

  @Test
  void aUserInTwoFilesAValueOutsideTheGreyLevelsAndAUserWithoutSamplesAreRefused() {
    String user = LeafFiles.user(0);
    ObjectNode mine = LeafFiles.read(trainFile(0));
    ObjectNode original = LeafFiles.read(trainFile(1));
    ObjectNode other = original.deepCopy();
    ((ArrayNode) other.get("users")).add(user);
    ((ArrayNode) other.get("num_samples")).add(mine.get("user_data").get(user).get("y").size());
    ((ObjectNode) other.get("user_data")).set(user, mine.get("user_data").get(user));
    LeafFiles.write(trainFile(1), other);
    assertThatThrownBy(() -> LeafReader.read(dir, List.of(user), FEMNIST))
        .hasMessageContaining(
            "LEAF user "
                + user
                + " has data in two files: "
                + trainFile(0)
                + " and "
                + trainFile(1));
    LeafFiles.write(trainFile(1), original);

    ((ArrayNode) mine.get("user_data").get(user).get("x").get(0)).set(5, 255);
    LeafFiles.write(trainFile(0), mine);
    assertThatThrownBy(() -> LeafReader.read(dir, List.of(user), FEMNIST))
        .hasMessageContaining("user " + user + ", image 0: value 5 is 255; FEMNIST's values are")
        .hasMessageContaining("in [0, 1]");

    ObjectNode empty = LeafFiles.read(trainFile(0));
    ((ObjectNode) empty.get("user_data").get(user)).putArray("x");
    ((ObjectNode) empty.get("user_data").get(user)).putArray("y");
    ArrayNode names = (ArrayNode) empty.get("users");
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).asText().equals(user)) {
        ((ArrayNode) empty.get("num_samples")).set(i, 0);
      }
    }
    LeafFiles.write(trainFile(0), empty);
    assertThatThrownBy(() -> LeafReader.read(dir, List.of(user), FEMNIST))
        .hasMessageContaining("LEAF file " + trainFile(0) + " has no samples for user " + user);
  }

  @Test
  void numSamplesMustBeThereAndBeCounts() {
    ObjectNode file = LeafFiles.read(trainFile(0));
    ((ArrayNode) file.get("num_samples")).set(0, 1L << 40);
    LeafFiles.write(trainFile(0), file);
    assertThatThrownBy(() -> LeafReader.read(dir, List.of(LeafFiles.user(0)), FEMNIST))
        .hasMessageContaining("'num_samples' entry 0 is not a count: 1099511627776");
    file.remove("num_samples");
    LeafFiles.write(trainFile(0), file);
    assertThatThrownBy(() -> LeafReader.read(dir, List.of(LeafFiles.user(0)), FEMNIST))
        .hasMessageContaining("LEAF file " + trainFile(0) + " has no 'num_samples' field");
  }

  @Test
  void anEmptyOrMissingFolderIsRefusedByName() throws IOException {
    for (Path f : LeafReader.files(dir, "test")) {
      Files.delete(f);
    }
    assertThatThrownBy(() -> LeafReader.read(dir, List.of(LeafFiles.user(0)), FEMNIST))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("LEAF folder " + dir.resolve("test") + " has no .json files");
    assertThatThrownBy(() -> LeafReader.users(dir.resolve("test")))
        .hasMessageContaining("has no train folder");
  }
}
