package io.demlearn.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.core.testing.IdxFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
  @TempDir Path dir;

  @Test
  void readsPlainAndGzippedFilesAlike() throws Exception {
    byte[] px = new byte[3 * 2 * 2];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) (i * 20);
    }
    Path plain = dir.resolve("plain");
    Path gz = dir.resolve("zipped.whatever");
    IdxFiles.write(plain, IdxFiles.images(3, 2, 2, px), false);
    IdxFiles.write(gz, IdxFiles.images(3, 2, 2, px), true);
    for (Path f : new Path[] {plain, gz}) {
      IdxReader.Images images = IdxReader.readImages(f);
      assertThat(images.count()).isEqualTo(3);
      assertThat(images.rows()).isEqualTo(2);
      assertThat(images.cols()).isEqualTo(2);
      assertThat(images.pixels()).containsExactly(px);
    }
    Path labels = dir.resolve("labels.gz");
    IdxFiles.write(labels, IdxFiles.labels(new int[] {0, 9, 255}), true);
    assertThat(IdxReader.readLabels(labels)).containsExactly(0, 9, 255);
  }

  @Test
  void aCorruptHeaderIsNamed() {
    Path f = dir.resolve("bad-idx3");
    byte[] content = IdxFiles.images(1, 2, 2, new byte[4]);
    content[2] = 0x0d; // float elements, not unsigned bytes
    IdxFiles.write(f, content, false);
    assertThatThrownBy(() -> IdxReader.readImages(f))
        .isInstanceOf(DataException.class)
        .hasMessageContaining(f.toString())
        .hasMessageContaining("corrupt header")
        .hasMessageContaining("0x00000d03");
    Path labelsAsImages = dir.resolve("labels-idx1");
    IdxFiles.write(labelsAsImages, IdxFiles.labels(new int[] {1, 2}), false);
    assertThatThrownBy(() -> IdxReader.readImages(labelsAsImages))
        .hasMessageContaining("3 dimensions");
  }

  @Test
  void truncatedAndOverlongFilesAreNamed() {
    byte[] whole = IdxFiles.images(2, 2, 2, new byte[8]);
    Path cut = dir.resolve("cut");
    IdxFiles.write(cut, Arrays.copyOf(whole, whole.length - 3), true);
    assertThatThrownBy(() -> IdxReader.readImages(cut))
        .hasMessageContaining(cut.toString())
        .hasMessageContaining("truncated");
    Path header = dir.resolve("header-only");
    IdxFiles.write(header, Arrays.copyOf(whole, 6), false);
    assertThatThrownBy(() -> IdxReader.readImages(header)).hasMessageContaining("header");
    Path longer = dir.resolve("longer");
    IdxFiles.write(longer, Arrays.copyOf(whole, whole.length + 1), false);
    assertThatThrownBy(() -> IdxReader.readImages(longer)).hasMessageContaining("more data");
    Path empty = dir.resolve("empty");
    IdxFiles.write(empty, new byte[0], false);
    assertThatThrownBy(() -> IdxReader.readLabels(empty)).hasMessageContaining("too short");
  }

  @Test
  void aMissingFileOrDirectoryIsNamed() throws Exception {
    assertThatThrownBy(() -> IdxReader.readLabels(dir.resolve("nope")))
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> ImagePool.load(dir.resolve("no-such-dir")))
        .hasMessageContaining("data directory " + dir.resolve("no-such-dir") + " does not exist");
    Files.createDirectories(dir.resolve("empty-dir"));
    assertThatThrownBy(() -> ImagePool.load(dir.resolve("empty-dir")))
        .hasMessageContaining("has no train-images-idx3-ubyte");
  }

  @Test
  void aPoolLoadsFromADirectoryAndChecksCounts() {
    IdxFiles.dataset(dir, 40, 20, true, 1);
    ImagePool pool = ImagePool.load(dir);
    assertThat(pool.size(ImagePool.Split.TRAIN)).isEqualTo(40);
    assertThat(pool.size(ImagePool.Split.T10K)).isEqualTo(20);
    assertThat(pool.label(new ImagePool.SampleRef(ImagePool.Split.T10K, 13))).isEqualTo(3);
    IdxFiles.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), IdxFiles.labels(new int[5]), true);
    assertThatThrownBy(() -> ImagePool.load(dir))
        .hasMessageContaining("t10k has 20 images but 5 labels");
  }
}
