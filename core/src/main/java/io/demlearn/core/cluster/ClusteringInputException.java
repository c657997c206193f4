package io.demlearn.core.cluster;

/** A vector given to clustering is unusable; {@link #row()} says which one. */
public final class ClusteringInputException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final int row;

  public ClusteringInputException(int row, String problem) {
    super("row " + row + " " + problem);
    this.row = row;
  }

  /** Index of the offending vector. */
  public int row() {
    return row;
  }
}
