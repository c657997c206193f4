package io.demlearn.schemas.registry;

/** The registry has no such schema id, subject or version. */
public class SchemaNotFoundException extends SchemaRegistryException {
  private static final long serialVersionUID = 1L;

  public SchemaNotFoundException(String message, int httpStatus, int errorCode) {
    super(message, httpStatus, errorCode, null);
  }
}
