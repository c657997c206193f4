package io.demlearn.schemas.registry;

/** The schema registry could not be reached, or answered with an error. */
public class SchemaRegistryException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int httpStatus;
  private final int errorCode;

  public SchemaRegistryException(String message, int httpStatus, int errorCode, Throwable cause) {
    super(message, cause);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
  }

  public SchemaRegistryException(String message, Throwable cause) {
    this(message, -1, -1, cause);
  }

  /** HTTP status of the registry's answer, or -1 when there was none. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The registry's {@code error_code}, or -1 when it gave none. */
  public int errorCode() {
    return errorCode;
  }
}
