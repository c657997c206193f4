package io.demlearn.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J set up for many small models trained in parallel (measured on 2 cores): JavaCPP's
 * physical-memory accounting off (halves the cost of each op), and one BLAS/OpenMP thread per
 * calling thread, so that agents, not ND4J, use the cores. Call {@link #init()} before the first
 * ND4J array is made.
 */
public final class Tensors {
  private static volatile boolean initialised;

  private Tensors() {}

  public static synchronized void init() {
    if (initialised) {
      return;
    }
    if (System.getProperty("org.bytedeco.javacpp.maxPhysicalBytes") == null) {
      System.setProperty("org.bytedeco.javacpp.maxPhysicalBytes", "0");
    }
    Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    Nd4j.getEnvironment().setMaxThreads(1);
    Nd4j.getEnvironment().setMaxMasterThreads(1);
    Nd4j.factory().blas().setMaxThreads(1);
    initialised = true;
  }
}
