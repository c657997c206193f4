package io.demlearn.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TensorsTest {
  @Test
  void bulkCopiesAgreeWithNd4jsOwnElementAccessForFloatAndDouble() {
    Tensors.init();
    float[] values = {1.5f, -0f, Float.MIN_VALUE, -3.25e30f, 7f, 0.1f};
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      INDArray a = Nd4j.create(type, 2, 3);
      Tensors.write(a, values, values.length);
      for (int i = 0; i < values.length; i++) {
        assertThat(a.getFloat(i / 3, i % 3)).as(type + " element " + i).isEqualTo(values[i]);
      }
      float[] back = Tensors.read(a, 4);
      assertThat(back).hasSize(4);
      for (int i = 0; i < 4; i++) {
        assertThat(Float.floatToRawIntBits(back[i]))
            .as(type + " element " + i)
            .isEqualTo(Float.floatToRawIntBits((float) (double) values[i]));
      }
      INDArray firstRow = a.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1));
      assertThat(Tensors.read(firstRow, 3)).containsExactly(1.5f, -0f, Float.MIN_VALUE);
    }
  }

  @Test
  void argmaxOfRowsIsTheFirstLargestLikeTheJavaLoopTiesIncluded() {
    Tensors.init();
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    int rows = 5000;
    int cols = 10;
    float[] z = new float[rows * cols];
    for (int i = 0; i < z.length; i++) {
      z[i] = random.nextInt(4) - 2; // few distinct values: many ties, also for the largest
    }
    for (int c = 0; c < cols; c++) {
      z[c] = -1e30f; // a row of equal values
    }
    INDArray m = Nd4j.create(z, new long[] {rows, cols}, DataType.FLOAT);
    assertThat(Tensors.argmaxOfRows(m))
        .containsExactly(DenseNetwork.argmaxBlocks(z, rows, cols, 0, cols));
  }
}
