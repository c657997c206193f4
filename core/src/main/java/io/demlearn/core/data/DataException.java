package io.demlearn.core.data;

/**
 * A data file, directory or partition is missing or malformed; the message names it and says how.
 */
public final class DataException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DataException(String message) {
    super(message);
  }

  public DataException(String message, Throwable cause) {
    super(message, cause);
  }
}
