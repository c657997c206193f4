package io.demlearn.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.core.testing.CifarFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarReaderTest {
  @TempDir Path dir;

  @Test
  void readsTheTrainingBatchesInOrderThenTheTestBatch() throws IOException {
    CifarFiles.dataset(dir, 7, 5, 1);
    ImagePool pool = CifarReader.load(dir);
    assertThat(pool.size(ImagePool.Split.TRAIN)).isEqualTo(35);
    assertThat(pool.size(ImagePool.Split.T10K)).isEqualTo(5);
    assertThat(pool.shape(10)).isEqualTo(new ImageShape(3, 32, 32, 10));
    // record 2 of data_batch_2 is train sample 7 + 2; its pixels, planes in file order, scaled
    byte[] file = Files.readAllBytes(dir.resolve("data_batch_2.bin"));
    int at = 2 * CifarFiles.RECORD;
    ImagePool.SampleRef ref = new ImagePool.SampleRef(ImagePool.Split.TRAIN, 9);
    assertThat(pool.label(ref)).isEqualTo(file[at]);
    float[] px = new float[3072];
    pool.pixels(ref, px, 0);
    assertThat(px[0]).isEqualTo((file[at + 1] & 0xff) / 255f);
    assertThat(px[1024 + 33]).isEqualTo((file[at + 1 + 1024 + 33] & 0xff) / 255f);
    assertThat(px[3071]).isEqualTo((file[at + CifarFiles.RECORD - 1] & 0xff) / 255f);
  }

  @Test
  void findsTheBatchesInTheFolderTheArchiveUnpacksTo() {
    CifarFiles.dataset(dir.resolve("cifar-10-batches-bin"), 2, 2, 1);
    assertThat(CifarReader.load(dir).dir()).isEqualTo(dir.resolve("cifar-10-batches-bin"));
  }

  @Test
  void aTruncatedRecordIsNamedWithItsFile() throws IOException {
    CifarFiles.dataset(dir, 4, 4, 1);
    Path f = dir.resolve("data_batch_3.bin");
    byte[] bytes = Files.readAllBytes(f);
    Files.write(f, Arrays.copyOf(bytes, bytes.length - 100));
    assertThatThrownBy(() -> CifarReader.load(dir))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("data_batch_3.bin is truncated: record 3 has 2973 of its 3073 bytes");
  }

  @Test
  void aLabelOutOfRangeIsNamedWithFileAndRecord() throws IOException {
    CifarFiles.dataset(dir, 4, 4, 1);
    Path f = dir.resolve("test_batch.bin");
    byte[] bytes = Files.readAllBytes(f);
    bytes[2 * CifarFiles.RECORD] = 10;
    Files.write(f, bytes);
    assertThatThrownBy(() -> CifarReader.load(dir))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("test_batch.bin, record 2 (byte 6146): label 10 is outside 0..9");
  }

  @Test
  void anEmptyFolderAMissingBatchAndAnEmptyFileAreRefusedByName() throws IOException {
    Files.createDirectories(dir.resolve("empty"));
    assertThatThrownBy(() -> CifarReader.load(dir.resolve("empty")))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("holds none of the binary batches");
    assertThatThrownBy(() -> CifarReader.load(dir.resolve("nowhere")))
        .hasMessageContaining("does not exist");
    Path archive = Files.write(dir.resolve("cifar-10-binary.tar.gz"), new byte[] {31});
    assertThatThrownBy(() -> CifarReader.load(archive))
        .hasMessageContaining("is a file, not a folder: unpack it first")
        .hasMessageContaining("cifar-10-batches-bin");
    CifarFiles.dataset(dir.resolve("some"), 2, 2, 1);
    Files.delete(dir.resolve("some/data_batch_4.bin"));
    assertThatThrownBy(() -> CifarReader.load(dir.resolve("some")))
        .hasMessageContaining("lacks data_batch_4.bin");
    CifarFiles.write(dir.resolve("some/data_batch_4.bin"), new byte[0]);
    assertThatThrownBy(() -> CifarReader.load(dir.resolve("some")))
        .hasMessageContaining("data_batch_4.bin is empty");
  }

  @Test
  void theRecordsOfTheTestWriterAreWhatTheReaderReads() {
    byte[] r = CifarFiles.record(7, new Random(1));
    assertThat(r).hasSize(3073);
    assertThat(r[0]).isEqualTo((byte) 7);
  }
}
